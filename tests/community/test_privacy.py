"""A person's data export holds their own threads and posts (hidden ones too) with their files,
and nothing another wrote beyond the title of a thread they answered, as they may read it."""
import json
from datetime import timedelta

from sqlalchemy import select

from lms.community.services import discussions
from lms.db import db
from tests.conftest import personal_data, zip_text


def test_my_posts_threads_and_files_come_with_my_data_and_nobody_elses(app, client, auth, make, db_session):
    trainer = make.user(email="priv-trainer@test.kz")
    cohort = make.cohort(code="PRV-1", participants=2, trainer=trainer)
    me, other = (e.user for e in cohort.enrolments)
    plan = b"%PDF-1.4 my lesson plan"
    with app.test_request_context():  # the services ask the app for capabilities and the file store
        theirs = discussions.start_thread(cohort, {"title": "Бөтеннің сұрағы", "body": "Бөтеннің мәтіні"}, other)
        mine = discussions.start_thread(cohort, {"title": "Менің сұрағым", "body": "Менің мәтінім"}, me)
        answer = discussions.reply(theirs, {"body": "Менің жауабым"}, me, upload=(plan, "жоспар.pdf"))
        db.session.flush()
        discussions.set_hidden(answer, True, trainer)
        discussions.set_hidden(db.session.scalars(discussions.posts_of(theirs)).first(), True, trainer)
        db.session.commit()
        my_email, other_email, mine_id, theirs_id = me.email, other.email, mine.id, theirs.id

    auth.login(my_email)
    archive = personal_data(client.post("/profile/my-data.zip"))
    data = json.loads(archive.read("community/data.json"))
    assert [(t["id"], t["title"], t["cohort"]) for t in data["threads_opened"]] == [(mine_id, "Менің сұрағым", "PRV-1")]
    assert [p["text"] for p in data["posts"]] == ["Менің мәтінім", "Менің жауабым"]
    reply_row = data["posts"][1]
    assert reply_row["hidden_by_a_moderator_at"] is not None  # hidden, still theirs
    # the other's opening post is hidden: its title went with it, for me as for any reader
    assert reply_row["thread_title"] == "Модератор жасырған талқылау"  # in the reader's language, Kazakh
    assert archive.read("community/" + reply_row["file"]) == plan
    assert {(f["thread_id"], f["following"]) for f in data["following"]} == {(theirs_id, True), (mine_id, True)}
    assert data["answers_by_email"] == [{"daily_digest": False}]
    everything = zip_text(archive)
    assert "Бөтеннің" not in everything and other_email not in everything


def test_erasure_leaves_my_posts_places_without_my_words_or_files(app, make, db_session):
    from lms.community.models import Post, Subscription
    from lms.core.models import OutboxMessage
    from lms.community.services import digests
    from lms.core.services import audit, clock, erasure, files

    cohort = make.cohort(code="PRV-2", participants=3)
    me, other, daily = (e.user for e in cohort.enrolments)
    with app.test_request_context():
        thread = discussions.start_thread(cohort, {"title": "Бөтеннің сұрағы", "body": "Бөтеннің мәтіні"}, other)
        discussions.follow(thread, daily, True)
        digests.set_daily(daily, True)
        answer = discussions.reply(thread, {"body": "Менің жауабым"}, me, upload=(b"%PDF-1.4 my plan", "жоспар.pdf"))
        db.session.commit()
        discussions.edit(answer, "Менің жауабым: біздің мектепте үш сынып бір бөлмеде оқиды", me)
        db.session.commit()
        mailed = db_session.scalars(select(OutboxMessage.body).where(OutboxMessage.to_email == other.email)).one()
        assert "Менің жауабым" in mailed  # the thread's opener was e-mailed my words as they were then
        assert digests.send_digests(clock.now() + timedelta(seconds=1)) == 1  # and a daily reader the edited start
        db.session.commit()
        digest = db_session.scalars(select(OutboxMessage.body).where(OutboxMessage.to_email == daily.email)).one()
        assert "үш сынып бір бөлмеде" in digest
        path = files.path_of(answer.file)
        done = erasure.erase(me, None, "өтініш")
        db.session.commit()
        assert erasure.remove_unheld_files(done) == 1
    assert not path.exists()  # the bytes are gone from the store
    # the e-mail to the other stays, without my words; the log keeps the edit, without the text it replaced
    mailed = db_session.scalars(select(OutboxMessage.body).where(OutboxMessage.to_email == other.email)).one()
    assert "Менің жауабым" not in mailed and "—" in mailed
    digest = db_session.scalars(select(OutboxMessage.body).where(OutboxMessage.to_email == daily.email)).one()
    assert "үш сынып" not in digest and "Бөтеннің сұрағы" in digest
    (edited,) = audit.entries_for(answer, "discussion_post_edited")
    assert edited.details["old"] == "—" and edited.summary == "Бөтеннің сұрағы"  # the thread's title is the other's
    assert done.counts["core.emails_to_others"] == 2
    posts = {p.author_id: p for p in db_session.scalars(select(Post).where(Post.thread_id == thread.id))}
    assert posts[me.id].body == "—" and posts[me.id].file_id is None and "Менің" not in posts[me.id].body_html
    assert posts[other.id].body == "Бөтеннің мәтіні"  # the others' words stay, in their order
    assert db_session.scalars(select(Subscription).where(Subscription.user_id == me.id)).all() == []
    assert done.counts["community.posts"] == 1 and done.counts["core.files"] == 1
