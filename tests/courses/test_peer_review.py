"""Peer and self-assessment of self-study (seed 004 §8): a task asks each participant to comment
on N classmates' hand-ins; they are assigned, the least-reviewed first, when one opens the task
after handing in; only the assigned reviewer sees the classmate's work; the author reads the
comments without names, the trainer with names; a self-assessment travels with the hand-in."""
import io

from sqlalchemy import func, select

from lms.courses.models import PeerReview, SelfStudyTask, Submission
from lms.courses.services import cohorts as cohort_service
from lms.courses.services import selfstudy
from tests.courses.test_selfstudy import PDF, files_dir  # noqa: F401 - the fixture


def _setup(make, db_session, participants=4):
    trainer = make.user(email="pr-trainer@test.kz", language="en")
    cohort = make.cohort(code="PR-1", participants=participants, trainer=trainer)
    selfstudy.create_default_tasks(cohort, None)
    for e in cohort.enrolments:
        e.user.language = "en"
    db_session.commit()
    db_session.refresh(cohort)
    task = next(t for t in cohort.tasks if t.topic.code == "1.2")
    people = [e.user.email for e in sorted(cohort.enrolments, key=lambda e: e.user.email)]
    return trainer, cohort, task.id, people


def _hand_in(client, auth, email, task_id, text, **extra):
    auth.login(email)
    r = client.post(f"/cohorts/PR-1/me/tasks/{task_id}", data={"text": text, **extra},
                    content_type="multipart/form-data", follow_redirects=True)
    auth.logout()
    return r


def test_a_trainer_asks_for_peer_review_and_every_hand_in_gets_its_comments(client, auth, make, db_session):
    trainer, cohort, task_id, (p1, p2, p3, p4) = _setup(make, db_session)
    auth.login(trainer.email)
    form = client.get(f"/cohorts/PR-1/selfstudy/tasks/{task_id}").text
    assert 'name="peer_reviews"' in form
    task = db_session.get(SelfStudyTask, task_id)
    fields = {"topic_id": str(task.topic_id), "title": task.title, "instructions": "", "hours": str(task.hours),
              "due_date": task.due_date.isoformat() if task.due_date else ""}
    assert client.post(f"/cohorts/PR-1/selfstudy/tasks/{task_id}", data={**fields, "peer_reviews": "9"}).status_code == 200
    assert db_session.get(SelfStudyTask, task_id).peer_reviews == 0  # not a choice: refused, nothing saved
    client.post(f"/cohorts/PR-1/selfstudy/tasks/{task_id}", data={**fields, "peer_reviews": "2"})
    assert db_session.get(SelfStudyTask, task_id).peer_reviews == 2
    auth.logout()

    r = _hand_in(client, auth, p1, task_id, "Бірінші жұмыс", self_assessment="Жоспарым толық емес.")
    assert "No classmate has handed in yet" in r.text
    for email, text in ((p2, "Екінші жұмыс"), (p3, "Үшінші жұмыс")):
        _hand_in(client, auth, email, task_id, text, file=(io.BytesIO(PDF), "жұмыс.pdf"))
    auth.login(p1)
    page = client.get(f"/cohorts/PR-1/me/tasks/{task_id}").text
    assert "Екінші жұмыс" in page and "Үшінші жұмыс" in page and "Бірінші жұмыс" in page  # two classmates + mine
    p1_enrolment = db_session.scalar(select(Submission.enrolment_id).where(Submission.text == "Бірінші жұмыс"))
    mine = db_session.scalars(select(PeerReview).where(PeerReview.reviewer_id == p1_enrolment)).all()
    assert len(mine) == 2 and client.get(f"/cohorts/PR-1/me/tasks/{task_id}").text.count('class="card peer"') == 2
    with client.get(f"/cohorts/PR-1/me/reviews/{mine[0].id}/file") as got:
        assert got.status_code == 200 and got.data == PDF
    r = client.post(f"/cohorts/PR-1/me/tasks/{task_id}/reviews", data={"review_id": mine[0].id, "comment": " "})
    assert r.status_code == 400 and "This field is required." in r.text
    r = client.post(f"/cohorts/PR-1/me/tasks/{task_id}/reviews", data={"review_id": mine[0].id,
                                                                       "comment": "Жақсы құрылым; мақсатты нақтылаңыз."},
                    follow_redirects=True)
    assert "Your comment is saved." in r.text
    auth.logout()

    # p4 hands in late, and the others open the task (as the page does; the sign-in limit counts)
    task = db_session.get(SelfStudyTask, task_id)
    by_email = {e.user.email: e for e in task.cohort.enrolments}
    selfstudy.submit(task, by_email[p4], "Төртінші жұмыс", None, None, None)
    for email in (p2, p3, p4):
        selfstudy.reviews_to_write(task, by_email[email])
    db_session.commit()
    loads = db_session.execute(select(func.count(PeerReview.id)).group_by(PeerReview.submission_id)).scalars().all()
    # every hand-in reviewed; the late one by fewer, as its classmates had taken theirs before it came
    assert sum(loads) == 8 and len(loads) == 4 and min(loads) >= 1

    author = db_session.get(PeerReview, mine[0].id).submission.enrolment.user.email
    auth.login(author)
    page = client.get(f"/cohorts/PR-1/me/tasks/{task_id}").text
    assert "Жақсы құрылым; мақсатты нақтылаңыз." in page and "Қатысушы 01" not in page  # without the reviewer's name
    auth.logout()
    auth.login(trainer.email)
    submission_id = db_session.get(PeerReview, mine[0].id).submission_id
    page = client.get(f"/cohorts/PR-1/selfstudy/submissions/{submission_id}").text
    assert "Жақсы құрылым" in page and "Қатысушы 01" in page
    p1_work = db_session.scalar(select(Submission.id).where(Submission.enrolment_id == by_email[p1].id))
    assert "Жоспарым толық емес." in client.get(f"/cohorts/PR-1/selfstudy/submissions/{p1_work}").text


def test_nobody_reads_or_writes_a_review_not_assigned_to_them(client, auth, make, db_session):
    _trainer, cohort, task_id, (p1, p2, p3, _p4) = _setup(make, db_session, participants=4)
    task = db_session.get(SelfStudyTask, task_id)
    task.peer_reviews = 1
    cohort_service.set_status(cohort.enrolments[3], "withdrawn", None)
    db_session.commit()
    for email in (p1, p2, p3):
        _hand_in(client, auth, email, task_id, f"{email} жұмысы", file=(io.BytesIO(PDF), "ж.pdf"))
    auth.login(p1)
    client.get(f"/cohorts/PR-1/me/tasks/{task_id}")
    auth.logout()
    review = db_session.scalar(select(PeerReview))
    for email in (p2, p3):
        auth.login(email)
        if db_session.get(PeerReview, review.id).reviewer.user.email != email:
            assert client.get(f"/cohorts/PR-1/me/reviews/{review.id}/file").status_code == 404
            r = client.post(f"/cohorts/PR-1/me/tasks/{task_id}/reviews", data={"review_id": review.id,
                                                                               "comment": "бөгде"})
            assert r.status_code == 404
        auth.logout()
    assert db_session.get(PeerReview, review.id).comment is None


def test_a_withdrawn_reviewer_no_longer_reads_the_classmates_file(client, auth, make, db_session):
    _trainer, cohort, task_id, (p1, p2, _p3, _p4) = _setup(make, db_session, participants=4)
    db_session.get(SelfStudyTask, task_id).peer_reviews = 1
    db_session.commit()
    _hand_in(client, auth, p2, task_id, "Екінші", file=(io.BytesIO(PDF), "ж.pdf"))
    _hand_in(client, auth, p1, task_id, "Бірінші")  # opens the page: p2's work assigned
    review = db_session.scalar(select(PeerReview))
    auth.login(p1)
    with client.get(f"/cohorts/PR-1/me/reviews/{review.id}/file") as got:
        assert got.status_code == 200
    auth.logout()
    reviewer = db_session.get(PeerReview, review.id).reviewer
    cohort_service.set_status(reviewer, "withdrawn", None)
    db_session.commit()
    auth.login(p1)
    assert client.get(f"/cohorts/PR-1/me/reviews/{review.id}/file").status_code == 404
