"""Support plans: models as content, opening at completion with needs from results and the exit
survey, agreeing, accepting and adjusting with every version kept, consultations, observations,
evidence, events; the pages for staff and for the graduate; and a whole LDR-DT year of 30."""
import io
from datetime import date, timedelta

import pytest
import yaml
from sqlalchemy import func, select

from lms.core.models import AuditEntry, OutboxMessage
from lms.core.services import clock, mail
from lms.core.services.errors import Conflict, NotFound, ServiceError
from lms.courses.services import cohorts
from lms.postcourse.models import (
    Contact, EventAttendance, Evidence, Observation, PlanActivity, PlanVersion, SupportPlan,
)
from lms.postcourse.services import activities, models, plans, reminders, reports_data
from tests.postcourse.plan_helpers import (
    answer_survey, at, complete_all, enrolments, exit_survey, items, plans_of, published_test, take, utc,
)

COMPLETED = date(2027, 3, 1)


# --- support models -------------------------------------------------------------------------------

def test_shipped_models_are_valid_and_found_by_programme():
    found, problems = models.check_models()
    assert problems == []
    assert sorted(m.code for m in found) == ["LDR-DT", "LDR-SUS", "TCH-SUS"]
    ldr = models.model_for("LDR-DT")
    assert [s.code for s in ldr.stages] == ["organisational", "implementation", "reflection"]
    assert [(s.first_month, s.last_month) for s in ldr.stages] == [(1, 1), (2, 9), (10, 12)]
    assert [m.code for m in ldr.required] == ["needs_analysis", "final_event"]
    assert ldr.supported_by == "trainer" and models.model_for("LDR-SUS").supported_by == "curator"
    with pytest.raises(NotFound):
        models.model_for("NO-SUCH")


def test_a_broken_model_names_file_and_field(tmp_path):
    data = yaml.safe_load((models.CONTENT_DIR / "LDR-DT.yaml").read_text(encoding="utf-8"))
    data["stages"][1]["months"] = [2, 8]  # a gap: month 9 belongs to no stage
    data["menu"][1]["due_month"] = 11  # seminar: implementation, not reflection
    data["menu"][2]["stage"] = "middle"
    data["menu"][3]["evidence"] = "poster"
    data["menu"][4]["title"] = {"ru": "только по-русски"}
    data["menu"].append(dict(data["menu"][0]))  # needs_analysis twice
    data["colour"] = "green"
    path = tmp_path / "BROKEN.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ServiceError) as exc:
        models.load_file(path)
    message = exc.value.message
    for part in (f"{path}: unknown key(s) colour",
                 f"{path}: stage reflection.months: starts in month 10; the stages must follow each other from"
                 f" month 1 (expected 9)",
                 f"{path}: menu seminar.due_month: month 11 is outside the implementation stage (months 2-8)",
                 f"{path}: menu consultation.stage: one of organisational, implementation, reflection (got 'middle')",
                 f"{path}: menu observation.evidence: one of publication",
                 f"{path}: menu adjustment.title.kk: the Kazakh text is required",
                 f"{path}: menu needs_analysis.code: 'needs_analysis' appears twice"):
        assert part in message, part
    (tmp_path / "bad.yaml").write_text("code: [unclosed\n", encoding="utf-8")
    found, problems = models.check_models(tmp_path)
    assert found == [] and len(problems) == 2
    assert any(p.startswith(f"{tmp_path / 'bad.yaml'}:2: not valid YAML") for p in problems)


def test_cli_check_reports_the_shipped_models(runner, tmp_path):
    result = runner.invoke(args=["postcourse", "check"])
    assert result.exit_code == 0, result.output
    assert "3 support model(s) valid: LDR-DT, LDR-SUS, TCH-SUS; 0 file(s) with errors" in result.output
    (tmp_path / "X.yaml").write_text("code: X\n", encoding="utf-8")
    result = runner.invoke(args=["postcourse", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'X.yaml'}: code: capital Latin letters" in result.output


# --- dates ------------------------------------------------------------------------------------------

def test_months_are_dated_from_the_completion_date():
    assert plans.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert plans.month_start(date(2027, 3, 15), 1) == date(2027, 3, 15)
    assert plans.month_end(date(2027, 3, 15), 1) == date(2027, 4, 14)
    assert plans.month_end(date(2027, 3, 15), 12) == date(2028, 3, 14)


# --- opening ------------------------------------------------------------------------------------------

@pytest.fixture
def graduates(make, db_session):
    """An LDR-DT cohort of three with a trainer, module tests 1-8 and the final test taken, and
    the (anonymous) exit survey answered by the first; completed on 2027-03-01."""
    trainer = make.user(email="pc-trainer@test.kz", full_name="Тренер")
    cohort = make.cohort(code="PC-LDT", programme="LDR-DT", format_code="blended", participants=3,
                         start=date(2027, 1, 10), days=40, trainer=trainer)
    versions = items()
    when = utc(date(2027, 2, 10))
    module_tests = {m: published_test(cohort, "module", m) for m in range(1, 9)}
    final = published_test(cohort, "final")
    people = enrolments(cohort)
    # participant k: module (k + 2) is weakest (0 of 2), module (k + 3) next (1 of 2), the rest 2 of 2
    for k, e in enumerate(people):
        for m, test in module_tests.items():
            right = 0 if m == k + 2 else 1 if m == k + 3 else 2
            take(test, e, versions[m], right, when)
        take(final, e, versions[1], 1 + (k > 0), when)
    survey_test = exit_survey(cohort)
    answer_survey(survey_test, people[0], low=2, need="Сабақты бейнеге түсіріп талдауға көмек керек.")
    db_session.commit()
    return cohort, trainer, people


def test_the_final_tests_weak_topics_are_in_the_needs(make, db_session, client, auth):
    """A programme with no module tests (LDR-SUS): the final test's topics below its pass mark
    are the plan's finer needs, on the plan page with the topics' titles."""
    trainer = make.user(email="pc-sus-trainer@test.kz", full_name="Тренер")
    cohort = make.cohort(code="PC-SUS", programme="LDR-SUS", participants=2, start=date(2027, 1, 10), days=40,
                         trainer=trainer)
    versions = items("LDR-SUS", modules=3, code="PCS")  # topics 1.1, 2.1 and 3.1, two items each
    final = published_test(cohort, "final")
    first, second = enrolments(cohort)
    drawn = versions[1] + versions[2] + versions[3]
    take(final, first, drawn, 2, utc(date(2027, 2, 10)))   # 1.1 right; 2.1 and 3.1 wrong: 33 %
    take(final, second, drawn, 6, utc(date(2027, 2, 10)))  # everything right
    db_session.commit()
    plan, other = complete_all(cohort, COMPLETED, trainer)
    assert plan.needs["weak_topics"] == [{"topic": "2.1", "percent": 0.0}, {"topic": "3.1", "percent": 0.0}]
    assert plan.needs["weakest"] == [] and plan.needs["final"]["passed"] is False
    assert other.needs["weak_topics"] == []

    auth.login(trainer.email)
    with clock.frozen(at(date(2027, 3, 9))):
        html = client.get(f"/cohorts/{cohort.code}/support/plans/{plan.id}").get_data(as_text=True)
    assert 'id="weak-topics"' in html and '<li data-topic="2.1">2.1 ' in html


def test_a_plan_opens_when_the_enrolment_completes(graduates, db_session):
    cohort, trainer, people = graduates
    opened = complete_all(cohort, COMPLETED, trainer)
    assert len(opened) == 3
    plan = opened[0]
    assert (plan.starts_on, plan.ends_on, plan.status, plan.version, plan.model_code) == \
        (COMPLETED, date(2028, 2, 29), "draft", 1, "LDR-DT")
    assert [(a.activity_type, a.stage, a.due_on) for a in plan.activities] == [
        ("needs_analysis", "organisational", date(2027, 3, 31)), ("final_event", "reflection", date(2028, 2, 29))]
    (v1,) = plans.versions(plan)
    assert (v1.number, v1.snapshot["action"], len(v1.snapshot["activities"])) == (1, "opened", 2)
    # needs: the weakest modules first, the final test, the exit survey's low answer and support need
    assert [w["module"] for w in plan.needs["weakest"]] == [2, 3, 1]
    assert [w["percent"] for w in plan.needs["weakest"]] == [0.0, 50.0, 100.0]
    assert plan.needs["final"] == {"percent": 50.0, "passed": True}
    assert [w["module"] for w in opened[1].needs["weakest"]][:2] == [3, 4]
    assert [w["module"] for w in opened[2].needs["weakest"]][:2] == [4, 5]
    survey_needs = plan.needs["survey"]
    assert [s.get("likert") for s in survey_needs] == [2, None]
    assert survey_needs[1]["text"] == "Сабақты бейнеге түсіріп талдауға көмек керек." and survey_needs[1]["anonymous"]
    assert opened[1].needs["survey"] == []
    # staff never see answers of an anonymous survey; the graduate does
    assert plans.needs_for(plan, staff=True)["survey"] == []
    assert len(plans.needs_for(plan, staff=False)["survey"]) == 2
    # completing again (or a second signal) opens nothing new
    with clock.frozen(at(COMPLETED + timedelta(days=3))):
        cohorts.set_status(people[0], "active", None)
        cohorts.set_status(people[0], "completed", None)
    assert len(plans_of(cohort)) == 3 and plans_of(cohort)[0].starts_on == COMPLETED
    assert db_session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "support_plan_opened")) == 3


def test_open_plans_catches_up_on_earlier_graduates(make, db_session, runner):
    cohort = make.cohort(code="PC-OLD", programme="TCH-SUS", participants=2)
    for e in enrolments(cohort):
        e.status, e.completed_at = "completed", utc(date(2027, 5, 20))  # before the plugin: no signal
    db_session.commit()
    assert plans_of(cohort) == []
    result = runner.invoke(args=["postcourse", "open", "--cohort", "PC-OLD"])
    assert result.exit_code == 0, result.output
    assert "2 plan(s) opened in PC-OLD" in result.output
    opened = plans_of(cohort)
    assert [p.starts_on for p in opened] == [date(2027, 5, 20)] * 2
    assert [a.activity_type for a in opened[0].activities] == ["trajectory_plan"]
    assert runner.invoke(args=["postcourse", "open", "--cohort", "PC-OLD"]).output.startswith("0 plan(s)")
    (studying,) = enrolments(make.cohort(code="PC-NOTYET", programme="TCH-SUS", participants=1))
    with pytest.raises(Conflict, match="a plan opens when the course is completed"):
        plans.open_plan(studying)


# --- agreeing, accepting, adjusting ---------------------------------------------------------------------

@pytest.fixture
def opened(graduates):
    cohort, trainer, people = graduates
    return cohort, trainer, people, complete_all(cohort, COMPLETED, trainer)


def test_activities_are_agreed_from_the_menu_within_the_year(opened, db_session):
    cohort, trainer, people, all_plans = opened
    plan = all_plans[0]
    with clock.frozen(at(date(2027, 3, 10))):
        seminar = plans.add_activity(plan, {"activity_type": "seminar"}, trainer)
        assert (seminar.stage, seminar.due_on, seminar.title) == ("implementation", date(2027, 6, 30),
                                                                  "Әдістемелік семинар/вебинар")
        for fields, field, text in [
            ({"activity_type": "poster"}, "activity_type", "'poster' is not on the LDR-DT menu"),
            ({"activity_type": "seminar", "due_on": date(2028, 3, 1)}, "due_on", "outside the plan's year"),
            ({"activity_type": "seminar", "due_on": date(2027, 3, 20)}, "due_on",
             "seminar belongs to the Implementation stage (2027-04-01 to 2027-11-30)"),
            ({"activity_type": "seminar", "due_on": "next week"}, "due_on", "expected a date"),
        ]:
            with pytest.raises(ServiceError) as exc:
                plans.add_activity(plan, fields, trainer)
            assert exc.value.field == field and text in exc.value.message
        consultation = plans.add_activity(plan, {"activity_type": "consultation", "due_on": "2027-05-15",
                                                 "title": "Цифрлық карта бойынша кеңес"}, trainer)
        plans.change_activity(plan, consultation, {"due_on": date(2027, 5, 20)}, trainer)
        with pytest.raises(ServiceError):
            plans.change_activity(plan, consultation, {"activity_type": "seminar"}, trainer)
        with pytest.raises(Conflict, match="required by the LDR-DT support model"):
            plans.remove_activity(plan, plan.activities[0], trainer)
        # drafting keeps no version
        assert plan.version == 1 and len(plans.versions(plan)) == 1
        with pytest.raises(ServiceError, match="only the graduate accepts"):
            plans.accept(plan, trainer)
        with pytest.raises(Conflict, match="still a draft"):
            plans.accept(plan, people[0].user)
        v2 = plans.agree(plan, trainer, "agreed in the first consultation", needs_note="цифрлық карта")
    assert (plan.status, plan.version, v2.number, v2.snapshot["action"]) == ("agreed", 2, 2, "agreed")
    needs = next(a for a in plan.activities if a.activity_type == "needs_analysis")
    assert (needs.status, needs.done_on) == ("done", date(2027, 3, 10))
    assert plan.needs["note"] == "цифрлық карта"
    with clock.frozen(at(date(2027, 3, 12))):
        with pytest.raises(ServiceError, match="only the graduate"):
            plans.accept(plan, people[1].user)
        v3 = plans.accept(plan, people[0].user)
        assert plan.status == "accepted" and plan.accepted_at == clock.now() and v3.number == 3
        with pytest.raises(Conflict, match="agreed already"):
            plans.agree(plan, trainer)
    with clock.frozen(at(date(2027, 7, 1))):
        v4 = plans.adjust(plan, {"remove": [consultation.id], "add": [{"activity_type": "observation"}]}, trainer,
                          "a lesson visit instead")
        assert (plan.status, plan.accepted_at, v4.number) == ("agreed", None, 4)
        assert v4.note == "a lesson visit instead"
        plans.accept(plan, people[0].user)
    history = plans.versions(plan)
    assert [(v.number, v.snapshot["action"]) for v in history] == [
        (5, "accepted"), (4, "adjusted"), (3, "accepted"), (2, "agreed"), (1, "opened")]
    assert [a["type"] for a in history[1].snapshot["activities"]] == [
        "needs_analysis", "seminar", "observation", "final_event"]
    assert "consultation" in [a["type"] for a in history[2].snapshot["activities"]]
    assert db_session.scalar(select(func.count()).select_from(PlanVersion).where(PlanVersion.plan_id == plan.id)) == 5


def test_contacts_observations_and_evidence_mark_their_activity_done(opened, db_session, app):
    cohort, trainer, people, all_plans = opened
    plan, other = all_plans[0], all_plans[1]
    with clock.frozen(at(date(2027, 3, 5))):
        consultation = plans.add_activity(plan, {"activity_type": "consultation"}, trainer)
        observation = plans.add_activity(plan, {"activity_type": "observation"}, trainer)
        seminar = plans.add_activity(plan, {"activity_type": "seminar"}, trainer)
        theirs = plans.add_activity(other, {"activity_type": "consultation"}, trainer)
    with clock.frozen(at(date(2027, 8, 10))), app.app_context():  # the consultation was due 2027-07-31: overdue
        assert plans.activity_state(consultation) == "overdue"
        for fields, field in [
            ({"channel": "pigeon"}, "channel"), ({"topic": ""}, "topic"),
            ({"happened_at": "2027-08-20T10:00"}, "happened_at"), ({"happened_at": "2027-02-01T10:00"}, "happened_at"),
            ({"activity_id": theirs.id}, "activity_id"), ({"happened_at": "yesterday"}, "happened_at"),
        ]:
            with pytest.raises(ServiceError) as exc:
                activities.log_contact(plan, {"happened_at": "2027-08-09T15:30", "channel": "telegram",
                                              "topic": "Цифрлық карта", **fields}, trainer)
            assert exc.value.field == field
        contact = activities.log_contact(plan, {"happened_at": "2027-08-09T15:30", "channel": "telegram",
                                                "topic": "Цифрлық карта", "outcome": "Келісілді",
                                                "activity_id": consultation.id}, trainer)
        assert contact.happened_at == utc(date(2027, 8, 9), 15).replace(minute=30)
        assert (consultation.status, consultation.done_on) == ("done", date(2027, 8, 9))
        assert plans.activity_state(consultation) == "done"
        with pytest.raises(ServiceError, match="video link"):
            activities.add_observation(plan, {"kind": "lesson_video", "observed_on": date(2027, 8, 1)}, trainer)
        obs = activities.add_observation(plan, {"kind": "plan_analysis", "observed_on": date(2027, 8, 2),
                                                "feedback": "Мақсаттар нақты", "activity_id": observation.id},
                                         trainer, upload=(b"%PDF-1.4 plan", "сабақ жоспары.pdf"))
        assert obs.file_id and (observation.status, observation.done_on) == ("done", date(2027, 8, 2))
        with pytest.raises(ServiceError, match="link"):
            activities.add_evidence(plan, {"kind": "publication", "title": "Мақала", "level": "regional",
                                           "url": "ftp://x"}, people[0].user)
        with pytest.raises(ServiceError) as exc:
            activities.add_evidence(plan, {"kind": "publication", "title": "Мақала", "level": "galactic",
                                           "url": "https://example.kz/a"}, people[0].user)
        assert exc.value.field == "level"
        talk = {"kind": "talk", "title": "Баяндама", "level": "republican", "url": "https://example.kz/talk",
                "happened_on": "2027-08-05", "activity_id": seminar.id}
        with pytest.raises(ServiceError) as exc:  # the graduate's talk does not make the seminar held
            activities.add_evidence(plan, talk, people[0].user)
        assert exc.value.field == "activity_id" and seminar.status == "planned"
        evidence = activities.add_evidence(plan, talk, trainer)  # the trainer records it
        assert evidence.level == "republican" and seminar.status == "done"
        assert activities.file_of(plan, obs.file_id).original_name == "сабақ жоспары.pdf"
        with pytest.raises(NotFound):
            activities.file_of(other, obs.file_id)
        plans.mark_activity(other, theirs, "cancelled", trainer)
        with pytest.raises(Conflict, match="cancelled"):
            activities.log_contact(other, {"happened_at": "2027-08-09T10:00", "channel": "phone", "topic": "x",
                                           "activity_id": theirs.id}, trainer)
        with pytest.raises(ServiceError, match="in the future"):
            plans.mark_activity(other, theirs, "done", trainer, date(2027, 9, 1))
        plans.mark_activity(other, theirs, "done", trainer, date(2027, 8, 1))
        assert (theirs.status, theirs.done_on) == ("done", date(2027, 8, 1))
        actions = set(db_session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("support_%"))))
        assert {"support_contact_logged", "support_observation_added", "support_evidence_added",
                "support_activity_done", "support_activity_status"} <= actions


def test_events_record_attendance_and_the_final_event_closes_the_year(opened, db_session):
    cohort, trainer, people, all_plans = opened
    with clock.frozen(at(date(2027, 3, 5))):
        for p in all_plans:
            plans.add_activity(p, {"activity_type": "seminar"}, trainer)
    with clock.frozen(at(date(2027, 6, 1))):
        seminar = activities.create_event(cohort, {"kind": "webinar", "title": "Цифрлық карта",
                                                   "starts_at": "2027-06-10T15:00"}, trainer)
        with pytest.raises(Conflict, match="once it has taken place"):
            activities.record_attendance(seminar, {all_plans[0].id: True}, trainer)
        with pytest.raises(ServiceError, match="reflection"):
            activities.create_event(cohort, {"kind": "final_event", "stage": "implementation", "title": "x",
                                             "starts_at": "2028-02-10T10:00"}, trainer)
    with clock.frozen(at(date(2027, 6, 11))):
        result = activities.record_attendance(seminar, {all_plans[0].id: True, all_plans[1].id: False}, trainer)
        assert result == {"attended": 1, "activities_done": 1, "plans_closed": 0}
        done = [a for a in all_plans[0].activities if a.activity_type == "seminar"][0]
        assert (done.status, done.done_on) == ("done", date(2027, 6, 10))
        assert [a.status for a in all_plans[1].activities if a.activity_type == "seminar"] == ["planned"]
        with pytest.raises(NotFound):
            activities.record_attendance(seminar, {999999: True}, trainer)
    with clock.frozen(at(date(2028, 2, 20))):
        final = activities.create_event(cohort, {"kind": "final_event", "title": "Тәжірибе алмасу",
                                                 "starts_at": "2028-02-18T10:00"}, trainer)
        assert final.stage == "reflection"
        result = activities.record_attendance(final, {p.id: p is not all_plans[2] for p in all_plans}, trainer)
    assert result == {"attended": 2, "activities_done": 2, "plans_closed": 2}
    assert [p.status for p in all_plans] == ["closed", "closed", "draft"]
    assert plans.versions(all_plans[0])[0].snapshot["action"] == "closed"
    with pytest.raises(Conflict, match="closed"):
        plans.add_activity(all_plans[0], {"activity_type": "seminar"}, trainer)
    assert [(e.id, attended) for e, attended in activities.events_of(all_plans[1])] == [(seminar.id, False),
                                                                                         (final.id, True)]


# --- pages ----------------------------------------------------------------------------------------------

def test_staff_agree_and_log_a_consultation_on_the_plan_page(opened, client, auth, db_session):
    cohort, trainer, people, all_plans = opened
    plan = all_plans[0]
    url = f"/cohorts/{cohort.code}/support/plans/{plan.id}"
    auth.login(trainer.email)
    with clock.frozen(at(date(2027, 3, 9))):
        page = client.get(url)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert 'id="weakest"' in html and 'data-module="2"' in html and 'id="agree-form"' in html
        assert "Сабақты бейнеге" not in html  # an anonymous survey's answer stays off the staff page
        assert f'href="/cohorts/{cohort.code}/me/support"' not in html  # no "my plan" tab for staff
        # where the graduate ended the course on each competence of seed 004's model
        profile = html.split('id="graduate-competences"')[1].split("</details>")[0]
        assert profile.count("<tr data-competence=") == 6 and 'data-stage="module"' in profile
        assert 'data-stage="final"' in profile and 'data-stage="diagnostic"' not in profile  # none taken
        response = client.post(f"{url}/activities", data={"activity-activity_type": "consultation",
                                                          "activity-due_on": "2027-05-01"})
        assert response.status_code == 302
        response = client.post(f"{url}/activities", data={"activity-activity_type": "consultation",
                                                          "activity-due_on": "2029-01-01"})
        assert response.status_code == 400 and "жоспар жылынан тыс" in response.get_data(as_text=True)
        assert client.post(f"{url}/agree", data={"note": "келісілді"}).status_code == 302
    plan = db_session.get(SupportPlan, plan.id)  # the requests ran in their own sessions
    assert (plan.status, plan.version) == ("agreed", 2)
    consultation = next(a for a in plan.activities if a.activity_type == "consultation")
    with clock.frozen(at(date(2027, 5, 10))):  # overdue since 2027-05-01
        assert 'data-state="overdue"' in client.get(url).get_data(as_text=True)
        response = client.post(f"{url}/contacts", data={
            "happened_at": "2027-05-10T09:00", "channel": "telegram", "topic": "Жоспар бойынша кеңес",
            "outcome": "", "activity_id": str(consultation.id)})
        assert response.status_code == 302 and response.headers["Location"].endswith(f"{url}#contacts")
        consultation = db_session.get(PlanActivity, consultation.id)
        assert (consultation.status, consultation.done_on) == ("done", date(2027, 5, 10))
        html = client.get(url).get_data(as_text=True)
        assert f'data-activity="{consultation.id}" data-type="consultation" data-state="done"' in html
        assert "Telegram" in html
        bad = client.post(f"{url}/contacts", data={"happened_at": "2027-05-10T11:00", "channel": "fax", "topic": "x",
                                                   "activity_id": "0"})
        assert bad.status_code == 400 and db_session.scalar(select(func.count()).select_from(Contact)) == 1
        seminar = next(a for a in plan.activities if a.activity_type == "final_event")
        assert client.post(f"{url}/activities/{seminar.id}", data={"action": "change", "due_on": "2028-01-15",
                                                                    "note": "ерте"}).status_code == 302
        seminar, plan = db_session.get(PlanActivity, seminar.id), db_session.get(SupportPlan, plan.id)
        assert seminar.due_on == date(2028, 1, 15) and plan.version == 3 and plan.status == "agreed"


def test_the_graduate_sees_accepts_and_adds_evidence_only_to_their_own_plan(opened, client, auth, db_session):
    cohort, trainer, people, all_plans = opened
    mine, theirs = all_plans[0], all_plans[1]
    with clock.frozen(at(date(2027, 3, 9))):
        plans.add_activity(mine, {"activity_type": "seminar"}, trainer)
        plans.agree(mine, trainer)
        db_session.commit()
        auth.login(people[0].user.email)
        page = client.get(f"/cohorts/{cohort.code}/me/support")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and len(page.data) < 60_000
        assert 'id="accept-form"' in html and "Сабақты бейнеге" in html  # their own survey answer
        assert f'href="/cohorts/{cohort.code}/me/support" class="current"' in html  # the cohort tab
        assert client.post(f"/cohorts/{cohort.code}/me/support/accept").status_code == 302
        assert db_session.get(SupportPlan, mine.id).status == "accepted"
        response = client.post(f"/cohorts/{cohort.code}/me/support/evidence", data={
            "evidence-kind": "publication", "evidence-level": "regional", "evidence-title": "Менің мақалам",
            "evidence-happened_on": "2027-03-08", "evidence-url": "https://example.kz/article",
            "evidence-activity_id": "0"})
        assert response.status_code == 302
        assert db_session.scalar(select(Evidence.plan_id)) == mine.id
        # their evidence completes only what a document of theirs completes: never the seminar
        seminar = next(a for a in mine.activities if a.activity_type == "seminar")
        assert f'<option value="{seminar.id}">' not in client.get(f"/cohorts/{cohort.code}/me/support").text
        response = client.post(f"/cohorts/{cohort.code}/me/support/evidence", data={
            "evidence-kind": "talk", "evidence-level": "school", "evidence-title": "Баяндама",
            "evidence-happened_on": "2027-03-08", "evidence-url": "https://example.kz/talk",
            "evidence-activity_id": str(seminar.id)})
        assert response.status_code == 400 and db_session.get(PlanActivity, seminar.id).status == "planned"
        # nobody else's plan: staff pages are forbidden, another plan's files are not found
        assert client.get(f"/cohorts/{cohort.code}/support/plans/{theirs.id}").status_code == 403
        assert client.get(f"/cohorts/{cohort.code}/support/plans/{mine.id}").status_code == 403
        assert client.post(f"/cohorts/{cohort.code}/support/plans/{theirs.id}/contacts",
                           data={"channel": "phone"}).status_code == 403
        assert client.get(f"/cohorts/{cohort.code}/me/support/files/1").status_code == 404


def test_the_support_models_say_which_activities_the_graduates_own_document_completes(app):
    """A publication, a talk, a contest (LDR-SUS) are the graduate's to show; a seminar or an
    observation, whose document is the supporter's recommendations, and a consultation are not."""
    own = {code: activities.completed_by_document(PlanActivity(activity_type=code), models.by_code(model))
           for model, code in [("LDR-SUS", "publication"), ("LDR-SUS", "event"), ("LDR-SUS", "contest"),
                               ("LDR-SUS", "seminar"), ("LDR-DT", "observation"), ("LDR-DT", "consultation"),
                               ("TCH-SUS", "master_classes"), ("LDR-DT", "no-such-item")]}
    assert own == {"publication": True, "event": True, "contest": True, "seminar": False, "observation": False,
                   "consultation": False, "master_classes": True, "no-such-item": False}


def test_a_curator_of_one_cohort_cannot_see_another_cohorts_graduates(opened, make, client, auth, db_session):
    cohort, trainer, people, all_plans = opened
    other = make.cohort(code="PC-OTHER", programme="LDR-DT", format_code="blended", participants=1)
    curator = make.user(email="pc-curator@test.kz")
    cohorts.assign_staff(other, curator, "curator", None)
    db_session.commit()
    auth.login(curator.email)
    plan = all_plans[0]
    assert client.get(f"/cohorts/{cohort.code}/support/plans/{plan.id}").status_code == 403
    assert client.get(f"/cohorts/{other.code}/support/plans/{plan.id}").status_code == 404  # not that cohort's
    assert client.post(f"/cohorts/{other.code}/support/plans/{plan.id}/contacts",
                       data={"channel": "phone", "topic": "x"}).status_code == 404
    assert client.get(f"/cohorts/{cohort.code}/support/events").status_code == 403
    assert client.get(f"/cohorts/{other.code}/support/events").status_code == 200


def test_events_pages_create_an_event_and_save_attendance(opened, client, auth, db_session):
    cohort, trainer, people, all_plans = opened
    auth.login(trainer.email)
    with clock.frozen(at(date(2028, 2, 20))):
        response = client.post(f"/cohorts/{cohort.code}/support/events", data={
            "kind": "final_event", "stage": "reflection", "title": "Қорытынды конференция",
            "starts_at": "2028-02-19T10:00", "meeting_url": ""})
        assert response.status_code == 302
        event_url = response.headers["Location"]
        html = client.get(event_url).get_data(as_text=True)
        assert html.count('name="attended"') == 3
        response = client.post(f"{event_url}/attendance", data={"attended": [str(all_plans[0].id)]})
        assert response.status_code == 302
    assert [p.status for p in plans_of(cohort)] == ["closed", "draft", "draft"]
    assert db_session.scalar(select(func.count()).select_from(EventAttendance)) == 3


def test_the_plan_page_reads_a_bounded_number_of_statements(opened, client, auth, count_queries, db_session):
    cohort, trainer, people, all_plans = opened
    plan = all_plans[0]
    with clock.frozen(at(date(2027, 6, 1))):
        for k in range(6):
            activities.log_contact(plan, {"happened_at": f"2027-05-{10 + k}T10:00", "channel": "phone",
                                          "topic": f"Кеңес {k}"}, trainer)
            plans.add_activity(plan, {"activity_type": "consultation"}, trainer)
        db_session.commit()
        auth.login(trainer.email)
        client.get(f"/cohorts/{cohort.code}/support/plans/{plan.id}")
        with count_queries() as q:
            assert client.get(f"/cohorts/{cohort.code}/support/plans/{plan.id}").status_code == 200
    assert len(q) <= 34, q  # 25, and 9 for the graduate's competences (tests, attempts, the best ones' slots)


# --- the whole year ----------------------------------------------------------------------------------------

def test_an_ldr_dt_cohort_of_30_walks_through_its_year(make, db_session, app, tmp_path, monkeypatch):
    """Done when: plans open at completion, needs name each graduate's weakest module,
    reminders go out once when due, the reflection event closes the year, and the report's
    numbers match the records."""
    monkeypatch.setattr(app.config["LMS"], "outbox_dir", str(tmp_path / "outbox"))
    with app.app_context():  # mail and the file store read the app's configuration
        _walk_the_year(make, db_session, tmp_path)


def _walk_the_year(make, db_session, tmp_path):
    trainer = make.user(email="year-trainer@test.kz", full_name="Жыл Тренері")
    cohort = make.cohort(code="YEAR-LDT", programme="LDR-DT", format_code="blended", participants=30,
                         start=date(2027, 1, 10), days=40, trainer=trainer)
    people = enrolments(cohort)
    versions = items(code="YR")
    module_tests = {m: published_test(cohort, "module", m) for m in range(1, 9)}
    final = published_test(cohort, "final")
    when = utc(date(2027, 2, 15))
    weakest = {}
    for k, e in enumerate(people):
        weakest[e.id] = k % 8 + 1
        for m, test in module_tests.items():
            take(test, e, versions[m], 0 if m == weakest[e.id] else 1 if m == (k + 1) % 8 + 1 else 2, when)
        take(final, e, versions[(k % 8) + 1], 1 + k % 2, when)
    db_session.commit()

    def remind(day):
        with clock.frozen(at(day, 9)):
            report = reminders.remind()
            mail.deliver(1000)
        db_session.commit()
        return report

    # month 0: the course ends; every plan opens, dated from the completion
    all_plans = complete_all(cohort, date(2027, 3, 1), trainer)
    assert len(all_plans) == 30
    assert {(p.starts_on, p.ends_on) for p in all_plans} == {(date(2027, 3, 1), date(2028, 2, 29))}
    assert all(p.needs["weakest"][0]["module"] == weakest[p.enrolment_id] for p in all_plans)
    assert all(p.needs["weakest"][0]["percent"] == 0.0 for p in all_plans)

    # month 1: the trainer agrees each plan (seminar, consultation, observation); 20 accept
    with clock.frozen(at(date(2027, 3, 12))):
        for p in all_plans:
            plans.adjust(p, {"add": [{"activity_type": c} for c in ("seminar", "consultation", "observation")]},
                         trainer)
            plans.agree(p, trainer)
        for p, e in zip(all_plans[:20], people[:20]):
            plans.accept(p, e.user)
    db_session.commit()
    assert remind(date(2027, 3, 12)).graduates == 0  # nothing due within a week
    assert remind(date(2027, 6, 1)).graduates == 0

    # month 4: a webinar on 2027-06-20, 25 attend; the seminar is due 2027-06-30
    with clock.frozen(at(date(2027, 6, 21))):
        webinar = activities.create_event(cohort, {"kind": "webinar", "title": "ИИ мектепте",
                                                   "starts_at": "2027-06-20T15:00"}, trainer)
        activities.record_attendance(webinar, {p.id: n < 25 for n, p in enumerate(all_plans)}, trainer)
    db_session.commit()
    first = remind(date(2027, 6, 24))
    assert (first.graduates, first.staff) == (5, 1)  # due soon, to the 5 absent, and one summary to the trainer
    again = remind(date(2027, 6, 24))
    assert (again.graduates, again.staff) == (0, 0)
    assert remind(date(2027, 6, 27)).graduates == 0  # still due soon: told once already

    # month 5: the seminar is overdue for those 5: told once more, as overdue; consultations logged
    assert (remind(date(2027, 7, 2)).graduates, remind(date(2027, 7, 2)).graduates) == (5, 0)
    channels = ("telegram", "zoom", "phone")
    with clock.frozen(at(date(2027, 7, 20))):
        for n, p in enumerate(all_plans):
            consultation = next(a for a in p.activities if a.activity_type == "consultation")
            activities.log_contact(p, {"happened_at": f"2027-07-{10 + n % 10}T11:00", "channel": channels[n % 3],
                                       "topic": "Жоспар бойынша кеңес", "activity_id": consultation.id,
                                       "group": n % 5 == 0}, trainer)
    db_session.commit()
    assert remind(date(2027, 7, 25)).graduates == 0  # consultations were due 2027-07-31, and are done

    # month 6: 15 lessons observed; the other 15 observations fall overdue after 2027-08-31
    with clock.frozen(at(date(2027, 8, 20))):
        for p in all_plans[:15]:
            obs = next(a for a in p.activities if a.activity_type == "observation")
            activities.add_observation(p, {"kind": "lesson_video", "observed_on": date(2027, 8, 18),
                                           "url": "https://video.example.kz/lesson", "feedback": "Жақсы",
                                           "activity_id": obs.id}, trainer)
        for n, p in enumerate(all_plans[:12]):
            activities.add_evidence(p, {"kind": "publication" if n % 2 else "talk",
                                        "level": ("regional", "republican", "international")[n % 3],
                                        "title": f"Мақала {n}", "url": f"https://journal.example.kz/{n}",
                                        "happened_on": date(2027, 8, 1)}, trainer)
    db_session.commit()
    assert remind(date(2027, 8, 25)).graduates == 15  # due soon
    assert remind(date(2027, 9, 3)).graduates == 15  # overdue
    for day in (date(2027, 9, 10), date(2027, 10, 1), date(2027, 12, 1)):
        assert remind(day).graduates == 0

    # month 12: the final event, 28 of 30 attend; it closes their year
    assert remind(date(2028, 2, 23)).graduates == 30  # the final event is due 2028-02-29
    with clock.frozen(at(date(2028, 2, 26))):
        final_event = activities.create_event(cohort, {"kind": "final_event", "title": "Тәжірибе алмасу",
                                                       "starts_at": "2028-02-25T10:00"}, trainer)
        activities.record_attendance(final_event, {p.id: n < 28 for n, p in enumerate(all_plans)}, trainer)
    db_session.commit()
    assert [p.status for p in all_plans].count("closed") == 28
    assert remind(date(2028, 3, 2)).graduates == 2  # the two who missed it: overdue

    # reminders went out once per (activity, kind), and each was delivered once
    keys = list(db_session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like("postcourse:activity:%"))))
    assert len(keys) == len(set(keys)) == 5 + 5 + 15 + 15 + 30 + 2
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None))) == 0
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == db_session.scalar(
        select(func.count()).select_from(OutboxMessage))

    # the report's numbers are the records'
    with clock.frozen(at(date(2028, 3, 2))):
        s = reports_data.summary(cohort)
    plan_ids = [p.id for p in all_plans]

    def count(model, *where):
        return db_session.scalar(select(func.count()).select_from(model).where(*where))

    assert s["graduates"] == 30
    assert s["plans"] == {"total": 30, "agreed": 30, "accepted": 0, "closed": 28,
                          "by_status": {"draft": 0, "agreed": 2, "accepted": 0, "closed": 28}}
    for stage in ("organisational", "implementation", "reflection"):
        for status in ("planned", "done", "cancelled"):
            assert s["activities"][stage][status] == count(PlanActivity, PlanActivity.plan_id.in_(plan_ids),
                                                           PlanActivity.stage == stage, PlanActivity.status == status)
    assert s["activities"]["organisational"] == {"planned": 0, "done": 30, "cancelled": 0, "overdue": 0, "total": 30}
    assert s["activities"]["implementation"]["done"] == 25 + 30 + 15
    assert s["activities"]["implementation"]["overdue"] == 5 + 15
    assert s["activities"]["reflection"] == {"planned": 2, "done": 28, "cancelled": 0, "overdue": 2, "total": 30}
    assert s["consultations"]["total"] == count(Contact, Contact.plan_id.in_(plan_ids)) == 30
    assert {c: s["consultations"]["by_channel"][c] for c in channels} == {c: 10 for c in channels}
    assert s["consultations"]["group"] == 6
    assert s["observations"]["total"] == count(Observation, Observation.plan_id.in_(plan_ids)) == 15
    assert s["evidence"]["total"] == count(Evidence, Evidence.plan_id.in_(plan_ids)) == 12
    assert s["evidence"]["by_kind"]["publication"] == s["evidence"]["by_kind"]["talk"] == 6
    assert [s["evidence"]["by_level"][lv] for lv in ("regional", "republican", "international")] == [4, 4, 4]
    assert s["evidence"]["by_kind_level"]["talk"]["regional"] == 2  # n = 0, 6 (talk when n is even)
    assert s["events"]["total"] == 2 and s["events"]["by_kind"]["final_event"] == 1
    assert s["events"]["attended"] == count(EventAttendance, EventAttendance.attended.is_(True)) == 25 + 28


def test_an_uploaded_lesson_plan_is_reachable_only_through_its_own_plan(opened, client, auth, db_session):
    cohort, trainer, people, all_plans = opened
    mine, theirs = all_plans[0].id, all_plans[1].id
    with clock.frozen(at(date(2027, 3, 5))):
        observation = plans.add_activity(all_plans[0], {"activity_type": "observation"}, trainer).id
        db_session.commit()
    auth.login(trainer.email)
    url = f"/cohorts/{cohort.code}/support/plans/{mine}"
    with clock.frozen(at(date(2027, 9, 20))):
        response = client.post(f"{url}/observations", content_type="multipart/form-data", data={
            "observation-kind": "plan_analysis", "observation-observed_on": "2027-09-18",
            "observation-feedback": "Мақсат нақты", "observation-activity_id": str(observation),
            "observation-file": (io.BytesIO(b"%PDF-1.4 lesson plan"), "жоспар.pdf")})
        assert response.status_code == 302
        refused = client.post(f"{url}/observations", content_type="multipart/form-data", data={
            "observation-kind": "plan_analysis", "observation-observed_on": "2027-09-18",
            "observation-file": (io.BytesIO(b"MZ not a pdf"), "жоспар.pdf")})
        assert refused.status_code == 400 and "бірақ ол PDF емес" in refused.get_data(as_text=True)
    stored = db_session.scalar(select(Observation).where(Observation.plan_id == mine))
    assert db_session.get(PlanActivity, observation).done_on == date(2027, 9, 18)
    with client.get(f"{url}/files/{stored.file_id}") as download:
        assert download.status_code == 200 and download.get_data() == b"%PDF-1.4 lesson plan"
        assert "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"/cohorts/{cohort.code}/support/plans/{theirs}/files/{stored.file_id}").status_code == 404
    auth.logout()
    auth.login(people[0].user.email)
    with client.get(f"/cohorts/{cohort.code}/me/support/files/{stored.file_id}") as own:
        assert own.get_data() == b"%PDF-1.4 lesson plan"
    auth.logout()
    auth.login(people[1].user.email)
    assert client.get(f"/cohorts/{cohort.code}/me/support/files/{stored.file_id}").status_code == 404


def test_the_graduate_asks_for_a_consultation_and_a_logged_one_answers_it(opened, client, auth, db_session):
    from lms.core.models import OutboxMessage
    from lms.postcourse.models import ConsultationRequest

    cohort, trainer, people, all_plans = opened
    mine = all_plans[0]
    with clock.frozen(at(date(2027, 3, 9))):
        plans.agree(mine, trainer)
        db_session.commit()
        auth.login(people[0].user.email)
        url = f"/cohorts/{cohort.code}/me/support/requests"
        assert client.post(url, data={"request-topic": ""}).status_code == 400
        r = client.post(url, data={"request-topic": "Цифрлық карта бойынша кеңес", "request-channel": "telegram",
                                   "request-note": "Сәрсенбі күні"})
        assert r.status_code == 302
        request = db_session.scalar(select(ConsultationRequest))
        assert (request.plan_id, request.channel, request.answered_at) == (mine.id, "telegram", None)
        (told,) = db_session.scalars(select(OutboxMessage)).all()
        assert told.to_email == trainer.email and "Цифрлық карта бойынша кеңес" in told.body
        assert f"/support/plans/{mine.id}" in told.body
        page = client.get(f"/cohorts/{cohort.code}/me/support").text
        assert f'data-request="{request.id}" data-state="waiting"' in page
        auth.logout()

        auth.login(trainer.email)
        dashboard = client.get(f"/cohorts/{cohort.code}/support").text
        assert f'data-request="{request.id}"' in dashboard and f"/support/plans/{mine.id}#log-contact" in dashboard
        staff_page = client.get(f"/cohorts/{cohort.code}/support/plans/{mine.id}").text
        assert f'<option value="{request.id}">' in staff_page
        r = client.post(f"/cohorts/{cohort.code}/support/plans/{mine.id}/contacts", data={
            "happened_at": "2027-03-09T10:00", "channel": "telegram", "topic": "Цифрлық карта",
            "activity_id": "0", "request_id": str(request.id)})
        assert r.status_code == 302
        db_session.expire_all()
        request = db_session.get(ConsultationRequest, request.id)
        assert request.answered_at is not None and request.contact_id is not None
        assert 'id="waiting-requests"' not in client.get(f"/cohorts/{cohort.code}/support").text
        auth.logout()
        auth.login(people[0].user.email)
        assert 'data-state="answered"' in client.get(f"/cohorts/{cohort.code}/me/support").text
        # another graduate's request cannot be answered from this plan
        with pytest.raises(ServiceError):
            activities.log_contact(all_plans[1], {"happened_at": "2027-03-09T11:00", "channel": "phone",
                                                  "topic": "x", "request_id": request.id}, trainer)


def test_only_the_graduate_asks_and_not_without_end(opened, app, db_session):
    cohort, trainer, people, all_plans = opened
    mine = all_plans[0]
    with app.app_context(), clock.frozen(at(date(2027, 3, 9))):
        with pytest.raises(Conflict):
            activities.ask_consultation(mine, {"topic": "x"}, trainer)
        with pytest.raises(ServiceError) as exc:
            activities.ask_consultation(mine, {"topic": "x", "channel": "pigeon"}, people[0].user)
        assert exc.value.field == "channel"
        for n in range(activities.MAX_OPEN_REQUESTS):
            activities.ask_consultation(mine, {"topic": f"Сұрақ {n}"}, people[0].user)
        with pytest.raises(Conflict) as exc:
            activities.ask_consultation(mine, {"topic": "тағы"}, people[0].user)
        assert "5 requests are still waiting" in str(exc.value)
