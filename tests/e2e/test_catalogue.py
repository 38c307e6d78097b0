"""Done-when of issue 2, in a real browser: the demo trainer reads the three hour plans in
Kazakh, then switches to Russian and English."""
from playwright.sync_api import expect

import pytest

pytestmark = pytest.mark.e2e


def cell(page, fmt: str, row: str, kind: str = "total"):
    return page.locator(f'#plan-{fmt} tr[data-row="{row}"] td[data-kind="{kind}"]')


def sign_in(page, base, email="trainer@demo.test", password="demo", expect_text="Тренер"):
    page.goto(base + "/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', password)
    page.click('form.card button[type="submit"]')
    expect(page.locator(".who form")).to_be_visible()  # signed in: the sign-out button shows
    if expect_text:
        expect(page.locator(".who")).to_contain_text(expect_text)


def test_trainer_reads_hour_plans_and_switches_language(page, live_server, screenshot):
    sign_in(page, live_server)
    page.goto(live_server + "/programmes/LDR-SUS")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.locator("h1")).to_have_text("Шағын жинақты мектепті басқарудағы цифрлық шешімдер")
    for n, hours in zip((1, 2, 3, 4), ("10", "46", "16", "6")):
        expect(cell(page, "online", f"module-{n}")).to_have_text(hours)
    for kind, hours in (("webinar", "38"), ("defense", "2"), ("self_study", "40"), ("total", "80")):
        expect(cell(page, "online", "total", kind)).to_have_text(hours)
    expect(page.locator('p.summary[data-format="online"]')).to_have_text(
        "38 вебинар + 2 жоба қорғау + 40 өзіндік жұмыс = 80 сағ.")
    screenshot("ldr-sus-kk")

    page.click('form.lang button[data-lang="ru"]')
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("h1")).to_have_text("Цифровые решения в управлении малокомплектной школой")
    expect(page.locator('#plan-online tr[data-row="total"] td').nth(1)).to_have_text("Всего")
    expect(cell(page, "online", "module-2")).to_have_text("46")
    screenshot("ldr-sus-ru")

    page.click('form.lang button[data-lang="en"]')
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Digital solutions in managing a small ungraded school")
    expect(page.locator('#plan-online thead th[data-kind="self_study"]')).to_have_text("Self-study")
    page.reload()  # the choice is remembered
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click('form.lang button[data-lang="kk"]')
    expect(page.locator("html")).to_have_attribute("lang", "kk")


def test_teachers_and_ldr_dt_totals(page, live_server, screenshot):
    sign_in(page, live_server)
    page.goto(live_server + "/programmes/TCH-SUS")
    for kind, hours in (("webinar", "36"), ("defense", "4"), ("testing", "2"), ("self_study", "38"),
                        ("total", "80")):
        expect(cell(page, "online", "total", kind)).to_have_text(hours)
    page.goto(live_server + "/programmes/LDR-DT")
    expect(page.locator('#plan-blended tr.module')).to_have_count(8)
    for n, hours in zip(range(1, 9), ("10", "10", "12", "12", "10", "12", "6", "8")):
        expect(cell(page, "blended", f"module-{n}")).to_have_text(hours)
    expect(cell(page, "blended", "total")).to_have_text("80")
    screenshot("ldr-dt-kk")


def test_catalogue_works_without_signing_in(page, live_server):
    page.goto(live_server + "/")
    expect(page.locator("table.catalogue tbody tr")).to_have_count(3)
    page.click("text=LDR-DT >> xpath=.. >> a")
    expect(page.locator("h1")).to_contain_text("Цифрлық трансформация")
