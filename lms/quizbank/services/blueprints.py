"""Blueprints (how a test is drawn) and publishing a test: the check that every participant
can get a complete, valid draw from the ready items, done once, before anyone starts.

Moodle finds a short pool when a student opens the quiz; here publishing refuses and names
each topic that is short and by how many.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from sqlalchemy import exists, or_, select

from lms.core.services import audit
from lms.core.services.errors import Conflict, NotFound, ServiceError, about, joined
from lms.db import db, utcnow
from lms.quizbank.models import LEVELS, SURVEY_KINDS, Bank, Blueprint, Item, ItemVersion, Test
from lms.quizbank.services.draw import feasible, module_of_rule, rule_for_item

TOPIC_MODULE_RE = re.compile(r"^(\d+)\.")
RULE_LINE_RE = re.compile(r"^\s*(\S+?)(?:\s*[:=]\s*|\s+)(\d+)(?:(?:\s*(?:-|–|\.\.)\s*|\s+)(\d+))?\s*$")
QUOTA_RE = re.compile(r"([KUAH])\s*[:=]?\s*(-?\d+)", re.IGNORECASE)
#: how a refusal names a field: the API's names in English, the blueprint form's words in Kazakh and Russian
FIELD_NAMES = {"code": _lp("blueprint field", "code"), "title": _lp("blueprint field", "title"),
               "total": _lp("blueprint field", "total"), "rules": _lp("blueprint field", "rules"),
               "level_quotas": _lp("blueprint field", "level_quotas")}


def _problem(field: str, message, where=None) -> tuple:
    """(field, "<field's name>[, where]: <message>"), translated when shown."""
    name = FIELD_NAMES[field] if where is None else _l("%(field)s, %(where)s", field=FIELD_NAMES[field], where=where)
    return field, about(name, message)


def _rule_label(topic: str, k: int):
    return _l("topic %(topic)s", topic=topic) if topic else _l("rule %(number)s", number=k)


@dataclass
class Problem:
    """One reason a test cannot be published; `topic` is the rule's topic where there is one."""

    message: object  # a lazy translation: read in the reader's language when shown
    topic: str | None = None
    short: int = 0

    def __str__(self) -> str:
        return str(self.message)


# --- text forms for the blueprint form -----------------------------------------------------

def parse_rules(text: str) -> list[dict]:
    """"2.3: 1-3" (or "2.3 1 3", or "2.3: 2" for exactly two), one rule a line."""
    rules = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = RULE_LINE_RE.match(line)
        if not m:
            raise ServiceError(_problem("rules", _l("write a topic and its minimum-maximum, e.g. '2.3: 1-3' (got"
                                                    " %(line)s)", line=repr(line.strip())),
                                        _l("line %(number)s", number=n))[1], field="rules")
        lo = int(m.group(2))
        rules.append({"topic": m.group(1), "min": lo, "max": int(m.group(3)) if m.group(3) else lo})
    return rules


def format_rules(rules: list[dict]) -> str:
    return "\n".join(f"{r['topic']}: {r['min']}-{r['max']}" for r in rules)


def parse_quotas(text: str) -> dict:
    """"K 8, U 8, A 6, H 2" (also "K=8 U=8")."""
    if not text.strip():
        return {}
    found = QUOTA_RE.findall(text)
    rest = QUOTA_RE.sub("", text).replace(",", " ").replace(";", " ").strip()
    if rest or not found:
        raise ServiceError(_problem("level_quotas", _l("write levels and counts, e.g. 'K 8, U 8, A 6, H 2' (could not"
                                                       " read %(text)s)", text=repr(rest or text.strip())))[1],
                           field="level_quotas")
    return {lv.upper(): int(n) for lv, n in found}


# --- validation ---------------------------------------------------------------------------

def _as_int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def known_topics(bank: Bank) -> set[str]:
    """Rule topics a bank can draw under: its items' topics, its programme's topics, and
    "M<n>" for each module (banks drawn per module)."""
    codes: set[str] = set()
    for topic_code, module_number in db.session.execute(
            select(Item.topic_code, Item.module_number).where(Item.bank_id == bank.id).distinct()):
        codes.add(topic_code)
        if module_number is not None:
            codes.add(f"M{module_number}")
    try:
        from lms.courses.services import get_programme

        programme = get_programme(bank.programme_code)
    except (ImportError, NotFound):
        return codes
    codes.update(t.code for t in programme.topics)
    codes.update(f"M{m.number}" for m in programme.modules)
    return codes


def _structure_errors(total, rules, level_quotas, topics: set[str] | None, programme_code: str
                      ) -> tuple[list[tuple[str, str]], int | None, list[dict], dict]:
    """(field, message) errors and the normalized total, rules and quotas."""
    errors: list[tuple[str, str]] = []
    n_total = _as_int(total)
    if n_total is None or n_total < 1:
        errors.append(_problem("total", _l("must be a whole number of at least 1 (got %(value)s)", value=repr(total))))
        n_total = None
    clean: list[dict] = []
    if not isinstance(rules, list) or not rules:
        errors.append(_problem("rules", _l("give at least one topic with its minimum and maximum")))
        rules = []
    seen: set[str] = set()
    for k, rule in enumerate(rules, start=1):
        if not isinstance(rule, Mapping):
            errors.append(_problem("rules", _l("expected a topic with min and max"), _rule_label("", k)))
            continue
        topic = str(rule.get("topic") or "").strip()
        label = _rule_label(topic, k)
        if not topic:
            errors.append(_problem("rules", _l("the topic is missing"), label))
            continue
        if topic in seen:
            errors.append(_problem("rules", _l("the topic appears twice"), label))
            continue
        seen.add(topic)
        if topics is not None and topic not in topics:
            errors.append(_problem("rules", _l("not a topic of programme %(programme)s nor of the bank's items",
                                               programme=programme_code), label))
        lo, hi = _as_int(rule.get("min")), _as_int(rule.get("max"))
        if lo is None or hi is None:
            errors.append(_problem("rules", _l("min and max must be whole numbers (got %(min)s and %(max)s)",
                                               min=repr(rule.get("min")), max=repr(rule.get("max"))), label))
            continue
        if lo < 0:
            errors.append(_problem("rules", _l("min must be 0 or more (got %(value)s)", value=lo), label))
            continue
        if lo > hi:
            errors.append(_problem("rules", _l("min %(min)s is above max %(max)s", min=lo, max=hi), label))
            continue
        clean.append({"topic": topic, "min": lo, "max": hi})
    # a module rule "M2" already draws from every topic of module 2
    module_rules = {module_of_rule(r["topic"]): r["topic"] for r in clean if module_of_rule(r["topic"]) is not None}
    for r in clean:
        m = TOPIC_MODULE_RE.match(r["topic"])
        if m and int(m.group(1)) in module_rules:
            errors.append(_problem("rules", _l("the rule %(rule)s already draws from its module",
                                               rule=module_rules[int(m.group(1))]), _rule_label(r["topic"], 0)))
    if n_total is not None and len(clean) == len(rules) and clean:
        lo_sum, hi_sum = sum(r["min"] for r in clean), sum(r["max"] for r in clean)
        if lo_sum > n_total:
            errors.append(_problem("total", _l("%(total)s is below the sum of the rules' minimums (%(sum)s)",
                                               total=n_total, sum=lo_sum)))
        if hi_sum < n_total:
            errors.append(_problem("total", _l("%(total)s is above the sum of the rules' maximums (%(sum)s)",
                                               total=n_total, sum=hi_sum)))
    quotas: dict = {}
    if level_quotas:
        if not isinstance(level_quotas, Mapping):
            errors.append(_problem("level_quotas", _l("expected counts per level (K, U, A, H)")))
        else:
            for lv, n in level_quotas.items():
                count = _as_int(n)
                if lv not in LEVELS:
                    errors.append(_problem("level_quotas", _l("unknown level %(level)s (levels: %(levels)s)",
                                                              level=repr(lv), levels=", ".join(LEVELS))))
                elif count is None or count < 0:
                    errors.append(_problem("level_quotas", _l("must be a whole number, 0 or more (got %(value)s)",
                                                              value=repr(n)), _l("level %(level)s", level=lv)))
                elif count:
                    quotas[lv] = count
            if n_total is not None and sum(quotas.values()) > n_total:
                errors.append(_problem("level_quotas", _l("the quotas add up to %(sum)s, above the total %(total)s",
                                                          sum=sum(quotas.values()), total=n_total)))
    return errors, n_total, clean, quotas


def save_blueprint(bank: Bank, fields: dict, actor, blueprint: Blueprint | None = None) -> Blueprint:
    """Create (blueprint None) or change a blueprint of `bank`. Every error is listed in one
    refusal; a blueprint a published test uses must still pass the publish check."""
    if blueprint is not None and blueprint.bank_id != bank.id:
        raise ServiceError(_l("blueprint %(code)s belongs to another bank", code=blueprint.code), field="code")
    code = str(fields.get("code", blueprint.code if blueprint else "") or "").strip()
    title = str(fields.get("title", blueprint.title if blueprint else "") or "").strip()
    total = fields.get("total", blueprint.total if blueprint else None)
    rules = fields.get("rules", blueprint.rules if blueprint else None)
    quotas = fields.get("level_quotas", blueprint.level_quotas if blueprint else None)
    if isinstance(rules, str):
        rules = parse_rules(rules)
    if isinstance(quotas, str):
        quotas = parse_quotas(quotas)

    errors: list[tuple[str, str]] = []
    if not code:
        errors.append(_problem("code", _l("required (e.g. %(example)s)", example="LDR-FINAL")))
    elif len(code) > 40:
        errors.append(_problem("code", _l("at most %(count)s characters", count=40)))
    if not title:
        errors.append(_problem("title", _l("required")))
    elif len(title) > 300:
        errors.append(_problem("title", _l("at most %(count)s characters", count=300)))
    more, n_total, clean, clean_quotas = _structure_errors(total, rules, quotas, known_topics(bank),
                                                           bank.programme_code)
    errors += more
    if errors:
        raise ServiceError.listing(errors)
    clash = select(Blueprint.id).where(Blueprint.bank_id == bank.id, Blueprint.code == code)
    if blueprint is not None:
        clash = clash.where(Blueprint.id != blueprint.id)
    if db.session.scalar(clash) is not None:
        raise Conflict(_problem("code", _l("bank %(bank)s already has a blueprint %(code)s", bank=bank.code,
                                           code=code))[1], field="code")
    if blueprint is not None:
        published = db.session.scalars(select(Test.title).where(Test.blueprint_id == blueprint.id,
                                                                Test.status == "published")).all()
        if published:
            problems = _pool_problems(bank.id, n_total, clean, clean_quotas)
            if problems:
                raise Conflict(_l("published tests use this blueprint (%(tests)s) and the change would leave them"
                                  " short: %(problems)s", tests=", ".join(published), problems=joined(problems)),
                               field="rules")

    creating = blueprint is None
    if creating:
        blueprint = Blueprint(bank_id=bank.id)
        db.session.add(blueprint)
    old = None if creating else {"total": blueprint.total, "rules": blueprint.rules,
                                 "level_quotas": blueprint.level_quotas}
    blueprint.code, blueprint.title, blueprint.total = code, title, n_total
    blueprint.rules, blueprint.level_quotas = clean, clean_quotas
    db.session.flush()
    summary = f"{bank.code} {code}: {n_total} items from {len(clean)} topics"
    if creating:
        audit.record(actor, "blueprint_created", blueprint, summary)
    else:
        audit.record(actor, "blueprint_updated", blueprint, summary, old=old,
                     new={"total": n_total, "rules": clean, "level_quotas": clean_quotas})
    return blueprint


# --- the publish check ----------------------------------------------------------------------

def ready_pool(bank_id: int, rules: list[dict]) -> tuple[dict[str, list[int]], dict[int, str]]:
    """Ready items (with at least one version) per rule topic, and each one's level: one statement."""
    topics = [r["topic"] for r in rules]
    modules = [m for m in (module_of_rule(t) for t in topics) if m is not None]
    where = [Item.topic_code.in_(topics)]
    if modules:
        where.append(Item.module_number.in_(modules))
    rows = db.session.execute(
        select(Item.id, Item.topic_code, Item.module_number, Item.level)
        .where(Item.bank_id == bank_id, Item.status == "ready", or_(*where),
               exists().where(ItemVersion.item_id == Item.id))
        .order_by(Item.id))
    pool: dict[str, list[int]] = {t: [] for t in topics}
    level_of: dict[int, str] = {}
    for item_id, topic_code, module_number, level in rows:
        topic = rule_for_item(rules, topic_code, module_number)
        if topic is not None:
            pool[topic].append(item_id)
            level_of[item_id] = level
    return pool, level_of


def _pool_problems(bank_id: int, total: int, rules: list[dict], quotas: dict) -> list[Problem]:
    pool, level_of = ready_pool(bank_id, rules)
    problems: list[Problem] = []
    for r in rules:
        ready = len(pool[r["topic"]])
        if ready < r["max"]:
            values = {"topic": r["topic"], "ready": ready, "max": r["max"], "short": r["max"] - ready}
            problems.append(Problem(
                _l("topic %(topic)s: %(ready)s ready item, the blueprint may ask for %(max)s (%(short)s short)",
                   **values) if ready == 1 else
                _l("topic %(topic)s: %(ready)s ready items, the blueprint may ask for %(max)s (%(short)s short)",
                   **values), r["topic"], r["max"] - ready))
    fill = sum(min(r["max"], len(pool[r["topic"]])) for r in rules)
    if fill < total:
        problems.append(Problem(_l("the blueprint's topics give at most %(fill)s ready items, the test has"
                                   " %(total)s (%(short)s short)", fill=fill, total=total, short=total - fill),
                                None, total - fill))
    for lv in LEVELS:
        need = quotas.get(lv, 0)
        if not need:
            continue
        have = sum(min(r["max"], sum(1 for i in pool[r["topic"]] if level_of[i] == lv)) for r in rules)
        if have < need:
            problems.append(Problem(_l("level %(level)s: %(have)s ready items in the blueprint's topics, the quotas"
                                       " ask for %(need)s (%(short)s short)", level=lv, have=have, need=need,
                                       short=need - have), None, need - have))
    if not problems:
        avail: dict[tuple[str, str], int] = {}
        for t, ids in pool.items():
            for i in ids:
                avail[t, level_of[i]] = avail.get((t, level_of[i]), 0) + 1
        bounds = {r["topic"]: (r["min"], r["max"]) for r in rules}
        if not feasible(total, bounds, avail, quotas):
            problems.append(Problem(_l("the topic limits and level quotas cannot be met together by the ready items")))
    return problems


def check_publishable(blueprint: Blueprint) -> list[Problem]:
    """Every reason the ready items cannot give every participant a complete draw: each rule
    topic must hold as many ready items as its maximum, and the levels their quotas."""
    errors, total, rules, quotas = _structure_errors(blueprint.total, blueprint.rules, blueprint.level_quotas,
                                                     None, "")
    if errors:
        return [Problem(m) for _f, m in errors]
    return _pool_problems(blueprint.bank_id, total, rules, quotas)


def publish(test: Test, actor) -> Test:
    """Open a test to its cohort once its blueprint passes the check; refuses listing every problem."""
    if test.status != "draft":
        raise Conflict(_l("test '%(title)s' is already %(status)s", title=test.title, status=test.status),
                       field="status")
    problems: list[Problem] = []
    if test.opens_at and test.closes_at and test.closes_at <= test.opens_at:
        problems.append(Problem(_l("the test closes before it opens")))
    blueprint = test.blueprint
    field = "blueprint_id"
    if test.kind in SURVEY_KINDS:  # asks its own questions, draws nothing
        from lms.quizbank.services.survey import publish_problems

        problems += [Problem(m) for m in publish_problems(test)]
        field = "questions"
    elif blueprint is None:
        raise ServiceError(_l("test '%(title)s' has no blueprint: choose one before publishing", title=test.title),
                           field="blueprint_id")
    else:
        from lms.courses.models import Cohort, Programme

        programme_code = db.session.scalar(select(Programme.code).join(Cohort, Cohort.programme_id == Programme.id)
                                           .where(Cohort.id == test.cohort_id))
        bank = blueprint.bank
        if programme_code is not None and bank.programme_code != programme_code:
            problems.append(Problem(_l("blueprint %(code)s draws from bank %(bank)s of %(programme)s; the cohort"
                                       " follows %(cohort_programme)s", code=blueprint.code, bank=bank.code,
                                       programme=bank.programme_code, cohort_programme=programme_code)))
        problems += check_publishable(blueprint)
    if problems:
        raise ServiceError(_l("test '%(title)s' cannot be published: %(problems)s", title=test.title,
                              problems=joined(problems)), field=field)
    test.status = "published"
    test.published_at = utcnow()
    db.session.flush()
    audit.record(actor, "test_published", test, f"{test.kind} {test.title}"
                 + (f" ({blueprint.code}, {blueprint.total} items)" if blueprint else ""))
    return test
