"""A cohort's trainers post announcements its people read on the course page and, when asked,
by e-mail; the text is sanitized, deletion is audited, another cohort sees nothing."""
from sqlalchemy import select

from lms.core.models import AuditEntry, OutboxMessage
from lms.courses.models import Announcement
from lms.courses.services import cohorts


def _people(make, db_session):
    trainer = make.user(email="ann-trainer@test.kz", language="en")
    c = make.cohort(code="ANN-1", participants=3, trainer=trainer)
    c.enrolments[1].user.language = "en"
    cohorts.set_status(c.enrolments[2], "withdrawn", None)
    other = make.cohort(code="ANN-2", participants=1)
    db_session.commit()
    return trainer, c, other


def test_a_trainer_posts_and_the_participants_read_and_are_mailed(client, auth, make, db_session, outbox):
    trainer, c, other = _people(make, db_session)
    reader, english, _gone = (e.user.email for e in c.enrolments)
    outsider = other.enrolments[0].user.email
    auth.login(trainer.email)
    r = client.post("/cohorts/ANN-1/announcements", data={"title": "", "body": ""})
    assert r.status_code == 400 and db_session.scalar(select(Announcement.id)) is None
    r = client.post("/cohorts/ANN-1/announcements", data={
        "title": "Ертеңгі вебинар", "email": "y",
        "body": "Сілтеме **өзгерді**: <script>alert(1)</script> [Zoom](https://zoom.us/j/5)"}, follow_redirects=True)
    assert r.status_code == 200 and "The announcement is posted." in r.text
    assert "It goes to 2 participants by e-mail." in r.text
    sent = {m["To"]: m for m in outbox()}
    assert set(sent) == {reader, english}  # not the withdrawn one
    body = sent[english].get_body().get_content()
    assert sent[english]["Subject"] == "ANN-1: Ертеңгі вебинар" and "An announcement of ANN-1" in body
    assert sent[reader].get_body().get_content().startswith("Сәлеметсіз бе")  # their language's frame
    auth.logout()

    auth.login(reader)
    page = client.get("/cohorts/ANN-1/me").text
    assert 'id="news"' in page and "<strong>өзгерді</strong>" in page and "<script>" not in page
    assert 'rel="noopener noreferrer nofollow"' in page
    listing = client.get("/cohorts/ANN-1/announcements").text
    assert "Ертеңгі вебинар" in listing and "announcement_delete" not in listing and "/delete" not in listing
    assert client.post("/cohorts/ANN-1/announcements", data={"title": "x", "body": "y"}).status_code == 403
    auth.logout()
    auth.login(outsider)
    assert client.get("/cohorts/ANN-1/announcements").status_code == 403
    assert 'id="news"' not in client.get("/cohorts/ANN-2/me").text


def test_deleting_is_audited_with_the_text_and_silent_posts_mail_nobody(client, auth, make, db_session, outbox):
    trainer, c, _other = _people(make, db_session)
    auth.login(trainer.email)
    client.post("/cohorts/ANN-1/announcements", data={"title": "Ескерту", "body": "Мәтін"})
    item = db_session.scalar(select(Announcement))
    assert item.emailed_at is None and db_session.scalar(select(OutboxMessage.id)) is None and outbox() == []
    r = client.post(f"/cohorts/ANN-1/announcements/{item.id}/delete", follow_redirects=True)
    assert "The announcement is deleted." in r.text and db_session.scalar(select(Announcement.id)) is None
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "announcement_deleted"))
    assert entry.details["body"] == "Мәтін"
    assert client.post("/cohorts/ANN-2/announcements/999/delete").status_code in (403, 404)
