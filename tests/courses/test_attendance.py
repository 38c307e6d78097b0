"""Attendance: trainer's marks, meeting provider reports (Zoom, Teams, Google Meet, Kazakh
sheets), mapping of people a report did not match, and the grid's bounded SQL."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from lms.core.models import AuditEntry, User
from lms.core.services.errors import ServiceError
from lms.courses.models import Attendance, AttendanceImport, Enrolment, WebinarSession
from lms.courses.services import attendance, ledger
from lms.db import db
from lms.signals import attendance_changed

DATA = Path(__file__).parent / "data" / "attendance"
#: 14:00 in Almaty (UTC+5), the local time every sample report is written in
START = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def setup(make):
    """Cohort ATT (LDR-SUS online: topic 1.3 plans 2 webinar hours), three participants
    att-p01..p03@test.kz, a trainer, and a 2-academic-hour (90-minute) session on 1.3."""
    trainer = make.user(email="trainer@test.kz", full_name="Тренер", language="en")  # pages in English
    cohort = make.cohort(code="ATT", participants=3, trainer=trainer)
    session = make.session(cohort, "1.3", starts_at=START, hours=2.0)
    return cohort, session, trainer


def enrolment_by_email(cohort, email) -> Enrolment:
    return next(e for e in cohort.enrolments if e.user.email == email)


def marks_of(session) -> dict[str, tuple[str, int, str]]:
    rows = select(User.email, Attendance.status, Attendance.minutes, Attendance.source).join(
        Enrolment, Enrolment.id == Attendance.enrolment_id).join(User).where(Attendance.session_id == session.id)
    return {email: (status, minutes, source) for email, status, minutes, source in db.session.execute(rows)}


def topic_attended(enrolment, code) -> float:
    row = next(r for r in ledger.ledger_for(enrolment).rows if r.unit.topic and r.unit.topic.code == code)
    return row.attended


# --- the Done-when -------------------------------------------------------------------------------

def test_two_overlapping_joins_credit_80_minutes_and_unknown_email_waits_for_mapping(setup, db_session):
    cohort, session, trainer = setup
    report = (
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes)\n"
        "Қатысушы 01,att-p01@test.kz,2026-11-23 14:00:00,2026-11-23 14:40:00,40\n"   # 40 min
        "Қатысушы 01,att-p01@test.kz,2026-11-23 14:30:00,2026-11-23 15:20:00,50\n"   # 50 min, 10 overlap
        "Бейтаныс,stranger@example.kz,2026-11-23 14:00:00,2026-11-23 15:00:00,60\n"
    ).encode()
    record = attendance.import_report(session, report, "zoom.csv", trainer)
    db_session.commit()

    p01 = enrolment_by_email(cohort, "att-p01@test.kz")
    assert marks_of(session)["att-p01@test.kz"] == ("present", 80, "report")
    assert topic_attended(p01, "1.3") == round(80 / 45, 2)  # 1.78 h of the 2 planned
    assert record.matched == 1
    assert [(u["email"], u["minutes"], u["mapped_enrolment_id"]) for u in record.unmatched] == \
        [("stranger@example.kz", 60, None)]
    assert [u["email"] for _r, u in attendance.unmatched_pending(cohort)] == ["stranger@example.kz"]

    # the trainer recognizes the stranger as participant 02, who joined from a private address
    p02 = enrolment_by_email(cohort, "att-p02@test.kz")
    attendance.map_unmatched(record, record.unmatched[0]["key"], p02, trainer)
    db_session.commit()
    assert marks_of(session)["att-p02@test.kz"] == ("present", 60, "mapped")
    assert topic_attended(p02, "1.3") == round(60 / 45, 2)
    assert db_session.get(AttendanceImport, record.id).unmatched[0]["mapped_enrolment_id"] == p02.id
    assert attendance.unmatched_pending(cohort) == []
    assert db_session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "attendance_mapped")) == 1


# --- provider styles ---------------------------------------------------------------------------

@pytest.mark.parametrize("filename, expected, unmatched", [
    # Zoom: a meeting summary above the table; US times; a renamed guest matched by the
    # original name in brackets; e-mail case ignored; the trainer is not a participant
    ("zoom.csv", {"att-p01@test.kz": ("present", 80, "report"), "att-p02@test.kz": ("late", 70, "report"),
                  "att-p03@test.kz": ("present", 55, "report")},
     ["trainer@test.kz", "stranger@mail.kz"]),
    # Teams: UTF-16, tab-separated, summary above and activity log below; the in-meeting
    # duration counts (not last leave - first join); the UPN stands in for a missing e-mail
    ("teams.csv", {"att-p01@test.kz": ("present", 80, "report"), "att-p02@test.kz": ("late", 50, "report"),
                   "att-p03@test.kz": ("present", 46, "report")},
     ["trainer@test.kz"]),
    # Google Meet: times of day only (taken on the session's local date), "1 hr 20 min"
    ("meet.csv", {"att-p01@test.kz": ("present", 80, "report"), "att-p02@test.kz": ("late", 35, "report")},
     ["guest@gmail.com"]),
    # a hand-made sheet with Kazakh headers, ';' and dotted dates; a row with only a duration
    ("kazakh.csv", {"att-p01@test.kz": ("present", 80, "report"), "att-p02@test.kz": ("present", 65, "report")},
     []),
])
def test_provider_reports_parse(setup, db_session, filename, expected, unmatched):
    cohort, session, trainer = setup
    record = attendance.import_report(session, (DATA / filename).read_bytes(), filename, trainer)
    assert marks_of(session) == expected
    assert record.matched == len(expected)
    assert [u["email"] for u in record.unmatched] == unmatched


def test_russian_windows_1251_report_with_first_and_last_name(setup, db_session):
    cohort, session, trainer = setup
    report = ("Имя;Почта;Время входа;Время выхода\n"
              "Қатысушы 03;;23.11.2026 14:20:00;23.11.2026 15:00:00\n"
              "Иван Петров;ivan@mail.ru;23.11.2026 14:00;23.11.2026 15:30\n")
    report = report.replace("Қатысушы 03", "Участник")  # cp1251 has no Kazakh letters
    attendance.import_report(session, report.encode("cp1251"), "report.csv", trainer)
    record = db_session.scalars(select(AttendanceImport)).one()
    assert record.matched == 0
    assert [(u["name"], u["minutes"]) for u in record.unmatched] == [("Участник", 40), ("Иван Петров", 90)]

    split = ("First name,Last name,Email,Time joined,Time exited\n"
             "Қатысушы,03,,2:00 PM,2:45 PM\n").encode()
    attendance.import_report(session, split, "meet.csv", trainer)
    assert marks_of(session) == {"att-p03@test.kz": ("present", 45, "report")}


def test_duration_and_time_formats():
    assert [attendance.parse_duration(v) // 60 for v in ("50", "50 min", "1:05:00", "1 h 5 min", "1h 5m",
                                                        "1 сағ 5 мин", "1 ч 5 мин", "1 hr 5 mins")] == \
        [50, 50, 65, 65, 65, 65, 65, 65]
    zone = timezone(timedelta(hours=5))
    day = START.date()
    for text in ("2026-11-23 14:05:10", "11/23/2026 02:05:10 PM", "23.11.2026 14:05:10", "2026-11-23T09:05:10Z",
                 "11/23/26, 2:05:10 PM", "14:05:10"):
        assert attendance.parse_time(text, zone, day) == START + timedelta(minutes=5, seconds=10), text
    assert attendance.parse_time("23.11.2026 14:05", zone, day) == START + timedelta(minutes=5)
    for bad in ("yesterday", "23.11.2026", "25:61"):
        with pytest.raises(ValueError):
            attendance.parse_time(bad, zone, day)
    for bad in ("a while", "1 fortnight", "1:75"):
        with pytest.raises(ValueError):
            attendance.parse_duration(bad)


# --- refusals ------------------------------------------------------------------------------------

def test_bad_line_refuses_the_whole_report_naming_every_line(setup, db_session):
    cohort, session, trainer = setup
    attendance.mark(session, {enrolment_by_email(cohort, "att-p01@test.kz").id: ("present", None)}, trainer)
    db_session.commit()
    report = ("Name,Email,Join Time,Leave Time\n"
              "Қатысушы 02,att-p02@test.kz,2026-11-23 14:00,2026-11-23 15:00\n"
              "Қатысушы 01,att-p01@test.kz,when the bell rang,2026-11-23 15:00\n"
              ",,2026-11-23 14:00,2026-11-23 15:00\n").encode()
    with pytest.raises(ServiceError) as exc:
        attendance.import_report(session, report, "zoom.csv", trainer)
    db_session.rollback()
    assert "line 3" in exc.value.message and "when the bell rang" in exc.value.message
    assert "line 4: neither a name nor an e-mail" in exc.value.message
    assert marks_of(session) == {"att-p01@test.kz": ("present", 90, "manual")}  # nothing written
    assert db_session.scalar(select(func.count()).select_from(AttendanceImport)) == 0


def test_report_must_be_a_small_csv(setup, db_session):
    cohort, session, trainer = setup
    with pytest.raises(ServiceError, match=r"\.csv"):
        attendance.import_report(session, b"Name,Email,Duration\nA,a@b.kz,5\n", "report.xlsx", trainer)
    big = b"Name,Email,Duration\n" + b"A,a@b.kz,5\n" * 600_000
    with pytest.raises(ServiceError, match="limit is 5 MB"):
        attendance.import_report(session, big, "report.csv", trainer)
    with pytest.raises(ServiceError, match="no join/leave time or duration"):
        attendance.import_report(session, b"Name,Email\nA,a@b.kz\n", "report.csv", trainer)


def test_manual_marks_are_all_or_nothing(setup, make, db_session):
    cohort, session, trainer = setup
    p01, p02 = (enrolment_by_email(cohort, f"att-p0{i}@test.kz") for i in (1, 2))
    other = make.cohort(code="OTHER", participants=1).enrolments[0]
    for marks, message in [
        ({p01.id: ("present", None), p02.id: ("asleep", None)}, "Қатысушы 02 (att-p02@test.kz): unknown"),
        ({p01.id: ("present", None), p02.id: ("late", -5)}, "Қатысушы 02 (att-p02@test.kz): minutes cannot"),
        ({p01.id: ("late", 181)}, "Қатысушы 01 (att-p01@test.kz): 181 minutes is more than twice"),
        ({p01.id: ("present", None), other.id: ("present", None)}, f"enrolment {other.id} is not in"),
    ]:
        with pytest.raises(ServiceError) as exc:
            attendance.mark(session, marks, trainer)
        assert message in exc.value.message
        db_session.rollback()
        assert marks_of(session) == {}


def test_manual_marks_default_minutes_and_audit_every_change(setup, db_session):
    cohort, session, trainer = setup
    p01, p02, p03 = (enrolment_by_email(cohort, f"att-p0{i}@test.kz") for i in (1, 2, 3))
    received = []

    def on_change(sender, **kw):
        received.append((sender.id, sorted(kw["enrolment_ids"]), kw["source"]))

    attendance_changed.connect(on_change)
    try:
        attendance.mark(session, {p01.id: ("present", None), p02.id: ("late", None), p03.id: ("excused", 30)},
                        trainer)
        db_session.commit()
        assert marks_of(session) == {"att-p01@test.kz": ("present", 90, "manual"),
                                     "att-p02@test.kz": ("late", 90, "manual"),
                                     "att-p03@test.kz": ("excused", 0, "manual")}
        changed = attendance.mark(session, {p01.id: ("present", 90), p02.id: ("late", 55)}, trainer)
        db_session.commit()
    finally:
        attendance_changed.disconnect(on_change)
    assert [a.enrolment_id for a in changed] == [p02.id]  # p01 was already present for 90 minutes
    assert received == [(session.id, sorted([p01.id, p02.id, p03.id]), "manual"), (session.id, [p02.id], "manual")]
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "attendance_changed")).all()
    assert len(entries) == 1
    assert entries[0].actor_id == trainer.id
    assert entries[0].details["old"] == {"status": "late", "minutes": 90, "source": "manual"}
    assert entries[0].details["new"] == {"status": "late", "minutes": 55, "source": "manual"}
    assert entries[0].details["participant"] == "att-p02@test.kz"


def test_a_report_replaces_a_manual_mark_and_the_old_value_is_audited(setup, db_session):
    cohort, session, trainer = setup
    attendance.mark(session, {enrolment_by_email(cohort, "att-p01@test.kz").id: ("present", None)}, trainer)
    attendance.import_report(session, (DATA / "kazakh.csv").read_bytes(), "kazakh.csv", trainer)
    db_session.commit()
    assert marks_of(session)["att-p01@test.kz"] == ("present", 80, "report")
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "attendance_changed")).one()
    assert (entry.details["old"]["minutes"], entry.details["new"]["minutes"]) == (90, 80)
    assert "kazakh.csv" in entry.details["reason"]


def test_cancelled_session_takes_no_attendance(setup, make, db_session):
    cohort, _session, trainer = setup
    cancelled = make.session(cohort, "1.3", starts_at=START + timedelta(days=1), status="cancelled")
    with pytest.raises(ServiceError, match="cancelled"):
        attendance.mark(cancelled, {cohort.enrolments[0].id: ("present", None)}, trainer)


# --- pages -----------------------------------------------------------------------------------------

def test_trainer_marks_a_session_on_the_sheet(setup, client, auth, db_session):
    cohort, session, trainer = setup
    p01, p02, p03 = (enrolment_by_email(cohort, f"att-p0{i}@test.kz").id for i in (1, 2, 3))
    attendance.import_report(session, (DATA / "kazakh.csv").read_bytes(), "kazakh.csv", trainer)  # p01 80, p02 65
    db_session.commit()
    code, sid, email = cohort.code, session.id, trainer.email
    auth.login(email)
    page = client.get(f"/cohorts/{code}/attendance/{sid}").get_data(as_text=True)
    assert 'id="attendance-form"' in page and f'name="status-{p03}"' in page and f'name="minutes-{p03}"' in page
    assert 'id="report-form"' in page and 'name="report"' in page
    # the sheet comes back as shown for p01; p02 turns absent with the minutes left as
    # shown; p03, unmarked, becomes late with 30 minutes typed in
    r = client.post(f"/cohorts/{code}/attendance/{sid}", data={
        f"status-{p01}": "present", f"minutes-{p01}": "80", f"was-{p01}": "present:80",
        f"status-{p02}": "absent", f"minutes-{p02}": "65", f"was-{p02}": "present:65",
        f"status-{p03}": "late", f"minutes-{p03}": "30", f"was-{p03}": ""})
    assert r.status_code == 302
    assert marks_of(db_session.get(WebinarSession, sid)) == {"att-p01@test.kz": ("present", 80, "report"),
                                                             "att-p02@test.kz": ("absent", 0, "manual"),
                                                             "att-p03@test.kz": ("late", 30, "manual")}
    # a refusal keeps what was typed and writes nothing
    r = client.post(f"/cohorts/{code}/attendance/{sid}", data={
        f"status-{p03}": "late", f"minutes-{p03}": "thirty", f"was-{p03}": "late:30",
        f"status-{p02}": "present", f"minutes-{p02}": "", f"was-{p02}": "absent:0"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "minutes must be a whole number" in page and 'value="thirty"' in page
    assert marks_of(db_session.get(WebinarSession, sid))["att-p02@test.kz"] == ("absent", 0, "manual")


def test_upload_report_then_map_the_stranger_on_the_pages(setup, client, auth, db_session):
    cohort, session, trainer = setup
    code, sid, email = cohort.code, session.id, trainer.email
    p02 = enrolment_by_email(cohort, "att-p02@test.kz").id
    auth.login(email)
    r = client.post(f"/cohorts/{code}/attendance/{sid}/report",
                    data={"report": (io.BytesIO((DATA / "zoom.csv").read_bytes()), "zoom.csv")},
                    content_type="multipart/form-data", follow_redirects=True)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="unmatched"' in page
    unmatched_html = page[page.index('id="unmatched"'):]
    assert "stranger@mail.kz" in unmatched_html and "trainer@test.kz" in unmatched_html
    record = db_session.scalars(select(AttendanceImport)).one()
    stranger = next(u["key"] for u in record.unmatched if u["email"] == "stranger@mail.kz")
    trainer_key = next(u["key"] for u in record.unmatched if u["email"] == "trainer@test.kz")
    import_id = record.id

    r = client.post(f"/cohorts/{code}/attendance/imports/{import_id}/map", data={"key": stranger, "enrolment": p02})
    assert r.status_code == 302
    # p02 had 70 minutes from the report (matched by name, joined late); the stranger's
    # 60 minutes from 14:00 may overlap them, so they keep the larger count, now on time
    assert marks_of(db_session.get(WebinarSession, sid))["att-p02@test.kz"] == ("present", 70, "mapped")
    client.post(f"/cohorts/{code}/attendance/imports/{import_id}/map", data={"key": trainer_key, "enrolment": "ignore"})
    page = client.get(f"/cohorts/{code}/attendance").get_data(as_text=True)
    assert "waiting to be mapped" not in page  # nothing left to map
    assert "80" in page and 'id="attendance-grid"' in page
    # mapping the same person twice is refused
    r = client.post(f"/cohorts/{code}/attendance/imports/{import_id}/map",
                    data={"key": stranger, "enrolment": p02}, follow_redirects=True)
    assert "already been dealt with" in r.get_data(as_text=True)


def test_refused_upload_lists_the_lines_and_changes_nothing(setup, client, auth, db_session):
    cohort, session, trainer = setup
    code, sid, email = cohort.code, session.id, trainer.email
    auth.login(email)
    bad = b"Name,Email,Join Time,Leave Time\nA,a@b.kz,2026-11-23 14:00,later\n"
    r = client.post(f"/cohorts/{code}/attendance/{sid}/report", data={"report": (io.BytesIO(bad), "bad.csv")},
                    content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "line 2" in page and "not imported" in page
    r = client.post(f"/cohorts/{code}/attendance/{sid}/report", data={"report": (io.BytesIO(bad), "bad.txt")},
                    content_type="multipart/form-data")
    assert ".csv" in r.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(AttendanceImport)) == 0


def test_participant_is_refused_and_foreign_sessions_are_not_found(setup, make, client, auth, db_session):
    cohort, session, trainer = setup
    other = make.cohort(code="OTHER", participants=1)
    foreign = make.session(other, "1.3", starts_at=START)
    foreign_import = attendance.import_report(foreign, (DATA / "meet.csv").read_bytes(), "meet.csv", None)
    db_session.commit()
    code, sid, fid, iid = cohort.code, session.id, foreign.id, foreign_import.id
    participant = cohort.enrolments[0].user.email
    trainer_email = trainer.email

    auth.login(participant)
    assert client.get(f"/cohorts/{code}/attendance").status_code == 403
    assert client.get(f"/cohorts/{code}/attendance/{sid}").status_code == 403
    assert client.post(f"/cohorts/{code}/attendance/{sid}", data={}).status_code == 403
    assert client.post(f"/cohorts/{code}/attendance/{sid}/report", data={}).status_code == 403
    auth.logout()

    auth.login(trainer_email)
    assert client.get(f"/cohorts/{code}/attendance/{fid}").status_code == 404
    assert client.post(f"/cohorts/{code}/attendance/{fid}/report", data={}).status_code == 404
    assert client.get(f"/cohorts/{code}/attendance/imports/{iid}").status_code == 404
    assert client.post(f"/cohorts/{code}/attendance/imports/{iid}/map", data={}).status_code == 404
    assert client.get(f"/cohorts/{code}/attendance/999999").status_code == 404
    # and the trainer of ATT is not staff of OTHER
    assert client.get(f"/cohorts/OTHER/attendance/{fid}").status_code == 403


def test_empty_grid_says_so(make, client, auth, db_session):
    admin = make.user("admin", language="en")
    cohort = make.cohort(code="EMPTY", participants=0)
    code = cohort.code
    auth.login(admin.email)
    page = client.get(f"/cohorts/{code}/attendance").get_data(as_text=True)
    assert "No sessions are scheduled yet." in page


# --- bounded SQL -------------------------------------------------------------------------------------

def bulk_cohort(make, db_session, code: str, participants: int, sessions: int = 60) -> str:
    """A cohort of `participants` x `sessions` with a mark in every cell, inserted in bulk
    (no password hashing, no per-row services)."""
    cohort = make.cohort(code=code, participants=0, days=120)
    users = [User(email=f"{code.lower()}-b{i:03d}@test.kz", full_name=f"Қатысушы {i:03d}", password_hash=None)
             for i in range(participants)]
    db_session.add_all(users)
    db_session.flush()
    db_session.execute(insert(Enrolment), [{"cohort_id": cohort.id, "user_id": u.id, "status": "active"}
                                           for u in users])
    topics = [t for t in cohort.programme.topics if t.module_id and (t.hours.get("online") or {}).get("webinar")]
    first = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=sessions // 2)
    rows = [WebinarSession(cohort_id=cohort.id, module_id=topics[i % len(topics)].module_id,
                           topic_id=topics[i % len(topics)].id, starts_at=first + timedelta(days=i),
                           academic_hours=2.0) for i in range(sessions)]
    db_session.add_all(rows)
    db_session.flush()
    enrolment_ids = db_session.scalars(select(Enrolment.id).where(Enrolment.cohort_id == cohort.id)).all()
    statuses = ("present", "late", "absent", "excused")
    db_session.execute(insert(Attendance), [
        {"session_id": s.id, "enrolment_id": e, "status": statuses[(i + j) % 4],
         "minutes": (90, 60, 0, 0)[(i + j) % 4], "source": "manual"}
        for i, s in enumerate(rows) for j, e in enumerate(enrolment_ids)])
    db_session.commit()
    return code


def test_grid_and_dashboard_cost_the_same_sql_for_20_or_200_participants(make, client, auth, db_session,
                                                                          count_queries):
    admin = make.user("admin", language="en")
    small = bulk_cohort(make, db_session, "SMALL", 20)
    large = bulk_cohort(make, db_session, "LARGE", 200)
    auth.login(admin.email)
    counts = {}
    for code in (small, large):
        for path in (f"/cohorts/{code}/attendance", f"/cohorts/{code}", f"/cohorts/{code}/attendance?from=50&page=4"):
            with count_queries() as q:
                r = client.get(path)
            assert r.status_code == 200, path
            counts[(code, path.replace(code, "X"))] = len(q)
        if code == large:
            page = r.get_data(as_text=True)
            assert "Sessions 51–60 of 60" in page and "Page 4 of 4" in page
    for path in ("/cohorts/X/attendance", "/cohorts/X", "/cohorts/X/attendance?from=50&page=4"):
        assert counts[(small, path)] == counts[(large, path)], (path, counts)
        assert counts[(large, path)] <= 25, (path, counts)
