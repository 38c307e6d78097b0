"""Self-study: tasks from the hour plan, hand-ins, review, the ledger, and who sees what."""
from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lms.core.models import AuditEntry, OutboxMessage, StoredFile
from lms.core.services.errors import Conflict, NotFound, ServiceError
from lms.courses.models import Cohort, Enrolment, SelfStudyTask, Submission
from lms.courses.services import cohorts as cohort_service
from lms.courses.services import ledger
from lms.courses.services import selfstudy
from lms.signals import selfstudy_reviewed

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def files_dir(app, tmp_path, monkeypatch):
    """Evidence files go to a temporary store, never the working tree."""
    monkeypatch.setattr(app.config["LMS"], "files_dir", str(tmp_path / "files"))
    return tmp_path / "files"


@pytest.fixture
def ctx(app, db_session):
    """A return tells the participant by e-mail, with the site's address."""
    with app.app_context():
        yield


def _count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def _task(cohort, topic_code: str) -> SelfStudyTask:
    return next(t for t in cohort.tasks if t.topic.code == topic_code)


def _cohort_with_tasks(make, db_session, code="SS-A", participants=2, trainer=None, **kw):
    cohort = make.cohort(code=code, participants=participants, trainer=trainer, **kw)
    selfstudy.create_default_tasks(cohort, None)
    db_session.commit()
    db_session.refresh(cohort)
    return cohort


# --- tasks --------------------------------------------------------------------------------

def test_default_tasks_cover_the_ldr_sus_online_plan(make, db_session):
    cohort = make.cohort(code="SS-PLAN", participants=0, start=date(2027, 1, 11), days=40)
    created = selfstudy.create_default_tasks(cohort, None)
    units, topics = ledger.units(cohort)
    assert sum(u.self_planned for u in units) == 40
    by_topic = {t.topic_id: t for t in created}
    covered = 0.0
    for u in units:
        unit_tasks = [by_topic[tid] for tid in u.topic_ids if tid in by_topic]
        assert unit_tasks, f"unit {u.code} has no task"
        covered += min(u.self_planned, sum(t.hours for t in unit_tasks))
    assert covered == 40  # modules 5 + 24 + 8 + 3
    module4 = [t for t in created if topics[t.topic_id].module.number == 4]
    assert len(module4) == 4 and {t.hours for t in module4} == {1.5}
    assert created[0].title.startswith("1.1. Цифрлы трансформация")
    ordered = sorted(created, key=lambda t: (t.sort_order, t.id))
    assert ordered == created
    dues = [t.due_date for t in ordered]
    assert dues == sorted(dues) and dues[-1] == cohort.end_date and dues[0] > cohort.start_date
    # idempotent: a second run adds nothing
    assert selfstudy.create_default_tasks(cohort, None) == []
    assert len(cohort.tasks) == len(created) == 19


def test_accepted_work_credits_the_ledger_and_an_undo_takes_it_back(ctx, make, db_session):
    trainer = make.user()
    cohort = _cohort_with_tasks(make, db_session, trainer=trainer)
    enrolment = cohort.enrolments[0]
    task = _task(cohort, "2.2")  # 4 h of self-study
    sub = selfstudy.submit(task, enrolment, "Менің жоспарым", None, None, enrolment.user)
    assert ledger.ledger_for(enrolment).accepted == 0
    received = []

    def listener(sender, **kw):
        received.append((sender.id, kw["accepted"]))

    selfstudy_reviewed.connect(listener)
    try:
        selfstudy.review(sub, True, "", trainer)
        row = next(r for r in ledger.ledger_for(enrolment).rows if r.unit.code == "2.2")
        assert row.accepted == 4 and ledger.ledger_for(enrolment).accepted == 4
        with pytest.raises(ServiceError) as exc:  # returning needs feedback
            selfstudy.review(sub, False, "  ", trainer)
        assert exc.value.field == "feedback"
        selfstudy.review(sub, False, "Сілтеме ашылмайды, қайта жіберіңіз.", trainer)
    finally:
        selfstudy_reviewed.disconnect(listener)
    assert ledger.ledger_for(enrolment).accepted == 0
    assert received == [(sub.id, True), (sub.id, False)]
    actions = db_session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "Submission",
                                                                 AuditEntry.object_id == str(sub.id))).all()
    assert actions.count("selfstudy_reviewed") == 2
    # the other participant's ledger never moved
    assert ledger.ledger_for(cohort.enrolments[1]).accepted == 0


def test_accepting_every_chosen_task_reaches_the_plan(make, db_session):
    trainer = make.user()
    cohort = _cohort_with_tasks(make, db_session, participants=1, trainer=trainer)
    enrolment = cohort.enrolments[0]
    module4 = next(m for m in cohort.programme.modules if m.number == 4)
    for topic in module4.topics[:2]:
        cohort_service.choose_topic(enrolment, topic, enrolment.user)
    db_session.commit()
    data = ledger.load(cohort, [enrolment])
    mine = ledger.tasks_for(data, enrolment)
    assert len(mine) == 17  # 15 topic tasks + the 2 chosen of module 4
    for task, _none in mine:
        selfstudy.review(selfstudy.submit(task, enrolment, "done", None, None, None), True, "", trainer)
    assert ledger.ledger_for(enrolment).accepted == 40


def test_a_returned_hand_in_keeps_its_history_and_a_new_one_is_a_new_row(ctx, make, db_session):
    trainer = make.user()
    cohort = _cohort_with_tasks(make, db_session, trainer=trainer)
    enrolment = cohort.enrolments[0]
    task = _task(cohort, "1.3")
    first = selfstudy.submit(task, enrolment, "Бірінші нұсқа", "https://example.kz/plan", None, enrolment.user)
    selfstudy.review(first, False, "Мақсаттарды нақтылаңыз.", trainer)
    second = selfstudy.submit(task, enrolment, "Екінші нұсқа", None, None, enrolment.user)
    db_session.commit()
    history = selfstudy.history(task, enrolment)
    assert [s.id for s in history] == [second.id, first.id]
    assert (first.status, first.text, first.link, first.feedback) == (
        "returned", "Бірінші нұсқа", "https://example.kz/plan", "Мақсаттарды нақтылаңыз.")
    with pytest.raises(Conflict):  # only the newest hand-in can be reviewed
        selfstudy.review(first, True, "", trainer)
    # while waiting, a new version supersedes the waiting one
    third = selfstudy.submit(task, enrolment, "Үшінші нұсқа", None, None, enrolment.user)
    selfstudy.review(third, True, "Жарайсыз", trainer)
    with pytest.raises(Conflict):  # accepted: nothing more to hand in
        selfstudy.submit(task, enrolment, "Төртінші", None, None, enrolment.user)
    assert _count(db_session, Submission) == 3
    # the return was told to the participant (in Kazakh, theirs), with the feedback; the acceptance was not
    (told,) = db_session.scalars(select(OutboxMessage)).all()
    assert told.to_email == enrolment.user.email and told.subject.startswith("Қайта пысықтауға қайтарылды")
    assert "Мақсаттарды нақтылаңыз." in told.body and f"/cohorts/{cohort.code}/me/tasks/{task.id}" in told.body


def test_hand_in_checks(make, db_session):
    a = _cohort_with_tasks(make, db_session, code="SS-CHK-A", participants=1)
    b = make.cohort(code="SS-CHK-B", participants=1)
    enrolment, task = a.enrolments[0], _task(a, "1.1")
    with pytest.raises(ServiceError) as exc:
        selfstudy.submit(task, enrolment, "   ", "", None, None)
    assert exc.value.field == "text"
    with pytest.raises(ServiceError) as exc:
        selfstudy.submit(task, enrolment, "", "javascript:alert(1)", None, None)
    assert exc.value.field == "link"
    with pytest.raises(ServiceError) as exc:
        selfstudy.submit(task, enrolment, "x" * 20_001, None, None, None)
    assert exc.value.field == "text"
    with pytest.raises(NotFound):  # an enrolment of another cohort
        selfstudy.submit(task, b.enrolments[0], "text", None, None, None)
    cohort_service.set_status(enrolment, "withdrawn", None)
    with pytest.raises(ServiceError):
        selfstudy.submit(task, enrolment, "text", None, None, None)
    assert _count(db_session, Submission) == 0


def test_save_and_delete_task(make, db_session):
    cohort = make.cohort(code="SS-EDIT", participants=1, start=date(2027, 3, 1), days=30)
    other = make.cohort(code="SS-EDIT-T", programme="TCH-SUS", participants=0)
    topic = next(t for t in cohort.programme.topics if t.code == "2.3")
    fields = {"topic_id": topic.id, "title": "Кейс талдау", "instructions": "**Маңызды:** 2 бет",
              "hours": 2, "due_date": date(2027, 3, 20)}
    task = selfstudy.save_task(cohort, fields, None)
    assert (task.hours, task.instructions) == (2, "**Маңызды:** 2 бет")
    for bad, field in (({"hours": 81}, "hours"), ({"hours": -1}, "hours"), ({"title": " "}, "title"),
                       ({"due_date": date(2026, 1, 1)}, "due_date"),
                       ({"topic_id": other.programme.topics[0].id}, "topic_id")):
        with pytest.raises(ServiceError) as exc:
            selfstudy.save_task(cohort, {**fields, **bad}, None, task)
        assert exc.value.field == field
    selfstudy.save_task(cohort, {**fields, "hours": 3.5}, None, task)
    assert task.hours == 3.5
    with pytest.raises(NotFound):
        selfstudy.get_task(other, task.id)
    selfstudy.submit(task, cohort.enrolments[0], "жауап", None, None, None)
    with pytest.raises(Conflict):
        selfstudy.delete_task(task, None)
    spare = selfstudy.save_task(cohort, {**fields, "title": "Қосымша"}, None)
    selfstudy.delete_task(spare, None)
    assert db_session.get(SelfStudyTask, task.id) is not None
    assert [t.title for t in selfstudy.tasks(cohort)] == ["Кейс талдау"]


# --- pages --------------------------------------------------------------------------------

def test_participant_hands_in_through_the_page_and_the_trainer_accepts(client, auth, make, db_session):
    trainer = make.user(email="ss-trainer@test.kz")
    cohort = _cohort_with_tasks(make, db_session, code="SS-UI", trainer=trainer)
    task = _task(cohort, "1.2")
    task.instructions = "Жоспар жазыңыз. <script>alert(1)</script>"
    db_session.commit()
    code, task_id, enrolment_id = cohort.code, task.id, cohort.enrolments[0].id
    email = cohort.enrolments[0].user.email

    auth.login(email)
    me = client.get(f"/cohorts/{code}/me").get_data(as_text=True)
    assert task.title in me and f"/cohorts/{code}/me/tasks/{task_id}" in me  # tasks due link to the page
    page = client.get(f"/cohorts/{code}/me/tasks/{task_id}").get_data(as_text=True)
    assert "Жоспар жазыңыз." in page and "<script>alert" not in page and 'enctype="multipart/form-data"' in page
    r = client.post(f"/cohorts/{code}/me/tasks/{task_id}", data={
        "text": "Менің жоспарым", "link": "https://drive.example.kz/doc",
        "file": (io.BytesIO(PDF), "жоспар.pdf")}, content_type="multipart/form-data", follow_redirects=True)
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "Менің жоспарым" in page and "жоспар.pdf" in page
    sub = db_session.scalar(select(Submission).where(Submission.enrolment_id == enrolment_id))
    sub_id = sub.id
    with client.get(f"/cohorts/{code}/me/files/{sub_id}") as r:
        assert r.status_code == 200 and r.get_data() == PDF and r.mimetype == "application/pdf"
        assert "attachment" in r.headers["Content-Disposition"]
    assert client.get(f"/cohorts/{code}/selfstudy/review").status_code == 403
    assert client.get(f"/cohorts/{code}/selfstudy/submissions/{sub_id}").status_code == 403
    assert client.get(f"/cohorts/{code}/selfstudy").status_code == 403
    auth.logout()

    auth.login(trainer.email)
    dashboard = client.get(f"/cohorts/{code}").get_data(as_text=True)
    assert f"/cohorts/{code}/selfstudy/submissions/{sub_id}" in dashboard
    queue = client.get(f"/cohorts/{code}/selfstudy/review").get_data(as_text=True)
    assert "Қатысушы 01" in queue and f"/selfstudy/submissions/{sub_id}" in queue
    page = client.get(f"/cohorts/{code}/selfstudy/submissions/{sub_id}").get_data(as_text=True)
    assert "Менің жоспарым" in page and f"/cohorts/{code}/selfstudy/files/{sub_id}" in page
    with client.get(f"/cohorts/{code}/selfstudy/files/{sub_id}") as r:
        assert r.status_code == 200 and r.get_data() == PDF
    # returning needs feedback: the form says so and nothing changes
    r = client.post(f"/cohorts/{code}/selfstudy/submissions/{sub_id}", data={"send_back": "1", "feedback": ""})
    assert r.status_code == 200 and "жұмысты қайтару үшін кері байланыс қажет" in r.get_data(as_text=True)
    assert db_session.get(Submission, sub_id).status == "submitted"
    r = client.post(f"/cohorts/{code}/selfstudy/submissions/{sub_id}", data={"accept": "1", "feedback": "Жақсы"})
    assert r.status_code == 302
    sub = db_session.get(Submission, sub_id)
    db_session.refresh(sub)
    assert (sub.status, sub.feedback, sub.reviewed_by_id) == ("accepted", "Жақсы", trainer.id)
    assert "Қатысушы 01" not in client.get(f"/cohorts/{code}/selfstudy/review").get_data(as_text=True)
    tasks_page = client.get(f"/cohorts/{code}/selfstudy").get_data(as_text=True)
    assert f'data-task="{task_id}"' in tasks_page
    auth.logout()

    auth.login(email)
    page = client.get(f"/cohorts/{code}/me/tasks/{task_id}").get_data(as_text=True)
    assert "Жақсы" in page and 'id="hand-in"' not in page
    me = client.get(f"/cohorts/{code}/me").get_data(as_text=True)
    assert f"/cohorts/{code}/me/tasks/{task_id}" not in me  # no longer due
    assert "<strong class=\"done\">1</strong>" in me  # 1 h of self-study accepted


def test_empty_and_bad_uploads_are_refused_and_nothing_is_stored(client, auth, make, db_session, files_dir):
    cohort = _cohort_with_tasks(make, db_session, code="SS-UP", participants=1)
    code, task_id, email = cohort.code, _task(cohort, "1.1").id, cohort.enrolments[0].user.email
    files_before, subs_before = _count(db_session, StoredFile), _count(db_session, Submission)
    auth.login(email)
    url = f"/cohorts/{code}/me/tasks/{task_id}"
    r = client.post(url, data={"text": "", "link": ""})
    assert r.status_code == 200 and "Жұмысты тапсырыңыз: мәтін, сілтеме немесе файл" in r.get_data(as_text=True)
    r = client.post(url, data={"text": "менің жұмысым", "file": (io.BytesIO(b"MZ\x90\x00"), "setup.exe")},
                    content_type="multipart/form-data")
    # the refusal in the participant's language (Kazakh)
    assert r.status_code == 200 and ".exe түріндегі файлдар қабылданбайды" in r.get_data(as_text=True)
    big = PDF + b"0" * (10 * 1024 * 1024)
    # encoded here: the test client's own encoder leaves a temporary file open for big bodies
    boundary, body = encode_multipart({"text": "менің жұмысым",
                                       "file": FileStorage(io.BytesIO(big), "big.pdf", content_type="application/pdf")})
    r = client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert r.status_code == 200 and "шегі — 10 МБ" in r.get_data(as_text=True)
    r = client.post(url, data={"text": "менің жұмысым", "link": "ftp://example.kz/x"})
    assert r.status_code == 200 and "http:// немесе https://" in r.get_data(as_text=True)
    assert (_count(db_session, StoredFile), _count(db_session, Submission)) == (files_before, subs_before)
    assert not files_dir.exists() or not any(p.is_file() for p in files_dir.rglob("*"))


def test_a_participant_cannot_reach_anyone_elses_work(app, client, auth, make, db_session):
    trainer = make.user()
    a = _cohort_with_tasks(make, db_session, code="SS-PRIV-A", participants=2, trainer=trainer)
    b = _cohort_with_tasks(make, db_session, code="SS-PRIV-B", participants=1)
    with app.app_context():  # the file store lives in the app's configuration; commit inside it
        task = _task(a, "2.1")
        victim, snoop = a.enrolments
        secret = selfstudy.submit(task, victim, "Құпия мәтін", None, (PDF, "құпия.pdf"), victim.user)
        selfstudy.review(secret, False, "Құпия пікір", trainer)
        db_session.commit()
        a_code, b_code, task_id, sub_id = a.code, b.code, task.id, secret.id
        b_id, b_task_id = b.id, _task(b, "2.1").id
        snoop_email, outsider_email = snoop.user.email, b.enrolments[0].user.email

    def closed(url):
        r = client.get(url)
        body = r.get_data(as_text=True)
        assert r.status_code in (403, 404), url
        assert "Құпия" not in body and PDF.decode() not in body, url

    auth.login(snoop_email)  # same cohort, another participant
    page = client.get(f"/cohorts/{a_code}/me/tasks/{task_id}").get_data(as_text=True)
    assert "Құпия" not in page  # the task page shows only one's own hand-ins
    closed(f"/cohorts/{a_code}/me/files/{sub_id}")
    closed(f"/cohorts/{a_code}/selfstudy/files/{sub_id}")
    closed(f"/cohorts/{a_code}/selfstudy/submissions/{sub_id}")
    closed(f"/cohorts/{a_code}/selfstudy/review")
    closed(f"/cohorts/{a_code}/me/tasks/{b_task_id}")  # another cohort's task id
    assert client.post(f"/cohorts/{a_code}/selfstudy/submissions/{sub_id}",
                       data={"accept": "1"}).status_code == 403
    auth.logout()

    auth.login(outsider_email)  # a participant of another cohort
    closed(f"/cohorts/{a_code}/me/tasks/{task_id}")
    closed(f"/cohorts/{a_code}/me/files/{sub_id}")
    closed(f"/cohorts/{b_code}/me/files/{sub_id}")
    closed(f"/cohorts/{b_code}/me/tasks/{task_id}")
    closed(f"/cohorts/{a_code}/selfstudy/files/{sub_id}")
    r = client.post(f"/cohorts/{b_code}/me/tasks/{task_id}", data={"text": "hijack"})
    assert r.status_code == 404
    auth.logout()

    # staff of another cohort see nothing of this one through theirs
    other_trainer = make.user()
    cohort_service.assign_staff(db_session.get(Cohort, b_id), other_trainer, "trainer", None)
    db_session.commit()
    auth.login(other_trainer.email)
    closed(f"/cohorts/{b_code}/selfstudy/submissions/{sub_id}")
    closed(f"/cohorts/{b_code}/selfstudy/files/{sub_id}")
    closed(f"/cohorts/{b_code}/selfstudy/tasks/{task_id}")
    closed(f"/cohorts/{a_code}/selfstudy/submissions/{sub_id}")
    assert _count(db_session, Submission) == 1
    assert db_session.get(Submission, sub_id).status == "returned"


def test_trainer_creates_default_tasks_and_edits_one(client, auth, make, db_session):
    trainer = make.user(language="en")  # pages in English whatever the translations say
    cohort = make.cohort(code="SS-TR", participants=1, trainer=trainer)
    code = cohort.code
    topic_id = next(t.id for t in cohort.programme.topics if t.code == "3.2")
    auth.login(trainer.email)
    assert "No self-study tasks yet." in client.get(f"/cohorts/{code}/selfstudy").get_data(as_text=True)
    page = client.post(f"/cohorts/{code}/selfstudy/defaults", follow_redirects=True).get_data(as_text=True)
    assert "19 tasks created from the hour plan." in page
    page = client.post(f"/cohorts/{code}/selfstudy/defaults", follow_redirects=True).get_data(as_text=True)
    assert "already has a task" in page
    assert page.count("data-task=") == 19 and 'id="planned-hours">40<' in page
    r = client.post(f"/cohorts/{code}/selfstudy/new", data={
        "topic_id": topic_id, "title": "Жоба", "instructions": "", "hours": "81", "due_date": ""})
    assert r.status_code == 200 and _count(db_session, SelfStudyTask) == 19
    r = client.post(f"/cohorts/{code}/selfstudy/new", data={
        "topic_id": topic_id, "title": "Жоба", "instructions": "1. Сипаттама", "hours": "1.5", "due_date": ""})
    assert r.status_code == 302
    task = db_session.scalar(select(SelfStudyTask).where(SelfStudyTask.title == "Жоба"))
    assert task.hours == 1.5 and task.topic_id == topic_id
    task_id = task.id
    assert client.get(f"/cohorts/{code}/selfstudy/tasks/{task_id}").status_code == 200
    r = client.post(f"/cohorts/{code}/selfstudy/tasks/{task_id}/delete")
    assert r.status_code == 302 and db_session.get(SelfStudyTask, task_id) is None


def test_review_queue_pages_cost_a_bounded_number_of_statements(client, auth, make, db_session, count_queries):
    trainer = make.user()
    cohort = _cohort_with_tasks(make, db_session, code="SS-Q", participants=12, trainer=trainer)
    task_ids = [t.id for t in cohort.tasks[:3]]
    enrolment_ids = [e.id for e in cohort.enrolments]
    code = cohort.code

    def hand_in(few: slice):
        for enrolment_id in enrolment_ids[few]:
            e = db_session.get(Enrolment, enrolment_id)
            for task_id in task_ids:
                selfstudy.submit(db_session.get(SelfStudyTask, task_id), e, f"{task_id}: жауап", None, None, e.user)
        db_session.commit()

    hand_in(slice(0, 1))
    auth.login(trainer.email)
    with count_queries() as small:
        assert client.get(f"/cohorts/{code}/selfstudy/review").status_code == 200
    hand_in(slice(1, 12))
    with count_queries() as large:
        page = client.get(f"/cohorts/{code}/selfstudy/review").get_data(as_text=True)
    assert page.count("data-submission=") == 30 and "?page=2" in page
    assert len(large) == len(small)
    with count_queries() as listing:
        assert client.get(f"/cohorts/{code}/selfstudy").status_code == 200
    assert len(listing) <= len(small) + 3


def test_a_formative_task_with_descriptors_and_a_self_check_reference(client, auth, make, db_session):
    """Seed 000: formative tasks "with descriptors" and self-check keys. The trainer writes them;
    the participant reads the descriptors, ticks those their work meets, and sees the reference
    only once they have handed in; the trainer's review starts from those ticks and records its
    own; the participant reads both; a later edit of the task changes no past tick."""
    trainer = make.user(email="ss-desc@test.kz", language="en")
    cohort = make.cohort(code="SS-DESC", participants=1, trainer=trainer)
    for e in cohort.enrolments:
        e.user.language = "en"
    db_session.commit()
    code, email = cohort.code, cohort.enrolments[0].user.email
    topic_id = next(t.id for t in cohort.programme.topics if t.code == "1.2")
    auth.login(trainer.email)
    base = {"topic_id": topic_id, "title": "Даму жоспары", "instructions": "Жоспар жазыңыз.", "hours": "2",
            "due_date": ""}
    r = client.post(f"/cohorts/{code}/selfstudy/new", data={**base, "descriptors": "\n".join(
        f"Дескриптор {n}" for n in range(13))})
    assert r.status_code == 200 and "13 descriptors: a task has at most 12" in r.text
    assert _count(db_session, SelfStudyTask) == 0
    r = client.post(f"/cohorts/{code}/selfstudy/new", data={
        **base, "descriptors": "Мақсатты анықтайды\n\n  Іс-шараларды   мерзіммен жоспарлайды \nНәтижені өлшейді",
        "self_check": "**Үлгі:** мақсат — SMART."})
    assert r.status_code == 302
    task = db_session.scalar(select(SelfStudyTask))
    assert task.descriptors == ["Мақсатты анықтайды", "Іс-шараларды мерзіммен жоспарлайды", "Нәтижені өлшейді"]
    task_id = task.id
    assert "Нәтижені өлшейді" in client.get(f"/cohorts/{code}/selfstudy/tasks/{task_id}").text  # the form keeps them
    auth.logout()

    auth.login(email)
    page = client.get(f"/cohorts/{code}/me/tasks/{task_id}").text
    assert 'id="descriptors"' in page and "Нәтижені өлшейді" in page
    assert "SMART" not in page and "opens here once you hand in" in page  # the key waits for the hand-in
    r = client.post(f"/cohorts/{code}/me/tasks/{task_id}", data={"text": "Жоспарым", "self_met": ["9"]})
    assert r.status_code == 200 and "tick descriptors of this task only" in r.text
    assert _count(db_session, Submission) == 0
    r = client.post(f"/cohorts/{code}/me/tasks/{task_id}", data={"text": "Жоспарым", "self_met": ["0", "1"]},
                    follow_redirects=True)
    assert "<strong>Үлгі:</strong> мақсат — SMART." in r.text and 'id="self-check" open' in r.text
    sub = db_session.scalar(select(Submission))
    assert sub.self_met == [True, True, False] and sub.met is None
    sub_id = sub.id
    auth.logout()

    auth.login(trainer.email)
    page = client.get(f"/cohorts/{code}/selfstudy/submissions/{sub_id}").text
    assert page.count('name="met"') == 3 and page.count('checked id="met-') == 2  # begins from the own check
    r = client.post(f"/cohorts/{code}/selfstudy/submissions/{sub_id}",
                    data={"send_back": "1", "feedback": "Өлшемін қосыңыз", "met": ["0", "1"]})
    assert r.status_code == 302
    client.post(f"/cohorts/{code}/selfstudy/tasks/{task_id}", data={**base, "descriptors": "Жаңа дескриптор"})
    auth.logout()
    db_session.expire_all()
    sub = db_session.get(Submission, sub_id)
    assert sub.met == [True, True, False] and sub.descriptors[2] == "Нәтижені өлшейді"  # the edit changed no tick
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "selfstudy_reviewed"))
    assert entry.details["met"] == [True, True, False]

    auth.login(email)
    page = client.get(f"/cohorts/{code}/me/tasks/{task_id}").text
    assert page.count('data-met="yes"') == 4 and page.count('data-met="no"') == 2  # own 2, trainer's 2; 1 + 1 not
    assert "not yet" in page and "Өлшемін қосыңыз" in page
    assert "Жаңа дескриптор" in page  # the task as it stands now, for the next hand-in


def test_descriptor_checks_in_the_service(make, db_session):
    cohort = _cohort_with_tasks(make, db_session, code="SS-DSV", participants=1)
    task = _task(cohort, "1.2")
    fields = {"topic_id": task.topic_id, "title": task.title, "hours": task.hours}
    with pytest.raises(ServiceError) as exc:
        selfstudy.save_task(cohort, {**fields, "descriptors": ["x" * 301]}, None, task)
    assert exc.value.field == "descriptors" and "descriptor 1" in str(exc.value.message)
    with pytest.raises(ServiceError) as exc:
        selfstudy.save_task(cohort, {**fields, "descriptors": [1, 2]}, None, task)
    assert exc.value.field == "descriptors"
    selfstudy.save_task(cohort, {**fields, "descriptors": ["Бір", "Екі"]}, None, task)
    sub = selfstudy.submit(task, cohort.enrolments[0], "Жауап", None, None, None)
    assert sub.self_met == [False, False]  # nothing ticked
    with pytest.raises(ServiceError) as exc:
        selfstudy.review(sub, True, "", None, [True])
    assert exc.value.field == "met"
    selfstudy.review(sub, True, "", None, [1])
    assert sub.met == [False, True] and sub.status == "accepted"


def test_the_trainer_downloads_every_newest_hand_in_of_a_task_as_one_zip(app, client, auth, make, db_session):
    """Moodle's "Download all submissions": a folder per present participant with the newest
    hand-in's text and file, an index table first; a withdrawn participant's work is left out;
    participants are refused; a task nobody handed in says so."""
    import csv
    import zipfile

    trainer = make.user(email="ss-zip@test.kz", language="en")
    cohort = _cohort_with_tasks(make, db_session, code="SS-ZIP", participants=3, trainer=trainer)
    task = _task(cohort, "1.2")
    task.descriptors = ["Мақсат", "Мерзім"]
    first, second, gone = cohort.enrolments
    with app.app_context():  # the file store's folder
        selfstudy.submit(task, first, "Ескі нұсқа", None, None, None)
        selfstudy.submit(task, first, "Жаңа нұсқа", None, (PDF, "жоспар.pdf"), None, self_met=[0])
        selfstudy.submit(task, second, "=HYPERLINK(\"x\")", "https://drive.example.kz/a", None, None)
        selfstudy.submit(task, gone, "Кеткеннің жұмысы", None, None, None)
        cohort_service.set_status(gone, "withdrawn", None)
        db_session.commit()
        code, task_id, other_task = cohort.code, task.id, _task(cohort, "1.1").id
        names = [first.user.full_name, second.user.full_name]
        first_email = first.user.email

    auth.login(first_email)
    assert client.get(f"/cohorts/{code}/selfstudy/tasks/{task_id}/hand-ins.zip").status_code == 403
    auth.logout()
    auth.login(trainer.email)
    assert f"/selfstudy/tasks/{task_id}/hand-ins.zip" in client.get(f"/cohorts/{code}/selfstudy").text
    with client.get(f"/cohorts/{code}/selfstudy/tasks/{task_id}/hand-ins.zip") as r:
        assert r.status_code == 200 and r.mimetype == "application/zip" and "no-store" in r.headers["Cache-Control"]
        archive = zipfile.ZipFile(io.BytesIO(r.data))
    listed = archive.namelist()
    assert listed[-1] == "00 hand-ins.csv" and len([n for n in listed if n.endswith("answer.txt")]) == 2
    index = list(csv.reader(io.StringIO(archive.read("00 hand-ins.csv").decode("utf-8-sig"))))
    assert [row[1] for row in index[1:]] == names and "Кеткеннің" not in str(index)
    texts = {n.split("/")[0]: archive.read(n).decode() for n in listed if n.endswith("answer.txt")}
    mine = next(t for t in texts.values() if "Жаңа нұсқа" in t)
    assert "Ескі нұсқа" not in mine and "[x] [-] Мақсат" in mine and "[ ] [-] Мерзім" in mine
    pdf = next(n for n in listed if n.endswith("жоспар.pdf"))
    assert archive.read(pdf) == PDF
    assert "https://drive.example.kz/a" in next(t for t in texts.values() if "HYPERLINK" in t)
    r = client.get(f"/cohorts/{code}/selfstudy/tasks/{other_task}/hand-ins.zip", follow_redirects=True)
    assert "Nobody has handed in this task yet." in r.text


def test_the_task_page_counts_how_the_hand_ins_meet_each_descriptor(app, client, auth, make, db_session):
    trainer = make.user(email="ss-count@test.kz", language="en")
    cohort = _cohort_with_tasks(make, db_session, code="SS-CNT", participants=3, trainer=trainer)
    task = _task(cohort, "1.2")
    task.descriptors = ["Мақсат", "Мерзім"]
    a, b, gone = cohort.enrolments
    with app.app_context():
        selfstudy.review(selfstudy.submit(task, a, "Бір", None, None, None, self_met=[0, 1]), True, "", None, [0])
        selfstudy.submit(task, b, "Екі", None, None, None, self_met=[0])
        selfstudy.submit(task, gone, "Үш", None, None, None, self_met=[0, 1])
        cohort_service.set_status(gone, "withdrawn", None)
        counts = selfstudy.descriptor_counts(task)
        assert [(c.text, c.shown, c.self_met, c.reviewed, c.met) for c in counts] == [
            ("Мақсат", 2, 2, 1, 1), ("Мерзім", 2, 1, 1, 0)]
        task.descriptors = ["Мақсат", "Нәтиже"]  # edited: the old descriptor is still counted, marked
        db_session.commit()
        code, task_id = cohort.code, task.id
    auth.login(trainer.email)
    page = client.get(f"/cohorts/{code}/selfstudy/tasks/{task_id}").text
    section = page.split('id="descriptor-counts"', 1)[1]
    assert "Мерзім" in section and "before the task was edited" in section and "1 / 2" in section
