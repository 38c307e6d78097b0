"""Done-when of issue 6, in a real browser: the curator opens the support grid, finds the
graduate marked overdue (lms demo's DEMO-LDR-DT-2025), logs a Telegram consultation for the
overdue activity on the graduate's timeline, and the grid shows the graduate on track."""
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.e2e.test_catalogue import sign_in

pytestmark = pytest.mark.e2e
COHORT = "DEMO-LDR-DT-2025"


def _open_consultation(db_path: str, plan_id: int) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT id FROM postcourse_activities WHERE plan_id = ? AND activity_type = 'consultation'"
                            " AND status = 'planned'", (plan_id,)).fetchone()[0]


def test_curator_logs_a_telegram_consultation_and_the_overdue_graduate_is_back_on_track(
        page, live_server, live_server_db, screenshot):
    sign_in(page, live_server, "curator@demo.test", expect_text="Куратор")
    page.click('header .menu a[href="/support"]')
    page.select_option('#filters select[name="cohort"]', COHORT)
    page.click('#filters button[type="submit"]')

    overdue = page.locator('#grid tbody tr[data-state="overdue"]')
    expect(overdue).to_have_count(1)
    now_cell = overdue.locator('td[aria-current="date"]')
    expect(now_cell).to_have_attribute("data-state", "overdue")
    expect(now_cell).not_to_be_empty()  # a text label, not only a colour
    expect(overdue.locator('td[data-month="5"]')).to_have_attribute("data-state", "overdue")
    plan_id = int(overdue.get_attribute("data-plan"))
    name = overdue.locator("td a").first.inner_text()
    screenshot("support-grid-overdue")

    overdue.locator("td a").first.click()
    expect(page).to_have_url(f"{live_server}/cohorts/{COHORT}/support/plans/{plan_id}")
    expect(page.locator("main")).to_contain_text(name)
    activity_id = _open_consultation(live_server_db, plan_id)
    page.click("#log-contact summary")
    page.select_option('#contact-form select[name="channel"]', "telegram")
    page.fill('#contact-form input[name="topic"]', "Кеңес: сабақты бейнеге түсіру")
    page.fill('#contact-form textarea[name="outcome"]', "Бейнежазба келесі аптада жіберіледі.")
    page.select_option('#contact-form select[name="activity_id"]', str(activity_id))
    page.click('#contact-form button[type="submit"]')
    expect(page.locator(".flash.message")).to_be_visible()
    screenshot("support-plan-contact-logged")

    page.goto(f"{live_server}/support?cohort={COHORT}")
    row = page.locator(f'#grid tbody tr[data-plan="{plan_id}"]')
    expect(row).to_have_attribute("data-state", "on_track")
    expect(row.locator('td[aria-current="date"]')).to_have_attribute("data-state", "on_track")
    expect(row.locator('td[data-month="5"]')).to_have_attribute("data-state", "done")
    expect(page.locator('#grid tbody tr[data-state="overdue"]')).to_have_count(0)
    screenshot("support-grid-on-track")
