"""A graduate of the support year asks the cohort in Kazakh, the curator sees the tab's count of
what is new, answers, and the graduate reads the answer, marked new to them; without JavaScript
throughout (plain forms)."""
import pytest
from playwright.sync_api import expect

from tests.e2e.test_catalogue import sign_in

pytestmark = pytest.mark.e2e
COHORT = "DEMO-LDR-DT-2025"
TITLE = "Сабақты бейнеге түсіру туралы сұрақ"


def test_a_graduate_asks_the_curator_answers_and_the_graduate_sees_it_new(browser, live_server, screenshot):
    curator = browser.new_context(locale="kk-KZ", java_script_enabled=False).new_page()
    curator.set_default_timeout(10_000)
    sign_in(curator, live_server, "curator@demo.test", expect_text="Куратор")
    curator.goto(f"{live_server}/cohorts/{COHORT}/support")
    tab = curator.locator(f'.tabs a[href="/cohorts/{COHORT}/discussions"]')
    before = int(tab.locator(".count").inner_text() or 0) if tab.locator(".count").count() else 0

    graduate = browser.new_context(locale="kk-KZ", java_script_enabled=False).new_page()
    graduate.set_default_timeout(10_000)
    sign_in(graduate, live_server, "graduate07@demo.test", expect_text=None)
    graduate.goto(f"{live_server}/cohorts/{COHORT}/discussions")
    expect(graduate.locator("h2")).to_have_text("Талқылаулар")
    expect(graduate.locator("#discussions")).to_contain_text("Қош келдіңіздер")  # the demo's pinned welcome
    graduate.click("#new-discussion summary")
    graduate.fill('#new-discussion input[name="title"]', TITLE)
    graduate.fill('#new-discussion textarea[name="body"]', "Сабақты телефонмен түсірсем, **жеткілікті** ме?")
    graduate.click('#new-discussion button[type="submit"]')
    expect(graduate.locator(".flash")).to_have_text("Талқылау ашылды.")
    expect(graduate.locator("article.post strong")).to_have_text("жеткілікті")

    curator.reload()
    expect(tab.locator(".count")).to_have_text(str(before + 1))  # the graduate's new thread, from another page
    tab.click()
    curator.get_by_role("link", name=TITLE).click()
    curator.fill("#reply textarea", "Иә, жеткілікті: дыбыс анық естілсе болды.")
    curator.click("#reply button[type=submit]")
    expect(curator.locator(".flash")).to_have_text("Жауабыңыз жарияланды.")
    expect(curator.locator("article.post")).to_have_count(2)
    screenshot("discussion-answered", curator)

    graduate.goto(f"{live_server}/cohorts/{COHORT}/discussions")
    row = graduate.locator("#discussions tr", has_text=TITLE)
    expect(row.locator(".unread")).to_have_text("1 жаңа")
    row.get_by_role("link", name=TITLE).click()
    expect(graduate.locator("article.post").nth(1)).to_contain_text("дыбыс анық естілсе болды")
    graduate.goto(f"{live_server}/cohorts/{COHORT}/discussions")
    expect(graduate.locator("#discussions tr", has_text=TITLE).locator(".unread")).to_have_count(0)


def test_a_graduate_answers_in_the_programmes_network_from_their_cohorts_page(browser, live_server, screenshot):
    """Last year's graduate reaches the LDR-DT network from their cohort's discussions and answers
    a question this year's participants asked there."""
    graduate = browser.new_context(locale="kk-KZ", java_script_enabled=False).new_page()
    graduate.set_default_timeout(10_000)
    sign_in(graduate, live_server, "graduate07@demo.test", expect_text=None)
    graduate.goto(f"{live_server}/cohorts/{COHORT}/discussions")
    graduate.click("#network-link")
    expect(graduate.locator("h1")).to_have_text("LDR-DT желісі")
    expect(graduate.locator("#discussions")).to_contain_text("Бағдарлама желісі")  # the demo's pinned welcome
    graduate.get_by_role("link", name="Ата-аналарды онлайн жиналысқа қалай тартасыздар? / Как вы привлекаете "
                                       "родителей?").click()
    graduate.fill("#reply textarea", "Біз ата-аналарға сабақтың қысқа бейнесін жібереміз.")
    graduate.click("#reply button[type=submit]")
    expect(graduate.locator(".flash")).to_have_text("Жауабыңыз жарияланды.")
    expect(graduate.locator("article.post").last).to_contain_text("сабақтың қысқа бейнесін")
    assert "/network/LDR-DT/discussions/" in graduate.url
    screenshot("network-answered", graduate)
