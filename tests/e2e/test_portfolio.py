"""Done-when of the portfolio issue, in a real browser: three assessors (each in a browser of
their own, in Kazakh) score mini-group 1 of DEMO-LDR-SUS-2025 on the leaders' rubric and submit;
the trainer, who chairs, releases the grade; the administrator issues the cohort's certificates
from its Certificates tab; then a participant of mini-group 1 reads the grade with the
assessors' comments and downloads a certificate that /verify/<number> calls valid.

The scores (totals 9, 8 and 9) lie within the session's spread threshold of 3, so the panel's
mean (8.67, rounded to 9 points, grade 5) decides the slot without the chair reconciling."""
import io
import re
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.test_catalogue import sign_in

pytestmark = pytest.mark.e2e
COHORT = "DEMO-LDR-SUS-2025"
BASE = f"/cohorts/{COHORT}"
#: (assessor, {criterion: (points, comment)})
SCORES = [
    ("assessor1@demo.test", {"P1": (2, "Мектептің мәселелері нақты деректермен талданған."),
                             "P2": (2, "Тұжырымдама мектептің миссиясымен байланысты."),
                             "P3": (1, "Басымдықтар көп, ресурспен байланысы әлсіз."),
                             "P4": (2, "Кезеңдер мен мерзімдер анық."), "P5": (2, "")}),
    ("assessor2@demo.test", {"P1": (2, "Талдау жақсы."), "P2": (1, "Цифрлық мектеп ұғымы толық ашылмаған."),
                             "P3": (2, ""), "P4": (2, ""), "P5": (1, "Бақылау тетігі тек жылдық есеппен шектелген.")}),
    ("assessor3@demo.test", {"P1": (2, ""), "P2": (2, ""), "P3": (2, "Мақсаттар SMART талабына сай."),
                             "P4": (1, "Тактикалық жоспарда жауаптылар көрсетілмеген."), "P5": (2, "")}),
]
NUMBER = re.compile(r"UST-\d{4}-LDR-SUS-[0-9A-Z]{8}")


def _group_1(db_path: str) -> tuple[int, list[str]]:
    """The slot of mini-group 1 and its members' e-mails, as the database holds them."""
    with sqlite3.connect(db_path) as conn:
        (defense_id,) = conn.execute(
            "SELECT d.id FROM portfolio_defenses d JOIN portfolio_defense_sessions s ON s.id = d.session_id"
            " JOIN courses_cohorts c ON c.id = s.cohort_id WHERE c.code = ? AND d.mini_group = 1", (COHORT,)).fetchone()
        emails = [e for (e,) in conn.execute(
            "SELECT u.email FROM courses_enrolments e JOIN courses_cohorts c ON c.id = e.cohort_id"
            " JOIN core_users u ON u.id = e.user_id WHERE c.code = ? AND e.mini_group = 1 ORDER BY u.email",
            (COHORT,))]
    return defense_id, emails


@pytest.fixture
def kazakh_page(browser):
    """A new browser (context) in Kazakh per person, closed at the end whatever happens."""
    contexts = []

    def open_page():
        context = browser.new_context(locale="kk-KZ", accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("dialog", lambda dialog: dialog.accept())  # "Submit your scores? ..." is confirmed
        return page

    yield open_page
    for context in contexts:
        context.close()


def _open_slot(page, defense_id: int, link: str):
    """From the menu's "My panels" to the slot's row, then one of its links."""
    page.click('header .menu a[href="/defenses/mine"]')
    row = page.locator(f'tr[data-defense="{defense_id}"]')
    expect(row).to_be_visible()
    row.locator(f'a[href="{BASE}/defenses/slots/{defense_id}{link}"]').click()


def test_a_panel_scores_a_defense_and_the_participant_downloads_the_certificate(
        kazakh_page, live_server, live_server_db, screenshot):
    defense_id, members = _group_1(live_server_db)
    assert len(members) == 5

    # three assessors, three browsers, all open at once; each scores alone
    pages = []
    for email, _scores in SCORES:
        page = kazakh_page()
        sign_in(page, live_server, email, expect_text="Сарапшы")
        expect(page.locator("html")).to_have_attribute("lang", "kk")
        _open_slot(page, defense_id, "/score")
        expect(page.locator("#blind")).to_be_visible()  # nobody else's scores before one's own
        pages.append(page)
    names = pages[0].locator("main small").first.inner_text()
    assert len(names.split(", ")) == 5  # mini-group 1's five members are named on the slot
    for n, ((_email, scores), page) in enumerate(zip(SCORES, pages), start=1):
        for code, (points, comment) in scores.items():
            box = page.locator(f'#score-form fieldset[data-criterion="{code}"]')
            box.locator(f'input[type=radio][value="{points}"]').check()
            if comment:
                box.locator("textarea").fill(comment)
        if n == 1:
            screenshot("defense-score-form", page)
        page.click('#score-form button[name="finish"]')
        expect(page.locator("#score-form")).to_have_count(0)  # submitted and locked
        total = sum(points for points, _comment in scores.values())
        expect(page.locator(f'#scores td[data-total="{total}"]').first).to_be_visible()
    last = pages[2]
    expect(last.locator("#scores td[data-total]")).to_have_count(3)  # the last one now sees all three
    expect(last.locator('#figures dd[data-spread="1"]')).to_be_visible()
    screenshot("defense-scored-by-the-panel", last)

    # the trainer chairs: the slot is decided (spread 1 <= 3), 8.67 -> 9 points, grade 5
    chair = kazakh_page()
    sign_in(chair, live_server, "trainer@demo.test")
    _open_slot(chair, defense_id, "")
    expect(chair.locator('#decision dd[data-points="9"]')).to_be_visible()
    expect(chair.locator('#decision dd[data-grade="5"]')).to_be_visible()
    expect(chair.locator("#reconcile")).to_have_count(0)
    chair.fill('#release textarea[name="feedback"]', "Топ жұмысы жақсы қорғалды. Құттықтаймыз!")
    chair.click("#release button[type=submit]")
    expect(chair.locator("#release")).to_have_count(0)
    expect(chair.locator("#decision")).to_contain_text("Құттықтаймыз!")
    screenshot("defense-released", chair)

    # the administrator issues the cohort's certificates: mini-group 1 only is eligible now
    admin = kazakh_page()
    sign_in(admin, live_server, "admin@demo.test", expect_text="Әкімші")
    admin.goto(live_server + BASE)
    admin.click(f'.tabs a[href="{BASE}/certificates"]')
    table = admin.locator("#eligibility")
    expect(table.locator('tr[data-eligible="yes"]')).to_have_count(5)
    expect(table.locator('tr[data-eligible="no"] li[data-reason="defense_missing"]')).to_have_count(5)
    expect(table.locator("li[data-reason]")).to_have_count(5)  # nothing else stands in anyone's way
    admin.click("#issue-all button[type=submit]")
    issued = table.locator(f'a[href^="{BASE}/certificates/UST-"][href$=".pdf"]')
    expect(issued).to_have_count(5)
    screenshot("certificates-issued", admin)

    # a participant of mini-group 1: the grade with the comments, then the certificate
    me = kazakh_page()
    sign_in(me, live_server, members[0], expect_text=None)
    me.goto(f"{live_server}{BASE}/me/defense")  # the participant's cohort page has no link to it yet
    expect(me.locator(f'.tabs a[href="{BASE}/me/defense"]')).to_have_class("current")
    result = me.locator(f"#result-{defense_id}")
    expect(result.locator('[data-points="9"]')).to_be_visible()
    expect(result.locator('[data-grade="5"]')).to_be_visible()
    card = me.locator(f'section.defense[data-defense="{defense_id}"]')
    expect(card).to_contain_text("Құттықтаймыз!")
    for _email, scores in SCORES:
        for code, (_points, comment) in scores.items():
            if comment:
                expect(card.locator(f'tr[data-criterion="{code}"]')).to_contain_text(comment)
    for name in ("Гүлнар Жұмабаева", "Ерлан Қасымов", "Динара Өмірзақова"):  # numbered, never named
        expect(card).not_to_contain_text(name)
    screenshot("my-defense-released", me)

    me.click(f'.tabs a[href="{BASE}/my-certificate"]')
    number = me.locator("#certificate dd").first.inner_text().strip()
    assert NUMBER.fullmatch(number)
    with me.expect_download() as info:
        me.click(f'a[href="{BASE}/my-certificate.pdf"]')
    download = info.value
    assert download.suggested_filename == f"{number}.pdf"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert set(NUMBER.findall(text)) == {number}  # printed and in the verification link: the page's number
    assert f"/verify/{number}" in text
    screenshot("my-certificate", me)

    me.goto(f"{live_server}/verify/{number}")
    expect(me.locator("#status")).to_have_attribute("data-status", "valid")
    holder = me.locator("#holder").inner_text()
    expect(me.locator("#certificate")).to_contain_text(number)
    screenshot("certificate-verified", me)
    with sqlite3.connect(live_server_db) as conn:
        (name,) = conn.execute("SELECT full_name FROM core_users WHERE email = ?", (members[0],)).fetchone()
    assert holder == name
