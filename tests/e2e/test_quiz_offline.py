"""A rural line drops during a test: what the participant gave is not lost. The page says the
line is down, keeps retrying, holds a button press until the line is back, and a reload brings
back an answer the server never acknowledged, unless the server has a later one."""
import json
import re
import sqlite3
from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect

from tests.e2e.test_catalogue import sign_in
from tests.e2e.test_quiz import in_module_1_test

import pytest

pytestmark = pytest.mark.e2e

SAVED = re.compile(r"\d\d:\d\d:\d\d")
SAVES = "**/me/attempts/*/slots/*"
GIVEN = """b => JSON.stringify([...b.querySelectorAll('input, select, textarea')]
    .filter(e => e.name && !e.name.startsWith('present-') && (!['radio', 'checkbox'].includes(e.type) || e.checked))
    .map(e => [e.name, e.value]))"""


def _give(box, variant: int) -> None:
    """Answer one question; variants 0 and 1 give two different answers of any type."""
    kind = box.get_attribute("data-kind")
    if kind in ("single", "truefalse"):
        box.locator("input[type=radio]").nth(variant).check()
    elif kind == "multiple":
        for k in range(variant + 1):
            box.locator("input[type=checkbox]").nth(k).check()
    elif kind == "matching":
        box.locator("select").first.select_option(index=1 + variant)
    elif kind == "essay":
        box.locator("textarea").fill(("Бірінші жауап.", "Екінші жауап.")[variant])
        box.locator("textarea").blur()
    else:
        box.locator("input[type=text]").fill(("5", "7")[variant])
        box.locator("input[type=text]").blur()


def _given(box) -> list:
    return json.loads(box.evaluate(GIVEN))


def test_a_dropped_line_holds_the_answer_and_the_button_until_it_is_back(browser, live_server, screenshot):
    context, page = in_module_1_test(browser, live_server, "participant55@demo.test")
    boxes = page.locator("fieldset.question")
    _give(boxes.nth(0), 0)
    expect(boxes.nth(0).locator(".saved")).to_have_text(SAVED)
    banner = page.locator("#connection")
    expect(banner).to_be_hidden()

    context.set_offline(True)
    _give(boxes.nth(1), 0)
    expect(boxes.nth(1).locator(".saved")).to_have_class(re.compile("error"))
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Байланыс жоқ")
    page.locator("button[name=action][value=next]").click()  # would end on the browser's error page
    expect(page).not_to_have_url(re.compile(r"page=2"))
    screenshot("quiz-offline-held", page)

    given = _given(boxes.nth(1))
    context.set_offline(False)
    # the answer goes out, then the held "Next" is carried out
    expect(page).to_have_url(re.compile(r"page=2"))
    page.locator("button[name=action][value=prev]").click()
    expect(page).not_to_have_url(re.compile(r"page=2"))
    assert _given(page.locator("fieldset.question").nth(1)) == given
    expect(page.locator("fieldset.question").nth(1).locator(".saved")).to_have_text(SAVED)
    context.close()


def test_a_reload_sends_the_answer_the_server_never_acknowledged(browser, live_server):
    context, page = in_module_1_test(browser, live_server, "participant56@demo.test")
    attempt_url = page.url
    page.route(SAVES, lambda route: route.abort())  # the line takes no save, the page stays
    box = page.locator("fieldset.question").nth(2)
    _give(box, 1)
    expect(box.locator(".saved")).to_have_class(re.compile("error"))
    given = _given(box)
    page.unroute(SAVES)

    page.reload()  # a fresh page from the server, which never got the answer
    box = page.locator("fieldset.question").nth(2)
    assert _given(box) == given
    expect(box.locator(".saved")).to_have_text(SAVED)  # restored, then saved
    context.close()  # sessionStorage goes with the tab: what follows is the server's alone

    context = browser.new_context(locale="kk-KZ")
    page = context.new_page()
    sign_in(page, live_server, "participant56@demo.test", expect_text=None)
    page.goto(attempt_url)
    assert _given(page.locator("fieldset.question").nth(2)) == given
    context.close()


def test_a_later_answer_on_the_server_wins_over_the_one_kept_in_the_tab(browser, live_server):
    context, page = in_module_1_test(browser, live_server, "participant57@demo.test")
    page.route(SAVES, lambda route: route.abort())
    _give(page.locator("fieldset.question").nth(0), 0)  # kept in this tab, never sent
    expect(page.locator("fieldset.question").nth(0).locator(".saved")).to_have_class(re.compile("error"))

    other = context.new_page()  # a second tab answers the same question differently, and is saved
    other.goto(page.url)
    other_box = other.locator("fieldset.question").nth(0)
    _give(other_box, 1)
    expect(other_box.locator(".saved")).to_have_text(SAVED)
    later = _given(other_box)

    page.unroute(SAVES)
    page.reload()
    box = page.locator("fieldset.question").nth(0)
    assert _given(box) == later
    expect(box.locator(".saved")).to_have_text(SAVED)
    page.wait_for_timeout(1_000)  # had the kept answer been sent, it would be by now
    other.reload()
    assert _given(other.locator("fieldset.question").nth(0)) == later
    context.close()


def test_signed_out_mid_test_the_answer_waits_and_goes_once_signed_in_again(browser, live_server):
    context, page = in_module_1_test(browser, live_server, "participant59@demo.test")
    context.clear_cookies()  # the session ended (a shared computer, a long break)
    box = page.locator("fieldset.question").nth(0)
    _give(box, 0)
    banner = page.locator("#connection")
    expect(banner).to_contain_text("жүйеден шығып қалдыңыз")  # not "no connection"
    expect(box.locator(".saved")).to_have_class(re.compile("error"))

    given = _given(box)

    other = context.new_page()  # signed in again in another tab: the page's form is from the old session
    sign_in(other, live_server, "participant59@demo.test", expect_text=None)
    expect(banner).to_contain_text("бетті жаңартыңыз")  # reload the page
    page.reload()  # a fresh form; the answer kept in the tab is restored and sent
    box = page.locator("fieldset.question").nth(0)
    expect(box.locator(".saved")).to_have_text(SAVED)
    assert _given(box) == given
    other.goto(page.url)
    assert _given(other.locator("fieldset.question").nth(0)) == given  # the server has it
    context.close()


def test_time_running_out_on_a_dropped_line_still_counts_the_answer_given_in_time(
        browser, live_server, live_server_db):
    """The countdown ends while the line is down: the page holds the end of time, and once the
    line is back (within the test's grace) the answer given before the deadline is kept."""
    context, page = in_module_1_test(browser, live_server, "participant60@demo.test")
    attempt_id = int(re.search(r"/me/attempts/(\d+)", page.url).group(1))
    with sqlite3.connect(live_server_db) as db:  # the test's 20 minutes, down to a few seconds
        deadline = datetime.now(timezone.utc) + timedelta(seconds=8)
        db.execute("UPDATE quizbank_attempts SET deadline_at = ? WHERE id = ?",
                   (deadline.replace(tzinfo=None).isoformat(sep=" "), attempt_id))
    page.reload()
    context.set_offline(True)
    box = page.locator("fieldset.question").nth(0)
    _give(box, 0)
    expect(box.locator(".saved")).to_have_class(re.compile("error"))
    expect(page.locator("#timer")).to_have_text("0:00", timeout=15_000)
    page.wait_for_timeout(1_000)
    assert re.search(r"/me/attempts/\d+(\?|$)", page.url)  # held: not the browser's error page

    context.set_offline(False)  # back within the grace period
    expect(page).to_have_url(re.compile(r"/result$"), timeout=15_000)
    with sqlite3.connect(live_server_db) as db:
        status = db.execute("SELECT status FROM quizbank_attempts WHERE id = ?", (attempt_id,)).fetchone()[0]
        answer = db.execute("SELECT answer FROM quizbank_attempt_slots WHERE attempt_id = ? AND slot = 1",
                            (attempt_id,)).fetchone()[0]
    assert status == "finished" and answer is not None
    context.close()
