"""A cohort's discussions: its people open threads and answer; followers are mailed a reply;
what is new is marked; moderators pin, lock and hide (never delete); an author corrects a post
within the editing time, the old text kept; nobody outside the cohort reads a word."""
from datetime import timedelta

from sqlalchemy import select

from lms.community.models import Post, Thread
from lms.community.services import discussions
from lms.core.models import AuditEntry
from lms.courses.models import Cohort
from lms.courses.services import cohorts


def _people(make, db_session):
    trainer = make.user(email="disc-trainer@test.kz", language="en")
    c = make.cohort(code="DSC-1", participants=3, trainer=trainer)
    for e in c.enrolments:
        e.user.language = "en"
    other = make.cohort(code="DSC-2", participants=1)
    db_session.commit()
    asker, answerer, third = (e.user.email for e in c.enrolments)
    return trainer, c, other, asker, answerer, third


def _open(client, title="Біріктірілген сынып", body="Қалай **жоспарлайсыз**? <script>alert(1)</script>"):
    return client.post("/cohorts/DSC-1/discussions", data={"title": title, "body": body}, follow_redirects=True)


def test_participants_talk_followers_are_mailed_and_new_posts_are_marked(client, auth, make, db_session, outbox):
    trainer, c, other, asker, answerer, third = _people(make, db_session)
    auth.login(asker)
    r = _open(client)
    assert r.status_code == 200 and "The discussion is open." in r.text
    assert "<strong>жоспарлайсыз</strong>" in r.text and "<script>" not in r.text
    thread = db_session.scalar(select(Thread))
    assert thread.post_count == 1 and outbox() == []  # opening a thread mails nobody
    auth.logout()

    auth.login(answerer)
    listing = client.get("/cohorts/DSC-1/discussions").text
    assert "Біріктірілген сынып" in listing and "1 new" in listing
    r = client.post(f"/cohorts/DSC-1/discussions/{thread.id}", data={"body": "Ортақ тақырып алыңыз."},
                    follow_redirects=True)
    assert r.status_code == 200 and "Your answer is posted." in r.text and "Ортақ тақырып алыңыз." in r.text
    assert "1 new" not in client.get("/cohorts/DSC-1/discussions").text  # one's own answer is not news
    auth.logout()

    sent = outbox()
    assert [m["To"] for m in sent] == [asker]  # the follower, not the one who answered, not the third
    body = sent[0].get_body().get_content()
    assert sent[0]["Subject"] == "DSC-1: Біріктірілген сынып" and "Ортақ тақырып алыңыз." in body
    assert f"/cohorts/DSC-1/discussions/{thread.id}?page=1#post-" in body

    auth.login(asker)
    assert "1 new" in client.get("/cohorts/DSC-1/discussions").text
    tab = '<span class="count" title="1 with something new">1</span>'
    assert tab in client.get("/cohorts/DSC-1/me").text  # on the tab, from any of the cohort's pages
    client.get(f"/cohorts/DSC-1/discussions/{thread.id}")
    assert "new</strong>" not in client.get("/cohorts/DSC-1/discussions").text
    assert 'class="count"' not in client.get("/cohorts/DSC-1/me").text
    # stops following: the next answer is not mailed to them
    client.post(f"/cohorts/DSC-1/discussions/{thread.id}/follow", data={"following": "0"})
    auth.logout()
    auth.login(trainer.email)
    client.post(f"/cohorts/DSC-1/discussions/{thread.id}", data={"body": "Модуль 2-де үлгі бар."},
                follow_redirects=True)  # the message goes once the answer's response is closed
    auth.logout()
    assert [m["To"] for m in outbox()] == [asker, answerer]


def test_nobody_outside_the_cohort_reads_or_writes(client, auth, make, db_session):
    trainer, c, other, asker, answerer, third = _people(make, db_session)
    cohorts.set_status(c.enrolments[2], "withdrawn", None)
    outsider = other.enrolments[0].user.email
    db_session.commit()
    auth.login(asker)
    _open(client)
    thread = db_session.scalar(select(Thread))
    auth.logout()
    auth.login(outsider)
    assert client.get("/cohorts/DSC-1/discussions").status_code == 403
    assert client.get(f"/cohorts/DSC-1/discussions/{thread.id}").status_code == 403
    assert client.post(f"/cohorts/DSC-1/discussions/{thread.id}", data={"body": "x"}).status_code == 403
    # the thread's id under one's own cohort: no such discussion there
    assert client.get(f"/cohorts/DSC-2/discussions/{thread.id}").status_code == 404
    assert client.post(f"/cohorts/DSC-2/discussions/{thread.id}", data={"body": "x"}).status_code == 404
    auth.logout()
    auth.login(third)  # withdrawn: no longer reads the cohort's discussions, nor counts what is new there
    assert client.get("/cohorts/DSC-1/discussions").status_code == 403
    assert 'class="count"' not in client.get("/cohorts/DSC-1/me").text
    assert client.get(f"/cohorts/DSC-1/discussions/{thread.id}").status_code == 403
    auth.logout()
    assert db_session.scalar(select(Post.id).where(Post.body == "x")) is None


def test_bad_input_is_named_and_saves_nothing(client, auth, make, db_session):
    _trainer, _c, _other, asker, *_ = _people(make, db_session)
    auth.login(asker)
    r = client.post("/cohorts/DSC-1/discussions", data={"title": "", "body": ""})
    assert r.status_code == 400 and "This field is required." in r.text
    r = client.post("/cohorts/DSC-1/discussions", data={"title": "x" * 201, "body": "y"})
    assert r.status_code == 400 and db_session.scalar(select(Thread.id)) is None
    _open(client)
    thread = db_session.scalar(select(Thread))
    r = client.post(f"/cohorts/DSC-1/discussions/{thread.id}", data={"body": "   "})
    assert r.status_code == 400 and thread.post_count == 1


def test_moderators_hide_and_show_pin_and_lock(client, auth, make, db_session):
    trainer, c, _other, asker, answerer, third = _people(make, db_session)
    auth.login(asker)
    _open(client, title="Сұрақ", body="Бірінші")
    thread = db_session.scalar(select(Thread))
    auth.logout()
    auth.login(answerer)
    client.post(f"/cohorts/DSC-1/discussions/{thread.id}", data={"body": "Орынсыз сөз"})
    rude = db_session.scalar(select(Post).where(Post.body == "Орынсыз сөз"))
    # a participant cannot moderate
    assert client.post(f"/cohorts/DSC-1/discussions/{thread.id}/posts/{rude.id}/hide").status_code == 403
    assert client.post(f"/cohorts/DSC-1/discussions/{thread.id}/flag",
                       data={"flag": "locked", "value": "1"}).status_code == 403
    auth.logout()

    auth.login(trainer.email)
    r = client.post(f"/cohorts/DSC-1/discussions/{thread.id}/posts/{rude.id}/hide", data={"hidden": "1"},
                    follow_redirects=True)
    assert "The post is hidden." in r.text and "Орынсыз сөз" in r.text  # the moderator still reads it
    assert db_session.get(Thread, thread.id).post_count == 1 and db_session.get(Post, rude.id) is not None
    client.post(f"/cohorts/DSC-1/discussions/{thread.id}/flag", data={"flag": "locked", "value": "1"})
    client.post(f"/cohorts/DSC-1/discussions/{thread.id}/flag", data={"flag": "pinned", "value": "1"})
    auth.logout()

    auth.login(third)
    page = client.get(f"/cohorts/DSC-1/discussions/{thread.id}").text
    assert "Hidden by a moderator." in page and "Орынсыз сөз" not in page
    assert 'id="reply"' not in page and "closed to replies" in page
    r = client.post(f"/cohorts/DSC-1/discussions/{thread.id}", data={"body": "Мен де"})
    assert r.status_code == 400 and "the discussion is closed to replies" in r.text
    assert "pinned" in client.get("/cohorts/DSC-1/discussions").text
    auth.logout()
    auth.login(answerer)  # the author still sees their own hidden text, and why
    page = client.get(f"/cohorts/DSC-1/discussions/{thread.id}").text
    assert "Орынсыз сөз" in page and "Only its author and the moderators see its text." in page
    auth.logout()

    auth.login(trainer.email)
    client.post(f"/cohorts/DSC-1/discussions/{thread.id}/posts/{rude.id}/hide", data={"hidden": "0"})
    assert db_session.get(Thread, thread.id).post_count == 2
    actions = set(db_session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("discussion_%"))))
    assert {"discussion_post_hidden", "discussion_post_shown", "discussion_locked", "discussion_pinned"} <= actions


def test_an_author_corrects_a_post_within_the_editing_time_and_the_old_text_is_kept(client, auth, make, db_session):
    _trainer, _c, _other, asker, answerer, _third = _people(make, db_session)
    auth.login(asker)
    _open(client, title="Сұрақ", body="Қатемен жазылған")
    thread = db_session.scalar(select(Thread))
    post = db_session.scalar(select(Post))
    edit = f"/cohorts/DSC-1/discussions/{thread.id}/posts/{post.id}/edit"
    assert "Қатемен жазылған" in client.get(edit).text
    r = client.post(edit, data={"body": "Дұрыс жазылған"}, follow_redirects=True)
    assert "The post is changed." in r.text and "Дұрыс жазылған" in r.text and "edited" in r.text
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "discussion_post_edited"))
    assert entry.details["old"] == "Қатемен жазылған"
    auth.logout()
    auth.login(answerer)  # someone else's post
    assert client.get(edit).status_code == 403
    assert client.post(edit, data={"body": "бұзу"}).status_code == 403
    auth.logout()
    post = db_session.get(Post, post.id)
    post.created_at = post.created_at - timedelta(minutes=discussions.EDIT_MINUTES + 1)
    db_session.commit()
    auth.login(asker)  # too late for the author
    assert client.get(edit).status_code == 403
    assert db_session.get(Post, post.id).body == "Дұрыс жазылған"


def test_a_flood_is_refused_and_a_cancelled_cohort_is_read_only(client, auth, make, db_session):
    _trainer, c, _other, asker, *_ = _people(make, db_session)
    auth.login(asker)
    _open(client)
    thread = db_session.scalar(select(Thread))
    for n in range(discussions.FLOOD_POSTS - 1):
        assert client.post(f"/cohorts/DSC-1/discussions/{thread.id}", data={"body": f"{n}"}).status_code == 302
    r = client.post(f"/cohorts/DSC-1/discussions/{thread.id}", data={"body": "тағы"})
    assert r.status_code == 400 and "wait a moment" in r.text
    db_session.get(type(c), c.id).status = "cancelled"
    db_session.commit()
    page = client.get(f"/cohorts/DSC-1/discussions/{thread.id}").text
    assert 'id="reply"' not in page
    assert "Start a discussion" not in client.get("/cohorts/DSC-1/discussions").text


def _threads(app, db_session, cohort_id, user_id, numbers):
    from lms.core.models import User
    from lms.courses.models import Cohort

    with app.app_context():
        cohort, user = db_session.get(Cohort, cohort_id), db_session.get(User, user_id)
        for n in numbers:
            thread = discussions.start_thread(cohort, {"title": f"Тақырып {n}", "body": "Мәтін"}, user)
            discussions.mark_read(thread, user, 0)
        db_session.commit()


def test_the_list_reads_the_same_few_statements_however_many_threads(app, client, auth, make, db_session,
                                                                     count_queries):
    trainer, c, *_ = _people(make, db_session)
    cohort_id, trainer_id = c.id, trainer.id
    _threads(app, db_session, cohort_id, trainer_id, range(3))
    auth.login(trainer.email)
    client.get("/cohorts/DSC-1/discussions")
    with count_queries() as few:
        client.get("/cohorts/DSC-1/discussions")
    _threads(app, db_session, cohort_id, trainer_id, range(3, 20))
    with count_queries() as many:
        page = client.get("/cohorts/DSC-1/discussions").text
    assert "Тақырып 19" in page and len(many) == len(few)


def test_a_trainer_finds_the_questions_nobody_has_answered(app, client, auth, make, db_session):
    trainer, c, _other, asker, *_ = _people(make, db_session)
    auth.login(asker)
    _open(client, title="Жауапсыз сұрақ", body="?")
    _open(client, title="Жауабы бар сұрақ", body="?")
    answered = db_session.scalar(select(Thread).where(Thread.title == "Жауабы бар сұрақ"))
    client.post(f"/cohorts/DSC-1/discussions/{answered.id}", data={"body": "Өзім таптым."})
    auth.logout()
    auth.login(trainer.email)
    notice = db_session.scalar(select(Thread).where(Thread.title == "Жауапсыз сұрақ"))
    client.post(f"/cohorts/DSC-1/discussions/{notice.id}/flag", data={"flag": "pinned", "value": "1"})
    assert "no answer yet" not in client.get("/cohorts/DSC-1/discussions").text  # pinned: a notice
    client.post(f"/cohorts/DSC-1/discussions/{notice.id}/flag", data={"flag": "pinned", "value": "0"})
    everything = client.get("/cohorts/DSC-1/discussions").text
    assert everything.count("no answer yet") == 1
    waiting = client.get("/cohorts/DSC-1/discussions?show=unanswered").text
    assert "Жауапсыз сұрақ" in waiting and "Жауабы бар сұрақ" not in waiting
    waiting_id = db_session.scalar(select(Thread.id).where(Thread.title == "Жауапсыз сұрақ"))
    client.post(f"/cohorts/DSC-1/discussions/{waiting_id}", data={"body": "Жауап"})
    assert "Every discussion has an answer." in client.get("/cohorts/DSC-1/discussions?show=unanswered").text


def test_a_file_shared_with_a_post_reaches_its_readers_only(client, auth, make, db_session):
    import io

    trainer, _c, other, asker, answerer, _third = _people(make, db_session)
    outsider = other.enrolments[0].user.email
    plan = b"%PDF-1.4 a lesson plan"
    auth.login(asker)
    r = client.post("/cohorts/DSC-1/discussions", data={"title": "Сабақ жоспары", "body": "Қараңыздар",
                                                       "file": (io.BytesIO(b"MZ\x90\x00"), "plan.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and "is named .pdf but is not a PDF" in r.text
    assert db_session.scalar(select(Thread.id)) is None  # nothing saved
    r = client.post("/cohorts/DSC-1/discussions", data={"title": "Сабақ жоспары", "body": "Қараңыздар",
                                                       "file": (io.BytesIO(plan), "жоспар.pdf")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert r.status_code == 200 and "жоспар.pdf" in r.text
    post = db_session.scalar(select(Post))
    url = f"/cohorts/DSC-1/discussions/{post.thread_id}/posts/{post.id}/file"
    auth.logout()
    auth.login(answerer)
    with client.get(url) as got:
        assert got.status_code == 200 and got.data == plan and got.headers["Cache-Control"] == "private, no-store"
    auth.logout()
    auth.login(outsider)  # another cohort's participant
    assert client.get(url).status_code == 403
    auth.logout()
    auth.login(trainer.email)
    client.post(f"/cohorts/DSC-1/discussions/{post.thread_id}/posts/{post.id}/hide", data={"hidden": "1"})
    with client.get(url) as got:
        assert got.status_code == 200  # the moderator still reads it
    auth.logout()
    auth.login(answerer)
    assert client.get(url).status_code == 404  # hidden: no longer shared


def test_my_discussions_gather_every_cohort_one_reads_and_no_other(app, client, auth, make, db_session):
    trainer, c, other, asker, answerer, third = _people(make, db_session)
    second = make.cohort(code="DSC-3", participants=1, trainer=trainer)
    cohorts.set_status(c.enrolments[2], "withdrawn", None)
    outsider = other.enrolments[0].user.email
    first_id, first_user = c.id, c.enrolments[0].user_id
    second_id, second_user = second.id, second.enrolments[0].user_id
    db_session.commit()
    _threads(app, db_session, first_id, first_user, ["бірінші топта"])
    _threads(app, db_session, second_id, second_user, ["екінші топта"])
    auth.login(trainer.email)
    page = client.get("/discussions").text
    assert "Тақырып бірінші топта" in page and "Тақырып екінші топта" in page and page.count("1 new") == 2
    assert 'href="/discussions"' in page  # in the menu
    second_thread = db_session.scalar(select(Thread.id).where(Thread.cohort_id == second_id))
    client.get(f"/cohorts/DSC-3/discussions/{second_thread}")
    page = client.get("/discussions").text  # read: no longer new, still listed under "all"
    assert "Тақырып екінші топта" not in page and "Тақырып бірінші топта" in page
    assert "Тақырып екінші топта" in client.get("/discussions?show=all").text
    auth.logout()
    auth.login(answerer)
    page = client.get("/discussions").text
    assert "Тақырып бірінші топта" in page and "екінші топта" not in page
    auth.logout()
    for email in (outsider, third):  # another cohort's participant, a withdrawn one
        auth.login(email)
        assert "бірінші топта" not in client.get("/discussions?show=all").text
        auth.logout()


def test_a_refused_post_keeps_what_was_typed(client, auth, make, db_session):
    """A thread closed, a cohort cancelled or the editing time run out while someone wrote: the
    refusal says why and their text stays on the page to copy."""
    trainer, c, _other, asker, answerer, _third = _people(make, db_session)
    auth.login(asker)
    _open(client, title="Сұрақ", body="Бірінші")
    thread = db_session.scalar(select(Thread))
    post = db_session.scalar(select(Post))
    edit = f"/cohorts/DSC-1/discussions/{thread.id}/posts/{post.id}/edit"
    assert client.get(edit).status_code == 200
    late = db_session.get(Post, post.id)
    late.created_at -= timedelta(minutes=discussions.EDIT_MINUTES + 1)
    db_session.commit()
    r = client.post(edit, data={"body": "Ұзақ жазылған түзету"})
    assert r.status_code == 403 and "Ұзақ жазылған түзету" in r.text and "within 30 minutes" in r.text
    assert db_session.get(Post, post.id).body == "Бірінші"
    auth.logout()

    db_session.get(Thread, thread.id).locked = True
    db_session.commit()
    auth.login(answerer)
    r = client.post(f"/cohorts/DSC-1/discussions/{thread.id}", data={"body": "Ұзақ жауабым"})
    assert r.status_code == 400 and 'id="not-posted"' in r.text and "Ұзақ жауабым" in r.text
    db_session.get(type(c), c.id).status = "cancelled"
    db_session.commit()
    r = client.post("/cohorts/DSC-1/discussions", data={"title": "Жаңа", "body": "Жаңа сұрағым"})
    assert r.status_code == 400 and "Жаңа сұрағым" in r.text and "read-only" in r.text
    auth.logout()
    auth.login(asker)  # an author's own post in a cancelled cohort stays as it is
    db_session.get(Post, post.id).created_at = discussions.clock.now()
    db_session.commit()
    assert client.get(edit).status_code == 403


def test_answer_mail_costs_a_few_statements_per_follower(app, client, auth, make, db_session, count_queries):
    trainer = make.user(email="many-trainer@test.kz", language="en")
    c = make.cohort(code="DSC-M", participants=12, trainer=trainer)
    people = [e.user_id for e in c.enrolments]
    cohort_id = c.id
    db_session.commit()
    _threads(app, db_session, cohort_id, people[0], ["көп"])
    thread_id = db_session.scalar(select(Thread.id))
    costs = []
    for followers in (2, 10):
        with app.app_context():
            thread = db_session.get(Thread, thread_id)
            from lms.core.models import User

            for uid in people[1:followers + 1]:
                discussions.follow(thread, db_session.get(User, uid), True)
            db_session.commit()
        with app.app_context(), count_queries() as q:
            discussions.notify_followers(discussions.reply(db_session.get(Thread, thread_id), {"body": "ж"},
                                                           db_session.get(User, trainer.id)),
                                         db_session.get(Thread, thread_id), db_session.get(User, trainer.id))
            costs.append(len(q))
        db_session.rollback()
    assert costs[1] - costs[0] <= 8 * 3, costs  # the outbox's check and insert per message, nothing per person


def test_a_post_shows_no_image_from_another_site(client, auth, make, db_session):
    """An <img> from elsewhere would tell that site each reader's address and reading time."""
    _trainer, _c, _other, asker, *_ = _people(make, db_session)
    auth.login(asker)
    page = _open(client, title="Сурет", body='Қараңыз: ![](https://tracker.example/p.png)'
                 ' <img src="https://t.example/x.gif"> [сілтеме](https://example.kz)').text
    assert "tracker.example" not in page and "t.example/x.gif" not in page
    assert 'href="https://example.kz"' in page


def test_hiding_the_opening_post_hides_the_title_from_all_but_its_author_and_the_moderators(
        app, client, auth, make, db_session, outbox):
    """A title can say what the post said (a name, an insult): hidden with the opening post in the
    lists, on the thread's page, in the API and in the followers' e-mails."""
    from tests.community.test_api import _bearer

    trainer, c, _other, asker, answerer, third = _people(make, db_session)
    auth.login(asker)
    _open(client, title="Орынсыз тақырып", body="Орынсыз мәтін")
    thread = db_session.scalar(select(Thread))
    opening = db_session.scalar(select(Post))
    auth.logout()
    auth.login(answerer)
    client.post(f"/cohorts/DSC-1/discussions/{thread.id}", data={"body": "Жауап"})  # follows the thread now
    auth.logout()
    auth.login(trainer.email)
    client.post(f"/cohorts/DSC-1/discussions/{thread.id}/posts/{opening.id}/hide", data={"hidden": "1"})
    assert "Орынсыз тақырып" in client.get("/cohorts/DSC-1/discussions").text  # the moderator reads it
    auth.logout()
    assert db_session.get(Thread, thread.id).title_hidden

    auth.login(third)
    for url in ("/cohorts/DSC-1/discussions", "/discussions?show=all", f"/cohorts/DSC-1/discussions/{thread.id}"):
        page = client.get(url).text
        assert "Орынсыз тақырып" not in page and "A discussion hidden by a moderator" in page, url
    client.post(f"/cohorts/DSC-1/discussions/{thread.id}", data={"body": "Мен де"},
                follow_redirects=True)  # the followers are mailed once the answer has gone
    mine = db_session.scalar(select(Post).where(Post.body == "Мен де"))
    page = client.get(f"/cohorts/DSC-1/discussions/{thread.id}/posts/{mine.id}/edit").text  # their own answer
    assert "Орынсыз тақырып" not in page and "A discussion hidden by a moderator" in page
    auth.logout()
    third_user = db_session.scalar(select(type(trainer)).where(type(trainer).email == third))
    headers = _bearer(db_session, third_user)
    listed = client.get("/api/v1/cohorts/DSC-1/discussions", headers=headers).get_json()
    assert [t["title"] for t in listed] == [None]
    assert client.get(f"/api/v1/discussions/{thread.id}", headers=headers).get_json()["thread"]["title"] is None
    # the author still sees their title; the answerer's mail about the third's reply does not name it
    auth.login(asker)
    assert "Орынсыз тақырып" in client.get(f"/cohorts/DSC-1/discussions/{thread.id}").text
    auth.logout()
    mails = {m["To"]: m for m in outbox()}
    assert "Орынсыз тақырып" not in mails[answerer]["Subject"] + mails[answerer].get_body().get_content()
    assert "Орынсыз тақырып" in mails[asker]["Subject"]

    auth.login(trainer.email)  # shown again: the title is back for everyone
    client.post(f"/cohorts/DSC-1/discussions/{thread.id}/posts/{opening.id}/hide", data={"hidden": "0"})
    auth.logout()
    auth.login(third)
    assert "Орынсыз тақырып" in client.get("/cohorts/DSC-1/discussions").text


def test_hidden_titles_across_cohorts_cost_no_query_per_cohort(app, client, auth, make, db_session, count_queries):
    """`/discussions` for someone who reads six cohorts: hiding an opening post in each adds at
    most one statement to the page, not one per cohort (found by a review)."""
    methodologist = make.user("methodologist", email="disc-method@test.kz")
    codes = [f"DSCQ-{n}" for n in range(6)]
    for code in codes:
        make.cohort(code=code, participants=1)
    db_session.commit()
    threads = []
    with app.test_request_context():
        for code in codes:
            cohort = db_session.scalar(select(Cohort).where(Cohort.code == code))
            author = cohort.enrolments[0].user
            threads.append(discussions.start_thread(cohort, {"title": f"Тақырып {code}", "body": "Мәтін"}, author).id)
        db_session.commit()
    auth.login(methodologist.email)
    client.get("/discussions?show=all")
    with count_queries() as before:
        client.get("/discussions?show=all")
    with app.test_request_context():
        for thread_id in threads:
            opening = db_session.scalar(select(Post).where(Post.thread_id == thread_id))
            discussions.set_hidden(opening, True, db_session.get(type(methodologist), methodologist.id))
        db_session.commit()
    with count_queries() as after:
        page = client.get("/discussions?show=all").text
    assert "Тақырып DSCQ-3" in page  # a moderator reads the titles
    assert len(after) <= len(before) + 1
