"""Done-when of issue 3, in a real browser: the trainer imports a meeting report and marks
attendance; the participant sees the progress bar move."""
import sqlite3
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from tests.e2e.test_catalogue import sign_in

import pytest

pytestmark = pytest.mark.e2e


def _upcoming_session(db_path: str) -> tuple[int, datetime]:
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT s.id, s.starts_at FROM courses_sessions s JOIN courses_cohorts c ON c.id = s.cohort_id"
            " WHERE c.code = 'DEMO-LDR-SUS' AND s.status = 'scheduled' AND s.academic_hours >= 2 AND s.id NOT IN"
            " (SELECT session_id FROM courses_attendance) ORDER BY s.starts_at LIMIT 1").fetchall()
    session_id, starts = rows[0]
    return session_id, datetime.fromisoformat(starts).replace(tzinfo=timezone.utc)


def _enrolment_id(db_path: str, email: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT e.id FROM courses_enrolments e JOIN core_users u ON u.id = e.user_id"
            " JOIN courses_cohorts c ON c.id = e.cohort_id WHERE c.code = 'DEMO-LDR-SUS' AND u.email = ?",
            (email,)).fetchone()[0]


def _attended(page) -> float:
    """The exact hours behind the bar (its <progress> value); the label rounds them."""
    return float(page.locator("#progress-contact progress").get_attribute("value"))


def test_trainer_imports_report_and_marks_attendance_participant_sees_progress(
        browser, live_server, live_server_db, tmp_path, screenshot):
    participant, other = "participant01@demo.test", "participant02@demo.test"
    session_id, starts = _upcoming_session(live_server_db)
    other_enrolment = _enrolment_id(live_server_db, other)

    learner = browser.new_context(locale="kk-KZ").new_page()
    sign_in(learner, live_server, participant, expect_text="")
    learner.goto(live_server + "/cohorts/DEMO-LDR-SUS/me")
    before = _attended(learner)

    trainer = browser.new_context(locale="kk-KZ").new_page()
    sign_in(trainer, live_server)
    trainer.goto(f"{live_server}/cohorts/DEMO-LDR-SUS/attendance/{session_id}")
    join = starts.astimezone(timezone(timedelta(hours=5)))
    report = tmp_path / "zoom.csv"
    report.write_text(
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes)\n"
        f"Participant,{participant},{join:%Y-%m-%d %H:%M:%S},{join + timedelta(minutes=40):%Y-%m-%d %H:%M:%S},40\n"
        f"Participant,{participant},{join + timedelta(minutes=30):%Y-%m-%d %H:%M:%S},"
        f"{join + timedelta(minutes=80):%Y-%m-%d %H:%M:%S},50\n"
        f"Guest,stranger@example.kz,{join:%Y-%m-%d %H:%M:%S},{join + timedelta(minutes=60):%Y-%m-%d %H:%M:%S},60\n",
        encoding="utf-8")
    trainer.set_input_files('#report-form input[name="report"]', str(report))
    trainer.click('#report-form button[type="submit"]')
    expect(trainer.locator("#unmatched")).to_contain_text("stranger@example.kz")
    screenshot("trainer-report-imported", trainer)

    trainer.goto(f"{live_server}/cohorts/DEMO-LDR-SUS/attendance/{session_id}")
    trainer.select_option(f'#attendance-form select[name="status-{other_enrolment}"]', "present")
    trainer.click('#attendance-form button[type="submit"]')
    expect(trainer.locator(f'#attendance-form select[name="status-{other_enrolment}"]')).to_have_value("present")

    learner.reload()
    after = _attended(learner)
    assert abs((after - before) - 80 / 45) < 0.011  # 80 minutes credited: 40 + 50 overlapping by 10
    screenshot("participant-progress", learner)
