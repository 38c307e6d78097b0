"""One more attempt for one participant (Moodle's user override): the line dropped during the
only attempt, the trainer grants another from the results page; nobody else gains one."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.core.models import AuditEntry, User
from lms.core.services.errors import Conflict, ServiceError
from lms.courses.models import Cohort, Enrolment
from lms.db import utcnow
from lms.quizbank.models import Attempt, Test
from lms.quizbank.services import attempts, results
from tests.quizbank.test_views_attempts import CODE, _form_of, _start, setup  # noqa: F401 - the fixture


def _enrolment_id(db_session, n: int) -> int:
    return db_session.scalar(select(Enrolment.id).join(User, User.id == Enrolment.user_id)
                             .where(User.email == f"{CODE.lower()}-p{n:02d}@test.kz"))


def _allowed(db_session, test_id: int, enrolment_id: int) -> int:
    return attempts.terms_for(db_session.get(Test, test_id), attempts.granted(test_id, enrolment_id)).attempts_allowed


def _finish(client, attempt_id):
    page = client.get(f"/cohorts/{CODE}/me/attempts/{attempt_id}/summary")
    assert client.post(f"/cohorts/{CODE}/me/attempts/{attempt_id}/summary", data=_form_of(page.text)).status_code == 302


def _refused_start(db_session, test_id: int, enrolment_id: int, match: str):
    test, enrolment = db_session.get(Test, test_id), db_session.get(Enrolment, enrolment_id)
    with pytest.raises(Conflict, match=match):
        attempts.start_attempt(test, enrolment, enrolment.user)
    db_session.rollback()


def test_a_granted_attempt_lets_one_participant_start_again(client, auth, setup, db_session):  # noqa: F811
    cohort, test, trainer = setup
    test_id, trainer_email, trainer_id = test.id, trainer.email, trainer.id
    one, two = _enrolment_id(db_session, 1), _enrolment_id(db_session, 2)
    first = _start(client, auth, test, 1)
    _finish(client, first)
    _refused_start(db_session, test_id, one, "all 1 attempt")

    # the trainer sees 1 / 1 and grants one more from the results page
    auth.login(trainer_email)
    page = client.get(f"/cohorts/{CODE}/tests/{test_id}")
    row = page.text.split(f'data-attempt="{first}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-allowed="1">1 / 1' in row
    url = f"/cohorts/{CODE}/tests/{test_id}/participants/{one}/extra-attempt"
    assert f'action="{url}"' in row
    r = client.post(url, data=_form_of(page.text))
    assert r.status_code == 302
    page = client.get(r.headers["Location"])
    assert 'data-allowed="2">1 / 2' in page.text and "тағы бір әрекет жасай алады" in page.text
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "test_extra_attempt")).one()
    assert entry.actor_id == trainer_id and entry.details == {"enrolment_id": one, "extra": 1, "allowed": 2}

    # the participant starts attempt 2; the other participant still has one attempt
    second = _start(client, auth, db_session.get(Test, test_id), 1)
    assert db_session.get(Attempt, second).number == 2
    mine = {r.test.id: r for r in results.my_tests(db_session.get(Cohort, cohort.id),
                                                   db_session.get(Enrolment, two))}
    assert mine[test_id].terms.attempts_allowed == 1
    _finish(client, second)
    _refused_start(db_session, test_id, one, "all 2 attempt")


def test_only_staff_grant_and_only_on_a_published_test(client, auth, setup, db_session):  # noqa: F811
    _cohort, test, trainer = setup
    test_id, trainer_email = test.id, trainer.email
    one = _enrolment_id(db_session, 1)
    url = f"/cohorts/{CODE}/tests/{test_id}/participants/{one}/extra-attempt"

    # a participant cannot grant themselves an attempt
    auth.login(f"{CODE.lower()}-p01@test.kz")
    page = client.get(f"/cohorts/{CODE}/me/tests")
    assert client.post(url, data=_form_of(page.text)).status_code == 403

    # an enrolment that is not the cohort's is not found here
    auth.login(trainer_email)
    page = client.get(f"/cohorts/{CODE}/tests/{test_id}")
    stranger = f"/cohorts/{CODE}/tests/{test_id}/participants/999999/extra-attempt"
    assert client.post(stranger, data=_form_of(page.text)).status_code == 404

    # a closed test gives no extra attempts: no button, and a refusal in the trainer's Kazakh
    db_session.get(Test, test_id).status = "closed"
    db_session.commit()
    page = client.get(f"/cohorts/{CODE}/tests/{test_id}")
    assert "extra-attempt" not in page.text
    r = client.post(url, data=_form_of(page.text), follow_redirects=True)
    assert "тек жарияланған тест қосымша әрекет береді" in r.get_data(as_text=True)
    assert _allowed(db_session, test_id, one) == 1


def test_an_unused_extra_attempt_can_be_taken_back_a_used_one_cannot(client, auth, setup, db_session):  # noqa: F811
    _cohort, test, trainer = setup
    test_id, trainer_email = test.id, trainer.email
    one = _enrolment_id(db_session, 1)
    url = f"/cohorts/{CODE}/tests/{test_id}/participants/{one}/extra-attempt"
    auth.login(trainer_email)
    page = client.get(f"/cohorts/{CODE}/tests/{test_id}")
    assert "data-withdraw" not in page.text  # nothing granted, nothing to take back
    client.post(url, data=_form_of(page.text))
    page = client.get(f"/cohorts/{CODE}/tests/{test_id}")
    assert 'data-allowed="2">0 / 2' in page.text and "data-withdraw" in page.text

    # given by mistake: taken back before it is used
    r = client.post(url, data={**_form_of(page.text), "action": "withdraw"}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert 'data-allowed="1">0 / 1' in html and "data-withdraw" not in html
    assert [e.action for e in db_session.scalars(select(AuditEntry).where(
        AuditEntry.action.like("test_extra_attempt%")).order_by(AuditEntry.id))] == \
        ["test_extra_attempt", "test_extra_attempt_withdrawn"]

    # granted again and used (both attempts started): it stays the participant's
    client.post(url, data=_form_of(html))
    first = _start(client, auth, db_session.get(Test, test_id), 1)
    _finish(client, first)
    _start(client, auth, db_session.get(Test, test_id), 1)
    auth.login(trainer_email)
    page = client.get(f"/cohorts/{CODE}/tests/{test_id}")
    assert "data-withdraw" not in page.text
    r = client.post(url, data={**_form_of(page.text), "action": "withdraw"}, follow_redirects=True)
    assert "қосымша әрекет қолданылып қойған" in r.get_data(as_text=True)
    assert _allowed(db_session, test_id, one) == 2


def test_extra_minutes_lengthen_one_participants_time_and_never_revive_a_spent_attempt(
        client, auth, setup, db_session):  # noqa: F811
    _cohort, test, trainer = setup
    test.time_limit_minutes = 30
    db_session.commit()
    test_id, trainer_email = test.id, trainer.email
    one, two = _enrolment_id(db_session, 1), _enrolment_id(db_session, 2)

    # the trainer gives participant 1 a quarter of an hour more, from the results page
    auth.login(trainer_email)
    page = client.get(f"/cohorts/{CODE}/tests/{test_id}")
    url = f"/cohorts/{CODE}/tests/{test_id}/participants/{one}/extra-minutes"
    assert f'action="{url}"' in page.text
    r = client.post(url, data={**_form_of(page.text), "minutes": "15"}, follow_redirects=True)
    assert "енді осы тестке 45 минут" in r.get_data(as_text=True)
    page = client.get(f"/cohorts/{CODE}/tests/{test_id}")
    assert f'action="{url}"' in page.text and 'value="15"' in page.text

    auth.login(f"{CODE.lower()}-p01@test.kz")
    assert "45 мин" in client.get(f"/cohorts/{CODE}/me/tests").text
    mine = db_session.get(Attempt, _start(client, auth, db_session.get(Test, test_id), 1))
    assert mine.deadline_at - mine.started_at == timedelta(minutes=45)
    theirs = db_session.get(Attempt, _start(client, auth, db_session.get(Test, test_id), 2))
    assert theirs.deadline_at - theirs.started_at == timedelta(minutes=30)

    # an attempt in progress gets the time too; one whose time ran out is not revived
    test = db_session.get(Test, test_id)
    attempts.set_extra_minutes(test, db_session.get(Enrolment, two), 10, None)
    db_session.commit()
    theirs = db_session.get(Attempt, theirs.id)
    assert theirs.deadline_at - theirs.started_at == timedelta(minutes=40)
    spent = db_session.get(Attempt, mine.id)
    spent.started_at, spent.deadline_at = utcnow() - timedelta(hours=2), utcnow() - timedelta(hours=1)
    db_session.commit()
    attempts.set_extra_minutes(test, db_session.get(Enrolment, one), 120, None)
    db_session.commit()
    assert db_session.get(Attempt, mine.id).deadline_at < utcnow()
    assert [e.details for e in db_session.scalars(select(AuditEntry).where(
        AuditEntry.action == "test_extra_minutes").order_by(AuditEntry.id))] == [
        {"enrolment_id": one, "old": 0, "new": 15}, {"enrolment_id": two, "old": 0, "new": 10},
        {"enrolment_id": one, "old": 15, "new": 120}]


def test_extra_minutes_are_refused_where_they_mean_nothing(client, auth, setup, db_session):  # noqa: F811
    _cohort, test, trainer = setup
    one = db_session.get(Enrolment, _enrolment_id(db_session, 1))
    with pytest.raises(Conflict, match="has no time limit"):
        attempts.set_extra_minutes(test, one, 10, None)
    test.time_limit_minutes = 30
    for bad in (-5, 601, "ten", True):
        with pytest.raises(ServiceError, match="from 0 to 600"):
            attempts.set_extra_minutes(test, one, bad, None)
    db_session.rollback()
    assert attempts.granted(test.id, one.id) == attempts.NO_GRANT


def test_when_the_page_countdown_ends_after_more_time_was_given_the_attempt_goes_on(
        client, auth, setup, db_session):  # noqa: F811
    """The attempt page's script posts "timeup" at zero: the server finishes the attempt only
    if its deadline has passed, so minutes a trainer added meanwhile are not lost."""
    _cohort, test, _trainer = setup
    test.time_limit_minutes = 30
    db_session.commit()
    attempt_id = _start(client, auth, db_session.get(Test, test.id), 1)
    url = f"/cohorts/{CODE}/me/attempts/{attempt_id}"
    page = client.get(url)
    assert 'data-remaining="' in page.text

    # more time was given after the page was shown: its countdown is out of date
    r = client.post(url, data={**_form_of(page.text), "action": "timeup"}, follow_redirects=True)
    assert r.request.path == url and "Сізге қосымша уақыт берілді" in r.get_data(as_text=True)
    assert db_session.get(Attempt, attempt_id).status == "in_progress"

    # the time really is up (within the grace): the attempt is finished and graded
    attempt = db_session.get(Attempt, attempt_id)
    attempt.deadline_at = utcnow() - timedelta(seconds=10)
    db_session.commit()
    r = client.post(url, data={**_form_of(page.text), "action": "timeup"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/result")
    assert db_session.get(Attempt, attempt_id).status == "finished"


def test_an_autosave_tells_the_page_how_much_time_is_left(client, auth, setup, db_session):  # noqa: F811
    """Each autosave answers with the seconds left, so the countdown of an open page follows
    minutes a trainer added (the attempt page's script reads it)."""
    _cohort, test, _trainer = setup
    test.time_limit_minutes = 30
    db_session.commit()
    test_id = test.id
    attempt_id = _start(client, auth, db_session.get(Test, test_id), 1)
    page = client.get(f"/cohorts/{CODE}/me/attempts/{attempt_id}")
    # a question answered by one field (the draw's order is random)
    slot = next(s for s in db_session.get(Attempt, attempt_id).slots
                if s.version.qtype in ("single", "truefalse", "short", "numerical", "essay"))
    field = f"q{slot.slot}"
    value = {"single": "0", "truefalse": "true"}.get(slot.version.qtype, "5")

    def remaining():
        r = client.post(f"/cohorts/{CODE}/me/attempts/{attempt_id}/slots/{slot.slot}",
                        data={**_form_of(page.text), field: value}, headers={"Accept": "application/json"})
        assert r.status_code == 200, r.get_json()
        return r.get_json()["remaining"]

    assert 29 * 60 < remaining() <= 30 * 60
    attempts.set_extra_minutes(db_session.get(Test, test_id), db_session.get(Enrolment, _enrolment_id(db_session, 1)),
                               20, None)
    db_session.commit()
    assert 49 * 60 < remaining() <= 50 * 60
