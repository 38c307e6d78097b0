"""xAPI statements reach the centre's Learning Record Store: a finished test as passed or failed
with its score, a webinar attended, each once, naming the account's number and never the
person; an LRS that refuses keeps nothing from being sent later. The LRS here is a real HTTP
server on this machine that records what it is sent (conftest.py)."""
import base64
import json
from datetime import timedelta

from sqlalchemy import select

from lms.core.models import User
from lms.core.services import clock, erasure
from lms.courses.models import Enrolment
from lms.courses.services import attendance
from lms.db import db
from lms.quizbank.services import attempts
from lms.xapi.models import XapiStatement
from lms.xapi.services import statements
from tests.conftest import personal_data
from tests.portfolio.test_privacy import course  # noqa: F401 - the fixture
from tests.quizbank.test_attempts import ESSAY, ITEMS, RIGHT, answer_all, build_items, make_test


def _participant(cohort):
    enrolment = db.session.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort.id)
                                   .order_by(Enrolment.id)).first()
    return enrolment, db.session.get(User, enrolment.user_id)


def _attended(app, make, code, *marks):
    """A cohort's first participant marked at one of its webinars, mark after mark."""
    trainer = make.user("trainer", email=f"{code.lower()}-trainer@test.kz")
    cohort = make.cohort(code=code, participants=2, trainer=trainer)
    session = make.session(cohort, "1.1")
    enrolment, user = _participant(cohort)
    with app.test_request_context():
        for mark in marks:
            attendance.mark(session, {enrolment.id: mark}, trainer)
            db.session.commit()
    return session, user


def _submitted(app, make, db_session, code, kinds=ITEMS):
    """An LDR-DT cohort's module test of `kinds`, taken and submitted by its first participant
    with the right answers; returns the test, the attempt and the participant."""
    cohort = make.cohort(code=code, programme="LDR-DT", format_code="blended", participants=1)
    versions = build_items(db_session, kinds, bank_code=code.replace("-", ""))
    test = make_test(cohort)
    db_session.commit()
    enrolment, user = _participant(cohort)
    with app.test_request_context():
        attempt = attempts.start_attempt(test, enrolment, user, versions=versions)
        answer_all(attempt, user, RIGHT)
        attempts.submit(attempt.id, user)
        db.session.commit()
    return test, attempt, user


def test_a_finished_test_reaches_the_lrs_once_naming_the_account_not_the_person(app, make, db_session, runner,
                                                                               lrs):
    test, attempt, user = _submitted(app, make, db_session, "XAPI-1")
    with app.test_request_context():
        attempts.submit(attempt.id, user)  # a second submit grades once, and tells once
        db.session.commit()
    assert db_session.scalars(select(XapiStatement.verb)).all() == ["passed"]

    sent = runner.invoke(args=["xapi", "send"])
    assert sent.exit_code == 0 and "sent 1 statement(s)" in sent.output, sent.output
    ((path, headers, batch),) = lrs.received
    assert path == "/xapi/statements" and headers["X-Experience-API-Version"] == "1.0.3"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"ustaz:lrs-secret").decode()
    (statement,) = batch
    assert statement["actor"]["account"] == {"homePage": app.config["LMS"].public_url.rstrip("/"),
                                             "name": str(user.id)}
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/passed"
    assert statement["object"]["id"].endswith(f"/cohorts/XAPI-1/tests/{test.id}")
    assert statement["object"]["definition"]["name"] == {"kk-KZ": test.title}
    assert statement["result"]["success"] is True and statement["result"]["score"]["scaled"] == 1.0
    text = json.dumps(batch, ensure_ascii=False)
    assert user.email not in text and user.full_name not in text  # the account's number, never the person

    again = runner.invoke(args=["xapi", "send"])
    assert again.exit_code == 0 and "sent 0 statement(s)" in again.output and len(lrs.received) == 1


def test_a_test_with_an_essay_is_told_once_the_essay_is_graded(app, make, db_session, lrs):
    test, _attempt, _user = _submitted(app, make, db_session, "XAPI-E", [ITEMS[0], ESSAY])
    grader = make.user("trainer", email="xapi-grader@test.kz")
    assert db_session.scalars(select(XapiStatement)).all() == []  # the result is provisional yet
    with app.test_request_context():
        (waiting,) = attempts.grading_queue(test)
        attempts.grade_essay(waiting, 0, None, grader)
        db.session.commit()
    (row,) = db_session.scalars(select(XapiStatement)).all()
    assert row.verb == "passed" and row.body["result"]["score"]["scaled"] == 0.5


def test_an_lrs_that_refuses_keeps_the_statement_for_a_later_try(app, client, auth, make, db_session, runner, lrs):
    session, user = _attended(app, make, "XAPI-2", ("present", None), ("late", 30))  # changed: one statement
    (row,) = db_session.scalars(select(XapiStatement)).all()
    assert row.verb == "attended"
    assert row.body["object"]["id"].endswith(f"/cohorts/XAPI-2/schedule#session-{session.id}")

    lrs.status = 503
    refused = runner.invoke(args=["xapi", "send"])
    assert refused.exit_code == 1 and "1 wait for the next try: the LRS answered 503" in refused.output
    shown = runner.invoke(args=["xapi", "status"]).output
    assert "waiting 1 (tried and refused 1), sent 0" in shown and "last refusal: the LRS answered 503" in shown
    assert runner.invoke(args=["xapi", "send"]).output.startswith("sent 0")  # not due yet: the LRS is left alone
    assert len(lrs.received) == 1

    lrs.status = 200
    with app.app_context():
        done = statements.send_due(now=clock.now() + timedelta(minutes=3))
    assert (done.sent, done.failed) == (1, 0) and len(lrs.received) == 2
    db_session.expire_all()
    row = db_session.get(XapiStatement, row.id)
    assert row.sent_at is not None and row.last_error is None

    # "Download my data" lists them; the person's data erased, they go from here (the LRS holds
    # only the account's number)
    auth.login(user.email)
    (mine,) = json.loads(personal_data(client.post("/profile/my-data.zip")).read("xapi/data.json"))["statements"]
    assert mine["verb"] == "attended" and mine["sent_to_the_lrs_at"] is not None
    auth.logout()
    with app.app_context():
        done = erasure.erase(db_session.get(User, user.id), None, "өтініш")
        db_session.commit()
    assert done.counts["xapi.statements"] == 1 and db_session.scalars(select(XapiStatement)).all() == []


def test_without_an_lrs_nothing_is_queued(app, make, db_session, runner):
    _attended(app, make, "XAPI-3", ("present", None))
    assert db_session.scalars(select(XapiStatement)).all() == []
    result = runner.invoke(args=["xapi", "status"])
    assert "not set (LMS_XAPI_ENDPOINT): nothing is queued" in result.output


def test_a_defense_is_told_when_its_result_is_released_not_before(lrs, course, db_session):
    """The portfolio tests' course: one defense reconciled at 11 points and released, another
    scored and not decided."""
    from lms.portfolio.models import Defense

    (row,) = db_session.scalars(select(XapiStatement).where(XapiStatement.body["object"]["definition"]["type"]
                                                            .as_string().like("%performance"))).all()
    released = db_session.get(Defense, course["released"])
    assert row.verb == ("passed" if released.passed else "failed")
    assert row.body["object"]["id"].endswith(f"/defenses/{released.session_id}#defense-{released.id}")
    assert row.body["result"]["score"]["raw"] == 11 and row.body["result"]["score"]["max"] == 14
    assert row.user_id == db_session.get(Enrolment, course["me"]).user_id


def test_statements_the_lrs_holds_already_count_as_sent(app, make, db_session, runner, lrs):
    """A send whose answer was lost: the LRS has the statements and answers 409 Conflict for
    their ids, the batch and each alone."""
    trainer = make.user("trainer", email="xapi-409@test.kz")
    cohort = make.cohort(code="XAPI-409", participants=2, trainer=trainer)
    session = make.session(cohort, "1.1")
    with app.test_request_context():
        attendance.mark(session, {e.id: ("present", None) for e in cohort.enrolments}, trainer)
        db.session.commit()
    lrs.status = 409
    sent = runner.invoke(args=["xapi", "send"])
    assert sent.exit_code == 0 and "sent 2 statement(s)" in sent.output, sent.output
    assert [len(batch) for _path, _headers, batch in lrs.received] == [2, 1, 1]
    assert all(r.sent_at is not None for r in db_session.scalars(select(XapiStatement)))
