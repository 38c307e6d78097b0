"""Marks on formative work: a task marked out of points, the trainer's mark on a hand-in (given
when reviewing, corrected afterwards, audited), the newest marked hand-in counting, the
variative module's rule, and who sees the mark."""
from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from lms.core.models import AuditEntry
from lms.core.services.errors import Conflict, ServiceError
from lms.courses.models import SelfStudyTask, Submission
from lms.courses.services import cohorts as cohort_service
from lms.courses.services import marks, selfstudy


@pytest.fixture(autouse=True)
def files_dir(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app.config["LMS"], "files_dir", str(tmp_path / "files"))


@pytest.fixture
def ctx(app, db_session):
    with app.app_context():
        yield


def _topic(cohort, code: str) -> int:
    return next(t.id for t in cohort.programme.topics if t.code == code)


def _marked_task(cohort, trainer, topic="1.3", max_points="10") -> SelfStudyTask:
    return selfstudy.save_task(cohort, {"topic_id": _topic(cohort, topic), "title": f"Кейс {topic}", "hours": 1,
                                        "max_points": max_points}, trainer)


def _marked(task, enrolment, trainer, points: str) -> Submission:
    """A hand-in of `enrolment` for `task`, accepted with `points`."""
    sub = selfstudy.submit(task, enrolment, "Иә", None, None, enrolment.user)
    return selfstudy.review(sub, True, "", trainer, points=points)


def _audit(db_session, action, submission_id) -> list:
    return [(e.details["old"], e.details["new"]) for e in db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == action, AuditEntry.object_id == str(submission_id))
        .order_by(AuditEntry.id))]


def test_a_task_is_marked_out_of_points_and_a_bad_maximum_is_named(make, db_session):
    trainer = make.user()
    cohort = make.cohort(code="TM-MAX", participants=0, trainer=trainer)
    for bad, words in (("0", "more than 0 and at most 100"), ("101", "more than 0 and at most 100"),
                       ("ten", "must be a number"), ("-3", "more than 0")):
        with pytest.raises(ServiceError) as exc:
            _marked_task(cohort, trainer, max_points=bad)
        assert exc.value.field == "max_points" and words in exc.value.message
    assert db_session.scalar(select(SelfStudyTask.id).where(SelfStudyTask.cohort_id == cohort.id)) is None
    assert _marked_task(cohort, trainer, max_points="7,5").max_points == 7.5
    assert _marked_task(cohort, trainer, topic="1.4", max_points="").max_points is None  # feedback only


def test_the_trainer_marks_when_reviewing_and_corrects_it_afterwards(ctx, make, db_session):
    trainer = make.user()
    cohort = make.cohort(code="TM-REV", participants=1, trainer=trainer)
    enrolment = cohort.enrolments[0]
    task = _marked_task(cohort, trainer)
    sub = selfstudy.submit(task, enrolment, "Кейс талданды.", None, None, enrolment.user)
    db_session.commit()

    with pytest.raises(ServiceError) as exc:  # more than the maximum: nothing changes
        selfstudy.review(sub, True, "", trainer, points="11")
    assert exc.value.field == "points" and "from 0 to 10 (got 11)" in exc.value.message
    db_session.rollback()
    assert db_session.get(Submission, sub.id).status == "submitted"
    sub = db_session.get(Submission, sub.id)
    with pytest.raises(Conflict):  # a mark alone is for work already reviewed
        marks.mark(sub, "8", trainer, selfstudy.newest(task, enrolment))

    selfstudy.review(sub, True, "Жақсы.", trainer, points="8,5")
    assert sub.points == 8.5 and sub.status == "accepted"
    marks.mark(sub, "9", trainer, selfstudy.newest(task, enrolment))
    marks.mark(sub, "", trainer, selfstudy.newest(task, enrolment))  # cleared
    assert sub.points is None
    assert _audit(db_session, "selfstudy_marked", sub.id) == [(None, 8.5), (8.5, 9.0), (9.0, None)]

    unmarked = selfstudy.save_task(cohort, {"topic_id": _topic(cohort, "1.4"), "title": "Кері байланыс", "hours": 1},
                                   trainer)
    other = selfstudy.submit(unmarked, enrolment, "Иә", None, None, enrolment.user)
    with pytest.raises(ServiceError) as exc:
        selfstudy.review(other, True, "", trainer, points="3")
    assert "not marked" in exc.value.message


def test_the_newest_marked_hand_in_counts_and_an_older_one_cannot_be_remarked(ctx, make, db_session):
    trainer = make.user()
    cohort = make.cohort(code="TM-NEW", participants=2, trainer=trainer)
    one, two = sorted(cohort.enrolments, key=lambda e: e.user.email)
    task = _marked_task(cohort, trainer)
    first = selfstudy.submit(task, one, "Бірінші", None, None, one.user)
    selfstudy.review(first, False, "Дәлелдер жетпейді.", trainer, points="4")
    second = selfstudy.submit(task, one, "Екінші", None, None, one.user)
    # waiting for review: the earlier mark still stands
    assert marks.cohort_marks(cohort, [one, two]) == {one.id: marks.TaskMarks(4.0, 10.0, 1, 1),
                                                      two.id: marks.TaskMarks(0.0, 10.0, 0, 1)}
    with pytest.raises(Conflict):
        marks.mark(first, "5", trainer, selfstudy.newest(task, one))
    selfstudy.review(second, True, "", trainer)  # accepted without a new mark: the old one counts still
    assert marks.cohort_marks(cohort, [one])[one.id].points == 4
    selfstudy.review(second, False, "Тағы бір рет.", trainer, points="9")
    assert marks.cohort_marks(cohort, [one])[one.id].points == 9
    assert db_session.get(Submission, first.id).points == 4  # the history keeps each mark


def test_the_maximum_cannot_drop_below_a_mark_given(ctx, make, db_session):
    trainer = make.user()
    cohort = make.cohort(code="TM-LOW", participants=1, trainer=trainer)
    enrolment = cohort.enrolments[0]
    task = _marked_task(cohort, trainer)
    _marked(task, enrolment, trainer, "8")
    db_session.commit()
    fields = {"topic_id": task.topic_id, "title": task.title, "hours": 1}
    with pytest.raises(ServiceError) as exc:
        selfstudy.save_task(cohort, {**fields, "max_points": "5"}, trainer, task)
    assert exc.value.field == "max_points" and "marked 8: the maximum cannot be less" in exc.value.message
    with pytest.raises(ServiceError) as exc:
        selfstudy.save_task(cohort, {**fields, "max_points": ""}, trainer, task)
    assert "clear their marks" in exc.value.message
    db_session.rollback()
    task = db_session.get(SelfStudyTask, task.id)
    assert task.max_points == 10
    assert selfstudy.save_task(cohort, {**fields, "max_points": "8"}, trainer, task).max_points == 8


def test_in_a_variative_module_only_the_chosen_topics_tasks_count(ctx, make, db_session):
    trainer = make.user()
    cohort = make.cohort(code="TM-VAR", participants=3, trainer=trainer)
    chose, undecided, idle = sorted(cohort.enrolments, key=lambda e: e.user.email)
    module4 = next(m for m in cohort.programme.modules if m.number == 4)
    a, b = module4.topics[:2]
    core = _marked_task(cohort, trainer, topic="1.3", max_points="10")
    _marked_task(cohort, trainer, topic=a.code, max_points="5")  # nobody marked on it yet
    task_b = _marked_task(cohort, trainer, topic=b.code, max_points="5")
    cohort_service.choose_topic(chose, a, chose.user)
    for e, task, points in ((chose, core, "6"), (chose, task_b, "5"), (undecided, task_b, "3")):
        _marked(task, e, trainer, points)
    db_session.commit()
    got = marks.cohort_marks(cohort, [chose, undecided, idle])
    # chose topic a: core and a count (a not marked yet: 0 of 5); b's mark does not
    assert got[chose.id] == marks.TaskMarks(6.0, 15.0, 1, 2)
    # no choice yet: the variative task they were marked on counts, the other does not
    assert got[undecided.id] == marks.TaskMarks(3.0, 15.0, 1, 2)
    assert got[idle.id] == marks.TaskMarks(0.0, 10.0, 0, 1)


def test_the_review_page_marks_and_the_participant_sees_the_mark(ctx, client, auth, make, db_session):
    trainer = make.user(email="tm-trainer@test.kz")
    cohort = make.cohort(code="TM-WEB", participants=2, trainer=trainer)
    one, two = sorted(cohort.enrolments, key=lambda e: e.user.email)
    task = _marked_task(cohort, trainer, max_points="10")
    sub = selfstudy.submit(task, one, "Менің жұмысым", None, None, one.user)
    db_session.commit()
    code, task_id, sub_id = cohort.code, task.id, sub.id

    auth.login("tm-trainer@test.kz")
    listing = client.get(f"/cohorts/{code}/selfstudy").get_data(as_text=True)
    assert f'data-task="{task_id}"' in listing and 'data-max-points="10"' in listing
    url = f"/cohorts/{code}/selfstudy/submissions/{sub_id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="points"' in page and 'name="save_mark"' not in page  # not reviewed yet: no mark alone
    r = client.post(url, data={"accept": "1", "feedback": "", "points": "12"})
    assert r.status_code == 200 and "0 мен 10 аралығында" in r.get_data(as_text=True)
    assert db_session.get(Submission, sub_id).status == "submitted"
    r = client.post(url, data={"accept": "1", "feedback": "Жақсы", "points": "7,5"})
    assert r.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert 'value="7.5"' in page and 'name="save_mark"' in page
    assert client.post(url, data={"save_mark": "1", "points": "8"}).status_code == 302
    db_session.expire_all()
    assert db_session.get(Submission, sub_id).points == 8 and db_session.get(Submission, sub_id).status == "accepted"

    with client.get(f"/cohorts/{code}/selfstudy/tasks/{task_id}/hand-ins.zip") as r:
        archive = zipfile.ZipFile(io.BytesIO(r.get_data()))
    index = next(n for n in archive.namelist() if n.endswith(".csv"))
    assert archive.read(index).decode("utf-8-sig").splitlines()[1].endswith(",8.0")
    answer = next(n for n in archive.namelist() if n.endswith(".txt"))
    assert ": 8 / 10" in archive.read(answer).decode()

    form = client.get(f"/cohorts/{code}/selfstudy/tasks/{task_id}").get_data(as_text=True)
    assert 'name="max_points"' in form and 'value="10"' in form
    r = client.post(f"/cohorts/{code}/selfstudy/tasks/{task_id}", data={
        "topic_id": task.topic_id, "title": task.title, "hours": "1", "max_points": "6", "peer_reviews": "0"})
    assert r.status_code == 200 and "8 балмен бағаланған" in r.get_data(as_text=True)
    assert db_session.get(SelfStudyTask, task_id).max_points == 10
    auth.logout()

    auth.login(one.user.email)
    mine = client.get(f"/cohorts/{code}/me/tasks/{task_id}").get_data(as_text=True)
    assert 'data-points="8"' in mine and "8 / 10" in mine
    auth.logout()
    auth.login(two.user.email)  # a classmate sees the task, not the mark
    theirs = client.get(f"/cohorts/{code}/me/tasks/{task_id}").get_data(as_text=True)
    assert "data-points" not in theirs and "Менің жұмысым" not in theirs
    auth.logout()


def test_the_mark_is_in_the_participants_data_and_the_trainers(ctx, make, db_session):
    from lms.courses import privacy

    trainer = make.user(email="tm-data@test.kz")
    cohort = make.cohort(code="TM-DATA", participants=1, trainer=trainer)
    enrolment = cohort.enrolments[0]
    task = _marked_task(cohort, trainer)
    _marked(task, enrolment, trainer, "6")
    db_session.commit()
    (row,) = privacy.export(enrolment.user).records["selfstudy_submissions"]
    assert (row["mark"], row["marked_out_of"]) == (6.0, 10.0)
    (given,) = privacy.export(trainer).records["selfstudy_reviews_given"]
    assert given["mark"] == 6.0
