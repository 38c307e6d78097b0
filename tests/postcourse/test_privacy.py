"""A person's data export holds their support plan as their own page shows it (versions,
activities, consultations, requests, observations and evidence with the files, attendance),
without another graduate's anything, without who recorded what, without the answers of an
anonymous survey; a supporter's holds only ids and dates of what they recorded."""
import json
from datetime import date

import pytest
from sqlalchemy import select

from lms.core.models import AuditEntry, OutboxMessage, User
from lms.core.services import clock
from lms.db import db
from lms.postcourse import privacy
from lms.postcourse.models import SupportPlan
from lms.postcourse.services import activities, plans
from tests.conftest import personal_data, zip_text
from tests.postcourse.plan_helpers import answer_survey, at, complete_all, enrolments, exit_survey

COMPLETED = date(2027, 3, 1)
LESSON_PLAN = b"%PDF-1.4 my lesson plan"
THEIR_LESSON_PLAN = b"%PDF-1.4 their lesson plan"
ARTICLE = b"%PDF-1.4 my article"
THEIR_ARTICLE = b"%PDF-1.4 their article"
ANONYMOUS_NEED = "Жасырын сауалнамадағы тілегім"


@pytest.fixture
def year(app, make, db_session):
    """Two graduates of an LDR-DT cohort and their trainer, half a support year recorded for each."""
    trainer = make.user(email="pcp-trainer@test.kz", full_name="Сүйемелдеуші Тренер")
    cohort = make.cohort(code="PCP-1", programme="LDR-DT", format_code="blended", participants=2,
                         start=date(2027, 1, 10), days=40, trainer=trainer)
    me, them = enrolments(cohort)
    survey = exit_survey(cohort, anonymous=True)
    answer_survey(survey, me, low=2, need=ANONYMOUS_NEED)
    db_session.commit()
    mine, theirs = complete_all(cohort, COMPLETED, trainer)
    with app.test_request_context():  # the file store and the e-mails ask the app
        with clock.frozen(at(date(2027, 3, 9))):
            consultation = plans.add_activity(mine, {"activity_type": "consultation", "note": "Менің кеңесім"},
                                              trainer)
            observation = plans.add_activity(mine, {"activity_type": "observation"}, trainer)
            plans.add_activity(theirs, {"activity_type": "consultation", "note": "Бөтеннің кеңесі"}, trainer)
            plans.agree(mine, trainer, "Бірінші кеңесте келісілді", needs_note="Менің цифрлық картам")
            plans.agree(theirs, trainer, needs_note="Бөтеннің картасы")
            plans.accept(mine, me.user)
        with clock.frozen(at(date(2027, 8, 10))):
            webinar = activities.create_event(cohort, {"kind": "webinar", "title": "Цифрлық карта вебинары",
                                                       "starts_at": "2027-08-01T15:00"}, trainer)
            activities.record_attendance(webinar, {mine.id: True, theirs.id: False}, trainer)
            request = activities.ask_consultation(mine, {"topic": "Менің сұрағым", "channel": "telegram",
                                                         "note": "Сәрсенбіде"}, me.user)
            contact = activities.log_contact(mine, {"happened_at": "2027-08-09T15:30", "channel": "telegram",
                                                    "topic": "Менің кеңес тақырыбым", "outcome": "Менің нәтижем",
                                                    "activity_id": consultation.id, "request_id": request.id},
                                             trainer)
            activities.log_contact(theirs, {"happened_at": "2027-08-09T16:30", "channel": "phone",
                                            "topic": "Бөтеннің тақырыбы", "outcome": "Бөтеннің нәтижесі"}, trainer)
            obs = activities.add_observation(mine, {"kind": "plan_analysis", "observed_on": date(2027, 8, 2),
                                                    "feedback": "Менің сабағыма пікір",
                                                    "activity_id": observation.id},
                                             trainer, upload=(LESSON_PLAN, "менің жоспарым.pdf"))
            activities.add_observation(theirs, {"kind": "plan_analysis", "observed_on": date(2027, 8, 2),
                                                "feedback": "Бөтеннің сабағына пікір"},
                                       trainer, upload=(THEIR_LESSON_PLAN, "бөтен жоспар.pdf"))
            evidence = activities.add_evidence(mine, {"kind": "publication", "level": "regional",
                                                      "title": "Менің мақалам", "happened_on": "2027-08-05"},
                                               me.user, upload=(ARTICLE, "мақала.pdf"))
            activities.add_evidence(theirs, {"kind": "talk", "level": "school", "title": "Бөтеннің баяндамасы",
                                             "happened_on": "2027-08-05"}, them.user,
                                    upload=(THEIR_ARTICLE, "баяндама.pdf"))
        db_session.commit()
        return {"me": me.user.email, "them": them.user.email, "their_name": them.user.full_name,
                "trainer": trainer.email, "trainer_name": trainer.full_name, "mine": mine.id, "theirs": theirs.id,
                "webinar": webinar.id, "contact": contact.id, "request": request.id, "observation": obs.id,
                "evidence": evidence.id, "consultation": consultation.id}


def test_my_support_plan_comes_as_i_see_it_and_nobody_elses(year, client, auth):
    auth.login(year["me"])
    archive = personal_data(client.post("/profile/my-data.zip"))
    data = json.loads(archive.read("postcourse/data.json"))

    (plan,) = data["support_plans"]
    assert (plan["id"], plan["cohort"], plan["support_model"], plan["status"], plan["version"]) == \
        (year["mine"], "PCP-1", "LDR-DT", "accepted", 3)
    assert (plan["starts_on"], plan["ends_on"]) == ("2027-03-01", "2028-02-29")
    assert plan["needs"]["note"] == "Менің цифрлық картам"
    assert plan["needs"]["survey"] == []  # the anonymous survey's answers stay out
    mine_in_db = db.session.get(SupportPlan, year["mine"])
    assert [s.get("anonymous") for s in mine_in_db.needs["survey"]] == [True, True]  # stored, yet not exported

    assert [(v["number"], v["action"], v["by_me"]) for v in data["plan_versions"]] == [
        (1, "opened", False), (2, "agreed", False), (3, "accepted", True)]
    agreed = data["plan_versions"][1]
    assert agreed["note"] == "Бірінші кеңесте келісілді"
    assert "consultation" in [a["type"] for a in agreed["plan_as_it_was"]["activities"]]
    assert all(v["plan_as_it_was"]["needs"]["survey"] == [] for v in data["plan_versions"])
    assert all("changed_by" not in str(v) for v in data["plan_versions"])

    by_type = {a["type"]: a for a in data["plan_activities"]}
    assert set(by_type) >= {"needs_analysis", "consultation", "observation", "final_event"}
    assert (by_type["consultation"]["status"], by_type["consultation"]["done_on"], by_type["consultation"]["note"]) \
        == ("done", "2027-08-09", "Менің кеңесім")

    assert data["event_attendance"] == [{
        "cohort": "PCP-1", "plan_id": year["mine"], "event_id": year["webinar"], "kind": "webinar",
        "stage": "implementation", "title": "Цифрлық карта вебинары", "starts_at": "2027-08-01T10:00:00+00:00",
        "attended": True}]
    (contact,) = data["consultations"]
    assert (contact["id"], contact["channel"], contact["topic"], contact["outcome"], contact["activity_id"]) == \
        (year["contact"], "telegram", "Менің кеңес тақырыбым", "Менің нәтижем", year["consultation"])
    (request,) = data["consultation_requests"]
    assert (request["id"], request["topic"], request["note"], request["answered_by_consultation_id"]) == \
        (year["request"], "Менің сұрағым", "Сәрсенбіде", year["contact"])
    assert request["answered_at"] is not None

    (observation,) = data["lesson_observations"]
    assert (observation["id"], observation["kind"], observation["observed_on"], observation["feedback"]) == \
        (year["observation"], "plan_analysis", "2027-08-02", "Менің сабағыма пікір")
    assert archive.read("postcourse/" + observation["file"]) == LESSON_PLAN
    (evidence,) = data["evidence"]
    assert (evidence["id"], evidence["kind"], evidence["level"], evidence["title"]) == \
        (year["evidence"], "publication", "regional", "Менің мақалам")
    assert archive.read("postcourse/" + evidence["file"]) == ARTICLE
    # a graduate recorded nobody else's work
    assert data["consultations_logged"] == data["observations_made"] == data["events_created"] == []
    assert data["plan_versions_recorded"] == []

    everything = zip_text(archive)
    assert "Бөтен" not in everything and year["them"] not in everything and year["their_name"] not in everything
    assert all(archive.read(n) not in (THEIR_LESSON_PLAN, THEIR_ARTICLE) for n in archive.namelist())
    assert f'"plan_id": {year["theirs"]}' not in everything
    ours = zip_text(archive, "postcourse/")
    # who logged, observed or agreed is not on my page, so not in my export; nor my anonymous answer
    assert year["trainer"] not in ours and year["trainer_name"] not in ours
    assert ANONYMOUS_NEED not in ours


def test_a_supporter_gets_what_they_recorded_by_id_and_date_only(year, client, auth):
    auth.login(year["trainer"])
    archive = personal_data(client.post("/profile/my-data.zip"))
    data = json.loads(archive.read("postcourse/data.json"))

    assert data["support_plans"] == [] and data["evidence"] == [] and data["lesson_observations"] == []
    logged = data["consultations_logged"]
    assert [(c["plan_id"], c["channel"], c["cohort"]) for c in logged] == [
        (year["mine"], "telegram", "PCP-1"), (year["theirs"], "phone", "PCP-1")]
    assert logged[0]["id"] == year["contact"] and logged[0]["happened_at"] == "2027-08-09T10:30:00+00:00"
    assert [(o["plan_id"], o["kind"], o["observed_on"]) for o in data["observations_made"]] == [
        (year["mine"], "plan_analysis", "2027-08-02"), (year["theirs"], "plan_analysis", "2027-08-02")]
    assert data["observations_made"][0]["id"] == year["observation"]
    # the plans the trainer opened (completing the enrolments) and agreed; the graduate's acceptance is not theirs
    assert sorted((v["plan_id"], v["number"], v["action"]) for v in data["plan_versions_recorded"]) == sorted([
        (year["mine"], 1, "opened"), (year["mine"], 2, "agreed"),
        (year["theirs"], 1, "opened"), (year["theirs"], 2, "agreed")])
    assert [(e["id"], e["title"]) for e in data["events_created"]] == [(year["webinar"], "Цифрлық карта вебинары")]

    ours = zip_text(archive, "postcourse/")
    for other in (year["me"], year["them"], year["their_name"], "Қатысушы"):
        assert other not in ours
    # what was written about the graduates is theirs, not in the supporter's export
    for written in ("Менің кеңес тақырыбым", "Менің нәтижем", "Бөтеннің тақырыбы", "Менің сабағыма пікір",
                    "Бөтеннің сабағына пікір", "Менің мақалам", "Бөтеннің"):
        assert written not in ours
    assert not any(n.startswith("postcourse/files/") for n in archive.namelist())


def test_the_export_reads_one_statement_per_section(year, app, count_queries):
    with app.test_request_context():
        for email in (year["me"], year["trainer"]):
            user = db.session.scalar(select(User).where(User.email == email))
            with count_queries() as statements:
                data = privacy.export(user)
            assert len(statements) <= len(data.records), (email, statements)


def test_erasure_closes_my_year_and_takes_my_words_and_files_keeping_the_counts(year, app, db_session):
    from lms.core.services import erasure, files
    from lms.postcourse.models import ConsultationRequest, Evidence, Observation, PlanVersion
    from lms.quizbank.models import SurveyAnswer

    me = db_session.scalars(select(User).where(User.email == year["me"])).one()
    assert ANONYMOUS_NEED in json.dumps(db_session.get(SupportPlan, year["mine"]).needs, ensure_ascii=False)
    with app.test_request_context():
        store = files.files_dir()
        done = erasure.erase(me, None, "өтініш")
        db_session.commit()
        assert erasure.remove_unheld_files(done) == 2  # my article and the recording of my lesson
    kept = b"".join(p.read_bytes() for p in store.rglob("*") if p.is_file())
    assert ARTICLE not in kept and LESSON_PLAN not in kept
    assert THEIR_ARTICLE in kept and THEIR_LESSON_PLAN in kept
    evidence = db_session.get(Evidence, year["evidence"])
    assert (evidence.title, evidence.file_id, evidence.level) == ("—", None, "regional")  # still counted
    assert db_session.get(Observation, year["observation"]).file_id is None
    assert db_session.get(Observation, year["observation"]).feedback == "Менің сабағыма пікір"
    assert (db_session.get(ConsultationRequest, year["request"]).topic,
            db_session.get(ConsultationRequest, year["request"]).note) == ("—", None)
    assert db_session.get(SupportPlan, year["mine"]).status == "closed"
    assert db_session.get(SupportPlan, year["theirs"]).status != "closed"
    # my request as it was e-mailed to my trainer, and my words in the log's entries on it and my evidence
    told = db_session.scalars(select(OutboxMessage.body).where(OutboxMessage.key.startswith("postcourse:request:"),
                                                              OutboxMessage.to_email == year["trainer"])).one()
    assert "Менің сұрағым" not in told and "Сәрсенбіде" not in told and "—" in told
    logged = " ".join(db_session.scalars(select(AuditEntry.summary).where(AuditEntry.action.in_(
        ("support_consultation_requested", "support_evidence_added")))))
    assert "Менің сұрағым" not in logged and "Менің мақалам" not in logged and "Бөтеннің баяндамасы" in logged
    texts = db_session.scalars(select(SurveyAnswer.text).where(SurveyAnswer.text.is_not(None))).all()
    assert ANONYMOUS_NEED not in texts and "—" in texts
    assert done.counts["postcourse.plans_closed"] == 1 and done.counts["quizbank.survey_texts"] == 1
    # the survey answer the plan's needs copied in, in the plan and in every version of it
    kept = [db_session.get(SupportPlan, year["mine"]).needs] + [
        v.snapshot.get("needs") for v in db_session.scalars(select(PlanVersion).where(
            PlanVersion.plan_id == year["mine"]))]
    assert ANONYMOUS_NEED not in json.dumps(kept, ensure_ascii=False)
    assert any(s.get("text") == "—" for s in kept[0]["survey"])
