"""Item statistics of a test, or of a whole bank across all its tests: how hard each item
was, whether it tells stronger participants from weaker ones, which options were chosen,
how often it was drawn, and what a trainer should look at.

Definitions follow Moodle's quiz statistics (question/classes/statistics/questions/
calculator.php) where they apply:

- n: finished attempts that showed the item (Moodle's "s"). Every finished attempt counts,
  retakes included (Moodle's "all attempts"); an attempt whose essays still wait for a grade
  is left out until graded, since its total is provisional.
- facility: mean score as a share of the item's maximum (0..1; Moodle shows it as %).
- sd: sample standard deviation (n - 1) of that share (Moodle: of the mark, shown as %).
- discrimination: the corrected point-biserial, Pearson's correlation of the item's share
  with the rest of the attempt (its total minus this item), over the attempts that showed
  the item; None when n < 2 or either side does not vary. Moodle's discrimination index is
  the same correlation, shown as 100 r. We take the rest as a *share* of the rest's maximum,
  so attempts of tests of different lengths can be pooled in a bank; within one test, where
  every draw has the same number of items, this is exactly Moodle's rest-of-test mark.

Where we differ: items are grouped by item across all their versions (Moodle keeps a
question version apart) so an edit does not scatter an item's history; option counts stay
per version, since an edit may change the options. A bank's statistics pool the attempts of
all its tests, instead of averaging per-quiz values as Moodle's question bank column does.
Moodle marks questions "likely to need checking" below a discrimination index of 30-50 %;
we flag below 0.2 (and negative separately: a likely wrong key), and also flag facility
outside 0.2..0.9 and distractors nobody chose. Nothing is judged below `MIN_RESPONSES`.

Option counts use the version's option index, not the position shown: every attempt shows
the options in its own order (`AttemptSlot.option_order`), and the stored answer already
names options by their index in the version's data (see qtypes.from_shown).

Exposure: how many attempts drew the item (finished or not), over the attempts started.

Two SELECTs per report, whatever the number of attempts: the slots with their attempt's
state, and the item versions with their items.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from lms.db import db
from lms.quizbank.models import Attempt, AttemptSlot, Bank, Item, ItemVersion, Test

#: fewer responses than this and an item is not judged (its numbers are shown, not flagged)
MIN_RESPONSES = 10
FACILITY_LOW = 0.2
FACILITY_HIGH = 0.9
DISCRIMINATION_WEAK = 0.2
#: types whose options are counted
CHOICE_TYPES = ("single", "multiple", "truefalse")


@dataclass
class Flag:
    """Why a trainer should look at an item: too_hard, too_easy, negative_discrimination,
    weak_discrimination, unused_distractor; or few_responses, which only says it is not judged."""

    code: str
    #: the value that tripped it (facility, discrimination), or the responses for few_responses
    value: float | None = None
    #: unused_distractor: option labels nobody chose, and the version they belong to
    options: tuple[str, ...] = ()
    version: int | None = None


@dataclass
class OptionCount:
    #: the option's index in the version's data (True / False for a true/false item)
    index: int | bool
    label: str
    text: str
    #: a right (or partly right) option: fraction > 0
    key: bool
    count: int = 0


@dataclass
class OptionTally:
    """How often each option of one version was chosen, over the counted attempts."""

    version: int
    qtype: str
    options: list[OptionCount]
    responses: int = 0
    no_answer: int = 0


@dataclass
class ItemStats:
    item_id: int
    code: str
    topic_code: str
    level: str
    status: str
    qtype: str
    #: the latest version's title, or the start of its text
    text: str
    #: version numbers the attempts showed, ascending
    versions: list[int] = field(default_factory=list)
    #: attempts (of any status) that drew it, and the attempts started in scope
    drawn: int = 0
    attempts: int = 0
    n: int = 0
    answered: int = 0
    facility: float | None = None
    sd: float | None = None
    discrimination: float | None = None
    tallies: list[OptionTally] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    @property
    def exposure(self) -> float | None:
        return self.drawn / self.attempts if self.attempts else None

    @property
    def problems(self) -> list[Flag]:
        """The flags that say something is wrong with the item (not just too little data)."""
        return [f for f in self.flags if f.code != "few_responses"]


@dataclass
class Report:
    #: "test" or "bank"
    scope: str
    #: attempts started in scope (any status): exposure's denominator
    attempts: int
    #: finished and fully graded: the attempts the statistics use
    finished: int
    #: finished but waiting for an essay grade (left out), and still in progress
    pending: int
    in_progress: int
    items: list[ItemStats]
    min_responses: int = MIN_RESPONSES

    @property
    def flagged(self) -> int:
        return sum(1 for i in self.items if i.problems)


def natural_key(code: str) -> list:
    """LDR-2.3-A-007 before LDR-10.1-K-001: digit runs compare as numbers."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", code) if p]


def option_label(i: int) -> str:
    """A, B, ..., Z, then 27, 28, ... (an item with that many options is an oddity)."""
    return chr(ord("A") + i) if i < 26 else str(i + 1)


# --- loading ---------------------------------------------------------------------------------

_SLOT_COLUMNS = (AttemptSlot.attempt_id, Attempt.status, Attempt.pending_grading, AttemptSlot.item_version_id,
                 AttemptSlot.answer, AttemptSlot.score, AttemptSlot.max_score)
_VERSION_COLUMNS = (ItemVersion.id, ItemVersion.item_id, ItemVersion.number, ItemVersion.qtype, ItemVersion.data,
                    ItemVersion.title, ItemVersion.text, Item.code, Item.topic_code, Item.level, Item.status)


def for_test(test: Test, *, min_responses: int | None = None) -> Report:
    """Statistics of the items a test's attempts drew."""
    slots = db.session.execute(
        select(*_SLOT_COLUMNS).join(Attempt, Attempt.id == AttemptSlot.attempt_id)
        .where(Attempt.test_id == test.id)).all()
    shown = (select(AttemptSlot.item_version_id).join(Attempt, Attempt.id == AttemptSlot.attempt_id)
             .where(Attempt.test_id == test.id))
    versions = db.session.execute(
        select(*_VERSION_COLUMNS).join(Item, Item.id == ItemVersion.item_id)
        .where(ItemVersion.id.in_(shown))).all()
    return _report("test", slots, versions, min_responses=min_responses, all_items=False)


def for_bank(bank: Bank, *, min_responses: int | None = None) -> Report:
    """Statistics of every item of a bank (drawn or not), pooled over all attempts of all
    tests that drew from it. Totals count each attempt's every slot, even one from another
    bank, so the rest-of-attempt score is the attempt's own."""
    drew = (select(AttemptSlot.attempt_id).join(ItemVersion, ItemVersion.id == AttemptSlot.item_version_id)
            .join(Item, Item.id == ItemVersion.item_id).where(Item.bank_id == bank.id))
    slots = db.session.execute(
        select(*_SLOT_COLUMNS).join(Attempt, Attempt.id == AttemptSlot.attempt_id)
        .where(AttemptSlot.attempt_id.in_(drew))).all()
    versions = db.session.execute(
        select(*_VERSION_COLUMNS).join(Item, Item.id == ItemVersion.item_id)
        .where(Item.bank_id == bank.id)).all()
    return _report("bank", slots, versions, min_responses=min_responses, all_items=True)


# --- computing -------------------------------------------------------------------------------

@dataclass
class _Acc:
    stats: ItemStats
    shares: list[float] = field(default_factory=list)
    pairs: list[tuple[float, float]] = field(default_factory=list)
    tallies: dict[int, OptionTally] = field(default_factory=dict)
    shown: set[int] = field(default_factory=set)
    latest: int = 0


def _report(scope: str, slots, versions, *, min_responses: int | None, all_items: bool) -> Report:
    min_responses = MIN_RESPONSES if min_responses is None else min_responses
    by_version = {v.id: v for v in versions}
    accs: dict[int, _Acc] = {}

    def acc_for(v) -> _Acc:
        a = accs.get(v.item_id)
        if a is None:
            a = accs[v.item_id] = _Acc(ItemStats(item_id=v.item_id, code=v.code, topic_code=v.topic_code,
                                                 level=v.level, status=v.status, qtype=v.qtype,
                                                 text=_snippet(v.title, v.text)))
        if v.number > a.latest:
            a.latest = v.number
            a.stats.qtype, a.stats.text = v.qtype, _snippet(v.title, v.text)
        return a

    if all_items:
        for v in sorted(versions, key=lambda v: v.number):
            acc_for(v)

    per_attempt: dict[int, list] = defaultdict(list)
    for row in slots:
        per_attempt[row.attempt_id].append(row)

    counted = pending = in_progress = 0
    for rows in per_attempt.values():
        status, pending_grading = rows[0].status, rows[0].pending_grading
        for row in rows:
            v = by_version.get(row.item_version_id)
            if v is not None:
                a = acc_for(v)
                a.stats.drawn += 1
                a.shown.add(v.number)
        if status != "finished":
            in_progress += 1
            continue
        if pending_grading or any(r.score is None for r in rows):
            pending += 1
            continue
        counted += 1
        total = sum(r.score for r in rows)
        total_max = sum(r.max_score for r in rows)
        for row in rows:
            v = by_version.get(row.item_version_id)
            if v is None:
                continue  # another bank's item: it only counts in the total
            a = acc_for(v)
            share = row.score / row.max_score if row.max_score else 0.0
            a.shares.append(share)
            rest_max = total_max - row.max_score
            if rest_max > 0:
                a.pairs.append((share, (total - row.score) / rest_max))
            if row.answer is not None:
                a.stats.answered += 1
            if v.qtype in CHOICE_TYPES:
                _tally(a, v, row.answer)

    started = len(per_attempt)
    items = []
    for a in accs.values():
        s = a.stats
        s.attempts = started
        s.n = len(a.shares)
        s.versions = sorted(a.shown)
        if s.n:
            s.facility = sum(a.shares) / s.n
            s.sd = _sample_sd(a.shares)
            s.discrimination = _pearson(a.pairs)
        s.tallies = [a.tallies[vid] for vid in sorted(a.tallies, key=lambda vid: by_version[vid].number)]
        s.flags = _flags(s, min_responses)
        items.append(s)
    items.sort(key=lambda s: natural_key(s.code))
    return Report(scope=scope, attempts=started, finished=counted, pending=pending, in_progress=in_progress,
                  items=items, min_responses=min_responses)


def _tally(a: _Acc, v, answer) -> None:
    tally = a.tallies.get(v.id)
    if tally is None:
        data = v.data or {}
        if v.qtype == "truefalse":
            right = bool(data.get("correct"))
            options = [OptionCount(True, "true", "", right), OptionCount(False, "false", "", not right)]
        else:
            options = [OptionCount(i, option_label(i), str(o.get("text", "")), float(o.get("fraction") or 0) > 0)
                       for i, o in enumerate(data.get("options") or [])]
        tally = a.tallies[v.id] = OptionTally(version=v.number, qtype=v.qtype, options=options)
    tally.responses += 1
    chosen: list = []
    if answer:
        if v.qtype == "single":
            chosen = [answer.get("choice")]
        elif v.qtype == "multiple":
            chosen = list(answer.get("choices") or [])
        elif isinstance(answer.get("value"), bool):
            chosen = [answer["value"]]
    hits = 0
    for c in chosen:
        for o in tally.options:
            # True == 1 in Python: match a true/false value only to a bool option, an index to an int one
            if o.index == c and isinstance(o.index, bool) == isinstance(c, bool):
                o.count += 1
                hits += 1
    if not hits:
        tally.no_answer += 1


def _sample_sd(xs: list[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mean = sum(xs) / n
    return math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))


def _pearson(pairs: list[tuple[float, float]]) -> float | None:
    """Moodle's covariance / sqrt(variance * variance); None when a side does not vary."""
    n = len(pairs)
    if n < 2:
        return None
    mx = sum(x for x, _ in pairs) / n
    my = sum(y for _, y in pairs) / n
    sxx = sum((x - mx) ** 2 for x, _ in pairs)
    syy = sum((y - my) ** 2 for _, y in pairs)
    sxy = sum((x - mx) * (y - my) for x, y in pairs)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def _flags(s: ItemStats, min_responses: int) -> list[Flag]:
    if s.n == 0:
        return []
    if s.n < min_responses:
        return [Flag("few_responses", value=s.n)]
    flags = []
    if s.facility is not None and s.facility < FACILITY_LOW:
        flags.append(Flag("too_hard", value=s.facility))
    if s.facility is not None and s.facility > FACILITY_HIGH:
        flags.append(Flag("too_easy", value=s.facility))
    if s.discrimination is not None and s.discrimination < 0:
        flags.append(Flag("negative_discrimination", value=s.discrimination))
    elif s.discrimination is not None and s.discrimination < DISCRIMINATION_WEAK:
        flags.append(Flag("weak_discrimination", value=s.discrimination))
    for tally in s.tallies:
        if tally.qtype not in ("single", "multiple") or tally.responses < min_responses:
            continue
        unused = tuple(o.label for o in tally.options if not o.key and o.count == 0)
        if unused:
            flags.append(Flag("unused_distractor", options=unused, version=tally.version))
    return flags


def _snippet(title: str | None, text: str | None, limit: int = 90) -> str:
    words = " ".join((title or text or "").split())
    return words if len(words) <= limit else words[:limit - 1].rstrip() + "…"
