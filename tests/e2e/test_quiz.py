"""Done-when of issue 4 in a real browser: a participant takes the LDR-DT module 1 test in
Kazakh without JavaScript and another with it (answers autosaved, surviving a reload), and
each sees the band."""
import re

from playwright.sync_api import expect

from tests.e2e.test_catalogue import sign_in

import pytest

pytestmark = pytest.mark.e2e

BANDS_KK = ("өте жақсы", "жақсы", "қанағаттанарлық", "қанағаттанарлықсыз")


def _answer_page(page) -> int:
    """Give an answer to every question on the page; returns how many."""
    boxes = page.locator("fieldset.question")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        kind = box.get_attribute("data-kind")
        if kind in ("single", "truefalse"):
            box.locator("input[type=radio]").first.check()
        elif kind == "multiple":
            box.locator("input[type=checkbox]").first.check()
        elif kind == "matching":
            selects = box.locator("select")
            for k in range(selects.count()):
                selects.nth(k).select_option(index=1)
        elif kind == "essay":
            box.locator("textarea").fill("Мектебімізде бұл тәсілді сынап көреміз.")
        else:
            box.locator("input[type=text]").fill("5")
    return boxes.count()


def _start_module_1(page, base):
    page.goto(base + "/cohorts/DEMO-LDR-DT/me/tests")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    row = page.locator("#my-tests tr", has_text="1-модуль бойынша тест")
    row.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/me/attempts/\d+"))
    # the address changes before the page's deferred script runs: a click sooner (a busy machine)
    # posts the page instead of saving in place
    page.wait_for_load_state("load")


def in_module_1_test(browser, base, email, **options):
    """A participant's own browser (Kazakh), signed in, on a new attempt at the module 1 test."""
    context = browser.new_context(locale="kk-KZ", **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())  # "leave the page?" while a save is pending
    sign_in(page, base, email, expect_text=None)
    _start_module_1(page, base)
    return context, page


def _finish(page):
    page.locator("button[name=action][value=finish]").click()
    expect(page).to_have_url(re.compile(r"/summary$"))
    page.locator("form#attempt button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/result$"))
    band = page.locator("#band")
    expect(band).to_be_visible()
    assert band.inner_text() in BANDS_KK
    expect(page.locator("#percent")).to_contain_text("%")
    return band.inner_text()


def test_module_test_without_javascript(browser, live_server, screenshot):
    context, page = in_module_1_test(browser, live_server, "participant51@demo.test", java_script_enabled=False)
    answered = 0
    while True:
        answered += _answer_page(page)
        following = page.locator("button[name=action][value=next]")
        if following.count() == 0:
            break
        following.click()
    assert answered == 10
    page.locator("button.secondary[name=action][value=save]").click()
    expect(page.locator("fieldset.question .saved").first).not_to_be_empty()
    screenshot("quiz-no-js-last-page", page)
    _finish(page)
    screenshot("quiz-no-js-result", page)
    context.close()


def test_module_test_with_javascript_autosaves(browser, live_server, screenshot):
    context, page = in_module_1_test(browser, live_server, "participant52@demo.test")
    timer = page.locator("#timer")
    first = timer.inner_text()
    expect(timer).not_to_have_text(first, timeout=5_000)  # the countdown runs
    n = _answer_page(page)
    saved = page.locator("fieldset.question .saved")
    for i in range(n):  # each answer acknowledged by the server, no button pressed
        expect(saved.nth(i)).to_have_text(re.compile(r"\d\d:\d\d:\d\d"))
    expect(page.locator("#answered")).to_have_text(str(n))  # the count follows without a reload
    page.reload()
    expect(page.locator("#answered")).to_have_text(str(n))
    boxes = page.locator("fieldset.question")
    for i in range(n):
        box = boxes.nth(i)
        if box.get_attribute("data-kind") in ("single", "truefalse"):
            expect(box.locator("input[type=radio]").first).to_be_checked()
    page.locator("button[name=action][value=next]").click()
    _answer_page(page)
    for i in range(page.locator("fieldset.question").count()):
        expect(page.locator("fieldset.question .saved").nth(i)).to_have_text(re.compile(r"\d\d:\d\d:\d\d"))
    screenshot("quiz-js-page-2", page)
    _finish(page)
    screenshot("quiz-js-result", page)
    context.close()


FITS = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def test_on_a_phone_every_page_of_the_test_fits_the_screen(browser, live_server, screenshot):
    """Participants often have only a phone: nothing of the test may lie off to the right
    (a wide table, a matching question's long answers)."""
    context = browser.new_context(locale="kk-KZ", java_script_enabled=False, viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, "participant53@demo.test", expect_text=None)
    page.goto(live_server + "/cohorts/DEMO-LDR-DT/me/tests")
    assert page.evaluate(FITS), "the list of tests is wider than the phone"
    start = page.locator("#my-tests tr", has_text="1-модуль бойынша тест").locator("button[type=submit]").bounding_box()
    assert start["x"] >= 0 and start["x"] + start["width"] <= 375, "the Start button is off the screen"
    _start_module_1(page, live_server)
    kinds = []
    while True:
        kinds += page.locator("fieldset.question").evaluate_all("els => els.map(e => e.dataset.kind)")
        assert page.evaluate(FITS), f"page {len(kinds)} of the test is wider than the phone"
        _answer_page(page)
        following = page.locator("button[name=action][value=next]")
        if following.count() == 0:
            break
        following.click()
    assert len(kinds) == 10
    screenshot("quiz-phone-last-page", page)
    page.locator("button[name=action][value=finish]").click()
    expect(page).to_have_url(re.compile(r"/summary$"))
    assert page.evaluate(FITS), "the attempt's summary is wider than the phone"
    page.locator("form#attempt button[type=submit]").click()
    expect(page.locator("#band")).to_be_visible()
    assert page.evaluate(FITS), "the result is wider than the phone"
    context.close()


def test_a_flag_is_set_without_leaving_the_page_and_kept(browser, live_server, screenshot):
    context, page = in_module_1_test(browser, live_server, "participant58@demo.test")
    url = page.url
    flag = page.locator("#q2 button.flag")
    expect(flag).to_have_attribute("aria-pressed", "false")
    flag.click()
    expect(flag).to_have_attribute("aria-pressed", "true")
    expect(flag).to_contain_text("⚑")
    expect(page.locator(".pages button[aria-current=page]")).to_have_text("1–5 ⚑")  # the page list too
    assert page.url == url  # no page post
    screenshot("quiz-flagged", page)
    page.reload()
    expect(page.locator("#q2 button.flag")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#q1 button.flag")).to_have_attribute("aria-pressed", "false")
    page.locator("#q2 button.flag").click()  # taken off again
    expect(page.locator("#q2 button.flag")).to_have_attribute("aria-pressed", "false")
    expect(page.locator(".pages button[aria-current=page]")).to_have_text("1–5")
    context.close()
