"""Questions written on the pages in GIFT: new ones from the bank page (Moodle's "create a new
question", every type), and an item's whole text, right answers and marks included, as a new
version. Checked as a file is: any problem, nothing saved, every one named by line."""
import re
from html import unescape

from sqlalchemy import func, select

from lms.quizbank.models import Attempt, Item, ItemVersion
from lms.quizbank.services import regrade
from tests.quizbank.test_regrade import _take
from tests.quizbank.test_views_attempts import CODE, setup  # noqa: F401 - the fixture
from tests.quizbank.test_views_banks import BANK, bank, trainer  # noqa: F401 - the fixtures

TWO_QUESTIONS = """::Ресурстар::Желілік басқаруда мектеп не біріктіреді? {=ресурстарын ~тек оқушыларын ~ештеңе}

// [tag:level-H]
Мектеп желісі ауыл мектебіне көмектеседі. {T}
"""


def _errors(html: str) -> list[tuple[str, str]]:
    block = re.search(r'<div class="card" id="import-errors">.*?</table>', html, re.S)
    return [(line, unescape(reason)) for line, reason in
            re.findall(r'<td class="num">(\d+)</td><td>(.*?)</td>', block.group(0))] if block else []


def _items(db_session, bank_code: str) -> list[tuple[str, str]]:
    return [tuple(r) for r in db_session.execute(select(Item.code, Item.status).where(Item.code.like(f"{bank_code}-%"))
                                                 .order_by(Item.code))]


def test_new_questions_written_on_the_bank_page_get_the_topics_next_codes(
        client, bank, trainer, db_session):  # noqa: F811
    page = client.get(f"/banks/{BANK}")
    assert f'href="/banks/{BANK}/items/new' in page.text
    form = client.get(f"/banks/{BANK}/items/new?topic=2.3")
    assert form.status_code == 200 and 'id="gift-help"' in form.text
    assert re.search(r'<option selected value="2.3">|<option value="2.3" selected>', form.text)

    # one question is wrong: nothing is saved, and the line is named
    wrong = TWO_QUESTIONS + "\nҮшінші сұрақ {=a ~b\n"
    refused = client.post(f"/banks/{BANK}/items/new", data={"topic": "2.3", "level": "A", "draft": "y",
                                                               "text": wrong})
    assert refused.status_code == 200
    assert [line for line, _reason in _errors(refused.text)] == ["6"]
    assert "Үшінші сұрақ" in refused.text  # the text is kept to be corrected
    assert _items(db_session, BANK) == []

    # checked first: the codes it would get, and nothing saved
    checked = client.post(f"/banks/{BANK}/items/new", data={"topic": "2.3", "level": "A", "draft": "y",
                                                              "text": TWO_QUESTIONS, "action": "check"})
    assert 'id="checked"' in checked.text and f"{BANK}-2.3-A-001" in checked.text and f"{BANK}-2.3-H-002" in checked.text
    assert _items(db_session, BANK) == []

    done = client.post(f"/banks/{BANK}/items/new", data={"topic": "2.3", "level": "A", "draft": "y",
                                                           "text": TWO_QUESTIONS}, follow_redirects=True)
    assert done.request.path == f"/banks/{BANK}" and done.request.args.get("topic") == "2.3"
    assert f"{BANK}-2.3-A-001" in done.text
    # the level chosen, unless the question's tags name one; drafts, as ticked
    assert _items(db_session, BANK) == [(f"{BANK}-2.3-A-001", "draft"), (f"{BANK}-2.3-H-002", "draft")]
    first = db_session.scalar(select(Item).where(Item.code == f"{BANK}-2.3-A-001"))
    assert first.current.qtype == "single" and first.current.title == "Ресурстар"
    assert [o["fraction"] for o in first.current.data["options"]] == [1.0, 0.0, 0.0]

    # "write a similar question": the form starts from that item's text, topic and level
    similar = client.get(f"/banks/{BANK}/items/new?like={first.id}").text
    start = unescape(re.search(r'<textarea[^>]*name="text"[^>]*>(.*?)</textarea>', similar, re.S).group(1))
    assert "Желілік басқаруда мектеп не біріктіреді?" in start and "[id:" not in start  # a new item: no code
    assert re.search(r'<option selected value="A">|<option value="A" selected>', similar)
    assert client.get(f"/banks/{BANK}/items/new?like=999999").status_code == 404

    # unticked: ready at once; a topic the programme lacks is refused by the form
    client.post(f"/banks/{BANK}/items/new", data={"topic": "2.3", "level": "K", "text": "Тағы бір сұрақ {T}"})
    assert (f"{BANK}-2.3-K-003", "ready") in _items(db_session, BANK)
    assert client.post(f"/banks/{BANK}/items/new", data={"topic": "9.9", "level": "K", "text": "Сұрақ {T}"}
                       ).status_code == 200
    assert len(_items(db_session, BANK)) == 3


def test_an_items_whole_text_is_edited_as_gift_and_the_regrade_follows(
        client, auth, setup, db_session):  # noqa: F811
    _cohort, test, trainer = setup
    test_id = test.id
    attempt_id = _take(db_session, 1, test_id)  # the single choice answered by its first key
    item = db_session.scalar(select(Item).join(ItemVersion).where(ItemVersion.qtype == "single"))
    item_id, item_code, bank_code = item.id, item.code, item.bank.code
    url = f"/banks/{bank_code}/items/{item_id}/edit-text"

    auth.login(trainer.email)
    client.post("/language", data={"language": "en"})
    assert url in client.get(f"/banks/{bank_code}/items/{item_id}").text
    page = client.get(url).text
    text = unescape(re.search(r'<textarea[^>]*name="text"[^>]*>(.*?)</textarea>', page, re.S).group(1)).strip()
    assert text.startswith("Сұрақ 1 (single){") and "=Астана" in text and "~Алматы" in text  # no [markdown]

    def post(body, base="1"):
        return client.post(url, data={"base_version": base, "text": body})

    def versions():
        return db_session.scalar(select(func.count()).select_from(ItemVersion).where(ItemVersion.item_id == item_id))

    # refused, each by line, and nothing saved
    assert "nothing changed" in post(text).text
    assert ("2", f"code TSTATT-9.9-K-099 is another item: this page edits {item_code}") in \
        _errors(post("// [id:TSTATT-9.9-K-099]\n" + text).text)
    two = _errors(post(text + "\n\nЕкінші {T}\n").text)
    assert two and two[0][0] == str(text.count("\n") + 3) and "exactly one question" in two[0][1]
    assert "stays single" in _errors(post("Басқа түр {T}").text)[0][1]
    assert _errors(post("Сұрақ {=a ~b").text)[0][0] == "1"
    assert "is now at version" in post(text.replace("=Астана", "~Астана").replace("~Алматы", "=Алматы"),
                                       base="0").text
    assert versions() == 1

    # the key corrected: a new version; the attempt keeps the old one until a regrade
    done = client.post(url, data={"base_version": "1",
                                  "text": text.replace("=Астана", "~Астана").replace("~Алматы", "=Алматы")},
                       follow_redirects=True)
    assert done.request.path == f"/banks/{bank_code}/items/{item_id}" and "version 2" in done.text
    assert versions() == 2
    new = db_session.scalar(select(ItemVersion).where(ItemVersion.item_id == item_id, ItemVersion.number == 2))
    assert [o["fraction"] for o in new.data["options"]] == [0.0, 1.0, 0.0]
    assert db_session.get(Attempt, attempt_id).score == 6
    # what changed, line by line: on the item's page and where the trainer decides the regrade
    changed = ["<del>− \t=Астана#Дұрыс</del>", "<del>− \t~Алматы</del>", "<ins>+ \t~Астана#Дұрыс</ins>",
               "<ins>+ \t=Алматы</ins>", "<span>  \t~Шымкент</span>"]
    item_page = client.get(f"/banks/{bank_code}/items/{item_id}").text
    assert 'data-changes="1"' in item_page and all(line in item_page for line in changed)
    regrade_page = client.get(f"/cohorts/{CODE}/tests/{test_id}/regrade").text
    assert all(line in regrade_page for line in changed)
    regrade.regrade(db_session.get(Attempt, attempt_id).test, None)
    db_session.commit()
    assert db_session.get(Attempt, attempt_id).score == 5
