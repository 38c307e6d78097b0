"""The support-plan API: a graduate reads only their own plan, cohort staff read their cohorts'
plans and log consultations, the cohort summary counts the records; all in the OpenAPI document."""
from datetime import date

import pytest
from sqlalchemy import func, select

from lms.core.services import clock, tokens
from lms.courses.services import cohorts
from lms.postcourse.models import Contact, PlanActivity
from lms.postcourse.services import activities, plans
from tests.postcourse.plan_helpers import at, complete_all, enrolments, exit_survey, answer_survey


def _token(db_session, user) -> dict:
    plain = tokens.create_token(user)[1]
    db_session.commit()
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def api(make, db_session):
    """An LDR-DT cohort of two, completed on 2027-03-01, the first with a consultation planned and
    an (anonymous) exit-survey answer; its trainer; a curator of another cohort."""
    trainer = make.user(email="api-trainer@test.kz")
    cohort = make.cohort(code="API-LDT", programme="LDR-DT", format_code="blended", participants=2,
                         trainer=trainer)
    p1, p2 = enrolments(cohort)
    answer_survey(exit_survey(cohort), p1, low=1, need="Мақала жазуға көмек")
    first, second = complete_all(cohort, date(2027, 3, 1), trainer)
    with clock.frozen(at(date(2027, 3, 5))):
        consultation = plans.add_activity(first, {"activity_type": "consultation"}, trainer)
        plans.agree(first, trainer)
    other = make.cohort(code="API-OTHER", programme="LDR-DT", format_code="blended", participants=0)
    curator = make.user(email="api-curator@test.kz")
    cohorts.assign_staff(other, curator, "curator", None)
    db_session.commit()
    return {"plan": first.id, "other_plan": second.id, "consultation": consultation.id, "code": cohort.code,
            "p1": _token(db_session, p1.user), "p2": _token(db_session, p2.user),
            "trainer": _token(db_session, trainer), "curator": _token(db_session, curator)}


def test_a_graduate_reads_their_own_plan_only(client, api):
    with clock.frozen(at(date(2027, 4, 1))):
        r = client.get(f"/api/v1/postcourse/plans/{api['plan']}", headers=api["p1"])
    assert r.status_code == 200
    body = r.get_json()
    assert (body["status"], body["version"], body["starts_on"], body["ends_on"], body["month"]) == \
        ("agreed", 2, "2027-03-01", "2028-02-29", 2)
    assert [s["code"] for s in body["stages"]] == ["organisational", "implementation", "reflection"]
    assert [a["type"] for a in body["stages"][1]["activities"]] == ["consultation"]
    assert body["stages"][0]["activities"][0]["state"] == "done"  # the needs analysis: the agreement itself
    assert [v["action"] for v in body["versions"]] == ["agreed", "opened"]
    assert body["needs"]["survey"][0]["likert"] == 1  # their own answers, though the survey is anonymous
    assert client.get(f"/api/v1/postcourse/plans/{api['other_plan']}", headers=api["p1"]).status_code == 404
    assert client.get(f"/api/v1/postcourse/plans/{api['plan']}", headers=api["p2"]).status_code == 404
    assert client.get("/api/v1/postcourse/plans/999999", headers=api["p1"]).status_code == 404
    assert client.get(f"/api/v1/postcourse/plans/{api['plan']}").status_code == 401


def test_staff_read_plans_of_their_cohorts_only(client, api):
    r = client.get(f"/api/v1/postcourse/plans/{api['plan']}", headers=api["trainer"])
    assert r.status_code == 200 and r.get_json()["needs"]["survey"] == []  # anonymous answers stay hidden
    assert client.get(f"/api/v1/postcourse/plans/{api['other_plan']}", headers=api["trainer"]).status_code == 200
    r = client.get(f"/api/v1/postcourse/plans/{api['plan']}", headers=api["curator"])
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden"
    assert client.get(f"/api/v1/postcourse/cohorts/{api['code']}/summary", headers=api["curator"]).status_code == 403
    assert client.get(f"/api/v1/postcourse/cohorts/{api['code']}/summary", headers=api["p1"]).status_code == 403


def test_staff_log_a_consultation_that_marks_its_activity_done(client, api, db_session):
    url = f"/api/v1/postcourse/plans/{api['plan']}/contacts"
    good = {"happened_at": "2027-08-02T16:00", "channel": "whatsapp", "topic": "Сабақ жоспары",
            "outcome": "Түзетулер келісілді", "activity_id": api["consultation"]}
    with clock.frozen(at(date(2027, 8, 3))):
        assert client.post(url, json=good, headers=api["p1"]).status_code == 403
        assert client.post(url, json=good, headers=api["curator"]).status_code == 403
        for body, field in [({**good, "channel": "fax"}, "channel"), ({**good, "topic": " "}, "topic"),
                            ({**good, "happened_at": "2027-09-01T10:00"}, "happened_at"),
                            ({**good, "activity_id": 999999}, "activity_id"), ({**good, "group": "yes"}, "group"),
                            ({**good, "colour": "green"}, "colour")]:
            r = client.post(url, json=body, headers=api["trainer"])
            assert r.status_code in (404, 422) and r.get_json()["field"] == field, (body, r.get_json())
        assert client.post(url, data="not json", headers=api["trainer"]).status_code == 400
        r = client.post(url, json=good, headers=api["trainer"])
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert (body["channel"], body["activity_id"], body["happened_at"]) == \
        ("whatsapp", api["consultation"], "2027-08-02T11:00:00+00:00")  # 16:00 in Almaty (UTC+5)
    activity = db_session.get(PlanActivity, api["consultation"])
    assert (activity.status, activity.done_on) == ("done", date(2027, 8, 2))
    assert db_session.scalar(select(func.count()).select_from(Contact)) == 1


def test_the_cohort_summary_counts_the_records(client, api, db_session):
    with clock.frozen(at(date(2027, 8, 3))):
        plan = plans.get_plan(api["plan"])
        activities.log_contact(plan, {"happened_at": "2027-08-01T10:00", "channel": "zoom", "topic": "a",
                                      "group": True}, None)
        activities.log_contact(plan, {"happened_at": "2027-08-02T10:00", "channel": "zoom", "topic": "b"}, None)
        activities.add_evidence(plan, {"kind": "publication", "level": "republican", "title": "Мақала",
                                       "url": "https://example.kz/a"}, None)
        db_session.commit()
        r = client.get(f"/api/v1/postcourse/cohorts/{api['code']}/summary", headers=api["trainer"])
    assert r.status_code == 200
    s = r.get_json()
    assert (s["cohort"], s["as_of"], s["graduates"]) == (api["code"], "2027-08-03", 2)
    assert s["plans"]["total"] == 2 and s["plans"]["agreed"] == 1 and s["plans"]["by_status"]["draft"] == 1
    assert s["activities"]["organisational"] == {"planned": 1, "done": 1, "cancelled": 0, "overdue": 1, "total": 2}
    assert s["activities"]["implementation"]["overdue"] == 1  # the consultation was due 2027-07-31
    assert s["consultations"] == {"total": 2, "group": 1, "by_channel": {
        "email": 0, "phone": 0, "whatsapp": 0, "telegram": 0, "zoom": 2, "teams": 0, "meet": 0, "in_person": 0}}
    assert s["evidence"]["by_kind"]["publication"] == 1 and s["evidence"]["by_level"]["republican"] == 1
    assert client.get("/api/v1/postcourse/cohorts/NO-SUCH/summary", headers=api["trainer"]).status_code == 404


def test_the_openapi_document_describes_the_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert paths["/postcourse/plans/{plan_id}"]["get"]["x-capability"] == \
        "postcourse:view_cohort or postcourse:follow_plan"
    post = paths["/postcourse/plans/{plan_id}/contacts"]["post"]
    assert post["x-capability"] == "postcourse:support" and "201" in post["responses"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["properties"]["channel"]["enum"] == [
        "email", "phone", "whatsapp", "telegram", "zoom", "teams", "meet", "in_person"]
    assert "plans" in paths["/postcourse/cohorts/{code}/summary"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["properties"]
