"""Previewing an item as a participant meets it (Moodle's question preview): shuffled, answered,
scored by the grading rules with its feedback and key, and nothing stored."""
import re
from html import unescape

from sqlalchemy import func, select

from lms.core.models import AuditEntry
from lms.quizbank.models import Attempt, AttemptSlot, Item
from lms.quizbank.services import banks
from tests.quizbank.test_attempts import ESSAY, ITEMS, build_items
from tests.quizbank.test_views_banks import trainer  # noqa: F401 - the fixture

BANK = "TVPRE"


def _options(html: str) -> dict[str, str]:
    """{option text: the value its radio button sends}, as the page shows them."""
    return {unescape(text).strip(): value for value, text in
            re.findall(r'<input type="radio" name="q1" value="(\d+)"[^>]*>([^<]+)</label>', html)}


def _seed(html: str) -> str:
    return re.search(r'name="seed" value="(\d+)"', html).group(1)


def _stored(db_session) -> tuple:
    return (db_session.scalar(select(func.count()).select_from(Attempt)),
            db_session.scalar(select(func.count()).select_from(AttemptSlot)),
            db_session.scalar(select(func.sum(Item.exposure))),
            db_session.scalar(select(func.count()).select_from(AuditEntry)))


def test_a_trainer_answers_an_item_as_a_participant_and_sees_the_points_and_the_key(
        client, trainer, db_session):  # noqa: F811
    versions = build_items(db_session, ITEMS + [ESSAY], bank_code=BANK)
    db_session.commit()
    single, numerical, essay = (next(v for v in versions if v.qtype == k) for k in ("single", "numerical", "essay"))
    before = _stored(db_session)
    url = f"/banks/{BANK}/items/{single.item_id}/preview"
    assert f'href="{url}"' in client.get(f"/banks/{BANK}/items/{single.item_id}").text

    page = client.get(url).text
    shown = _options(page)
    assert sorted(shown) == ["Алматы", "Астана", "Шымкент"] and 'id="checked"' not in page
    seed = _seed(page)
    wrong = client.post(url, data={"seed": seed, "present-1": "1", "q1": shown["Алматы"]}).text
    assert _options(wrong) == shown  # the same seed, the same order
    checked = wrong.split('id="checked"', 1)[1]
    assert "<strong>0 / 1</strong>" in checked and 'data-key="true"' in checked
    right = client.post(url, data={"seed": seed, "present-1": "1", "q1": shown["Астана"]}).text
    assert "<strong>1 / 1</strong>" in right and '<p id="feedback">Дұрыс</p>' in right
    assert re.search(r'value="%s" checked> Астана' % shown["Астана"], right)  # the answer stays on the page

    url = f"/banks/{BANK}/items/{numerical.item_id}/preview"
    bad = client.post(url, data={"seed": "7", "present-1": "1", "q1": "он екі"})
    assert bad.status_code == 400 and 'id="problem"' in bad.text and 'id="checked"' not in bad.text
    good = client.post(url, data={"seed": "7", "present-1": "1", "q1": "12,5"}).text
    assert "<strong>1 / 1</strong>" in good
    blank = client.post(url, data={"seed": "7", "present-1": "1", "q1": ""}).text
    assert "<strong>0 / 1</strong>" in blank

    url = f"/banks/{BANK}/items/{essay.item_id}/preview"
    page = client.post(url, data={"seed": "7", "present-1": "1", "q1": "Менің эссем"}).text
    assert "<strong>graded by hand</strong>" in page and "Менің эссем" in page

    assert _stored(db_session) == before  # no attempt, no exposure, no audit entry


def test_an_earlier_version_is_previewed_as_it_was_and_strangers_see_nothing(
        client, trainer, make, auth, db_session):  # noqa: F811
    versions = build_items(db_session, ITEMS[:1], bank_code=BANK)
    item = db_session.get(Item, versions[0].item_id)
    banks.revise_item(item, {"text": "Қазақстанның астанасы қай қала?"}, None)
    db_session.commit()
    item_id = item.id
    url = f"/banks/{BANK}/items/{item_id}/preview"
    assert "Қазақстанның астанасы" in client.get(url).text
    old = client.get(f"{url}?version=1").text
    assert "<p>Сұрақ 1</p>" in old and "Қазақстанның астанасы" not in old and "version 1" in old
    assert f'action="{url}?version=1"' in old  # a check stays on version 1
    assert client.get(f"{url}?version=9").status_code == 404
    assert client.get(f"/banks/NOPE/items/{item_id}/preview").status_code == 404

    participant = make.user(email="pre-p@test.kz")
    auth.login(participant.email)
    assert client.get(url).status_code == 403
