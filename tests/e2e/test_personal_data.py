"""A participant reads the centre's personal data notice from the footer and downloads everything
the site holds about them, in Kazakh, without JavaScript (plain forms)."""
import io
import json
import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e.test_catalogue import sign_in

pytestmark = pytest.mark.e2e


def test_a_participant_reads_the_notice_and_downloads_their_data(browser, live_server, screenshot):
    page = browser.new_context(locale="kk-KZ", java_script_enabled=False, accept_downloads=True).new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, "participant01@demo.test", expect_text=None)
    page.get_by_role("link", name="Дербес деректер").click()  # the footer, on every page
    expect(page.locator("h1")).to_have_text("Дербес деректер және құпиялылық")
    expect(page.locator("#privacy h2")).to_have_text("Дербес деректерді қорғау туралы хабарлама")
    expect(page.locator("#privacy li strong").first).to_have_text("Не сақталады:")  # Markdown, rendered
    expect(page.locator("#confidentiality")).to_have_count(1)  # the staff's obligation is public too

    page.goto(f"{live_server}/profile")
    expect(page.get_by_role("heading", name="Менің деректерім")).to_be_visible()
    with page.expect_download() as download:
        page.click("#my-data button[type=submit]")
    assert download.value.suggested_filename.startswith("personal-data-")
    with open(download.value.path(), "rb") as f:
        archive = zipfile.ZipFile(io.BytesIO(f.read()))
    core = json.loads(archive.read("core/data.json"))
    assert core["account"][0]["email"] == "participant01@demo.test"
    assert [a["policy"] for a in core["policies_accepted"]] == ["privacy"]  # a participant: the notice only
    courses = json.loads(archive.read("courses/data.json"))
    assert {e["cohort"] for e in courses["enrolments"]} >= {"DEMO-LDR-SUS"}
    text = "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    assert "participant02@demo.test" not in text and "password_hash" not in text
    screenshot("profile-my-data", page)
