"""A person's data export holds their enrolments, choices, attendance, hand-ins with files and
the trainer's review as their page shows it, and the peer comments they wrote and received
(without the writer); staff get their own reviews, announcements and uploads by id, never a
participant's name, e-mail, work or another's attendance; the self-check key stays out."""
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from lms.courses.services import cohorts as cohort_service  # first: the services import each other
from lms.core.models import User
from lms.courses import privacy
from lms.courses.models import Enrolment, Submission
from lms.courses.services import announcements, attendance, selfstudy
from tests.conftest import personal_data, zip_text

MY_FILE = b"%PDF-1.4 my lesson plan"
THEIR_FILE = b"%PDF-1.4 the classmate's plan"
KEY = "ЖАУАП КІЛТІ: дұрыс жауап"
#: 14:00 in Almaty
START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def files_dir(app, tmp_path, monkeypatch):
    """Evidence files go to a temporary store, never the working tree."""
    monkeypatch.setattr(app.config["LMS"], "files_dir", str(tmp_path / "files"))
    return tmp_path / "files"


def _setup(app, make, db_session):
    """Cohort PRV-C with me (p01), a classmate (p02) and a third (p03), a trainer; topic 1.2's task
    asks one peer comment, has two descriptors and a self-check key; everyone has handed in, the
    trainer returned mine, the classmate and I commented on each other's work, a session on 1.3 is
    marked, and I chose two topics of the variative module 4."""
    with app.app_context():  # files are stored where the app's settings say
        return _hand_ins_and_marks(make, db_session)


def _hand_ins_and_marks(make, db_session):
    trainer = make.user(email="prv-trainer@test.kz", full_name="Тренер Бекова")
    cohort = make.cohort(code="PRV-C", participants=3, trainer=trainer, start=START.date())
    selfstudy.create_default_tasks(cohort, None)
    db_session.commit()
    db_session.refresh(cohort)
    me, other, third = sorted(cohort.enrolments, key=lambda e: e.user.email)
    task = next(t for t in cohort.tasks if t.topic.code == "1.2")
    selfstudy.save_task(cohort, {"topic_id": task.topic_id, "title": task.title, "hours": task.hours,
                                 "due_date": task.due_date, "peer_reviews": 1, "self_check": KEY,
                                 "descriptors": "Мақсат жазылған\nДереккөз көрсетілген"}, trainer, task)
    module4 = next(m for m in cohort.programme.modules if m.number == 4)
    for topic in module4.topics[:2]:
        cohort_service.choose_topic(me, topic, me.user)

    mine = selfstudy.submit(task, me, "Менің жұмысым", "https://example.kz/menin", (MY_FILE, "жоспар.pdf"), me.user,
                            self_assessment="Өзім бағаладым", self_met=[0])
    selfstudy.submit(task, other, "Бөтеннің жұмысы", None, (THEIR_FILE, "бөтен.pdf"), other.user)
    # each of us two is the other's only candidate: I comment on the classmate's work, they on mine
    for enrolment, comment in ((me, "Менің пікірім"), (other, "Бөтеннің пікірі менің жұмысыма")):
        [review] = selfstudy.reviews_to_write(task, enrolment)
        selfstudy.write_review(review, enrolment, comment, enrolment.user)
    selfstudy.submit(task, third, "Үшіншінің жұмысы", None, None, third.user)
    selfstudy.review(mine, False, "Мақсатты нақтылаңыз", trainer, met=[1])

    session = make.session(cohort, "1.3", starts_at=START, hours=2.0)
    attendance.mark(session, {me.id: ("late", 120), other.id: ("absent", None)}, trainer)
    report = ("Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes)\n"
              "Қатысушы 03,prv-c-p03@test.kz,2026-11-23 14:00:00,2026-11-23 15:30:00,90\n"
              "Бейтаныс Адам,stranger@example.kz,2026-11-23 14:00:00,2026-11-23 15:00:00,60\n").encode()
    attendance.import_report(session, report, "zoom-есеп.csv", trainer)
    announcements.post(cohort, {"title": "Ертеңгі вебинар", "body": "Сілтеме **өзгерді**"}, trainer)
    db_session.commit()
    return trainer.id, cohort.id, task.id, session.id, me.id, other.id, mine.id


def test_a_participant_gets_their_own_course_data_and_nobody_elses(app, client, auth, make, db_session):
    trainer_id, cohort_id, task_id, session_id, me_id, other_id, mine_id = _setup(app, make, db_session)
    me, other = db_session.get(Enrolment, me_id), db_session.get(Enrolment, other_id)
    my_email, other_email, other_name = me.user.email, other.user.email, other.user.full_name
    theirs_id = db_session.scalar(select(Submission.id).where(Submission.enrolment_id == other_id))
    assert other_name == "Қатысушы 02"

    auth.login(my_email)
    archive = personal_data(client.post("/profile/my-data.zip"))
    data = json.loads(archive.read("courses/data.json"))

    [enrolment] = data["enrolments"]
    assert (enrolment["cohort"], enrolment["programme"], enrolment["status"], enrolment["format"]) == \
        ("PRV-C", "LDR-SUS", "enrolled", "online")
    assert enrolment["programme_title"] and enrolment["cohort_starts_on"] == START.date().isoformat()
    assert [(c["cohort"], c["module"]) for c in data["topic_choices"]] == [("PRV-C", 4), ("PRV-C", 4)]
    assert all(c["topic"].startswith("4.") for c in data["topic_choices"])

    [mark] = data["attendance"]
    assert (mark["cohort"], mark["session_id"], mark["topic"], mark["status"], mark["minutes"]) == \
        ("PRV-C", session_id, "1.3", "late", 120)
    assert mark["hours_credited"] == 2.0  # the ledger credits at most the session's 90 minutes
    assert "updated_by" not in json.dumps(mark)

    [hand_in] = data["selfstudy_submissions"]
    assert (hand_in["id"], hand_in["cohort"], hand_in["topic"], hand_in["text"], hand_in["link"]) == \
        (mine_id, "PRV-C", "1.2", "Менің жұмысым", "https://example.kz/menin")
    assert hand_in["self_assessment"] == "Өзім бағаладым"
    assert hand_in["descriptors"] == ["Мақсат жазылған", "Дереккөз көрсетілген"]
    assert hand_in["my_ticks"] == [True, False] and hand_in["trainer_ticks"] == [False, True]
    assert (hand_in["status"], hand_in["feedback"]) == ("returned", "Мақсатты нақтылаңыз")
    assert hand_in["reviewed_at"] is not None and "reviewed_by" not in hand_in
    assert archive.read("courses/" + hand_in["file"]) == MY_FILE

    [written] = data["peer_reviews_written"]
    assert (written["submission_id"], written["comment"]) == (theirs_id, "Менің пікірім")
    [received] = data["peer_reviews_received"]
    assert received == {"submission_id": mine_id, "cohort": "PRV-C", "task": received["task"],
                        "comment": "Бөтеннің пікірі менің жұмысыма", "written_at": received["written_at"]}
    # a participant gave no reviews, posted nothing and uploaded nothing
    for section in ("selfstudy_reviews_given", "announcements_posted", "attendance_reports_uploaded",
                    "attendance_recorded"):
        assert data[section] == []

    everything = zip_text(archive)
    courses = archive.read("courses/data.json").decode()
    for foreign in ("Бөтеннің жұмысы", "Үшіншінің жұмысы", other_email, other_name, "Қатысушы 03",
                    "prv-c-p03@test.kz", "Тренер Бекова", "prv-trainer@test.kz", "stranger@example.kz",
                    "Бейтаныс", KEY):
        assert foreign not in everything, foreign
    assert THEIR_FILE.decode() not in everything
    assert '"reviewer' not in courses
    assert not [n for n in archive.namelist() if "бөтен" in n]


def test_a_trainer_gets_their_reviews_posts_and_uploads_by_id_only(app, client, auth, make, db_session):
    trainer_id, cohort_id, task_id, session_id, me_id, other_id, mine_id = _setup(app, make, db_session)
    trainer_email = db_session.get(User, trainer_id).email
    people = [(e.user.email, e.user.full_name) for e in db_session.get(Enrolment, me_id).cohort.enrolments]

    auth.login(trainer_email)
    archive = personal_data(client.post("/profile/my-data.zip"))
    data = json.loads(archive.read("courses/data.json"))
    assert data["enrolments"] == [] and data["selfstudy_submissions"] == []
    [given] = data["selfstudy_reviews_given"]
    assert (given["submission_id"], given["cohort"], given["status"], given["feedback"], given["ticks"]) == \
        (mine_id, "PRV-C", "returned", "Мақсатты нақтылаңыз", [False, True])
    [posted] = data["announcements_posted"]
    assert (posted["cohort"], posted["title"], posted["text"]) == ("PRV-C", "Ертеңгі вебинар", "Сілтеме **өзгерді**")
    [upload] = data["attendance_reports_uploaded"]
    assert (upload["cohort"], upload["session_id"], upload["file_name"]) == ("PRV-C", session_id, "zoom-есеп.csv")
    [recorded] = data["attendance_recorded"]
    # two marks by hand and one from the report, all last set by the trainer
    assert (recorded["session_id"], recorded["marks"]) == (session_id, 3)

    courses = archive.read("courses/data.json").decode()
    for email, name in people:
        assert email not in courses and name not in courses, (email, name)
    for foreign in ("Менің жұмысым", "Бөтеннің", "stranger@example.kz", "Бейтаныс", "late", "absent"):
        assert foreign not in courses, foreign
    assert not [n for n in archive.namelist() if n.startswith("courses/files/")]


def test_the_export_costs_the_same_statements_for_one_hand_in_or_many(app, make, db_session, count_queries):
    trainer = make.user(email="prv-q-trainer@test.kz")
    cohort = make.cohort(code="PRV-Q", participants=2, trainer=trainer)
    selfstudy.create_default_tasks(cohort, None)
    db_session.commit()
    db_session.refresh(cohort)
    few, many = sorted(cohort.enrolments, key=lambda e: e.user.email)
    sessions = [make.session(cohort, code) for code in ("1.2", "1.3", "2.1")]
    with app.app_context():
        tasks = list(cohort.tasks)
        selfstudy.submit(tasks[0], few, "бір", None, (MY_FILE, "a.pdf"), few.user)
        attendance.mark(sessions[0], {few.id: ("present", None)}, trainer)
        for task in tasks[:5]:
            selfstudy.submit(task, many, "көп", None, (MY_FILE, "b.pdf"), many.user)
        for session in sessions:
            attendance.mark(session, {many.id: ("present", None)}, trainer)
        db_session.commit()
    counts = []
    for enrolment_id in (few.id, many.id):
        user = db_session.get(Enrolment, enrolment_id).user
        with count_queries() as q:
            data = privacy.export(user)
        counts.append(len(q))
        assert len(data.records["selfstudy_submissions"]) == len(data.files) > 0
    assert len(data.records["attendance"]) == 3
    assert counts[0] == counts[1] <= 12, counts


def test_erasure_takes_my_peer_comments_and_my_name_in_meeting_reports_and_keeps_my_hand_ins(app, make, db_session):
    from lms.core.services import erasure
    from lms.courses.models import AttendanceImport, PeerReview, Submission

    trainer_id, cohort_id, task_id, session_id, me_id, other_id, mine_id = _setup(app, make, db_session)
    me = db_session.get(Enrolment, me_id)
    report = db_session.scalars(select(AttendanceImport)).one()
    report.unmatched = [*report.unmatched, {"key": "x", "name": "Әлия (телефон)", "email": me.user.email.upper(),
                                            "minutes": 30, "mapped_enrolment_id": None}]
    db_session.commit()
    with app.test_request_context():
        done = erasure.erase(me.user, None, "өтініш")
        db_session.commit()
    comments = dict(db_session.execute(select(PeerReview.reviewer_id, PeerReview.comment)).all())
    assert comments == {me_id: "—", other_id: "Бөтеннің пікірі менің жұмысыма"}
    rows = db_session.scalars(select(AttendanceImport)).one().unmatched
    assert [(r["name"], r["email"]) for r in rows] == [("Бейтаныс Адам", "stranger@example.kz"), ("—", None)]
    mine = db_session.get(Submission, mine_id)  # the hand-in and its review stay: the marks rest on them
    assert (mine.text, mine.feedback) == ("Менің жұмысым", "Мақсатты нақтылаңыз") and mine.file_id is not None
    assert done.counts["courses.peer_comments"] == 1 and done.counts["courses.meeting_report_rows"] == 1
    assert db_session.get(Enrolment, me_id).status == "withdrawn"  # the course under way lists them no more
    assert db_session.get(Enrolment, other_id).status != "withdrawn"
