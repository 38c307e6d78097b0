"""Participants are told by e-mail when a session still to come is moved, cancelled, restored
or given a new link, each in their own language; nobody is told of the past or of an ended
cohort, and nobody twice of one change."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from lms.core.models import OutboxMessage
from lms.core.services import clock
from lms.courses.services import cohorts, notices, schedule

NOW = datetime(2027, 1, 4, 6, tzinfo=timezone.utc)


@pytest.fixture
def ctx(app, db_session):
    """The messages' links need the app's public address."""
    with app.app_context():
        yield


def _cohort(make, db_session):
    c = make.cohort(code="NOTE-1", participants=3, start=date(2027, 1, 1), days=30,
                    meeting_url="https://zoom.us/j/1")
    c.enrolments[1].user.language = "en"
    cohorts.set_status(c.enrolments[2], "withdrawn", None)
    db_session.commit()
    return c


def _messages(db_session):
    return list(db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_moved_session_is_told_to_each_participant_in_their_language(ctx, make, db_session):
    c = _cohort(make, db_session)
    s = make.session(c, "1.1", starts_at=datetime(2027, 1, 5, 5, tzinfo=timezone.utc))
    with clock.frozen(NOW):
        schedule.move(s, datetime(2027, 1, 6, 9, tzinfo=timezone.utc), None)
    kk, en = _messages(db_session)  # the withdrawn participant is not told
    assert kk.to_email == c.enrolments[0].user.email and en.to_email == c.enrolments[1].user.email
    assert kk.subject.startswith("Сабақ ауыстырылды") and en.subject.startswith("Session moved")
    assert "5 January" in en.body and "6 January" in en.body and "14:00" in en.body  # Almaty time
    assert "/cohorts/NOTE-1/me/schedule" in en.body


def test_cancel_restore_and_a_new_link_are_told_the_past_and_no_change_are_not(ctx, make, db_session):
    c = _cohort(make, db_session)
    coming = make.session(c, "1.1", starts_at=datetime(2027, 1, 5, 5, tzinfo=timezone.utc))
    held = make.session(c, "1.2", starts_at=datetime(2027, 1, 3, 5, tzinfo=timezone.utc))
    with clock.frozen(NOW):
        schedule.cancel(coming, None, "Жарық жоқ")
        schedule.restore(coming, None)
        schedule.set_link(coming, "https://zoom.us/j/1", None)  # the cohort's link already: nothing new
        schedule.set_link(coming, "https://meet.google.com/x", None)
        schedule.cancel(held, None)  # held yesterday: nobody is told
    subjects = [m.subject.split(":")[0] for m in _messages(db_session) if m.to_email.endswith("p02@test.kz")]
    assert subjects == ["Session cancelled", "Session back on the schedule", "New link for the session"]
    cancelled = next(m for m in _messages(db_session) if m.subject.startswith("Session cancelled"))
    assert "Жарық жоқ" in cancelled.body
    assert "https://meet.google.com/x" in _messages(db_session)[-1].body


def test_an_ended_cohort_is_told_nothing_and_a_new_cohort_link_is_told_once(ctx, make, db_session):
    c = _cohort(make, db_session)
    s = make.session(c, "1.1", starts_at=datetime(2027, 1, 5, 5, tzinfo=timezone.utc))
    with clock.frozen(NOW):
        cohorts.update_settings(c, {"meeting_url": "https://zoom.us/j/2"}, None)
        assert len(_messages(db_session)) == 2
        assert notices.queued_since(c, NOW) == 2
        cohorts.update_settings(c, {"status": "finished"}, None)
        schedule.move(s, datetime(2027, 1, 7, 5, tzinfo=timezone.utc), None)
    assert len(_messages(db_session)) == 2


def test_the_trainer_is_told_how_many_were_told_and_the_mail_goes_out(client, auth, make, db_session, outbox):
    trainer = make.user(email="note-trainer@test.kz", language="en")
    c = _cohort(make, db_session)
    cohorts.assign_staff(c, trainer, "trainer", None)
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
    s = make.session(c, "1.1", starts_at=start)
    db_session.commit()
    told = sorted(e.user.email for e in c.enrolments[:2])
    auth.login(trainer.email)
    r = client.post("/cohorts/NOTE-1/schedule/cancel", data={"session_id": s.id, "note": ""}, follow_redirects=True)
    assert r.status_code == 200 and "2 participants are told by e-mail." in r.text
    sent = outbox()
    assert sorted(m["To"] for m in sent) == told


def test_who_turned_course_news_off_on_their_profile_is_not_told(ctx, make, db_session, app):
    c = _cohort(make, db_session)
    quiet = c.enrolments[0].user
    client = app.test_client()
    client.post("/login", data={"email": quiet.email, "password": "secret"})
    assert '<input checked id="email_notices"' in client.get("/profile").text  # on unless turned off
    r = client.post("/profile/notices", data={})  # the box left empty: off
    assert r.status_code == 302
    assert '<input id="email_notices"' in client.get("/profile").text
    db_session.expire_all()
    assert db_session.get(type(quiet), quiet.id).email_notices is False
    s = make.session(c, "1.1", starts_at=datetime(2027, 1, 5, 5, tzinfo=timezone.utc))
    with clock.frozen(NOW):
        schedule.cancel(s, None)
    assert [m.to_email for m in _messages(db_session)] == [c.enrolments[1].user.email]


def test_one_kind_of_notice_turned_off_leaves_the_others(ctx, make, db_session, app):
    """Moodle's notification preferences: a participant keeps schedule changes and turns the
    trainers' e-mailed announcements off; a post without the kinds (an older page) changes none."""
    from lms.courses.services import announcements

    c = _cohort(make, db_session)
    picky, other = c.enrolments[0].user, c.enrolments[1].user
    client = app.test_client()
    client.post("/login", data={"email": picky.email, "password": "secret"})
    page = client.get("/profile").text
    assert 'value="courses:announcement"' in page and 'value="community:answer"' in page
    assert 'value="postcourse:summary"' not in page  # the supporters' kinds are not a participant's
    offered = re.findall(r'name="kinds" type="checkbox" value="([a-z_]+:[a-z_]+)"', page)
    assert "courses:announcement" in offered and "courses:waiting" not in offered  # the trainers' kind is theirs
    kinds = [k for k in offered if k != "courses:announcement"]
    r = client.post("/profile/notices", data={"email_notices": "y", "kinds": kinds, "kinds_shown": "1"})
    assert r.status_code == 302
    assert client.post("/profile/notices", data={"email_notices": "y", "kinds": ["nonsense:kind"],
                                                 "kinds_shown": "1"}).status_code == 400
    client.post("/profile/notices", data={"email_notices": "y"})  # no kinds on the page: as they were
    db_session.expire_all()
    assert db_session.get(type(picky), picky.id).notices_off == ["courses:announcement"]
    # a kind of a plugin not enabled now stays off across a save
    db_session.get(type(picky), picky.id).notices_off = ["courses:announcement", "gone:kind"]
    db_session.commit()
    client.post("/profile/notices", data={"email_notices": "y", "kinds": kinds, "kinds_shown": "1"})
    db_session.expire_all()
    assert db_session.get(type(picky), picky.id).notices_off == ["courses:announcement", "gone:kind"]
    assert 'value="courses:announcement">' in client.get("/profile").text.replace(" checked", "")

    s = make.session(c, "1.1", starts_at=datetime(2027, 1, 5, 5, tzinfo=timezone.utc))
    with clock.frozen(NOW):
        schedule.cancel(s, None)
        announcements.post(db_session.get(type(c), c.id), {"title": "Жаңалық", "body": "Мәтін"}, None, email=True)
    to = [(m.key.split(":")[1], m.to_email) for m in _messages(db_session)]
    assert ("session", picky.email) in to and ("session", other.email) in to
    assert ("announcement", other.email) in to and ("announcement", picky.email) not in to


def test_the_profile_offers_each_reader_the_kinds_they_can_get(ctx, make, db_session, app):
    """A curator is offered the supporters' summaries and not a participant's test reminders; a
    kind not offered keeps its stored choice across a save of the others."""
    c = _cohort(make, db_session)
    curator = make.user("curator", context=("cohort", c.id))
    curator.notices_off = ["quizbank:reminder"]  # left over from a participant's role, say
    db_session.commit()
    client = app.test_client()
    client.post("/login", data={"email": curator.email, "password": "secret"})
    page = client.get("/profile").text
    assert 'value="postcourse:summary"' in page and 'value="postcourse:request"' in page
    assert 'value="community:answer"' in page  # whoever may follow a discussion is offered its answers
    assert 'value="quizbank:reminder"' not in page and 'value="portfolio:certificate"' not in page
    assert client.post("/profile/notices", data={"email_notices": "y", "kinds": ["quizbank:reminder"],
                                                 "kinds_shown": "1"}).status_code == 400
    r = client.post("/profile/notices", data={"email_notices": "y", "kinds": ["courses:schedule"],
                                              "kinds_shown": "1"})
    assert r.status_code == 302
    db_session.expire_all()
    off = db_session.get(type(curator), curator.id).notices_off
    assert "quizbank:reminder" in off and "postcourse:summary" in off and "courses:schedule" not in off


def test_trainers_are_told_each_morning_how_many_hand_ins_wait(ctx, make, db_session, app):
    """One e-mail a day per trainer and live cohort with hand-ins waiting (the newest of each
    present participant, not yet reviewed), in the trainer's language, with the queue's address;
    nothing when none wait, nothing twice a day, nothing to a trainer who turned it off."""
    from datetime import timedelta

    from lms.courses.services import selfstudy

    trainer = make.user(email="wait-trainer@test.kz", language="en")
    quiet = make.user(email="wait-quiet@test.kz", language="en")
    c = make.cohort(code="WAIT-1", participants=3, trainer=trainer, status="running")
    cohorts.assign_staff(c, quiet, "trainer", None)
    quiet.notices_off = ["courses:waiting"]
    selfstudy.create_default_tasks(c, None)
    db_session.commit()
    db_session.refresh(c)
    task = c.tasks[0]
    today = clock.today()
    assert notices.remind_reviewers(today) == 0  # nothing waits: nothing is sent
    first, second, gone = c.enrolments
    selfstudy.submit(task, first, "Жауап", None, None, None)
    selfstudy.review(selfstudy.submit(task, second, "Жауап", None, None, None), True, "", None)
    selfstudy.submit(task, gone, "Жауап", None, None, None)
    cohorts.set_status(gone, "withdrawn", None)
    db_session.commit()
    assert notices.remind_reviewers(today) == 1
    assert notices.remind_reviewers(today) == 0  # the same morning again: nothing twice
    (message,) = db_session.scalars(select(OutboxMessage).where(OutboxMessage.key.startswith("courses:waiting:")))
    assert message.to_email == trainer.email and message.subject == "WAIT-1: 1 hand-in waits for your review"
    assert "/cohorts/WAIT-1/selfstudy/review" in message.body
    assert notices.remind_reviewers(today + timedelta(days=1)) == 1  # still waiting the next day
    db_session.commit()
    out = app.test_cli_runner().invoke(args=["selfstudy", "remind"])
    assert out.exit_code == 0 and "reminder(s) of hand-ins waiting for review" in out.output
