"""The API's express lane (lms/core/api_lane.py) serves the answer save without Flask's
request context: the participant gets the same acknowledgement, refusals and headers as
through Flask, and what the lane does not take goes the usual way."""
from flask import request_started
from sqlalchemy import select

from lms.core.api_lane import LANE_BODY_LIMIT
from lms.db import db
from lms.quizbank.models import AttemptSlot
from tests.quizbank.test_api import api, shown_right, start  # noqa: F401 - the fixture

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN",
                    "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


class FlaskRequests:
    """Counts the requests Flask's own dispatch saw (the lane's do not fire request_started)."""

    def __init__(self, app):
        self.app, self.paths = app, []

    def __enter__(self):
        request_started.connect(self._seen, self.app)
        return self

    def _seen(self, sender, **_kw):
        from flask import request

        self.paths.append(request.path)

    def __exit__(self, *exc):
        request_started.disconnect(self._seen, self.app)


def stored(db_session, attempt_id, slot):
    db_session.expire_all()
    return db_session.scalar(select(AttemptSlot.answered_at).where(AttemptSlot.attempt_id == attempt_id,
                                                                   AttemptSlot.slot == slot))


def test_a_save_is_served_by_the_lane_committed_and_carries_the_security_headers(app, client, api, db_session):
    attempt = start(client, api).get_json()
    first = next(s for s in attempt["slots"] if s["type"] == "single")  # shown back exactly as given
    with FlaskRequests(app) as seen:
        r = client.put(f"/api/v1/attempts/{attempt['id']}/answers/{first['slot']}",
                       json={"answer": shown_right(first)}, headers=api["p1"])
    assert r.status_code == 200 and r.get_json()["slot"] == first["slot"]
    assert seen.paths == []  # Flask's dispatch never ran: the lane answered
    assert {k: r.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS
    assert stored(db_session, attempt["id"], first["slot"]) is not None
    view = client.get(f"/api/v1/attempts/{attempt['id']}", headers=api["p1"]).get_json()
    assert next(s["answer"] for s in view["slots"] if s["slot"] == first["slot"]) == shown_right(first)


def test_refusals_in_the_lane_read_as_flasks_errors(app, client, api):
    attempt_id = start(client, api).get_json()["id"]
    url = f"/api/v1/attempts/{attempt_id}/answers"
    with FlaskRequests(app) as seen:
        bad_token = client.put(f"{url}/1", json={"answer": {"choice": 0}}, headers={"Authorization": "Bearer nope"})
        not_yours = client.put(f"{url}/1", json={"answer": {"choice": 0}}, headers=api["p2"])
        wrong_shape = client.put(f"{url}/1", json={"answer": {"nonsense": 1}}, headers=api["p1"])
    assert seen.paths == []
    assert bad_token.status_code == 401 and bad_token.headers["WWW-Authenticate"] == 'Bearer realm="ustaz"'
    assert bad_token.get_json()["error"] == "unauthorized"
    assert not_yours.status_code == 404 and not_yours.get_json() == {"error": "not_found",
                                                                      "message": f"no attempt {attempt_id}"}
    assert wrong_shape.status_code == 422 and wrong_shape.get_json()["field"] == "answer"
    assert wrong_shape.headers["Cache-Control"] == "no-store"


def test_what_the_lane_does_not_take_goes_through_flask_with_the_same_result(app, client, api, db_session):
    attempt = start(client, api).get_json()
    first, second = attempt["slots"][:2]
    url = f"/api/v1/attempts/{attempt['id']}/answers"
    padded = '{"answer": %s}' % __import__("json").dumps(shown_right(second)) + " " * LANE_BODY_LIMIT
    with FlaskRequests(app) as seen:
        no_json = client.put(f"{url}/{first['slot']}", data="not json", headers=api["p1"])
        no_token = client.put(f"{url}/{first['slot']}", json={"answer": shown_right(first)})
        large = client.put(f"{url}/{second['slot']}", data=padded, content_type="application/json",
                           headers=api["p1"])
    assert no_json.status_code == 400 and no_token.status_code == 401
    assert large.status_code == 200  # a body over the lane's limit is Flask's, and saved the same
    assert seen.paths == [f"{url}/{first['slot']}", f"{url}/{first['slot']}", f"{url}/{second['slot']}"]
    assert stored(db_session, attempt["id"], first["slot"]) is None
    assert stored(db_session, attempt["id"], second["slot"]) is not None


def test_an_unexpected_error_in_the_lane_is_logged_and_flask_answers(app, client, api, db_session, monkeypatch,
                                                                    caplog):
    """A failure the API does not expect (here the first save's COMMIT fails once) is rolled
    back and handed to Flask, which runs the save again; the lane's failure is logged."""
    attempt = start(client, api).get_json()
    first = next(s for s in attempt["slots"] if s["type"] == "single")
    real_commit, failures = db.session.commit, []

    def commit_failing_once():
        if not failures:
            failures.append(1)
            raise RuntimeError("the database went away for a moment")
        return real_commit()

    monkeypatch.setattr(db.session, "commit", commit_failing_once)
    with FlaskRequests(app) as seen, caplog.at_level("WARNING"):
        r = client.put(f"/api/v1/attempts/{attempt['id']}/answers/{first['slot']}",
                       json={"answer": shown_right(first)}, headers=api["p1"])
    assert r.status_code == 200 and failures == [1]
    assert seen.paths == [f"/api/v1/attempts/{attempt['id']}/answers/{first['slot']}"]  # Flask ran it again
    assert "api lane: PUT" in caplog.text and "went away" in caplog.text
    monkeypatch.undo()
    assert stored(db_session, attempt["id"], first["slot"]) is not None


def test_an_id_too_large_for_the_database_is_a_404_not_a_server_error(app, client, api):
    """Ids are 32-bit in the database: schemathesis found 500s (an SQLite overflow, PostgreSQL's
    "integer out of range") for ids beyond that, through Flask and through the lane alike."""
    attempt_id = start(client, api).get_json()["id"]
    huge = 5404411298531325771776
    with FlaskRequests(app) as seen:
        lane = client.put(f"/api/v1/attempts/{huge}/answers/1", json={"answer": {"choice": 0}}, headers=api["p1"])
    assert lane.status_code == 404 and lane.get_json()["error"] == "not_found"
    for response in (client.get(f"/api/v1/attempts/{huge}", headers=api["p1"]),
                     client.put(f"/api/v1/attempts/{attempt_id}/answers/{2**31}", json={"answer": {"choice": 0}},
                                headers=api["p1"]),
                     client.post(f"/api/v1/tests/{huge}/attempts", headers=api["p1"]),
                     client.get(f"/cohorts/ANY/tests/{huge}")):
        assert response.status_code == 404, response.request.path
    assert client.put(f"/api/v1/attempts/{attempt_id}/answers/{2**31 - 1}", json={"answer": {"choice": 0}},
                      headers=api["p1"]).status_code == 404  # the largest id still reaches the endpoint: no such slot
    assert seen.paths == [f"/api/v1/attempts/{huge}/answers/1"]  # no route of the lane's: Flask answered
