"""Marks on formative work in a real browser, in Kazakh and without JavaScript: the trainer of
DEMO-TCH-SUS opens a hand-in waiting for review on the task the demo marks out of 10, from the
review queue, types a mark above the maximum (refused, under the field, nothing saved), then 9,
and accepts. The participant then reads "9 / 10" on the task's page, and the practical-work
column of their grades counts it (seed 000's scale: practical work 20 of 100)."""
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.e2e.test_catalogue import sign_in

pytestmark = pytest.mark.e2e
COHORT = "DEMO-TCH-SUS"
BASE = f"/cohorts/{COHORT}"


def _waiting(db_path: str) -> tuple[int, int, str]:
    """A hand-in waiting for review on the marked task: (submission id, task id, participant's e-mail)."""
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT s.id, t.id, u.email FROM courses_submissions s JOIN courses_selfstudy_tasks t ON t.id = s.task_id"
            " JOIN courses_cohorts c ON c.id = t.cohort_id JOIN courses_enrolments e ON e.id = s.enrolment_id"
            " JOIN core_users u ON u.id = e.user_id WHERE c.code = ? AND t.max_points = 10 AND s.status = 'submitted'"
            " AND NOT EXISTS (SELECT 1 FROM courses_submissions o WHERE o.task_id = t.id AND o.points IS NOT NULL"
            " AND o.enrolment_id = s.enrolment_id) ORDER BY s.id LIMIT 1", (COHORT,)).fetchone()


def test_the_trainer_marks_a_hand_in_and_the_participant_reads_the_mark(browser, live_server, live_server_db,
                                                                         screenshot):
    submission_id, task_id, email = _waiting(live_server_db)
    trainer = browser.new_context(locale="kk-KZ", java_script_enabled=False)
    try:
        page = trainer.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, live_server)
        page.goto(f"{live_server}{BASE}/selfstudy/review")
        page.click(f'a[href="{BASE}/selfstudy/submissions/{submission_id}"]')
        expect(page.locator("h2 + p")).to_contain_text("10 балдан бағаланады")
        page.fill('input[name="points"]', "11")
        page.click('button[name="accept"]')
        expect(page.locator("#review-form .error")).to_contain_text("баға 0 мен 10 аралығында болуы керек")
        expect(page.locator('input[name="points"]')).to_have_value("11")
        page.fill('input[name="points"]', "9")
        page.fill('textarea[name="feedback"]', "Интерактивті тақтаның мүмкіндіктері жақсы көрсетілген.")
        page.click('button[name="accept"]')
        expect(page.locator(".flash").first).to_have_text("Жұмыс қабылданды.")
        page.goto(f"{live_server}{BASE}/selfstudy/submissions/{submission_id}")
        expect(page.locator('input[name="points"]')).to_have_value("9")
        screenshot("task-mark-trainer", page)
    finally:
        trainer.close()

    participant = browser.new_context(locale="kk-KZ", java_script_enabled=False)
    try:
        page = participant.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, live_server, email, expect_text=None)
        page.goto(f"{live_server}{BASE}/me/tasks/{task_id}")
        expect(page.locator(f"#submission-{submission_id} .mark")).to_have_text("Баға: 9 / 10")
        page.goto(f"{live_server}{BASE}/portfolio/grades")
        cell = page.locator('[data-component="practical"]').first
        expect(cell).to_contain_text("9 / 10")
        expect(cell).to_contain_text("1 тапсырманың 1 бағаланды")
        screenshot("task-mark-participant-grades", page)
    finally:
        participant.close()
