"""The trainer's bank pages: the list, a bank's items (filters, pages, counts per topic),
import (all or nothing, every problem by line) and export, one item (versions, status, a
revision that never touches what an attempt showed), blueprints naming each short topic."""
import io
import re
from html import unescape
from pathlib import Path

import pytest
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from lms.core.models import AuditEntry
from lms.quizbank.formats import ItemFileError, parse
from lms.quizbank.models import AttemptSlot, Bank, Blueprint, Item
from lms.quizbank.services import attempts, banks
from lms.quizbank.services.blueprints import save_blueprint
from tests.quizbank.test_attempts import build_items, make_test

DATA = Path(__file__).parent / "data"
BANK = "TVB"


def sample(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8").replace("LDR-", f"{BANK}-").replace("LDR/", f"{BANK}/")


@pytest.fixture
def bank(db_session):
    bank = banks.get_or_create_bank(BANK, "LDR-SUS", "Views test bank", None)
    db_session.commit()
    return bank


@pytest.fixture
def trainer(make, auth):
    """A trainer reading English (the messages checked here are the source strings)."""
    user = make.user("trainer")
    auth.login(user.email)
    auth.client.post("/language", data={"language": "en"})
    return user


def field_errors(html: str, name: str) -> list[str]:
    """The error messages the page shows under the form field `name`."""
    block = re.search(r'<p class="field [^"]*">\s*<label for="%s">.*?</p>' % re.escape(name), html, re.S)
    return [unescape(e) for e in re.findall(r'<span class="error" role="alert">(.*?)</span>', block.group(0))] \
        if block else []


def upload(client, text: str, filename: str = "items.gift", bank_code: str = BANK):
    return client.post(f"/banks/{bank_code}/import", data={"file": (io.BytesIO(text.encode("utf-8")), filename)},
                       content_type="multipart/form-data")


def shown_items(html: str) -> list[str]:
    return re.findall(r'<tr data-item="([^"]+)">', html)


def items_of(db_session, code: str = BANK) -> dict[str, Item]:
    db_session.expire_all()
    rows = db_session.scalars(select(Item).join(Bank).where(Bank.code == code)
                              .options(selectinload(Item.versions)).order_by(Item.code))
    return {item.code: item for item in rows}


def snapshot(db_session) -> dict:
    return {code: (i.topic_code, i.level, i.status, i.tags, i.current.number, i.current.qtype, i.current.title,
                   i.current.text, i.current.data, i.current.general_feedback) for code, i in items_of(db_session).items()}


def many_items(n: int, topic: str = "1.1", start: int = 1, word: str = "Сұрақ") -> str:
    return "".join(f"// [id:{BANK}-{topic}-K-{k:03d}]\n{word} {k}?{{=иә ~жоқ}}\n\n" for k in range(start, start + n))


# --- the list of banks -------------------------------------------------------------------------

def test_the_list_starts_empty_and_a_trainer_creates_a_bank(client, trainer, db_session):
    db_session.execute(delete(Bank))
    db_session.commit()
    html = client.get("/banks").get_data(as_text=True)
    assert 'id="no-banks"' in html
    assert 'href="/banks"' in html  # the menu entry

    r = client.post("/banks/new", data={"code": "tvb", "programme": "LDR-SUS", "title": "Көшбасшылар банкі"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/banks/{BANK}")
    assert upload(client, sample("moodle_constructs.gift")).status_code == 302
    save_blueprint(db_session.scalar(select(Bank).where(Bank.code == BANK)),
                   {"code": "TVB-F", "title": "F", "total": 2, "rules": "2.3: 1-2\n2.4: 1-2"}, None)
    db_session.commit()

    html = client.get("/banks").get_data(as_text=True)
    row = html.split(f'<tr data-bank="{BANK}">', 1)[1].split("</tr>", 1)[0]
    assert "Көшбасшылар банкі" in row and "LDR-SUS" in row
    counts = dict(re.findall(r'data-count="(\w+)">(?:<a [^>]+>)?(\d+)', row))
    assert counts == {"ready": "10", "draft": "1", "retired": "0", "blueprints": "1"}

    # a code taken, a bad code, no programme: each named on its field, nothing created
    html = client.post("/banks/new", data={"code": BANK, "programme": "LDR-SUS"}).get_data(as_text=True)
    assert f"bank {BANK} already exists" in html
    html = client.post("/banks/new", data={"code": "9X", "programme": "LDR-SUS"}).get_data(as_text=True)
    assert "must be a capital letter" in html
    html = client.post("/banks/new", data={"code": "TVZ", "programme": ""}).get_data(as_text=True)
    assert re.search(r'class="field\s+has-error">\s*<label for="programme">', html)
    assert db_session.scalar(select(func.count()).select_from(Bank)) == 1


def test_participants_get_403_and_strangers_the_login_page(client, auth, make, bank):
    participant = make.user("participant")
    auth.login(participant.email)
    html = client.get("/programmes/").get_data(as_text=True)
    assert 'href="/banks"' not in html  # no menu entry either
    for url in ("/banks", f"/banks/{BANK}", f"/banks/{BANK}/export.gift", f"/banks/{BANK}/blueprints",
                f"/banks/{BANK}/blueprints/new"):
        assert client.get(url).status_code == 403, url
    assert upload(client, many_items(1)).status_code == 403
    assert client.post("/banks/new", data={"code": "TVX", "programme": "LDR-SUS"}).status_code == 403
    assert banks.bank_items(banks.get_bank(BANK)) == []
    auth.logout()
    r = client.get(f"/banks/{BANK}")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_unknown_banks_and_items_of_another_bank_are_404(client, trainer, bank, db_session):
    upload(client, many_items(1))
    banks.get_or_create_bank("TVO", "LDR-SUS", "Other", None)
    db_session.commit()
    item = items_of(db_session)[f"{BANK}-1.1-K-001"]
    assert client.get("/banks/NOPE").status_code == 404
    assert client.get(f"/banks/TVO/items/{item.id}").status_code == 404
    assert client.get(f"/banks/{BANK}/items/{item.id}").status_code == 200
    assert client.get(f"/banks/{BANK}/export.pdf").status_code == 404


# --- a bank's items --------------------------------------------------------------------------

def test_filters_pages_and_counts_per_topic(client, trainer, bank, db_session):
    text = many_items(27, "1.1") + many_items(3, "1.2", start=28, word="Ерекше") \
        + f"// [id:{BANK}-1.2-A-031]\n::Title:: Ұзын жауап жазыңыз.{{}}\n\n"
    assert upload(client, text).status_code == 302
    items = items_of(db_session)
    banks.set_status(items[f"{BANK}-1.1-K-001"], "retired", None)
    banks.set_status(items[f"{BANK}-1.1-K-002"], "draft", None)
    db_session.commit()

    html = client.get(f"/banks/{BANK}").get_data(as_text=True)
    assert len(shown_items(html)) == 25 and shown_items(html)[0] == f"{BANK}-1.1-K-001"
    assert "<p>31 items</p>" in html and "Page 1 of 2" in html
    page2 = client.get(f"/banks/{BANK}?page=2").get_data(as_text=True)
    assert shown_items(page2) == [f"{BANK}-1.1-K-026", f"{BANK}-1.1-K-027", f"{BANK}-1.2-K-028",
                                  f"{BANK}-1.2-K-029", f"{BANK}-1.2-K-030", f"{BANK}-1.2-A-031"]

    counts = html.split('id="topic-counts"', 1)[1].split("</table>", 1)[0]
    row = counts.split('data-topic="1.1"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'class="num">(\d+)<', row) == ["25", "1", "1"]
    # every programme topic is listed; one without ready items says so
    empty_topic = counts.split('data-topic="2.3"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r'class="num">(\d+)<', empty_topic) == ["0", "0", "0"] and "mismatch" in empty_topic

    def codes(query: str) -> list[str]:
        return shown_items(client.get(f"/banks/{BANK}?{query}").get_data(as_text=True))

    assert codes("topic=1.2") == [f"{BANK}-1.2-K-028", f"{BANK}-1.2-K-029", f"{BANK}-1.2-K-030", f"{BANK}-1.2-A-031"]
    assert codes("level=A") == [f"{BANK}-1.2-A-031"]
    assert codes("qtype=essay") == [f"{BANK}-1.2-A-031"]
    assert codes("status=retired") == [f"{BANK}-1.1-K-001"]
    assert codes("status=draft&topic=1.1") == [f"{BANK}-1.1-K-002"]
    assert codes("q=Ерекше") == [f"{BANK}-1.2-K-028", f"{BANK}-1.2-K-029", f"{BANK}-1.2-K-030"]
    assert codes(f"q={BANK}-1.1-K-01") == [f"{BANK}-1.1-K-{k:03d}" for k in range(10, 20)]
    assert codes("q=100%25") == []  # a % is a character, not a wildcard
    assert codes("topic=1.1&q=Ерекше") == []
    # the pager keeps the filters
    html = client.get(f"/banks/{BANK}?topic=1.1").get_data(as_text=True)
    assert "page=2" in html and "topic=1.1" in html.split('class="pager"', 1)[1]
    assert len(codes("topic=1.1&page=2")) == 2
    # a hand-made bad value shows everything instead of failing
    assert len(codes("level=Z")) == 25


def test_the_bank_page_takes_a_bounded_number_of_statements(client, trainer, bank, count_queries):
    upload(client, many_items(30))
    with count_queries() as small:
        client.get(f"/banks/{BANK}")
    upload(client, many_items(60, start=31))
    with count_queries() as large:
        assert client.get(f"/banks/{BANK}?q=Сұрақ").status_code == 200
    assert len(large) == len(small) <= 15


# --- import and export -------------------------------------------------------------------------

def test_a_good_file_imports_and_the_summary_is_flashed(client, trainer, bank, db_session):
    r = upload(client, sample("moodle_constructs.gift"), "constructs.gift")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/banks/{BANK}")
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "constructs.gift imported: 11 new items, 0 new versions, 0 unchanged, 1 skipped." in html
    assert "Line 53 skipped: description (no answers): not imported" in html
    assert len(items_of(db_session)) == 11
    # topic by topic, then by number (as the file lists them)
    assert shown_items(html) == [p.code for p in banks.bank_items(banks.get_bank(BANK))]
    assert shown_items(html)[:4] == [f"{BANK}-2.3-K-001", f"{BANK}-2.3-U-002", f"{BANK}-2.3-K-003", f"{BANK}-2.3-A-004"]
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "bank_imported")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.actor_id == trainer.id

    # a file without codes gets them, and the page says which
    r = upload(client, f"$CATEGORY: {BANK}/1.2\nБіреуін таңдаңыз.{{=а ~ә}}\n", "nocode.gift")
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert f"line 2 → {BANK}-1.2-K-012" in html


def test_a_bad_file_lists_every_problem_by_line_and_imports_nothing(app, client, trainer, bank, db_session):
    broken = sample("broken.gift")
    with pytest.raises(ItemFileError) as exc:
        parse(broken, "broken.gift")
    expected = exc.value.errors
    assert len(expected) >= 8
    r = upload(client, broken, "broken.gift")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    table = html.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td>(.*?)</td></tr>', table)
    assert rows == [(str(line), str(escape(reason))) for line, reason in expected]
    assert f"broken.gift has {len(expected)} problems; nothing was imported" in html

    # problems only the bank can see (codes, topics) are listed the same way
    good = many_items(2)
    bad = good + "// [id:OTHER-1.1-K-003]\nБөтен?{T}\n\n// [id:TVB-9.9-K-004]\nЖоқ тақырып?{T}\n"
    html = upload(client, bad, "mixed.gift").get_data(as_text=True)
    table = html.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td>(.*?)</td></tr>', table)
    assert [line for line, _ in rows] == ["8", "11"]  # where each question starts
    assert "code OTHER-1.1-K-003 belongs to bank OTHER, not TVB" in rows[0][1]
    assert "topic 9.9 is not a topic of programme LDR-SUS" in table
    assert items_of(db_session) == {}  # the two good items were not written either

    # a trainer reading Kazakh gets every line's problem in Kazakh, the file's too
    client.post("/language", data={"language": "kk"})
    html = upload(client, bad, "mixed.gift").get_data(as_text=True)
    table = html.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    assert "OTHER-1.1-K-003 коды TVB емес, OTHER банкіне тиесілі" in table
    assert "9.9 — LDR-SUS бағдарламасының тақырыбы емес" in table
    html = upload(client, broken, "broken.gift").get_data(as_text=True)
    with app.test_request_context(), force_locale("kk"):
        kazakh = [str(escape(reason)) for _line, reason in expected]
    assert len(kazakh) == len(expected) and "жауаптардың { жақшасы жабылмаған }" in kazakh[0]
    table = html.split('id="import-errors"', 1)[1].split("</table>", 1)[0]
    assert [reason for _line, reason in re.findall(r'<tr><td class="num">(\d+)</td><td>(.*?)</td></tr>', table)] \
        == kazakh
    assert "жауаптардың { жақшасы жабылмаған }" in table
    client.post("/language", data={"language": "en"})

    # the form's own checks: no file, a wrong kind of file
    html = client.post(f"/banks/{BANK}/import", data={}, content_type="multipart/form-data").get_data(as_text=True)
    assert "Choose a file." in html
    html = upload(client, good, "items.docx").get_data(as_text=True)
    assert "Only .gift, .txt (GIFT) and .xml (Moodle XML) files are accepted." in html
    assert items_of(db_session) == {}


@pytest.mark.parametrize("fmt, mimetype, suffix", [("gift", "text/plain", "gift.txt"),
                                                   ("xml", "application/xml", "moodle.xml")])
def test_export_downloads_and_imports_back_to_the_same_items(client, trainer, bank, db_session, fmt, mimetype,
                                                             suffix):
    upload(client, sample("moodle_constructs.gift"))
    before = snapshot(db_session)
    r = client.get(f"/banks/{BANK}/export.{fmt}")
    assert r.status_code == 200 and r.mimetype == mimetype
    assert r.headers["Content-Disposition"] == f'attachment; filename="{BANK}-{suffix}"'
    body = r.get_data()
    assert [p.code for p in parse(body, f"export.{fmt}")] == [p.code for p in banks.bank_items(banks.get_bank(BANK))]

    # into the same bank: every item unchanged, no new version
    r = upload(client, body.decode("utf-8"), f"{BANK}-{suffix}")
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "0 new items, 0 new versions, 11 unchanged" in html
    # into an emptied bank: the same items again
    db_session.execute(delete(Item).where(Item.bank_id == banks.get_bank(BANK).id))
    db_session.commit()
    upload(client, body.decode("utf-8"), f"{BANK}-{suffix}")
    assert snapshot(db_session) == before


def test_export_of_the_items_the_filters_show(client, trainer, bank, db_session):
    upload(client, sample("moodle_constructs.gift"))
    banks.set_status(items_of(db_session)[f"{BANK}-2.4-K-005"], "retired", None)
    db_session.commit()
    page = client.get(f"/banks/{BANK}?topic=2.4").get_data(as_text=True)
    url = f"/banks/{BANK}/export.gift?topic=2.4"
    assert 'id="export-chosen"' in page and url in page
    assert 'id="export-chosen"' not in client.get(f"/banks/{BANK}").get_data(as_text=True)

    r = client.get(url)
    assert r.headers["Content-Disposition"] == f'attachment; filename="{BANK}-2.4-gift.txt"'
    # topic 2.4 without its retired item, draft tag kept
    assert [p.code for p in parse(r.get_data(), "x.gift")] == \
        [f"{BANK}-2.4-A-00{n}" for n in (6, 7, 8)] + [f"{BANK}-2.4-H-009", f"{BANK}-2.4-K-010", f"{BANK}-2.4-U-011"]
    assert "[tag:draft]" in r.get_data(as_text=True)
    retired = parse(client.get(f"/banks/{BANK}/export.xml?status=retired").get_data(), "x.xml")
    assert [p.code for p in retired] == [f"{BANK}-2.4-K-005"]
    by_text = parse(client.get(f"/banks/{BANK}/export.gift?topic=2.3&level=A").get_data(), "x.gift")
    assert [p.code for p in by_text] == [f"{BANK}-2.3-A-004"]
    # a hand-made bad filter exports everything not retired, as the page shows everything
    assert len(parse(client.get(f"/banks/{BANK}/export.gift?level=Z").get_data(), "x.gift")) == 10


# --- one item: versions, status, revision ------------------------------------------------------

@pytest.fixture
def attempt_on_v1(make, db_session):
    """An LDR-DT cohort whose participant started an attempt showing version 1 of every item."""
    cohort = make.cohort(code="QZ-VIEWS", programme="LDR-DT", format_code="blended", participants=1)
    versions = build_items(db_session, bank_code="TVREV", programme="LDR-DT")
    test = make_test(cohort)
    db_session.commit()
    enrolment = cohort.enrolments[0]
    attempt = attempts.start_attempt(test, enrolment, enrolment.user, versions=versions)
    db_session.commit()
    return attempt, versions


def test_the_item_page_shows_the_text_and_marks_the_key(client, trainer, attempt_on_v1):
    _attempt, versions = attempt_on_v1
    single = versions[0]
    html = client.get(f"/banks/TVREV/items/{single.item_id}").get_data(as_text=True)
    assert "<p>Сұрақ 1</p>" in html  # the sanitized HTML as it is
    current = html.split('id="current"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'<li data-key="true">\s*<strong>✓ ([^<]+)</strong>', current) == ["Астана"]
    assert "Алматы" in current and "Feedback: Дұрыс" in current
    numerical = next(v for v in versions if v.qtype == "numerical")
    html = client.get(f"/banks/TVREV/items/{numerical.item_id}").get_data(as_text=True)
    assert "12.5 ± 0.1" in html
    truefalse = next(v for v in versions if v.qtype == "truefalse")
    html = client.get(f"/banks/TVREV/items/{truefalse.item_id}").get_data(as_text=True)
    assert '<p data-key="true"><strong>✓ True</strong></p>' in html


def test_a_revision_makes_version_2_and_the_attempt_keeps_version_1(client, trainer, attempt_on_v1, db_session):
    attempt, versions = attempt_on_v1
    v1 = versions[0]
    url = f"/banks/TVREV/items/{v1.item_id}/edit"
    html = client.get(url).get_data(as_text=True)
    assert 'name="base_version" type="hidden" value="1"' in html and "Сұрақ 1 (single)</textarea>" in html
    assert "\r\nДұрыс</textarea>" in html  # the first option's feedback, ready to edit

    r = client.post(url, data={"base_version": "1", "title": "", "text": "Қазақстанның **астанасы**?",
                               "feedback-0": "Дұрыс, Астана", "feedback-1": "", "feedback-2": "Жоқ",
                               "general_feedback": "Астана 1997 жылдан бері астана."})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/banks/TVREV/items/{v1.item_id}")
    item = db_session.scalar(select(Item).where(Item.id == v1.item_id).options(selectinload(Item.versions))
                             .execution_options(populate_existing=True))
    assert [v.number for v in item.versions] == [1, 2]
    old, new = item.versions
    assert (old.text, old.data["options"][0]["feedback"]) == ("Сұрақ 1 (single)", "Дұрыс")
    assert new.text_html == "<p>Қазақстанның <strong>астанасы</strong>?</p>"
    assert [o["feedback"] for o in new.data["options"]] == ["Дұрыс, Астана", None, "Жоқ"]
    assert [o["fraction"] for o in new.data["options"]] == [1.0, 0.0, 0.0]  # the key does not change here
    assert new.created_by_id == trainer.id and new.qtype == "single"
    slot = db_session.scalar(select(AttemptSlot).where(AttemptSlot.attempt_id == attempt.id, AttemptSlot.slot == 1))
    assert slot.item_version_id == old.id
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "item_revised")).first()
    assert entry.object_id == str(item.id) and entry.details["version"] == 2

    html = client.get(f"/banks/TVREV/items/{v1.item_id}").get_data(as_text=True)
    assert '<dd id="current-version">2 ·' in html
    older = html.split('id="older-versions"', 1)[1]
    assert 'data-version="1"' in older and "shown in 1 attempt" in older and "Сұрақ 1" in older

    # an edit made from version 1 after version 2 exists, and an edit changing nothing: refused
    html = client.post(url, data={"base_version": "1", "text": "Басқа мәтін"}).get_data(as_text=True)
    assert "is now at version 2 (you edited version 1)" in html
    html = client.post(url, data={"base_version": "2", "text": new.text, "general_feedback": new.general_feedback,
                                  "feedback-0": "Дұрыс, Астана", "feedback-1": "", "feedback-2": "Жоқ"}
                       ).get_data(as_text=True)
    assert "nothing changed, so no new version was made" in html
    client.post("/language", data={"language": "kk"})
    html = client.post(url, data={"base_version": "1", "text": "Басқа мәтін"}).get_data(as_text=True)
    assert "қазір 2-нұсқада (сіз 1-нұсқаны өңдедіңіз): бетті қайта жүктеп, өзгерісті қайта енгізіңіз" in html
    client.post("/language", data={"language": "en"})
    html = client.post(url, data={"base_version": "2", "text": "  "}).get_data(as_text=True)
    assert re.search(r'class="field\s+has-error">\s*<label for="text">', html)
    assert len(db_session.scalars(select(Item).where(Item.id == v1.item_id)).one().versions) == 2


def test_status_changes_are_audited_and_a_published_tests_pool_is_kept(client, trainer, attempt_on_v1, db_session,
                                                                        make):
    _attempt, versions = attempt_on_v1
    item_id = versions[1].item_id
    url = f"/banks/TVREV/items/{item_id}/status"
    r = client.post(url, data={"status": "draft"})
    assert r.status_code == 302
    assert "is now draft" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert db_session.get(Item, item_id).status == "draft"
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "item_status_changed")).first()
    assert (entry.actor_id, entry.details) == (trainer.id, {"old": "ready", "new": "draft"})
    client.post(url, data={"status": "ready"})
    html = client.get(client.post(url, data={"status": "gone"}).headers["Location"]).get_data(as_text=True)
    assert "Choose draft, ready or retired." in html
    db_session.expire_all()
    assert db_session.get(Item, item_id).status == "ready"

    # a published test draws all six ready items of topic 1.1: none may leave "ready"
    bank = banks.get_bank("TVREV")
    blueprint = save_blueprint(bank, {"code": "ALL", "title": "All", "total": 6, "rules": "1.1: 6"}, None)
    cohort = make.cohort(code="QZ-POOL", programme="LDR-DT", format_code="blended", participants=0)
    make_test(cohort, blueprint=blueprint)
    db_session.commit()
    r = client.post(url, data={"status": "retired"})
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "stays ready: published tests draw from topic 1.1" in html and "topic 1.1: 5 ready items" in html
    db_session.expire_all()
    assert db_session.get(Item, item_id).status == "ready"


# --- blueprints ----------------------------------------------------------------------------------

def test_a_blueprint_with_a_short_topic_names_it(client, trainer, bank, db_session):
    upload(client, many_items(4, "1.1") + many_items(1, "1.2", start=5))
    r = client.post(f"/banks/{BANK}/blueprints/new", data={
        "code": "TVB-FINAL", "title": "Қорытынды", "total": "6", "rules": "1.1: 2-4\n1.2: 1-3", "level_quotas": ""})
    assert r.status_code == 302
    blueprint = db_session.scalar(select(Blueprint).where(Blueprint.code == "TVB-FINAL"))
    assert r.headers["Location"].endswith(f"/banks/{BANK}/blueprints/{blueprint.id}/edit")
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    problems = html.split('id="publishable"', 1)[1].split("</div>", 1)[0]
    assert re.findall(r'data-topic="([^"]+)" data-short="(\d+)"', problems) == [("1.2", "2")]
    assert "Topic 1.2 is short by 2 ready items." in problems
    assert "1.1: 2-4\n1.2: 1-3</textarea>" in html  # the rules as the form reads them

    html = client.get(f"/banks/{BANK}/blueprints").get_data(as_text=True)
    row = html.split('data-blueprint="TVB-FINAL"', 1)[1].split("</tr>", 1)[0]
    assert 'data-topic="1.2" data-short="2"' in row and "1.1: 2-4 · 1.2: 1-3" in row

    # enough items: the page says a test can be published
    upload(client, many_items(2, "1.2", start=6))
    html = client.get(f"/banks/{BANK}/blueprints/{blueprint.id}/edit").get_data(as_text=True)
    assert "a test using this blueprint can be published" in html and "data-short" not in html


def test_the_blueprint_form_names_each_bad_field(client, trainer, bank, db_session):
    data = {"code": "TVB-X", "title": "X", "total": "3", "rules": "1.1 one to two", "level_quotas": ""}
    html = client.post(f"/banks/{BANK}/blueprints/new", data=data).get_data(as_text=True)
    assert "rules, line 1: write a topic and its minimum-maximum" in html
    html = client.post(f"/banks/{BANK}/blueprints/new", data={**data, "rules": "1.1: 1-1\n9.9: 1-1",
                                                               "level_quotas": "K 9"}).get_data(as_text=True)
    assert "rules, topic 9.9: not a topic of programme LDR-SUS" in html
    assert "total: 3 is above the sum of the rules&#39; maximums (2)" in html
    assert "level_quotas: the quotas add up to 9, above the total 3" in html
    assert db_session.scalar(select(func.count()).select_from(Blueprint)
                             .where(Blueprint.bank_id == banks.get_bank(BANK).id)) == 0

    # a trainer reading Kazakh (or Russian) is told the same in the form's own words
    client.post("/language", data={"language": "kk"})
    html = client.post(f"/banks/{BANK}/blueprints/new", data=data).get_data(as_text=True)
    assert "тақырыптар, 1-жол: тақырыпты және оның ең аз–ең көп санын жазыңыз" in html
    html = client.post(f"/banks/{BANK}/blueprints/new", data={**data, "rules": "1.1: 1-1\n9.9: 1-1",
                                                               "level_quotas": "K 9"}).get_data(as_text=True)
    # each problem under its own field, as the form names it
    assert ("тақырыптар, 9.9 тақырыбы: LDR-SUS бағдарламасының да, банк тапсырмаларының да тақырыбы емес"
            in field_errors(html, "rules"))
    assert field_errors(html, "total") == ["тесттегі тапсырмалар саны: 3 ережелердегі ең көп мәндердің қосындысынан"
                                           " (2) көп"]
    assert field_errors(html, "level_quotas") == ["деңгейлер бойынша квота: квоталардың қосындысы 9, бұл тапсырмалар"
                                                  " санынан (3) көп"]
    client.post("/language", data={"language": "ru"})
    html = client.post(f"/banks/{BANK}/blueprints/new", data={**data, "rules": "1.1: 1-1\n9.9: 1-1",
                                                               "level_quotas": "K 9"}).get_data(as_text=True)
    assert "заданий в тесте: 3 больше суммы максимумов по правилам (2)" in html
    client.post("/language", data={"language": "en"})

    # editing keeps the id; quotas come back in the form's own notation
    client.post(f"/banks/{BANK}/blueprints/new", data={**data, "rules": "1.1: 1-3", "level_quotas": "K=2"})
    blueprint = db_session.scalar(select(Blueprint).where(Blueprint.code == "TVB-X"))
    html = client.get(f"/banks/{BANK}/blueprints/{blueprint.id}/edit").get_data(as_text=True)
    assert 'value="K 2"' in html
    r = client.post(f"/banks/{BANK}/blueprints/{blueprint.id}/edit", data={**data, "rules": "1.1: 1-3", "total": "2"})
    assert r.status_code == 302
    db_session.expire_all()
    assert db_session.get(Blueprint, blueprint.id).total == 2
    banks.get_or_create_bank("TVO", "LDR-SUS", "Other", None)
    db_session.commit()
    assert client.get(f"/banks/TVO/blueprints/{blueprint.id}/edit").status_code == 404
