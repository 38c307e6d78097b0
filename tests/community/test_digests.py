"""A reader may take the answers of the discussions they follow in one e-mail a day (Moodle's
forum digest): nothing by the answer then, everything since the last digest the next morning,
in their language, never their own posts nor hidden ones nor a cohort they left; nothing twice."""
from datetime import timedelta

from sqlalchemy import select

from lms.community.models import MailMode, Post, Thread
from lms.community.services import digests
from lms.core.models import OutboxMessage, User
from lms.core.services import clock
from lms.courses.models import Enrolment
from lms.courses.services import cohorts
from tests.community.test_discussions import _open, _people


def _digests(db_session):
    return list(db_session.scalars(select(OutboxMessage).where(OutboxMessage.key.startswith("community:digest:"))
                                   .order_by(OutboxMessage.id)))


def test_a_daily_reader_gets_one_email_with_the_days_answers(app, client, auth, make, db_session, outbox):
    trainer, c, _other, asker, answerer, third = _people(make, db_session)
    auth.login(asker)
    page = client.get("/discussions").text
    assert 'checked id="mode-0"' in page and 'checked id="mode-1"' not in page  # an e-mail per answer at first
    r = client.post("/discussions/mail", data={"mode": "daily"}, follow_redirects=True)
    assert "one e-mail each morning" in r.text and 'checked id="mode-1"' in r.text
    assert db_session.scalar(select(MailMode.daily).where(MailMode.user_id == db_session.scalar(
        select(User.id).where(User.email == asker))))
    _open(client, title="Сұрақ", body="Бастауыш сыныпта қалай?")
    thread = db_session.scalar(select(Thread))
    auth.logout()
    for who, text in ((answerer, "Бірінші жауап"), (third, "Екінші жауап")):
        auth.login(who)
        client.post(f"/cohorts/DSC-1/discussions/{thread.id}", data={"body": text}, follow_redirects=True)
        auth.logout()
    assert asker not in [m["To"] for m in outbox()]  # no e-mail per answer for a daily reader
    assert answerer in [m["To"] for m in outbox()]  # the others still get theirs

    # a hidden answer stays out of the digest
    auth.login(trainer.email)
    client.post(f"/cohorts/DSC-1/discussions/{thread.id}", data={"body": "Жасырылатын жауап"},
                follow_redirects=True)
    rude = db_session.scalar(select(Post).where(Post.body == "Жасырылатын жауап"))
    client.post(f"/cohorts/DSC-1/discussions/{thread.id}/posts/{rude.id}/hide", data={"hidden": "1"})
    auth.logout()

    with app.app_context():
        assert digests.send_digests(clock.now() + timedelta(seconds=1)) == 1
        db_session.commit()
        assert digests.send_digests(clock.now() + timedelta(seconds=2)) == 0  # nothing new: nothing sent
        db_session.commit()
    (message,) = _digests(db_session)
    assert message.to_email == asker and "2 new answers" in message.subject
    assert "Бірінші жауап" in message.body and "Екінші жауап" in message.body
    assert "Жасырылатын" not in message.body and "Бастауыш сыныпта" not in message.body  # not their own
    assert f"/cohorts/DSC-1/discussions/{thread.id}?page=1#post-" in message.body

    # a participant who left the cohort gets no digest of it
    auth.login(answerer)
    client.post(f"/cohorts/DSC-1/discussions/{thread.id}", data={"body": "Үшінші жауап"}, follow_redirects=True)
    auth.logout()
    asker_id = db_session.scalar(select(User.id).where(User.email == asker))
    cohorts.set_status(db_session.scalar(select(Enrolment).where(Enrolment.user_id == asker_id)), "withdrawn", None)
    db_session.commit()
    with app.app_context():
        assert digests.send_digests(clock.now() + timedelta(seconds=3)) == 0
        db_session.commit()

    # back to an e-mail per answer
    cohorts.set_status(db_session.scalar(select(Enrolment).where(Enrolment.user_id == asker_id)), "active", None)
    db_session.commit()
    auth.login(asker)
    client.post("/discussions/mail", data={"mode": "each"})
    auth.logout()
    auth.login(third)
    client.post(f"/cohorts/DSC-1/discussions/{thread.id}", data={"body": "Төртінші жауап"}, follow_redirects=True)
    auth.logout()
    assert asker in [m["To"] for m in outbox()]


def test_the_cli_sends_the_digests(app, make, db_session):
    _trainer, c, _other, asker, answerer, _third = _people(make, db_session)
    from lms.community.services import discussions

    with app.test_request_context():
        users = {u.email: u for u in db_session.scalars(select(User))}
        thread = discussions.start_thread(c, {"title": "Тақырып", "body": "Мәтін"}, users[asker])
        digests.set_daily(users[asker], True)
        db_session.commit()
        mode = db_session.get(MailMode, users[asker].id)
        mode.since = clock.now() - timedelta(minutes=5)
        discussions.reply(thread, {"body": "Жауап"}, users[answerer])
        db_session.commit()
    out = app.test_cli_runner().invoke(args=["community", "digest"])
    assert out.exit_code == 0, out.output
    assert "queued 1 digest(s)" in out.output


def test_a_threads_page_is_counted_once_however_many_daily_readers_follow_it(app, make, db_session,
                                                                             count_queries):
    from lms.community.services import discussions

    cohort = make.cohort(code="DGS-1", participants=5)
    people = [e.user for e in cohort.enrolments]
    with app.test_request_context():
        thread = discussions.start_thread(cohort, {"title": "Күнделік", "body": "Бастау"}, people[0])
        for reader in people[1:]:
            discussions.reply(thread, {"body": f"Мен де: {reader.full_name}"}, reader)  # each follows it
        for reader in people:
            digests.set_daily(reader, True)
        db_session.commit()
        discussions.reply(thread, {"body": "Жаңа жауап"}, people[0])
        db_session.commit()
        with count_queries() as statements:
            assert digests.send_digests(clock.now() + timedelta(seconds=1)) == 4  # the followers but its writer
        db_session.commit()
    pages = [s for s in statements if "count(" in s.lower() and "community_posts" in s]
    assert len(pages) == 1
