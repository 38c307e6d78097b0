"""Participants often have only a phone on a slow line: every page they reach fits a 375 px
screen (a wide table scrolls in its place instead of widening the page, which a phone
browser would answer by zooming the text out)."""
import pytest

from tests.e2e.test_catalogue import sign_in

pytestmark = pytest.mark.e2e

SKIP = (".csv", ".pdf", ".ics", ".xlsx", ".zip", ".gift", ".xml")


def _pages_wider_than_the_screen(page, base: str, start: list[str], limit: int = 80) -> tuple[list, int]:
    """Follow the links of `start`'s pages (GET only) and list those wider than the screen."""
    seen: set[str] = set()
    queue, wide = list(start), []
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(base + url)
        if response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        if page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"):
            wide.append(url)
        for href in page.eval_on_selector_all("main a[href^='/']", "els => els.map(e => e.getAttribute('href'))"):
            href = href.split("#")[0]
            if href and href not in seen and not href.endswith(SKIP) and "/export" not in href \
                    and "format=" not in href:
                queue.append(href)
    return wide, len(seen)


@pytest.mark.parametrize("email, start", [
    ("participant54@demo.test", ["/cohorts/DEMO-LDR-DT/me", "/cohorts/DEMO-LDR-DT/me/tests", "/programmes/"]),
    ("participant78@demo.test", ["/cohorts/DEMO-LDR-SUS-2025/me"]),  # a graduate: portfolio, grades, plan
])
def test_every_page_a_participant_reaches_fits_a_phone(browser, live_server, email, start):
    context = browser.new_context(locale="kk-KZ", viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, email, expect_text=None)
    wide, checked = _pages_wider_than_the_screen(page, live_server, start)
    context.close()
    assert checked >= 10
    assert wide == []


def test_every_page_a_trainer_reaches_fits_a_laptop(browser, live_server):
    """Staff work on laptops: wide grids (attendance, gradebook, item statistics) scroll in
    their place, their first column (the names) staying in view."""
    context = browser.new_context(locale="kk-KZ", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, "trainer@demo.test", expect_text=None)
    wide, checked = _pages_wider_than_the_screen(
        page, live_server, ["/cohorts/DEMO-LDR-SUS-2025/gradebook", "/cohorts/DEMO-LDR-DT/attendance",
                            "/cohorts/DEMO-LDR-DT/tests", "/banks/LDT"], limit=60)
    context.close()
    assert checked >= 30
    assert wide == []


@pytest.mark.parametrize("email, start", [
    ("trainer@demo.test", ["/cohorts/DEMO-LDR-SUS/participants", "/cohorts/DEMO-LDR-SUS/schedule",
                           "/cohorts/DEMO-LDR-DT/tests", "/banks/LDR"]),
    ("curator@demo.test", ["/support", "/cohorts/DEMO-LDR-DT-2025/support"]),
])
def test_staff_pages_fit_a_phone_their_tables_scrolling_in_place(browser, live_server, email, start):
    """A curator logs a contact in a village, a trainer checks the schedule on the way: the
    page keeps to the screen, and a table wider than it scrolls within itself."""
    context = browser.new_context(locale="kk-KZ", viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, email, expect_text=None)
    wide, checked = _pages_wider_than_the_screen(page, live_server, start, limit=50)
    page.goto(live_server + start[0])
    tables = page.locator("main table.grid:not(.stack)")
    scrolls = tables.first.evaluate("t => getComputedStyle(t).overflowX") if tables.count() else "auto"
    context.close()
    assert checked >= 20
    assert wide == []
    assert scrolls == "auto"


def test_the_catalogue_reads_as_one_card_per_programme_on_a_phone(browser, live_server):
    """The catalogue was a table scrolling sideways in its box; on a phone each programme is a
    card whose figures keep their headers' words."""
    context = browser.new_context(locale="kk-KZ", viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(live_server + "/programmes/")
    table = page.locator("#catalogue")
    assert table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")  # nothing hidden sideways
    rows = table.locator("tbody tr")
    first, second = rows.nth(0).bounding_box(), rows.nth(1).bounding_box()
    assert first["width"] <= 375 and second["y"] >= first["y"] + first["height"]  # cards, one below the other
    hours = rows.nth(0).locator("td.num")
    assert hours.evaluate("e => getComputedStyle(e, '::before').content") == '"Сағат саны: "'
    # on a laptop it is the table it was, the header above the figures
    page.set_viewport_size({"width": 1280, "height": 800})
    assert hours.evaluate("e => getComputedStyle(e, '::before').content") == "none"
    assert table.locator("thead").is_visible()
    context.close()
