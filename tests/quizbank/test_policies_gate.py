"""A policy published while a participant's app is in a test: the app's answers and its submit
are still saved (work begun is never lost), but its reads are refused, 403
`policies_not_accepted`, until the participant accepts the policy through the API (as a page
sends them to accept it first, and as Moodle's web services refuse)."""
from sqlalchemy import select

from lms.core.models import PolicyAcceptance
from lms.core.services import policies
from lms.db import db
from tests.core.test_policies import NOTICE, OBLIGATION
from tests.quizbank.test_api import api, shown_right, start  # noqa: F401 - the fixture


def test_a_new_policy_refuses_the_apps_reads_and_never_its_answers(app, client, api, db_session):  # noqa: F811
    attempt = start(client, api).get_json()
    with app.test_request_context():
        notice = policies.publish("privacy", NOTICE, None).id
        policies.publish("confidentiality", OBLIGATION, None)  # for staff: not asked of a participant
        db.session.commit()

    first = attempt["slots"][0]
    r = client.put(f"/api/v1/attempts/{attempt['id']}/answers/{first['slot']}", json={"answer": shown_right(first)},
                   headers=api["p1"])
    assert r.status_code == 200  # saved
    r = client.get(f"/api/v1/attempts/{attempt['id']}", headers=api["p1"])
    assert r.status_code == 403 and r.get_json()["error"] == "policies_not_accepted"
    assert "POST /api/v1/policies/accept" in r.get_json()["message"]
    assert client.get(f"/api/v1/cohorts/{api['code']}/tests", headers=api["p1"]).status_code == 403
    assert client.get("/api/v1/me", headers=api["p1"]).get_json()["policies_agreed"] is False

    listed = client.get("/api/v1/policies", headers=api["p1"]).get_json()["policies"]
    assert [(p["id"], p["kind"], p["accepted_at"]) for p in listed] == [(notice, "privacy", None)]
    assert listed[0]["title"] == NOTICE["title_kk"] and "<strong>дербес деректеріңізді</strong>" in listed[0]["text_html"]
    r = client.post("/api/v1/policies/accept", json={"policy_ids": []}, headers=api["p1"])
    assert r.status_code == 422 and NOTICE["title_kk"] in r.get_json()["message"]
    assert client.post("/api/v1/policies/accept", json={"policy_ids": "all"}, headers=api["p1"]).status_code == 422
    assert db_session.scalar(select(PolicyAcceptance.id)) is None

    r = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=api["p1"])
    assert r.status_code == 200 and r.get_json()["score"] >= 1  # the answer given after the notice counts

    r = client.post("/api/v1/policies/accept", json={"policy_ids": [notice]}, headers=api["p1"])
    assert r.status_code == 200 and r.get_json()["policies"][0]["accepted_at"]
    assert client.get(f"/api/v1/attempts/{attempt['id']}", headers=api["p1"]).status_code == 200
    # the other participant has not accepted; the trainer is asked the obligation too
    assert client.get(f"/api/v1/cohorts/{api['code']}/tests", headers=api["p2"]).status_code == 403
    staff = client.get("/api/v1/policies", headers=api["trainer"]).get_json()["policies"]
    assert [p["kind"] for p in staff] == ["privacy", "confidentiality"]
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/policies" in paths and "/policies/accept" in paths
