"""A programme's network (seed 000 §4): everyone who takes or took the programme, in any cohort
and year, and those cohorts' staff, ask and answer together; nobody else reads a word; a cohort's
own discussions stay its own."""
import json
from datetime import timedelta

from sqlalchemy import select

from lms.community.models import Post, Thread
from lms.community.services import digests
from lms.core.models import OutboxMessage, User
from lms.core.services import clock, tokens
from lms.courses.models import Enrolment
from lms.courses.services import cohorts
from tests.conftest import personal_data

NET = "/network/LDR-SUS/discussions"


def _people(make, db_session):
    """Two LDR-SUS cohorts (this year's and a past one), a TCH-SUS cohort, a trainer of the first
    and an assessor of it."""
    trainer = make.user(email="net-trainer@test.kz", language="en")
    assessor = make.user(email="net-assessor@test.kz", language="en")
    now = make.cohort(code="NET-1", programme="LDR-SUS", participants=2, trainer=trainer)
    past = make.cohort(code="NET-0", programme="LDR-SUS", participants=1)
    other = make.cohort(code="NET-T", programme="TCH-SUS", participants=1)
    cohorts.assign_staff(now, assessor, "assessor", None)
    for c in (now, past, other):
        for e in c.enrolments:
            e.user.language = "en"
    db_session.commit()
    return trainer, assessor, now, past, other


def test_participants_of_different_cohorts_of_a_programme_talk_in_its_network(client, auth, make, db_session,
                                                                              outbox):
    trainer, assessor, now, past, other = _people(make, db_session)
    auth.login("net-1-p01@test.kz")
    page = client.get("/cohorts/NET-1/discussions").text
    assert f'href="{NET}"' in page  # the cohort's page leads to the network
    r = client.post(NET, data={"title": "Ата-аналар жиналысы", "body": "Қалай **өткізесіздер**?"},
                    follow_redirects=True)
    assert r.status_code == 200 and "The discussion is open." in r.text and "Network of LDR-SUS" in r.text
    thread = db_session.scalar(select(Thread))
    assert (thread.cohort_id, thread.programme_code) == (None, "LDR-SUS")
    assert "Ата-аналар жиналысы" not in client.get("/cohorts/NET-1/discussions").text  # not the cohort's
    auth.logout()

    auth.login("net-0-p01@test.kz")  # last year's cohort
    mine = client.get("/discussions?show=all").text
    assert "Ата-аналар жиналысы" in mine and "Network of LDR-SUS" in mine and f'href="{NET}"' in mine
    r = client.post(f"{NET}/{thread.id}", data={"body": "WhatsApp арқылы."}, follow_redirects=True)
    assert r.status_code == 200 and "Your answer is posted." in r.text
    auth.logout()

    sent = outbox()
    assert [m["To"] for m in sent] == ["net-1-p01@test.kz"]  # the follower
    assert sent[0]["Subject"] == "LDR-SUS: Ата-аналар жиналысы"
    assert f"{NET}/{thread.id}?page=1#post-" in sent[0].get_body().get_content()

    # another programme's participant, and a stranger's guess of the thread, read nothing
    auth.login("net-t-p01@test.kz")
    assert client.get(NET).status_code == 403
    assert client.get(f"{NET}/{thread.id}").status_code == 403
    assert "Ата-аналар" not in client.get("/discussions?show=all").text
    assert client.get(f"/network/TCH-SUS/discussions/{thread.id}").status_code == 404  # not that network's
    assert client.get("/network/NO-SUCH/discussions").status_code == 404
    auth.logout()

    # an assessor of one of its cohorts reads, but does not write
    auth.login("net-assessor@test.kz")
    assert client.get(f"{NET}/{thread.id}").status_code == 200
    assert client.post(f"{NET}/{thread.id}", data={"body": "x"}).status_code == 403
    auth.logout()

    # the trainer of one of its cohorts moderates
    auth.login("net-trainer@test.kz")
    answer = db_session.scalar(select(Post).where(Post.body == "WhatsApp арқылы."))
    r = client.post(f"{NET}/{thread.id}/posts/{answer.id}/hide", data={"hidden": "1"}, follow_redirects=True)
    assert "The post is hidden." in r.text
    assert db_session.get(Post, answer.id).hidden_at is not None
    r = client.post(f"{NET}/{thread.id}/flag", data={"flag": "pinned", "value": "1"}, follow_redirects=True)
    assert "The discussion is pinned to the top." in r.text
    auth.logout()
    auth.login("net-0-p01@test.kz")  # a participant does not
    assert client.post(f"{NET}/{thread.id}/flag", data={"flag": "locked", "value": "1"}).status_code == 403
    auth.logout()
    _token, secret = tokens.create_token(db_session.scalar(select(User).where(User.email == "net-0-p01@test.kz")))
    db_session.commit()
    api = client.get(f"/api/v1/discussions/{thread.id}", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 404  # the API serves the cohorts' discussions only


def test_a_participant_withdrawn_from_their_only_cohort_of_the_programme_leaves_its_network(
        client, auth, make, db_session):
    _trainer, _assessor, now, _past, _other = _people(make, db_session)
    first = select(Enrolment).where(Enrolment.cohort_id == now.id).order_by(Enrolment.id)
    email = db_session.scalar(first).user.email
    auth.login(email)
    assert client.get(NET).status_code == 200
    cohorts.set_status(db_session.scalar(first), "withdrawn", None)  # objects detach after a request: read again
    db_session.commit()
    assert client.get(NET).status_code == 403
    r = client.post(NET, data={"title": "t", "body": "b"})
    assert r.status_code == 403 and db_session.scalar(select(Thread.id)) is None


def test_a_network_answer_comes_in_the_daily_digest_and_the_data_export(app, client, auth, make, db_session):
    _people(make, db_session)
    auth.login("net-1-p01@test.kz")
    client.post("/discussions/mail", data={"mode": "daily"})
    client.post(NET, data={"title": "Күнделікті сұрақ", "body": "Бастау"})
    thread = db_session.scalar(select(Thread))
    auth.logout()
    auth.login("net-0-p01@test.kz")
    client.post(f"{NET}/{thread.id}", data={"body": "Желідегі жауап"})
    archive = personal_data(client.post("/profile/my-data.zip"))
    posts = json.loads(archive.read("community/data.json"))["posts"]
    assert [(p["network"], p["cohort"], p["text"]) for p in posts] == [("LDR-SUS", None, "Желідегі жауап")]
    auth.logout()
    with app.app_context():
        assert digests.send_digests(clock.now() + timedelta(seconds=1)) == 1
        db_session.commit()
    digest = db_session.scalar(select(OutboxMessage).where(OutboxMessage.key.startswith("community:digest:")))
    assert "Желідегі жауап" in digest.body and f"{NET}/{thread.id}?page=1#post-" in digest.body
    assert "LDR-SUS: Күнделікті сұрақ" in digest.body


def test_years_of_network_talk_are_not_news_to_this_years_participant(client, auth, make, db_session):
    """Moodle's forum_oldpostdays: a post older than two weeks is not marked new."""
    from lms.community.services import discussions

    _people(make, db_session)
    auth.login("net-0-p01@test.kz")
    client.post(NET, data={"title": "Өткен жылғы сұрақ", "body": "Ескі"})
    client.post(NET, data={"title": "Бүгінгі сұрақ", "body": "Жаңа"})
    old = db_session.scalar(select(Thread).where(Thread.title == "Өткен жылғы сұрақ"))
    for post in db_session.scalars(select(Post).where(Post.thread_id == old.id)):
        post.created_at = clock.now() - timedelta(days=discussions.OLD_POST_DAYS + 1)
    db_session.commit()
    auth.logout()
    auth.login("net-1-p01@test.kz")
    new = client.get("/discussions").text
    assert "Бүгінгі сұрақ" in new and "Өткен жылғы сұрақ" not in new
    assert "Өткен жылғы сұрақ" in client.get("/discussions?show=all").text  # still there to read
