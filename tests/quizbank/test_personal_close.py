"""A later closing time for one participant (the rest of Moodle's user override): ill on the
test day, they take the test after it closed for the others; nobody else gains time, and
nobody sees answers "after the test closes" while someone may still take it. And an earlier
opening time: leaving before the test day, they take it before the others."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from lms.core.models import AuditEntry, User
from lms.core.services.errors import Conflict, ServiceError
from lms.courses.models import Cohort, Enrolment
from lms.db import utcnow
from lms.quizbank.models import Attempt, Test
from lms.quizbank.services import attempts, results
from lms.quizbank.services import tests as test_service
from tests.quizbank.test_api import token_for
from tests.quizbank.test_extra_attempts import _enrolment_id, _finish, _refused_start
from tests.quizbank.test_views_attempts import CODE, _form_of, _start, setup  # noqa: F401 - the fixture


def _local(moment, tz: str) -> str:
    """A moment as the trainer's datetime-local field sends it, in the cohort's time zone."""
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


def test_a_participant_who_missed_the_test_takes_it_until_the_time_the_trainer_gave(
        client, auth, setup, db_session):  # noqa: F811
    cohort, test, trainer = setup
    test.opens_at, test.closes_at = utcnow() - timedelta(days=2), utcnow() - timedelta(hours=1)
    db_session.commit()
    test_id, trainer_email, cohort_id, tz = test.id, trainer.email, cohort.id, cohort.timezone
    one, two = _enrolment_id(db_session, 1), _enrolment_id(db_session, 2)
    _refused_start(db_session, test_id, one, "closed at")

    # the trainer gives participant 1 two more days, from the results page
    auth.login(trainer_email)
    page = client.get(f"/cohorts/{CODE}/tests/{test_id}")
    url = f"/cohorts/{CODE}/tests/{test_id}/participants/{one}/closes"
    assert f'action="{url}"' in page.text
    until = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    r = client.post(url, data={**_form_of(page.text), "closes_at": _local(until, tz)}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert f"{_local(until, tz).replace('T', ' ')} дейін тапсыра алады" in html
    assert "data-withdraw-close" in html
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "test_personal_close")).one()
    assert entry.details == {"enrolment_id": one, "old": None, "new": until.isoformat()}

    # participant 1 sees the test open until then and starts it; the deadline is their own
    test, cohort = db_session.get(Test, test_id), db_session.get(Cohort, cohort_id)
    mine = {r.test.id: r for r in results.my_tests(cohort, db_session.get(Enrolment, one))}[test_id]
    assert (mine.terms.state, mine.terms.closes_at, mine.can_start) == ("open", until, True)
    attempt = db_session.get(Attempt, _start(client, auth, test, 1))
    assert attempt.deadline_at == until

    # participant 2 still meets a closed test
    theirs = {r.test.id: r for r in results.my_tests(cohort, db_session.get(Enrolment, two))}[test_id]
    assert (theirs.terms.state, theirs.can_start) == ("closed", False)
    _refused_start(db_session, test_id, two, "closed at")


def test_a_later_closing_time_moves_an_attempt_in_progress_and_survives_the_tests_own_change(
        client, auth, setup, db_session):  # noqa: F811
    _cohort, test, _trainer = setup
    test.time_limit_minutes, test.closes_at = 30, utcnow() + timedelta(minutes=10)
    db_session.commit()
    test_id = test.id
    one, two = (db_session.get(Enrolment, _enrolment_id(db_session, n)) for n in (1, 2))
    mine = _start(client, auth, db_session.get(Test, test_id), 1)
    theirs = _start(client, auth, db_session.get(Test, test_id), 2)
    started = db_session.get(Attempt, mine).started_at
    assert db_session.get(Attempt, mine).deadline_at == db_session.get(Test, test_id).closes_at

    # a later closing time for participant 1: their attempt runs its full 30 minutes
    attempts.set_personal_close(db_session.get(Test, test_id), one, utcnow() + timedelta(hours=2), None)
    db_session.commit()
    assert db_session.get(Attempt, mine).deadline_at == started + timedelta(minutes=30)

    # the trainer brings the test's closing forward: participant 2 stops then, participant 1 does not
    test = db_session.get(Test, test_id)
    earlier = utcnow() + timedelta(minutes=5)
    test_service.update_test(test, {"closes_at": earlier}, None)
    db_session.commit()
    assert db_session.get(Attempt, theirs).deadline_at == earlier
    assert db_session.get(Attempt, mine).deadline_at == started + timedelta(minutes=30)

    # taken back: participant 1 closes with everyone
    attempts.set_personal_close(db_session.get(Test, test_id), one, None, None)
    db_session.commit()
    assert db_session.get(Attempt, mine).deadline_at == earlier
    assert attempts.granted(test_id, one.id).closes_at is None
    assert [e.details["new"] is None for e in db_session.scalars(select(AuditEntry).where(
        AuditEntry.action == "test_personal_close").order_by(AuditEntry.id))] == [False, True]

    # closed by hand: nobody goes on, whatever was granted
    attempts.set_personal_close(db_session.get(Test, test_id), two, utcnow() + timedelta(hours=3), None)
    test_service.close_test(db_session.get(Test, test_id), None)
    db_session.commit()
    assert db_session.get(Attempt, theirs).deadline_at <= utcnow()
    test = db_session.get(Test, test_id)
    assert attempts.state_for(test, attempts.granted(test_id, two.id)) == "closed"


def test_a_later_closing_time_is_refused_where_it_means_nothing(client, auth, setup, db_session):  # noqa: F811
    cohort, test, trainer = setup
    tz, trainer_email = cohort.timezone, trainer.email
    one = db_session.get(Enrolment, _enrolment_id(db_session, 1))
    with pytest.raises(Conflict, match="has no closing time"):
        attempts.set_personal_close(test, one, utcnow() + timedelta(days=1), None)
    test.closes_at = utcnow() + timedelta(days=1)
    for when, problem in ((test.closes_at - timedelta(hours=1), "later than the test's"),
                          (test.closes_at + timedelta(days=400), "at most a year"),
                          (test.closes_at.replace(tzinfo=None) + timedelta(days=1), "time zone")):
        with pytest.raises(ServiceError, match=problem):
            attempts.set_personal_close(test, one, when, None)
    test.closes_at = utcnow() - timedelta(days=1)
    with pytest.raises(ServiceError, match="in the future"):
        attempts.set_personal_close(test, one, utcnow() - timedelta(hours=1), None)
    test.status = "draft"
    with pytest.raises(Conflict, match="only a published test"):
        attempts.set_personal_close(test, one, utcnow() + timedelta(days=1), None)
    db_session.rollback()
    assert attempts.granted(test.id, one.id) == attempts.NO_GRANT

    # from the page: a value that is not a date is named, in the trainer's Kazakh, and nothing changes
    test = db_session.get(Test, test.id)
    test.closes_at = utcnow() + timedelta(days=1)
    db_session.commit()
    test_id, one_id, closes_at = test.id, one.id, test.closes_at
    auth.login(trainer_email)
    page = client.get(f"/cohorts/{CODE}/tests/{test_id}")
    url = f"/cohorts/{CODE}/tests/{test_id}/participants/{one_id}/closes"
    r = client.post(url, data={**_form_of(page.text), "closes_at": "ертең"}, follow_redirects=True)
    assert "жабылу уақыты — күн мен уақыт" in r.get_data(as_text=True)
    r = client.post(url, data={**_form_of(page.text), "closes_at": _local(closes_at - timedelta(hours=2), tz)},
                    follow_redirects=True)
    assert "тесттің жабылу уақытынан кеш болуы керек" in r.get_data(as_text=True)
    assert db_session.scalar(select(AuditEntry.id).where(AuditEntry.action == "test_personal_close")) is None


def test_answers_shown_after_closing_wait_for_the_last_participant_still_taking_the_test(
        client, auth, setup, db_session):  # noqa: F811
    _cohort, test, _trainer = setup
    test.review_options = {**test_service.DEFAULT_REVIEW, "answers": True, "when": "after_close"}
    test.closes_at = utcnow() + timedelta(hours=1)
    db_session.commit()
    test_id = test.id
    one = db_session.get(Enrolment, _enrolment_id(db_session, 1))
    finished = _start(client, auth, db_session.get(Test, test_id), 2)
    _finish(client, finished)
    later = utcnow() + timedelta(days=1)
    attempts.set_personal_close(db_session.get(Test, test_id), one, later, None)
    test = db_session.get(Test, test_id)
    test.closes_at = utcnow() - timedelta(minutes=1)  # closed for participant 2, not for participant 1
    db_session.commit()

    view = attempts.result_view(db_session.get(Attempt, finished))
    assert "score" not in view and "answers" in view["hidden"]
    assert view["shown_after"] == later.isoformat()

    attempts.set_personal_close(db_session.get(Test, test_id), one, None, None)
    db_session.commit()
    view = attempts.result_view(db_session.get(Attempt, finished))
    assert "score" in view and "answers" in view and "hidden" not in view


def test_the_api_lists_the_test_as_the_participant_meets_it(client, auth, setup, db_session):  # noqa: F811
    _cohort, test, _trainer = setup
    test.closes_at, test.time_limit_minutes = utcnow() - timedelta(hours=1), 30
    db_session.commit()
    one = db_session.get(Enrolment, _enrolment_id(db_session, 1))
    later = utcnow() + timedelta(days=1)
    attempts.set_personal_close(db_session.get(Test, test.id), one, later, None)
    attempts.set_extra_minutes(db_session.get(Test, test.id), one, 15, None)
    db_session.commit()

    def listed(email):
        user = db_session.scalar(select(User).where(User.email == email))
        r = client.get(f"/api/v1/cohorts/{CODE}/tests", headers=token_for(db_session, user))
        assert r.status_code == 200, r.get_json()
        return next(t for t in r.get_json() if t["id"] == test.id)

    mine = listed(f"{CODE.lower()}-p01@test.kz")
    assert (mine["state"], mine["closes_at"], mine["time_limit_minutes"]) == ("open", later.isoformat(), 45)
    theirs = listed(f"{CODE.lower()}-p02@test.kz")
    assert (theirs["state"], theirs["time_limit_minutes"]) == ("closed", 30)


def test_try_again_shows_only_while_the_test_is_open_to_the_participant(client, auth, setup, db_session):  # noqa: F811
    _cohort, test, _trainer = setup
    test.attempts_allowed, test.closes_at = 2, utcnow() + timedelta(hours=1)
    db_session.commit()
    test_id = test.id
    attempt_id = _start(client, auth, db_session.get(Test, test_id), 1)
    _finish(client, attempt_id)
    result, again = f"/cohorts/{CODE}/me/attempts/{attempt_id}/result", f"/me/tests/{test_id}/start"
    assert again in client.get(result).text

    db_session.get(Test, test_id).closes_at = utcnow() - timedelta(minutes=1)
    db_session.commit()
    assert again not in client.get(result).text  # pressing it would only be refused

    attempts.set_personal_close(db_session.get(Test, test_id), db_session.get(Enrolment, _enrolment_id(db_session, 1)),
                                utcnow() + timedelta(hours=5), None)
    db_session.commit()
    assert again in client.get(result).text


# --- an earlier opening time ---------------------------------------------------------------------

def test_a_participant_who_leaves_before_the_test_day_starts_it_from_the_time_the_trainer_gave(
        client, auth, setup, db_session):  # noqa: F811
    cohort, test, trainer = setup
    test.opens_at, test.closes_at = utcnow() + timedelta(days=2), utcnow() + timedelta(days=3)
    db_session.commit()
    test_id, trainer_email, cohort_id, tz = test.id, trainer.email, cohort.id, cohort.timezone
    one, two = _enrolment_id(db_session, 1), _enrolment_id(db_session, 2)
    _refused_start(db_session, test_id, one, "opens at")

    auth.login(trainer_email)
    page = client.get(f"/cohorts/{CODE}/tests/{test_id}")
    url = f"/cohorts/{CODE}/tests/{test_id}/participants/{one}/opens"
    assert f'action="{url}"' in page.text
    r = client.post(url, data={**_form_of(page.text), "opens_at": "бүгін"}, follow_redirects=True)
    assert "ашылу уақыты — күн мен уақыт" in r.get_data(as_text=True)
    since = (utcnow() - timedelta(minutes=5)).replace(second=0, microsecond=0)
    r = client.post(url, data={**_form_of(page.text), "opens_at": _local(since, tz)}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert f"{_local(since, tz).replace('T', ' ')} бастап" in html and "data-withdraw-open" in html
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "test_personal_open")).one()
    assert entry.details == {"enrolment_id": one, "old": None, "new": since.isoformat()}

    # participant 1 meets the test open and takes it now; the closing time is the test's own
    test, cohort = db_session.get(Test, test_id), db_session.get(Cohort, cohort_id)
    mine = {r.test.id: r for r in results.my_tests(cohort, db_session.get(Enrolment, one))}[test_id]
    assert (mine.terms.state, mine.terms.opens_at, mine.can_start) == ("open", since, True)
    attempt_id = _start(client, auth, test, 1)
    attempt = db_session.get(Attempt, attempt_id)
    assert attempt.status == "in_progress" and attempt.deadline_at == test.closes_at

    # participant 2 still waits, and sees the test's own opening time
    theirs = {r.test.id: r for r in results.my_tests(cohort, db_session.get(Enrolment, two))}[test_id]
    assert (theirs.terms.state, theirs.terms.opens_at, theirs.can_start) == ("upcoming", test.opens_at, False)
    _refused_start(db_session, test_id, two, "opens at")
    user = db_session.scalar(select(User).where(User.email == f"{CODE.lower()}-p02@test.kz"))
    listed = client.get(f"/api/v1/cohorts/{CODE}/tests", headers=token_for(db_session, user)).get_json()
    assert next(t["state"] for t in listed if t["id"] == test_id) == "upcoming"

    # taken back: participant 1 waits for the test's own opening again (the attempt made stays)
    auth.login(trainer_email)
    page = client.get(f"/cohorts/{CODE}/tests/{test_id}")
    client.post(url, data={**_form_of(page.text), "action": "withdraw"}, follow_redirects=True)
    assert attempts.granted(test_id, one).opens_at is None
    mine = {r.test.id: r for r in results.my_tests(db_session.get(Cohort, cohort_id),
                                                   db_session.get(Enrolment, one))}[test_id]
    assert mine.terms.state == "upcoming"
    assert db_session.get(Attempt, attempt_id).status == "in_progress"


def test_an_earlier_opening_time_is_refused_where_it_means_nothing(setup, db_session):  # noqa: F811
    _cohort, test, _trainer = setup
    one = db_session.get(Enrolment, _enrolment_id(db_session, 1))
    test.opens_at = None
    with pytest.raises(Conflict, match="has no opening time"):
        attempts.set_personal_open(test, one, utcnow(), None)
    test.opens_at = utcnow() - timedelta(hours=1)
    with pytest.raises(Conflict, match="already open to everyone"):
        attempts.set_personal_open(test, one, utcnow() - timedelta(hours=2), None)
    test.opens_at = utcnow() + timedelta(days=1)
    for when, problem in ((test.opens_at + timedelta(hours=1), "earlier than the test's"),
                          (test.opens_at - timedelta(days=400), "at most a year"),
                          (test.opens_at.replace(tzinfo=None) - timedelta(hours=1), "time zone")):
        with pytest.raises(ServiceError, match=problem):
            attempts.set_personal_open(test, one, when, None)
    test.status = "draft"
    with pytest.raises(Conflict, match="only a published test"):
        attempts.set_personal_open(test, one, utcnow(), None)
    db_session.rollback()
    assert attempts.granted(test.id, one.id) == attempts.NO_GRANT
    assert db_session.scalar(select(AuditEntry.id).where(AuditEntry.action == "test_personal_open")) is None
