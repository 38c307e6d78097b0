"""The draw made when an attempt starts: which items, in which order.

`select_items` is the whole algorithm on plain data (ids, counts, a seeded RNG), so it can be
run a thousand times in a test; `draw_for` loads that data for one attempt in a fixed
number of statements and turns the chosen ids into the items' current versions.

The algorithm: every rule first gets its minimum; the places left (total minus the sum of
minimums) go one at a time to a topic still below its maximum, chosen at random weighted by
how many of its ready items are still unused. Within a topic the items a participant has
not seen come first, then the least exposed, ties broken by the seed. With level quotas
each pick is checked by a small flow computation so the draw can still be completed.
The final order is one shuffle of the whole draw by the seed (not grouped by topic), so
neighbours sitting the same test see different sequences.
"""
from __future__ import annotations

import random
import re
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import joinedload

from lms.core.services.errors import Conflict, ServiceError, joined
from lms.db import db
from lms.quizbank.models import Attempt, AttemptSlot, Item, ItemVersion

MODULE_RULE_RE = re.compile(r"^M(\d+)$")


class ShortPool(Conflict):
    """The ready items cannot give a complete draw (an item retired since publishing, say)."""


def module_of_rule(topic: str) -> int | None:
    """A rule topic "M2" stands for every item of module 2 (banks drawn per module)."""
    m = MODULE_RULE_RE.match(topic)
    return int(m.group(1)) if m else None


def rule_for_item(rules: Sequence[Mapping], topic_code: str, module_number: int | None) -> str | None:
    """The rule topic an item is drawn under: its own topic's rule, else its module's rule."""
    topics = [r["topic"] for r in rules]
    if topic_code in topics:
        return topic_code
    for t in topics:
        if module_of_rule(t) is not None and module_of_rule(t) == module_number:
            return t
    return None


# --- feasibility: can the draw still be completed? -------------------------------------

def _max_flow(cap: list[dict[int, int]], s: int, t: int) -> int:
    """Edmonds-Karp on a residual graph of a few dozen nodes (topics and levels)."""
    flow = 0
    n = len(cap)
    while True:
        parent = [-1] * n
        parent[s] = s
        queue = [s]
        for u in queue:
            for v, c in cap[u].items():
                if c > 0 and parent[v] < 0:
                    parent[v] = u
                    queue.append(v)
            if parent[t] >= 0:
                break
        if parent[t] < 0:
            return flow
        bottleneck, v = None, t
        while v != s:
            u = parent[v]
            bottleneck = cap[u][v] if bottleneck is None else min(bottleneck, cap[u][v])
            v = u
        v = t
        while v != s:
            u = parent[v]
            cap[u][v] -= bottleneck
            cap[v][u] = cap[v].get(u, 0) + bottleneck
            v = u
        flow += bottleneck


def feasible(remaining: int, bounds: Mapping[str, tuple[int, int]], avail: Mapping[tuple[str, str], int],
             level_min: Mapping[str, int]) -> bool:
    """Whether `remaining` more items can be taken with topic t getting between bounds[t][0]
    and bounds[t][1] more, at most avail[(t, level)] of each cell, and at least
    level_min[level] of each level. A circulation with lower bounds, solved as a max flow."""
    if remaining < 0:
        return False
    topic_avail: dict[str, int] = {t: 0 for t in bounds}
    for (t, _level), n in avail.items():
        if t in topic_avail:
            topic_avail[t] += n
    lo = {t: max(0, b[0]) for t, b in bounds.items()}
    hi = {t: min(b[1], topic_avail[t]) for t, b in bounds.items()}
    if any(lo[t] > hi[t] for t in bounds) or sum(lo.values()) > remaining or sum(hi.values()) < remaining:
        return False
    needs = {lv: n for lv, n in level_min.items() if n > 0}
    if not needs:
        return True
    if sum(needs.values()) > remaining:
        return False
    levels = sorted({lv for (_t, lv) in avail} | set(needs))
    topics = list(bounds)
    S, T, SS, TT = 0, 1, 2, 3
    node = {("t", t): 4 + i for i, t in enumerate(topics)}
    node.update({("l", lv): 4 + len(topics) + i for i, lv in enumerate(levels)})
    cap: list[dict[int, int]] = [dict() for _ in range(4 + len(topics) + len(levels))]
    excess = [0] * len(cap)

    def edge(u: int, v: int, lower: int, upper: int) -> None:
        cap[u][v] = cap[u].get(v, 0) + (upper - lower)
        cap[v].setdefault(u, 0)
        excess[v] += lower
        excess[u] -= lower

    for t in topics:
        edge(S, node["t", t], lo[t], hi[t])
    for (t, lv), n in avail.items():
        if t in bounds and n > 0:
            edge(node["t", t], node["l", lv], 0, n)
    for lv in levels:
        edge(node["l", lv], T, needs.get(lv, 0), remaining)
    edge(T, S, remaining, remaining)
    wanted = 0
    for v, e in enumerate(excess):
        if e > 0:
            edge(SS, v, 0, e)
            wanted += e
        elif e < 0:
            edge(v, TT, 0, -e)
    return _max_flow(cap, SS, TT) == wanted


def shortage_messages(rules: Sequence[Mapping], total: int, pool_by_topic: Mapping[str, Sequence[int]],
                      level_quotas: Mapping[str, int] | None = None,
                      level_of: Mapping[int, str] | None = None) -> list[tuple[str | None, object]]:
    """Why the pool cannot give a draw at all: (topic or None, message) pairs, each message a
    lazy translation (a participant starting a test reads it in their language)."""
    out: list[tuple[str | None, object]] = []
    for r in rules:
        n = len(pool_by_topic.get(r["topic"], ()))
        if n < int(r["min"]):
            out.append((r["topic"], _l("topic %(topic)s: %(ready)s ready items, the test needs at least %(min)s"
                                       " (%(short)s short)", topic=r["topic"], ready=n, min=r["min"],
                                       short=int(r["min"]) - n)))
    fill = sum(min(int(r["max"]), len(pool_by_topic.get(r["topic"], ()))) for r in rules)
    if fill < total:
        out.append((None, _l("the blueprint's topics give at most %(fill)s ready items, the test has %(total)s"
                             " (%(short)s short)", fill=fill, total=total, short=total - fill)))
    for lv, need in sorted((level_quotas or {}).items()):
        have = sum(min(int(r["max"]), sum(1 for i in pool_by_topic.get(r["topic"], ())
                                          if (level_of or {}).get(i) == lv)) for r in rules)
        if have < int(need):
            out.append((None, _l("level %(level)s: %(have)s ready items in the blueprint's topics, the quotas ask for"
                                 " %(need)s (%(short)s short)", level=lv, have=have, need=need,
                                 short=int(need) - have)))
    if not out:
        out.append((None, _l("the topic limits and level quotas cannot be met together by the ready items")))
    return out


# --- the selection ------------------------------------------------------------------------

def select_items(rules: Sequence[Mapping], total: int, pool_by_topic: Mapping[str, Iterable[int]],
                 seen_ids: set[int] | frozenset[int], exposure: Mapping[int, int], rng: random.Random,
                 level_quotas: Mapping[str, int] | None = None,
                 level_of: Mapping[int, str] | None = None) -> list[int]:
    """The ids of one attempt's items, in the order they are shown.

    rules: [{"topic", "min", "max"}]; pool_by_topic: ready item ids per rule topic (disjoint);
    seen_ids: items this participant has already been shown; exposure: item id -> times drawn;
    level_quotas: {"K": 8, ...} read as "at least"; level_of: item id -> level.
    Raises ShortPool when no complete draw exists. Deterministic for the same inputs and seed."""
    quotas = {lv: int(n) for lv, n in (level_quotas or {}).items() if int(n) > 0}
    level_of = level_of or {}
    topics = [r["topic"] for r in rules]
    lo = {r["topic"]: int(r["min"]) for r in rules}
    hi = {r["topic"]: int(r["max"]) for r in rules}
    pools = {t: sorted(set(pool_by_topic.get(t, ()))) for t in topics}

    # each topic's items in the order they are preferred: unseen, least exposed, then by lot
    queues: dict[str, list[int]] = {}
    for t in topics:
        keyed = [(i in seen_ids, exposure.get(i, 0), rng.random(), i) for i in pools[t]]
        keyed.sort()
        queues[t] = [k[3] for k in keyed]

    avail: dict[tuple[str, str], int] = {}
    for t in topics:
        for i in queues[t]:
            key = (t, level_of.get(i, "?"))
            avail[key] = avail.get(key, 0) + 1
    counts = {t: 0 for t in topics}
    taken_levels: dict[str, int] = {}
    chosen: list[int] = []

    def state_ok(remaining: int) -> bool:
        bounds = {t: (lo[t] - counts[t], hi[t] - counts[t]) for t in topics}
        need = {lv: n - taken_levels.get(lv, 0) for lv, n in quotas.items()}
        return feasible(remaining, bounds, avail, need)

    if not state_ok(total):
        raise ShortPool(joined(m for _t, m in shortage_messages(rules, total, pools, quotas, level_of)))

    def take(t: str, remaining: int) -> bool:
        """Take the most preferred item of topic t that keeps the draw completable."""
        refused_levels: set[str] = set()
        for pos, i in enumerate(queues[t]):
            lv = level_of.get(i, "?")
            if lv in refused_levels:
                continue
            counts[t] += 1
            taken_levels[lv] = taken_levels.get(lv, 0) + 1
            avail[t, lv] -= 1
            # without quotas the caller only offers topics that can take an item
            if not quotas or state_ok(remaining - 1):
                chosen.append(queues[t].pop(pos))
                return True
            counts[t] -= 1
            taken_levels[lv] -= 1
            avail[t, lv] += 1
            refused_levels.add(lv)
        return False

    remaining = total
    for t in topics:
        while counts[t] < lo[t]:
            if not take(t, remaining):  # cannot happen after state_ok; kept as a guard
                raise ShortPool(_l("topic %(topic)s: no ready item keeps the draw complete", topic=t))
            remaining -= 1
    while remaining > 0:
        open_topics = [t for t in topics if counts[t] < hi[t] and queues[t]]
        while True:
            if not open_topics:
                raise ShortPool(_l("the ready items cannot fill the test"))  # guarded by state_ok
            t = rng.choices(open_topics, weights=[len(queues[x]) for x in open_topics])[0]
            if take(t, remaining):
                break
            open_topics.remove(t)
        remaining -= 1
    rng.shuffle(chosen)
    return chosen


# --- the draw of one attempt ---------------------------------------------------------------

#: seeds are stored in an INTEGER column
SEED_LIMIT = 2 ** 31


def new_seed() -> int:
    return secrets.randbelow(SEED_LIMIT)


def seed_or_new(value: int | None) -> int:
    """A seed a page passed back (to show the same draw or order again), or a new one when it
    is missing or out of range."""
    return value if value is not None and 0 <= value < SEED_LIMIT else new_seed()


def draw_for(test, enrolment, seed: int) -> list[ItemVersion]:
    """The current versions of the items drawn for `enrolment`'s new attempt at `test` (None:
    a participant who has seen nothing, for a sample draw).

    Deterministic for a given seed and database state. Costs three statements at most (the
    blueprint if not loaded; the ready items as plain rows, each with its current version and
    whether this participant has seen it; the drawn versions with their items): a start
    parses the bank's rows, not every item's text and options, which only the drawn ones
    need. The caller counts the draw with `count_exposure` when it keeps it."""
    blueprint = test.blueprint
    if blueprint is None:
        raise ServiceError(_l("test %(title)s has no blueprint to draw from", title=repr(test.title)),
                           field="blueprint_id")
    rules = list(blueprint.rules or [])
    topics = [r["topic"] for r in rules]
    modules = [m for m in (module_of_rule(t) for t in topics) if m is not None]
    where = [Item.topic_code.in_(topics)]
    if modules:
        where.append(Item.module_number.in_(modules))
    current = (select(ItemVersion.id).where(ItemVersion.item_id == Item.id)
               .order_by(ItemVersion.number.desc()).limit(1).scalar_subquery())
    # the items this participant was shown, computed once and joined (a correlated EXISTS
    # would scan their slots once per item of the bank)
    seen = (select(ItemVersion.item_id).join(AttemptSlot, AttemptSlot.item_version_id == ItemVersion.id)
            .join(Attempt, Attempt.id == AttemptSlot.attempt_id)
            .where(Attempt.enrolment_id == (enrolment.id if enrolment is not None else None))
            .distinct().subquery())
    rows = db.session.execute(
        select(Item.id, Item.topic_code, Item.module_number, Item.level, Item.exposure, current,
               seen.c.item_id.is_not(None))
        .outerjoin(seen, seen.c.item_id == Item.id)
        .where(Item.bank_id == blueprint.bank_id, Item.status == "ready", or_(*where)).order_by(Item.id)).all()

    version_of: dict[int, int] = {}
    pool_by_topic: dict[str, list[int]] = {t: [] for t in topics}
    exposure: dict[int, int] = {}
    level_of: dict[int, str] = {}
    seen_ids: set[int] = set()
    for item_id, topic_code, module_number, level, exposed, version_id, was_seen in rows:
        topic = rule_for_item(rules, topic_code, module_number)
        if topic is None or version_id is None:
            continue
        version_of[item_id] = version_id
        pool_by_topic[topic].append(item_id)
        exposure[item_id], level_of[item_id] = exposed or 0, level
        if was_seen:
            seen_ids.add(item_id)
    ids = select_items(rules, blueprint.total, pool_by_topic, seen_ids, exposure, random.Random(seed),
                       blueprint.level_quotas or None, level_of)
    versions = {v.id: v for v in db.session.scalars(
        select(ItemVersion).where(ItemVersion.id.in_([version_of[i] for i in ids]))
        .options(joinedload(ItemVersion.item)))}
    return [versions[version_of[i]] for i in ids]


@dataclass(frozen=True)
class RuleCount:
    topic: str
    min: int
    max: int
    drawn: int


@dataclass(frozen=True)
class Sample:
    """A draw as a new participant would get it, shown to the trainer and never kept."""

    seed: int
    versions: list
    rules: list[RuleCount]
    levels: dict[str, int]


def sample(test, seed: int) -> Sample:
    """Draw for a participant who has seen nothing, with what the draw gave per blueprint rule
    and per level; nothing is written (no attempt, no exposure)."""
    versions = draw_for(test, None, seed)
    rules = list(test.blueprint.rules or [])
    drawn = Counter(rule_for_item(rules, v.item.topic_code, v.item.module_number) for v in versions)
    return Sample(seed, versions, [RuleCount(r["topic"], int(r["min"]), int(r["max"]), drawn.get(r["topic"], 0))
                                   for r in rules],
                  dict(sorted(Counter(v.item.level for v in versions).items())))


_COUNT_EXPOSURE = (update(Item.__table__).where(Item.__table__.c.id == bindparam("item_id"))
                   .values(exposure=Item.__table__.c.exposure + 1))


def count_exposure(versions: Sequence[ItemVersion]) -> None:
    """Count a kept draw: each drawn item's exposure + 1 in the database, so simultaneous
    starts all count (a value computed here would lose one of two). One statement run for
    each item in the order of their ids: simultaneous starts lock the rows they share in the
    same order and wait for each other instead of deadlocking (one UPDATE ... IN (...) locks
    rows in their order on disk, which updates keep changing)."""
    ids = sorted({v.item_id for v in versions})
    db.session.execute(_COUNT_EXPOSURE, [{"item_id": i} for i in ids])
    for i in ids:  # items already loaded read their new count when next asked
        loaded = db.session.identity_map.get(db.session.identity_key(Item, i))
        if loaded is not None:
            db.session.expire(loaded, ["exposure"])
