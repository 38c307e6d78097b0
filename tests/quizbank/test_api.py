"""The quizbank JSON API: tests of a cohort, start, save, submit, read; keys never leave the
server, another participant's attempt is 404, a save is acknowledged after its commit and
costs a bounded number of statements."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from lms.core.models import User
from lms.core.services import tokens
from lms.db import db, utcnow
from lms.quizbank.models import Attempt, AttemptSlot, Blueprint
from lms.quizbank.services import attempts, tests
from tests.quizbank.test_attempts import ITEMS, RIGHT, build_items, make_test


def bearer(plain):
    return {"Authorization": f"Bearer {plain}"}


def token_for(db_session, user):
    plain = tokens.create_token(user)[1]
    db_session.commit()
    return bearer(plain)


@pytest.fixture
def api(make, db_session):
    """An LDR-DT cohort (two participants, a trainer) whose module test draws the six items
    of a blueprint; tokens for each person; ids read before any request detaches objects."""
    trainer = make.user()
    cohort = make.cohort(code="QZ-API", programme="LDR-DT", format_code="blended", participants=2, trainer=trainer)
    versions = build_items(db_session)
    blueprint = Blueprint(bank_id=versions[0].item.bank_id, code="TST-M1", title="M1", total=len(ITEMS),
                          rules=[{"topic": "1.1", "min": len(ITEMS), "max": len(ITEMS)}])
    db_session.add(blueprint)
    db_session.flush()
    test = make_test(cohort, blueprint=blueprint)
    draft = make_test(cohort, status="draft", title="Қорытынды", kind="final", module_number=None)
    db_session.commit()
    p1, p2 = cohort.enrolments[0].user, cohort.enrolments[1].user
    return {"code": cohort.code, "test": test.id, "draft": draft.id,
            "p1": token_for(db_session, p1), "p2": token_for(db_session, p2),
            "trainer": token_for(db_session, trainer), "p1_id": p1.id}


def start(client, api, who="p1"):
    r = client.post(f"/api/v1/tests/{api['test']}/attempts", headers=api[who])
    assert r.status_code in (200, 201), r.get_json()
    return r


def shown_right(slot):
    """The right answer of a slot, as a participant gives it from the API's view."""
    kind = slot["type"]
    if kind == "single":
        return {"choice": next(o["value"] for o in slot["options"] if o["text"] == "Астана")}
    if kind == "multiple":
        return {"choices": [o["value"] for o in slot["options"] if o["text"] in ("a", "b")]}
    return RIGHT[kind]


def test_cohort_tests_list_states_and_hides_drafts_from_participants(client, api, make, db_session):
    r = client.get(f"/api/v1/cohorts/{api['code']}/tests", headers=api["p1"])
    assert r.status_code == 200
    assert [(t["id"], t["kind"], t["state"]) for t in r.get_json()] == [(api["test"], "module", "open")]
    staff = client.get(f"/api/v1/cohorts/{api['code']}/tests", headers=api["trainer"]).get_json()
    assert {(t["id"], t["state"]) for t in staff} == {(api["test"], "open"), (api["draft"], "draft")}
    assert client.get(f"/api/v1/cohorts/{api['code']}/tests").status_code == 401
    outsider = make.cohort(code="QZ-OUT", programme="LDR-DT", format_code="blended", participants=1)
    headers = token_for(db_session, outsider.enrolments[0].user)
    assert client.get(f"/api/v1/cohorts/{api['code']}/tests", headers=headers).status_code == 403
    assert client.get("/api/v1/cohorts/NO-SUCH/tests", headers=api["p1"]).status_code == 404


def test_start_returns_the_items_without_their_keys_and_is_idempotent(client, api):
    r = start(client, api)
    assert r.status_code == 201
    body = r.get_json()
    assert body["status"] == "in_progress" and body["deadline_at"] is None and body["grace_seconds"] == 60
    assert sorted(s["type"] for s in body["slots"]) == sorted(k for k, _d, _a in ITEMS)
    assert [s["slot"] for s in body["slots"]] == [1, 2, 3, 4, 5, 6]
    single = next(s for s in body["slots"] if s["type"] == "single")
    assert single["code"].startswith("TSTATT-1.1-K-") and single["text"] == "Сұрақ 1 (single)"
    assert sorted(o["text"] for o in single["options"]) == ["Алматы", "Астана", "Шымкент"]
    assert [o["value"] for o in single["options"]] == [0, 1, 2]
    matching = next(s for s in body["slots"] if s["type"] == "matching")
    assert [q["text"] for q in matching["questions"]] == ["1+1", "2+2"]
    assert sorted(matching["answers"]) == ["2", "4", "5"]
    text = json.dumps(body, ensure_ascii=False)
    for secret in ("fraction", "feedback", "correct", "Дұрыс", "көк*", "12.5", "tolerance", "pairs"):
        assert secret not in text, secret
    again = start(client, api)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]


def test_start_refusals(client, api):
    assert client.post(f"/api/v1/tests/{api['draft']}/attempts", headers=api["p1"]).status_code == 404
    assert client.post("/api/v1/tests/999999/attempts", headers=api["p1"]).status_code == 404
    r = client.post(f"/api/v1/tests/{api['test']}/attempts", headers=api["trainer"])
    assert r.status_code == 403  # staff do not sit the cohort's tests


def test_save_read_and_submit(client, api, db_session):
    body = start(client, api).get_json()
    attempt_id = body["id"]
    for s in body["slots"]:
        r = client.put(f"/api/v1/attempts/{attempt_id}/answers/{s['slot']}", json={"answer": shown_right(s)},
                       headers=api["p1"])
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["slot"] == s["slot"] and r.get_json()["saved_at"]
    read = client.get(f"/api/v1/attempts/{attempt_id}", headers=api["p1"]).get_json()
    # "12,5" as typed is stored (and read back) as a number
    assert [s["answer"] for s in read["slots"]] == [{"value": 12.5} if s["type"] == "numerical" else shown_right(s)
                                                    for s in body["slots"]]
    assert "result" not in read

    r = client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=api["p1"])
    assert r.status_code == 200
    result = r.get_json()
    assert {k: result[k] for k in ("score", "max", "percent", "band", "passed", "pending_grading")} == \
        {"score": 6.0, "max": 6.0, "percent": 100.0, "band": "өте жақсы", "passed": True, "pending_grading": 0}
    assert result["hidden"] == ["answers"]
    # a second submit (another tab) returns the same result
    assert client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=api["p1"]).get_json() == result
    r = client.put(f"/api/v1/attempts/{attempt_id}/answers/1", json={"answer": {"choice": 0}}, headers=api["p1"])
    assert r.status_code == 409 and r.get_json()["error"] == "conflict"
    assert r.get_json()["message"] == f"attempt {attempt_id} is finished: answers are no longer accepted"
    finished = client.get(f"/api/v1/attempts/{attempt_id}", headers=api["p1"]).get_json()
    assert finished["status"] == "finished" and finished["result"]["percent"] == 100.0


def test_bad_answers_and_other_peoples_attempts(client, api):
    attempt_id = start(client, api).get_json()["id"]
    url = f"/api/v1/attempts/{attempt_id}/answers"
    r = client.put(f"{url}/1", json={"answer": {"nonsense": 1}}, headers=api["p1"])
    assert r.status_code == 422 and r.get_json()["field"] == "answer"
    assert client.put(f"{url}/1", json={"choice": 0}, headers=api["p1"]).status_code == 400
    assert client.put(f"{url}/1", data="not json", headers=api["p1"]).status_code == 400
    r = client.put(f"{url}/99", json={"answer": {"choice": 0}}, headers=api["p1"])
    assert r.status_code == 404 and r.get_json()["message"] == f"attempt {attempt_id} has no question 99"
    # another participant of the same cohort: as if the attempt did not exist
    for method, path in (("PUT", f"{url}/1"), ("POST", f"/api/v1/attempts/{attempt_id}/submit"),
                         ("GET", f"/api/v1/attempts/{attempt_id}")):
        r = client.open(path, method=method, json={"answer": {"choice": 0}}, headers=api["p2"])
        assert r.status_code == 404, (method, path)
        assert r.get_json()["message"] == f"no attempt {attempt_id}"
    assert client.put(f"{url}/1", json={"answer": {"choice": 0}}).status_code == 401
    # staff read it in full
    r = client.get(f"/api/v1/attempts/{attempt_id}", headers=api["trainer"])
    assert r.status_code == 200 and r.get_json()["id"] == attempt_id


def test_past_deadline_plus_grace_the_api_answers_409_and_finishes_the_attempt(client, api, db_session):
    attempt_id = start(client, api).get_json()["id"]
    attempt = db_session.get(Attempt, attempt_id)
    attempt.deadline_at = utcnow() - timedelta(seconds=attempt.test.grace_seconds + 1)
    db_session.commit()
    r = client.put(f"/api/v1/attempts/{attempt_id}/answers/1", json={"answer": {"choice": 0}}, headers=api["p1"])
    assert r.status_code == 409 and "time ran out" in r.get_json()["message"]
    db_session.expire_all()
    assert db_session.get(Attempt, attempt_id).status == "finished"
    assert db_session.scalar(select(AttemptSlot.answer).where(AttemptSlot.attempt_id == attempt_id,
                                                              AttemptSlot.slot == 1)) is None


def test_review_options_decide_what_the_participant_sees(client, api, db_session):
    test = tests.get_test(api["test"])
    test.review_options = {"score": False, "band": True, "answers": False}
    db_session.commit()
    attempt_id = start(client, api).get_json()["id"]
    result = client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=api["p1"]).get_json()
    assert "score" not in result and "percent" not in result and "passed" not in result
    assert result["band"] == "қанағаттанарлықсыз"
    assert result["hidden"] == ["score", "max", "percent", "passed", "topics", "competences", "answers"]
    staff = client.get(f"/api/v1/attempts/{attempt_id}", headers=api["trainer"]).get_json()["result"]
    assert staff["score"] == 0.0 and len(staff["answers"]) == len(ITEMS) and "hidden" not in staff

    test = tests.get_test(api["test"])
    test.review_options = {"when": "after_close"}
    db_session.commit()
    later = client.get(f"/api/v1/attempts/{attempt_id}", headers=api["p1"]).get_json()["result"]
    assert "band" not in later and "score" not in later and later["shown_after"] == "the test closes"


def test_a_start_reads_the_bank_in_a_bounded_number_of_statements(client, api, count_queries):
    """The draw reads the bank's rows once and only the drawn versions; the new attempt is
    answered from what the start built, without reading it again."""
    with count_queries() as q:
        r = start(client, api)
    assert r.status_code == 201 and len(r.get_json()["slots"]) == 6
    assert all(s["answer"] is None and s["answered_at"] is None for s in r.get_json()["slots"])
    # SQLite inserts the slots one by one, PostgreSQL in one statement: count the rest
    rest = [" ".join(s.split()[:3]) for s in q if not s.lstrip().startswith("INSERT INTO quizbank_attempt_slots")]
    # token, its last use, test, cohort's programme, enrolment, earlier attempts, blueprint,
    # the bank's rows, the drawn versions, the attempt, the exposure
    assert len(rest) <= 11, rest


def test_a_save_request_costs_three_statements_with_its_commit(client, api, db_session, count_queries):
    body = start(client, api).get_json()  # the token's first use: its last_used_at is now recorded
    attempt_id = body["id"]
    slot = next(s for s in body["slots"] if s["type"] == "single")
    participant = db_session.get(User, api["p1_id"])
    with count_queries() as q:
        attempts.save_answer(attempt_id, slot["slot"], {"choice": 0}, participant)
        db_session.commit()
    # the service: SELECT (attempt state, owner, slot version) and the guarded UPDATE
    assert [s.split()[0].upper() for s in q] == ["SELECT", "UPDATE"]

    commits: list[str] = []

    def on_commit(conn, cursor, statement, *args):
        # the request's COMMIT is a RELEASE SAVEPOINT here (the test's transaction is rolled back)
        if statement.lstrip().upper().startswith("RELEASE"):
            commits.append(statement)

    event.listen(db.engine, "before_cursor_execute", on_commit)
    try:
        with count_queries() as q:
            r = client.put(f"/api/v1/attempts/{attempt_id}/answers/{slot['slot']}", json={"answer": {"choice": 1}},
                           headers=api["p1"])
    finally:
        event.remove(db.engine, "before_cursor_execute", on_commit)
    assert r.status_code == 200
    # one SELECT authenticates (token, user and role assignments) and reads what the save needs
    # (with the cohort's programme, for the capability check), one guarded UPDATE writes, one COMMIT
    assert [s.split()[0].upper() for s in q] == ["SELECT", "UPDATE"], q
    assert all(t in q[0] for t in ("core_api_tokens", "core_role_assignments", "quizbank_attempt_slots",
                                   "courses_cohorts"))
    assert "EXISTS" in q[1].upper() and len(commits) == 1
    assert len(q) + len(commits) <= 3


def test_a_participant_cannot_save_into_another_participants_attempt(client, api, db_session):
    body = start(client, api).get_json()
    attempt_id, slot = body["id"], body["slots"][0]
    url = f"/api/v1/attempts/{attempt_id}/answers/{slot['slot']}"
    r = client.put(url, json={"answer": shown_right(slot)}, headers=api["p2"])
    assert r.status_code == 404 and r.get_json()["message"] == f"no attempt {attempt_id}"
    assert db_session.scalar(select(AttemptSlot.answer).where(AttemptSlot.attempt_id == attempt_id,
                                                              AttemptSlot.slot == slot["slot"])) is None
    assert client.put(url, json={"answer": shown_right(slot)}, headers=api["p1"]).status_code == 200
    # the token is checked before the attempt is looked at: 401 whether or not the attempt exists
    for path in (url, "/api/v1/attempts/999999/answers/1"):
        r = client.put(path, json={"answer": shown_right(slot)}, headers=bearer("lms_no-such-token"))
        assert r.status_code == 401, path
    r = client.put("/api/v1/attempts/999999/answers/1", json={"answer": shown_right(slot)}, headers=api["p1"])
    assert r.status_code == 404 and r.get_json()["message"] == "no attempt 999999"


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert paths["/cohorts/{code}/tests"]["get"]["x-capability"] == "quizbank:attempt or quizbank:view_results"
    assert paths["/tests/{test_id}/attempts"]["post"]["x-capability"] == "quizbank:attempt"
    assert paths["/attempts/{attempt_id}/answers/{slot}"]["put"]["requestBody"]["required"] is True
    assert "post" in paths["/attempts/{attempt_id}/submit"]
    assert "get" in paths["/attempts/{attempt_id}"]


def test_a_participant_flags_a_question_through_the_api_and_reads_it_back(client, api, db_session):
    body = start(client, api).get_json()
    attempt_id, slot = body["id"], body["slots"][2]["slot"]
    assert not any(s["flagged"] for s in body["slots"])
    url = f"/api/v1/attempts/{attempt_id}/flags/{slot}"
    r = client.put(url, json={"flagged": True}, headers=api["p1"])
    assert r.status_code == 200 and r.get_json() == {"slot": slot, "flagged": True}
    read = client.get(f"/api/v1/attempts/{attempt_id}", headers=api["p1"]).get_json()
    assert [s["slot"] for s in read["slots"] if s["flagged"]] == [slot]
    assert client.put(url, json={"flagged": "yes"}, headers=api["p1"]).status_code == 400
    assert client.put(url, json={"flagged": False}, headers=api["p2"]).status_code == 404  # not theirs
    assert client.put(f"/api/v1/attempts/{attempt_id}/flags/99", json={"flagged": True},
                      headers=api["p1"]).status_code == 404
    client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=api["p1"])
    assert client.put(url, json={"flagged": False}, headers=api["p1"]).status_code == 404  # finished: no change
    assert db_session.scalar(select(AttemptSlot.flagged).where(AttemptSlot.attempt_id == attempt_id,
                                                               AttemptSlot.slot == slot)) is True
    assert "put" in client.get("/api/v1/openapi.json").get_json()["paths"]["/attempts/{attempt_id}/flags/{slot}"]
