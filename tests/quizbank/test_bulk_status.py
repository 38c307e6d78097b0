"""Changing the status of several items at once from a page of the bank (a review of imported
drafts): all or nothing, each refusal named, each change audited."""
import re

from sqlalchemy import func, select

from lms.core.models import AuditEntry
from lms.quizbank.models import Item
from lms.quizbank.services import banks
from lms.quizbank.services.blueprints import save_blueprint
from tests.quizbank.test_attempts import make_test
from tests.quizbank.test_views_banks import BANK, bank, items_of, many_items, trainer, upload  # noqa: F401


def _ids(db_session, *codes) -> list[str]:
    return [str(items_of(db_session)[code].id) for code in codes]


def test_a_reviewer_readies_the_chosen_drafts_and_returns_to_the_same_page(
        client, trainer, bank, db_session):  # noqa: F811
    assert upload(client, many_items(5)).status_code == 302
    for item in items_of(db_session).values():
        banks.set_status(item, "draft", None)
    db_session.commit()
    page = client.get(f"/banks/{BANK}?status=draft").text
    assert 'id="bulk-status"' in page and len(re.findall(r'name="item" value="\d+"', page)) == 5
    before = db_session.scalar(select(func.count()).select_from(AuditEntry))

    chosen = _ids(db_session, f"{BANK}-1.1-K-001", f"{BANK}-1.1-K-002", f"{BANK}-1.1-K-004")
    back = f"/banks/{BANK}?status=draft"
    r = client.post(f"/banks/{BANK}/items/status", data={"item": chosen, "status": "ready", "back": back})
    assert r.status_code == 302 and r.headers["Location"] == back
    assert "3 items are now ready." in client.get(back).text
    status = {code: item.status for code, item in items_of(db_session).items()}
    assert [status[f"{BANK}-1.1-K-00{k}"] for k in range(1, 6)] == ["ready", "ready", "draft", "ready", "draft"]
    assert db_session.scalar(select(func.count()).select_from(AuditEntry)) == before + 3

    # nothing chosen, an unknown status, an item of another bank, a stray "back": refused, nothing changes
    other = banks.get_or_create_bank("TVO", "LDR-SUS", "Other", None)
    other_item = Item(code="TVO-1.1-K-001", topic_code="1.1", module_number=1, level="K", status="draft")
    other.items.append(other_item)
    db_session.commit()
    other_id = other_item.id
    for data in ({"status": "ready"}, {"item": chosen, "status": "gone"},
                 {"item": [*_ids(db_session, f"{BANK}-1.1-K-003"), str(other_id)], "status": "ready"}):
        r = client.post(f"/banks/{BANK}/items/status", data={**data, "back": "https://evil.example/"})
        assert r.headers["Location"] == f"/banks/{BANK}"
    assert items_of(db_session)[f"{BANK}-1.1-K-003"].status == "draft"
    assert db_session.get(Item, other_id).status == "draft"


def test_retiring_what_a_published_test_needs_changes_nothing_and_names_the_topic(
        client, trainer, bank, make, db_session):  # noqa: F811
    upload(client, many_items(3) + many_items(2, topic="1.2"))
    blueprint = save_blueprint(banks.get_bank(BANK), {"code": "T", "title": "T", "total": 4, "rules": "1.1: 3\n1.2: 1"},
                               None)
    cohort = make.cohort(code="QZ-BULK", programme="LDR-SUS", format_code="online", participants=0)
    make_test(cohort, blueprint=blueprint)
    db_session.commit()
    chosen = _ids(db_session, f"{BANK}-1.2-K-001", f"{BANK}-1.1-K-001")  # 1.2 can spare one, 1.1 cannot
    r = client.post(f"/banks/{BANK}/items/status", data={"item": chosen, "status": "retired"}, follow_redirects=True)
    assert "stays ready: published tests draw from topic 1.1" in r.text
    assert {i.status for i in items_of(db_session).values()} == {"ready"}  # the 1.2 item too: all or nothing
