"""The discussions' JSON API: the same rules as the pages (another cohort 403, a withdrawn
participant 403, a hidden post's text withheld, reading marks read, an answer is a 201 and its
followers are mailed), and every endpoint in the OpenAPI document."""
from sqlalchemy import select

from lms.community.models import Post, Thread
from lms.community.services import discussions
from lms.core.models import OutboxMessage, User
from lms.core.services import tokens
from lms.courses.models import Cohort
from lms.courses.services import cohorts


def _bearer(db_session, user) -> dict:
    plain = tokens.create_token(user)[1]
    db_session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_read_answer_and_the_rules_of_the_pages(app, client, make, db_session):
    trainer = make.user(email="api-disc-trainer@test.kz")
    c = make.cohort(code="DAPI-1", participants=3, trainer=trainer)
    other = make.cohort(code="DAPI-2", participants=1)
    asker, answerer, gone = (e.user for e in c.enrolments)
    cohorts.set_status(c.enrolments[2], "withdrawn", None)
    outsider_id = other.enrolments[0].user_id
    db_session.commit()
    with app.app_context():
        thread = discussions.start_thread(db_session.get(Cohort, c.id), {"title": "Сұрақ", "body": "**Қалай?**"},
                                          db_session.get(User, asker.id))
        rude = discussions.reply(thread, {"body": "орынсыз"}, db_session.get(User, answerer.id))
        discussions.set_hidden(rude, True, db_session.get(User, trainer.id))
        thread_id, rude_id = thread.id, rude.id
        db_session.commit()
    mine = _bearer(db_session, db_session.get(User, asker.id))
    theirs = _bearer(db_session, db_session.get(User, answerer.id))
    outsider = _bearer(db_session, db_session.get(User, outsider_id))
    withdrawn = _bearer(db_session, db_session.get(User, gone.id))

    listing = client.get("/api/v1/cohorts/DAPI-1/discussions", headers=mine)
    assert listing.status_code == 200 and listing.get_json()[0]["title"] == "Сұрақ"
    assert client.get("/api/v1/cohorts/DAPI-1/discussions", headers=outsider).status_code == 403
    assert client.get("/api/v1/cohorts/DAPI-1/discussions", headers=withdrawn).status_code == 403
    assert client.get(f"/api/v1/discussions/{thread_id}", headers=outsider).status_code == 403
    assert client.get("/api/v1/discussions/999999", headers=mine).status_code == 404

    doc = client.get(f"/api/v1/discussions/{thread_id}", headers=mine).get_json()
    first, hidden = doc["posts"]
    assert "<strong>Қалай?</strong>" in first["body_html"]
    assert hidden["id"] == rude_id and hidden["hidden"] and hidden["body"] is None  # not the asker's post
    assert client.get(f"/api/v1/discussions/{thread_id}", headers=theirs).get_json()["posts"][1]["body"] == "орынсыз"

    r = client.post(f"/api/v1/discussions/{thread_id}/posts", json={"body": ""}, headers=theirs)
    assert r.status_code == 422 and r.get_json()["field"] == "body"
    r = client.post(f"/api/v1/discussions/{thread_id}/posts", json={"body": "Жауап"}, headers=theirs)
    assert r.status_code == 201 and r.get_json()["body"] == "Жауап"
    assert db_session.scalar(select(OutboxMessage.to_email).where(OutboxMessage.key.like("community:post:%"))) \
        == asker.email  # the follower is told
    r = client.post(f"/api/v1/discussions/{thread_id}/posts", json={"body": "x"}, headers=outsider)
    assert r.status_code == 403
    assert client.post(f"/api/v1/discussions/{thread_id}/posts", json={"body": "x"},
                       headers=withdrawn).status_code == 403
    assert db_session.scalar(select(Thread.post_count).where(Thread.id == thread_id)) == 2  # the hidden one not counted
    assert db_session.scalar(select(Post.id).where(Post.body == "x")) is None

    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/cohorts/{code}/discussions", "/discussions/{thread_id}", "/discussions/{thread_id}/posts"} <= set(paths)
