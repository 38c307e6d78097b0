"""Banks: creating them, importing GIFT / Moodle XML items into them, exporting them.

An import is all or nothing: every item is checked first (code, topic, level, type data)
and every problem is reported with its line; nothing is written while any is wrong. An
item's code fixes its topic, module and level. Re-importing a code with other content adds
a new version (a version is never edited: attempts keep the one they showed); the same
content leaves the item unchanged, so importing a file twice changes nothing."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.core.permissions import SYSTEM, Context
from lms.core.services import audit
from lms.core.services.errors import Conflict, NotFound, ServiceError, about, joined
from lms.courses.models import Module, Programme, Topic
from lms.courses.services import render_markdown
from lms.db import db, utcnow
from lms.quizbank.formats import (
    CODE_RE, FORMATS, ItemFileError, ParsedItem, Skipped, check_data, dump, parse, topic_from_category,
)
from lms.quizbank.formats import gift
from lms.quizbank.models import ITEM_STATUSES, AttemptSlot, Bank, Blueprint, Item, ItemVersion, Test
from lms.quizbank.qtypes import type_name

BANK_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]{0,19}$")
_LEVEL_TAG = re.compile(r"^level-([KUAH])$", re.I)
_TOPIC_TAG = re.compile(r"^topic-(\d+\.\d+)$", re.I)
_LANGUAGE_TAG = re.compile(r"^lang-(kk|ru)$", re.I)
DRAFT_TAG = "draft"
_KAZAKH_LETTERS = re.compile("[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
_CYRILLIC = re.compile("[а-яёА-ЯЁ]")
MAX_TEXT = 200_000


@dataclass
class BankImportReport:
    bank: str
    #: codes, in file order
    created: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    #: existing items whose tags the file changed (tags belong to the item, not a version)
    retagged: list[str] = field(default_factory=list)
    #: (line, code) of items the file gave no code: the code given to them
    generated: list[tuple[int, str]] = field(default_factory=list)
    #: what the file held but a bank cannot (descriptions, unsupported types)
    skipped: list[Skipped] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.bank}: {len(self.created)} created, {len(self.new_versions)} new version(s),"
                f" {len(self.unchanged)} unchanged, {len(self.skipped)} skipped")


def get_bank(code: str) -> Bank:
    bank = db.session.scalar(select(Bank).where(Bank.code == (code or "").strip().upper()))
    if bank is None:
        raise NotFound(_l("no bank %(code)s", code=code), field="bank")
    return bank


def get_or_create_bank(code: str, programme_code: str | None = None, title: str | None = None,
                       actor=None) -> Bank:
    """The bank `code`; created for `programme_code` when missing. A bank serves one
    programme (all its versions): naming another programme for an existing bank is refused."""
    code = (code or "").strip().upper()
    if not BANK_CODE_RE.match(code):
        raise ServiceError(_l("bank code %(code)s must be a capital letter then up to 19 capitals or digits (e.g."
                              " LDR): it starts every item code", code=repr(code)), field="bank")
    programme_code = (programme_code or "").strip().upper() or None
    bank = db.session.scalar(select(Bank).where(Bank.code == code))
    if bank is not None:
        if programme_code and programme_code != bank.programme_code:
            raise Conflict(_l("bank %(code)s serves programme %(programme)s, not %(other)s", code=code,
                              programme=bank.programme_code, other=programme_code), field="programme")
        return bank
    if programme_code is None:
        raise ServiceError(_l("there is no bank %(code)s; name its programme to create it", code=code),
                           field="programme")
    if db.session.scalar(select(Programme.id).where(Programme.code == programme_code).limit(1)) is None:
        raise NotFound(_l("no programme %(code)s", code=programme_code), field="programme")
    # stored as given, read in Kazakh first: the untitled default is the programme's Kazakh one
    bank = Bank(code=code, programme_code=programme_code,
                title=(title or "").strip() or f"{programme_code} тапсырмалар банкі")
    db.session.add(bank)
    db.session.flush()
    audit.record(actor, "bank_created", bank, f"{code} for {programme_code}")
    return bank


def _programme_topics(programme_code: str) -> dict[str, int]:
    """Topic code -> module number, over every version of the programme (they share the bank)."""
    rows = db.session.execute(
        select(Topic.code, Module.number).join(Programme, Topic.programme_id == Programme.id)
        .join(Module, Topic.module_id == Module.id).where(Programme.code == programme_code))
    return {topic: number for topic, number in rows}


def _language(text: str, tags: list[str]) -> str:
    """A `lang-ru` / `lang-kk` tag decides; else Kazakh letters say kk, and a longer Cyrillic
    text with none of them (ә ғ қ ң ө ұ ү һ і are in nearly every Kazakh sentence) is Russian.
    Short texts stay kk, the programmes' language."""
    for tag in tags:
        if m := _LANGUAGE_TAG.match(tag):
            return m.group(1).lower()
    if _KAZAKH_LETTERS.search(text):
        return "kk"
    return "ru" if len(_CYRILLIC.findall(text)) >= 30 else "kk"


@dataclass
class _Plan:
    parsed: ParsedItem
    code: str | None
    topic: str | None
    level: str
    tags: list[str]
    draft: bool


def _plan(p: ParsedItem, bank: Bank, topics: dict[str, int], seen: dict[str, int],
          default_level: str = "K") -> tuple[_Plan, list]:
    problems: list = []
    levels = {m.group(1).upper() for t in p.tags if (m := _LEVEL_TAG.match(t))}
    tagged_topics = {m.group(1) for t in p.tags if (m := _TOPIC_TAG.match(t))}
    category_topic = topic_from_category(p.category)
    if len(levels) > 1:
        problems.append(_l("more than one level tag: %(tags)s", tags=", ".join(sorted(levels))))
    if len(tagged_topics) > 1:
        problems.append(_l("more than one topic tag: %(tags)s", tags=", ".join(sorted(tagged_topics))))
    code, topic, level = None, None, "K"
    if p.code:
        code = p.code.strip()
        m = CODE_RE.match(code)
        if not m:
            problems.append(_l("code %(code)s is not <BANK>-<module>.<topic>-<level>-<NNN> (e.g. %(example)s)",
                               code=repr(code), example=f"{bank.code}-2.3-A-007"))
        else:
            prefix, topic, _module, level, _number = m.groups()
            if prefix != bank.code:
                problems.append(_l("code %(code)s belongs to bank %(bank)s, not %(this)s", code=code, bank=prefix,
                                   this=bank.code))
            if levels and levels != {level}:
                problems.append(_l("code %(code)s says level %(level)s but the tags say %(tags)s", code=code,
                                   level=level, tags=", ".join(sorted(levels))))
            if tagged_topics and tagged_topics != {topic}:
                problems.append(_l("code %(code)s says topic %(topic)s but the tags say %(tags)s", code=code,
                                   topic=topic, tags=", ".join(sorted(tagged_topics))))
            if category_topic and category_topic != topic:
                problems.append(_l("code %(code)s says topic %(topic)s but $CATEGORY %(category)s says %(other)s",
                                   code=code, topic=topic, category=p.category, other=category_topic))
        if code in seen:
            problems.append(_l("code %(code)s is used twice (lines %(first)s and %(second)s)", code=code,
                               first=seen[code], second=p.line))
        seen.setdefault(code, p.line)
    else:
        if tagged_topics and category_topic and tagged_topics != {category_topic}:
            problems.append(_l("$CATEGORY %(category)s says topic %(topic)s but the tags say %(tags)s",
                               category=p.category, topic=category_topic, tags=", ".join(sorted(tagged_topics))))
        topic = min(tagged_topics) if tagged_topics else category_topic
        level = min(levels) if levels else default_level
        if topic is None:
            problems.append(_l("no code and no topic: give // [id:CODE], a $CATEGORY ending in the topic"
                               " (%(example)s) or [tag:topic-2.3]", example=f"{bank.code}/2.3"))
    if topic and topic not in topics:
        problems.append(_l("topic %(topic)s is not a topic of programme %(programme)s", topic=topic,
                           programme=bank.programme_code))
    if p.title and len(p.title) > 300:
        problems.append(_l("the title is longer than %(count)s characters", count=300))
    if not (p.text or "").strip():
        problems.append(_l("the question has no text"))
    elif len(p.text) > MAX_TEXT:
        problems.append(_l("the text is longer than %(count)s characters", count=f"{MAX_TEXT:,}"))
    problems += check_data(p.qtype, p.data)
    tags = [t for t in p.tags if t.lower() != DRAFT_TAG]
    draft = len(tags) != len(p.tags)
    return _Plan(p, code, topic, level, tags, draft), problems


def import_items(bank: Bank, items: list[ParsedItem], actor, filename: str = "items", *, level: str = "K",
                 draft: bool = False) -> BankImportReport:
    """Check every item, then create items, add versions and retag; raises ItemFileError
    listing every problem by line (nothing written). New items are "ready" unless tagged
    `draft` (or `draft` is given); an existing item keeps its status. `level` is the level of
    a new item whose code and tags name none."""
    report = BankImportReport(bank=bank.code, skipped=list(getattr(items, "skipped", [])))
    errors: list[tuple[int, str]] = []
    if not items and not report.skipped:
        errors.append((1, _l("the file holds no questions")))
    topics = _programme_topics(bank.programme_code)
    existing = {item.code: item for item in db.session.scalars(
        select(Item).where(Item.bank_id == bank.id).options(selectinload(Item.versions)))}
    seen: dict[str, int] = {}
    plans = []
    for p in items:
        plan, problems = _plan(p, bank, topics, seen, level)
        plan.draft = plan.draft or draft
        errors += [(p.line, problem) for problem in problems]
        plans.append(plan)
    # codes for items without one: after every number the bank or the file already uses
    numbers = [int(code[-3:]) for code in [*existing, *seen] if CODE_RE.match(code)]
    next_number = max(numbers, default=0) + 1
    for plan in plans:
        if plan.code is None and plan.topic is not None:
            if next_number > 999:
                errors.append((plan.parsed.line, _l("bank %(code)s has no free item number left (NNN ≤ 999)",
                                                    code=bank.code)))
                continue
            plan.code = f"{bank.code}-{plan.topic}-{plan.level}-{next_number:03d}"
            report.generated.append((plan.parsed.line, plan.code))
            next_number += 1
    if errors:
        raise ItemFileError(filename, errors)

    # written in a fixed number of statements (bulk inserts), however long the file
    actor_id, now = getattr(actor, "id", None), utcnow()
    new_items: list[dict] = []
    versions: list[tuple[str, int, dict]] = []  # (code, number, fields)
    retag: list[dict] = []
    for plan in plans:
        p = plan.parsed
        text = p.text.strip()
        fields = {"qtype": p.qtype, "title": p.title, "text": text, "data": p.data,
                  "general_feedback": p.general_feedback, "language": _language(text, plan.tags)}
        item = existing.get(plan.code)
        if item is None:
            new_items.append({"bank_id": bank.id, "code": plan.code, "topic_code": plan.topic,
                              "module_number": topics[plan.topic], "level": plan.level,
                              "status": "draft" if plan.draft else "ready", "tags": plan.tags, "exposure": 0,
                              "created_at": now})
            versions.append((plan.code, 1, fields))
            report.created.append(plan.code)
            continue
        current = item.current
        if all(getattr(current, name) == value for name, value in fields.items()):
            report.unchanged.append(plan.code)
        else:
            versions.append((plan.code, current.number + 1, fields))
            report.new_versions.append(plan.code)
        if item.tags != plan.tags:
            retag.append({"id": item.id, "tags": plan.tags})
            report.retagged.append(plan.code)
    ids = {code: item.id for code, item in existing.items()}
    if new_items:
        ids.update({code: id_ for id_, code in db.session.execute(insert(Item).returning(Item.id, Item.code),
                                                                 new_items)})
    if versions:
        db.session.execute(insert(ItemVersion), [
            {"item_id": ids[code], "number": number, "text_html": render_markdown(fields["text"]),
             "created_at": now, "created_by_id": actor_id, **fields} for code, number, fields in versions])
    if retag:
        db.session.execute(update(Item), retag)
    for code in {*report.new_versions, *report.retagged}:
        db.session.expire(existing[code])  # bulk writes bypass the loaded objects
    db.session.flush()
    audit.record(actor, "bank_imported", bank, f"{filename}: {report.summary()}", filename=filename,
                 created=report.created, new_versions=report.new_versions, retagged=report.retagged,
                 generated=[code for _, code in report.generated],
                 skipped=[f"{s.line}: {s.reason}" for s in report.skipped])
    return report


def _topic_key(topic: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in topic.split("."))


def bank_items(bank: Bank, **filters) -> list[ParsedItem]:
    """Every non-retired item's current version, by topic then number, as a file would hold it;
    with `items_query`'s filters, the items they pick (retired ones only when the status filter
    asks for them)."""
    stmt = items_query(bank, **filters) if filters else \
        select(Item).where(Item.bank_id == bank.id).options(selectinload(Item.versions))
    if filters.get("status") != "retired":
        stmt = stmt.where(Item.status != "retired")
    items = db.session.scalars(stmt).all()
    result = []
    for item in sorted(items, key=lambda i: (_topic_key(i.topic_code), i.code[-3:], i.code)):
        version = item.current
        result.append(ParsedItem(
            qtype=version.qtype, text=version.text, data=version.data, code=item.code, title=version.title,
            category=f"{bank.code}/{item.topic_code}",
            tags=list(item.tags) + ([DRAFT_TAG] if item.status == "draft" else []),
            general_feedback=version.general_feedback))
    return result


def export_items(bank: Bank, fmt: str, **filters) -> str:
    """The bank (or the items `filters` pick) as GIFT or Moodle XML; importing it into an empty
    bank of the same code gives the same items (codes, types, texts, data, tags, draft status)."""
    if fmt not in FORMATS:
        raise ServiceError(_l("unknown format %(format)s: use %(formats)s", format=repr(fmt),
                              formats=" or ".join(FORMATS)), field="format")
    return dump(bank_items(bank, **filters), fmt)


# --- the web pages: banks, their items, one item's versions ----------------------------------

def create_bank(code: str, programme_code: str, title: str | None, actor) -> Bank:
    """A new bank (the web form): unlike `get_or_create_bank`, a code already taken is refused."""
    taken = db.session.scalar(select(Bank.code).where(Bank.code == (code or "").strip().upper()))
    if taken is not None:
        raise Conflict(_l("bank %(code)s already exists", code=taken), field="code")
    try:
        return get_or_create_bank(code, programme_code or None, title, actor)
    except ServiceError as exc:
        if exc.field == "bank":
            exc.field = "code"
        raise


def programme_contexts(codes) -> dict[str, Context]:
    """Where a programme's banks are checked: the programme's newest version, approved first
    (as `get_programme` picks). One statement for all `codes`; a code with no programme is missing."""
    from lms.courses.models import Programme

    newest: dict[str, Context] = {}
    codes = set(codes)
    if codes:
        for code, programme_id in db.session.execute(
                select(Programme.code, Programme.id).where(Programme.code.in_(codes))
                .order_by(Programme.code, (Programme.status == "approved").asc(), Programme.version.asc())):
            newest[code] = Context("programme", programme_id)  # the last row of each code wins
    return newest


def bank_contexts(banks: list[Bank]) -> dict[int, Context]:
    """Each bank's context (its programme's; the system when the programme is gone)."""
    contexts = programme_contexts(b.programme_code for b in banks)
    return {b.id: contexts.get(b.programme_code, SYSTEM) for b in banks}


def bank_overview() -> list[dict]:
    """Every bank with its items counted by status and its blueprints counted: three statements."""
    banks = list(db.session.scalars(select(Bank).order_by(Bank.code)))
    by_status: dict[int, dict[str, int]] = {}
    for bank_id, status, n in db.session.execute(
            select(Item.bank_id, Item.status, func.count()).group_by(Item.bank_id, Item.status)):
        by_status.setdefault(bank_id, {})[status] = n
    blueprints = dict(db.session.execute(select(Blueprint.bank_id, func.count()).group_by(Blueprint.bank_id)).all())
    return [{"bank": b, "items": {s: by_status.get(b.id, {}).get(s, 0) for s in ITEM_STATUSES},
             "total": sum(by_status.get(b.id, {}).values()), "blueprints": blueprints.get(b.id, 0)} for b in banks]


def topic_counts(bank: Bank) -> list[dict]:
    """Items per topic and status, every programme topic included (an empty topic is the
    shortest of all), then topics only the items name; in topic order."""
    counts: dict[str, dict[str, int]] = {t: {} for t in _programme_topics(bank.programme_code)}
    for topic, status, n in db.session.execute(
            select(Item.topic_code, Item.status, func.count()).where(Item.bank_id == bank.id)
            .group_by(Item.topic_code, Item.status)):
        counts.setdefault(topic, {})[status] = n
    return [{"topic": t, **{s: counts[t].get(s, 0) for s in ITEM_STATUSES}}
            for t in sorted(counts, key=_topic_key)]


def _current_versions():
    """(item_id, number) of each item's newest version, for joining the current version."""
    return (select(ItemVersion.item_id, func.max(ItemVersion.number).label("number"))
            .group_by(ItemVersion.item_id).subquery())


def items_query(bank: Bank, *, topic: str | None = None, level: str | None = None, status: str | None = None,
                qtype: str | None = None, text: str | None = None):
    """A select of the bank's items matching every filter given (type and text are the current
    version's); for `paginate`."""
    current = _current_versions()
    stmt = (select(Item).join(current, current.c.item_id == Item.id)
            .join(ItemVersion, (ItemVersion.item_id == Item.id) & (ItemVersion.number == current.c.number))
            .where(Item.bank_id == bank.id).options(selectinload(Item.versions))
            # topic by topic ("1.2" before "1.10"), then by the item number NNN, as the bank file lists them
            .order_by(Item.module_number, func.length(Item.topic_code), Item.topic_code,
                      func.substr(Item.code, func.length(Item.code) - 2), Item.code))
    if topic:
        stmt = stmt.where(Item.topic_code == topic)
    if level:
        stmt = stmt.where(Item.level == level)
    if status:
        stmt = stmt.where(Item.status == status)
    if qtype:
        stmt = stmt.where(ItemVersion.qtype == qtype)
    if text and text.strip():
        words = text.strip()
        stmt = stmt.where(Item.code.icontains(words, autoescape=True)
                          | ItemVersion.text.icontains(words, autoescape=True)
                          | ItemVersion.title.icontains(words, autoescape=True))
    return stmt


def get_item(bank: Bank, item_id: int) -> Item:
    item = db.session.scalar(select(Item).where(Item.id == item_id, Item.bank_id == bank.id)
                             .options(selectinload(Item.versions)))
    if item is None:
        raise NotFound(_l("bank %(code)s has no item %(id)s", code=bank.code, id=item_id), field="item")
    return item


def version_uses(item: Item) -> dict[int, int]:
    """How many attempt slots showed each version (version id -> count)."""
    return dict(db.session.execute(
        select(AttemptSlot.item_version_id, func.count())
        .join(ItemVersion, AttemptSlot.item_version_id == ItemVersion.id).where(ItemVersion.item_id == item.id).group_by(AttemptSlot.item_version_id)).all())


def _published_shortfalls(item: Item) -> list[str]:
    """Published tests whose blueprint draws from the item's topic and is short without it."""
    from lms.quizbank.services.blueprints import check_publishable
    from lms.quizbank.services.draw import rule_for_item

    blueprints = db.session.scalars(
        select(Blueprint).where(Blueprint.bank_id == item.bank_id, Blueprint.id.in_(
            select(Test.blueprint_id).where(Test.status == "published")))).all()
    found = []
    for blueprint in blueprints:
        if rule_for_item(blueprint.rules, item.topic_code, item.module_number) is None:
            continue
        problems = check_publishable(blueprint)
        if problems:
            found.append(about(_l("blueprint %(code)s", code=blueprint.code), joined(problems)))
    return found


def _check_status(status: str) -> None:
    if status not in ITEM_STATUSES:
        raise ServiceError(_l("status must be one of %(choices)s (got %(value)s)", choices=", ".join(ITEM_STATUSES),
                              value=repr(status)), field="status")


def set_status(item: Item, status: str, actor) -> Item:
    """Draft, ready or retired (only ready items are drawn). Taking an item out of "ready" is
    refused when a published test could then no longer give every participant a full draw."""
    _check_status(status)
    old = item.status
    if old == status:
        return item
    item.status = status
    db.session.flush()
    if old == "ready":
        short = _published_shortfalls(item)
        if short:
            item.status = old
            db.session.flush()
            raise Conflict(_l("%(code)s stays ready: published tests draw from topic %(topic)s and would be short"
                              " without it (%(problems)s); add or ready another item first", code=item.code,
                              topic=item.topic_code, problems=joined(short, " | ")), field="status")
    audit.record(actor, "item_status_changed", item, f"{item.code}: {old} -> {status}", old=old, new=status)
    return item


def set_status_many(bank: Bank, item_ids: list[int], status: str, actor) -> int:
    """Draft, ready or retired for several items of the bank at once (a review of imported
    drafts). All or nothing: every refusal is named and the caller rolls back. Returns how
    many items changed."""
    _check_status(status)
    if not item_ids:
        raise ServiceError(_l("choose at least one item"), field="item")
    items = list(db.session.scalars(select(Item).where(Item.bank_id == bank.id, Item.id.in_(item_ids))
                                    .order_by(Item.code)))
    if len(items) != len(set(item_ids)):
        raise NotFound(_l("some chosen items are not in bank %(code)s", code=bank.code), field="item")
    changed, problems = 0, []
    for item in items:
        before = item.status
        try:
            set_status(item, status, actor)
        except ServiceError as exc:
            problems.append((exc.field, exc.message))
            continue
        changed += before != item.status
    if problems:
        raise Conflict.listing(problems)
    return changed


#: what a revision may change; the type, code, topic and level stay (they are the item)
REVISABLE = ("title", "text", "general_feedback", "data")


def revise_item(item: Item, fields: dict, actor) -> ItemVersion:
    """A new version of the item with `fields` changed. The current version is never edited:
    attempts keep the version they showed. `base_version` (the number the editor started from)
    refuses an edit made over someone else's newer version."""
    current = item.current
    base = str(fields.get("base_version") or "").strip()
    if base and base != str(current.number):
        raise Conflict(_l("%(code)s is now at version %(current)s (you edited version %(base)s): reload it and make"
                          " your change again", code=item.code, current=current.number, base=base), field="text")
    new = {name: getattr(current, name) for name in REVISABLE}
    new.update({name: fields[name] for name in REVISABLE if name in fields})
    new["title"] = (new["title"] or "").strip() or None
    new["text"] = (new["text"] or "").strip()
    new["general_feedback"] = (new["general_feedback"] or "").strip() or None
    problems: list[tuple[str, object]] = []
    if not new["text"]:
        problems.append(("text", about(_lp("item field", "text"), _l("the question has no text"))))
    elif len(new["text"]) > MAX_TEXT:
        problems.append(("text", about(_lp("item field", "text"), _l("longer than %(count)s characters",
                                                                       count=f"{MAX_TEXT:,}"))))
    if new["title"] and len(new["title"]) > 300:
        problems.append(("title", about(_lp("item field", "title"), _l("longer than %(count)s characters",
                                                                         count=300))))
    problems += [("data", about(_lp("item field", "data"), p)) for p in check_data(current.qtype, new["data"])]
    if problems:
        raise ServiceError.listing(problems)
    if all(getattr(current, name) == value for name, value in new.items()):
        raise ServiceError(_l("%(code)s: nothing changed, so no new version was made", code=item.code), field="text")
    version = ItemVersion(number=current.number + 1, qtype=current.qtype, text_html=render_markdown(new["text"]),
                          language=_language(new["text"], list(item.tags)), created_by_id=getattr(actor, "id", None),
                          **new)
    try:
        with db.session.begin_nested():
            item.versions.append(version)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("%(code)s was revised by someone else a moment ago: reload it", code=item.code),
                       field="text") from None
    changed = [name for name in REVISABLE if getattr(current, name) != new[name]]
    audit.record(actor, "item_revised", item, f"{item.code}: version {version.number} ({', '.join(changed)})",
                 version=version.number, changed=changed)
    return version


# --- questions written on the pages (GIFT or Moodle XML text) ---------------------------------

def item_as_text(version: ItemVersion) -> str:
    """One version as GIFT without its code, tags or category (they stay the item's): what the
    "edit everything" page starts from."""
    return gift.dump([ParsedItem(qtype=version.qtype, text=version.text, data=version.data, title=version.title,
                                 general_feedback=version.general_feedback)], format_prefix=False).strip() + "\n"


def version_changes(old: ItemVersion, new: ItemVersion) -> list[tuple[str, str]]:
    """What changed from one version to another, line by line over both written as GIFT
    (text, options, keys, marks, feedback): ("-", line) gone, ("+", line) added, (" ", line)
    the same. What a trainer reads before a regrade, and on the item's page."""
    before, after = item_as_text(old).splitlines(), item_as_text(new).splitlines()
    return [(line[0], line[2:]) for line in difflib.ndiff(before, after) if line[:1] in " -+"]


def revise_from_text(item: Item, text: str, base_version, actor, filename: str) -> ItemVersion:
    """A new version written as GIFT: options, right answers, marks and feedback too, which the
    form of `revise_item` leaves alone. The text holds this one question, of the item's type;
    anything else is refused by line (ItemFileError), and nothing is written."""
    parsed = parse(text or "", filename)
    current = item.current
    errors = [(s.line, s.reason) for s in parsed.skipped]
    if len(parsed) != 1:
        errors.append((parsed[1].line if len(parsed) > 1 else 1,
                       _l("write exactly one question here (found %(num)s); to add questions, use the bank page",
                          num=len(parsed))))
    for p in parsed[:1]:
        if p.code and p.code.strip() != item.code:
            errors.append((p.line, _l("code %(code)s is another item: this page edits %(this)s", code=p.code.strip(),
                                      this=item.code)))
        if p.qtype != current.qtype:
            errors.append((p.line, _l("this is a %(given)s question; %(code)s stays %(type)s (retire it and write a"
                                      " new item to change the type)", given=type_name(p.qtype), code=item.code,
                                      type=type_name(current.qtype))))
    if errors:
        raise ItemFileError(filename, errors)
    p = parsed[0]
    return revise_item(item, {"base_version": base_version, "title": p.title, "text": p.text, "data": p.data,
                              "general_feedback": p.general_feedback}, actor)


def write_items(bank: Bank, text: str, topic: str, level: str, draft: bool, actor, filename: str) -> BankImportReport:
    """New questions written on the bank page, as a file would give them: a question without a
    code or a topic of its own goes to `topic` at `level` and gets the topic's next number."""
    parsed = parse(text or "", filename)
    for p in parsed:
        if not p.code and not p.category and not any(_TOPIC_TAG.match(t) for t in p.tags):
            p.category = f"{bank.code}/{topic}"
    return import_items(bank, parsed, actor, filename, level=level, draft=draft)
