"""Regrading a test after an item was corrected (Moodle's "regrade attempts", with its dry run).

Why: item statistics flag an item whose key is wrong; the trainer fixes it, which makes a new
version, but every attempt keeps the version it showed, so past results would keep the wrong
key. A regrade moves the test's attempts to each item's latest version, but only where that
version reads the same to the participant (`QuestionType.reads_the_same`: same text, same
options in the same order; only the key, marks or feedback changed), so the answer given still
means what it meant. Finished attempts are scored again; attempts in progress are scored when
they finish. Essays are left to their graders. `plan` is the dry run and writes nothing."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from lms.core.models import User
from lms.core.services import audit
from lms.courses.models import Enrolment
from lms.db import db
from lms.quizbank.models import Attempt, AttemptSlot, ItemVersion, Test
from lms.quizbank.qtypes import QUESTION_TYPES, type_name
from lms.quizbank.services import attempts as attempt_service
from lms.quizbank.services import banks as bank_service


@dataclass
class ItemUpdate:
    """An item some attempts show in an older version than its latest."""

    code: str
    shown: list[int]
    latest: int
    slots: int
    #: why the latest version cannot be used (None: it reads the same, the regrade uses it)
    refused: object = None
    #: from the earliest version shown to the latest (`banks.version_changes`)
    changes: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ResultChange:
    attempt_id: int
    participant: str
    number: int
    old: attempt_service.Result
    new: attempt_service.Result


@dataclass
class RegradePlan:
    items: list[ItemUpdate] = field(default_factory=list)
    changes: list[ResultChange] = field(default_factory=list)
    #: attempts that move to the latest versions (finished or in progress)
    attempts: int = 0

    @property
    def usable(self) -> list[ItemUpdate]:
        return [i for i in self.items if i.refused is None]


def plan(test: Test) -> RegradePlan:
    """What a regrade of `test` would do; writes nothing."""
    return _regrade(test, None, write=False)


def regrade(test: Test, actor) -> RegradePlan:
    """Move the test's attempts to their items' latest versions where those read the same,
    and score finished ones again. Each result that changes is audited with old and new."""
    return _regrade(test, actor, write=True)


def _outdated_slots(test: Test, *, lock: bool):
    """(slot, latest version) for every slot of the test's attempts showing an older version."""
    newest = (select(ItemVersion.item_id, func.max(ItemVersion.number).label("number"))
              .group_by(ItemVersion.item_id).subquery())
    latest = aliased(ItemVersion)
    shown = aliased(ItemVersion)
    stmt = (select(AttemptSlot, latest)
            .join(Attempt, Attempt.id == AttemptSlot.attempt_id)
            .join(shown, shown.id == AttemptSlot.item_version_id)
            .join(newest, newest.c.item_id == shown.item_id)
            .join(latest, (latest.item_id == shown.item_id) & (latest.number == newest.c.number))
            .where(Attempt.test_id == test.id, latest.id != AttemptSlot.item_version_id)
            .options(joinedload(AttemptSlot.version).joinedload(ItemVersion.item))
            .order_by(AttemptSlot.attempt_id, AttemptSlot.slot))
    if lock:
        stmt = stmt.with_for_update(of=AttemptSlot)
    return db.session.execute(stmt).all()


def _refusal(shown: ItemVersion, latest: ItemVersion):
    if shown.qtype != latest.qtype:
        return _l("its type changed (%(old)s → %(new)s)", old=type_name(shown.qtype), new=type_name(latest.qtype))
    qt = QUESTION_TYPES[shown.qtype]
    if qt.manual:
        return _l("an essay is scored by its graders, not regraded")
    if (shown.text or "").strip() != (latest.text or "").strip():
        return _l("its question text changed: an answer given to the old text may not fit the new one")
    if not qt.reads_the_same(shown.data or {}, latest.data or {}):
        return _l("its options changed: an answer given to the old options would be misread")
    return None


def _regrade(test: Test, actor, *, write: bool) -> RegradePlan:
    rows = _outdated_slots(test, lock=write)
    result = RegradePlan()
    by_item: dict[int, list] = defaultdict(list)
    for slot, latest in rows:
        by_item[latest.item_id].append((slot, latest))
    usable: dict[int, ItemVersion] = {}  # slot id -> the version it moves to
    for pairs in sorted(by_item.values(), key=lambda pairs: pairs[0][0].version.item.code):
        latest = pairs[0][1]
        refusals = {_refusal(slot.version, latest) for slot, _ in pairs} - {None}
        earliest = min((slot.version for slot, _ in pairs), key=lambda v: v.number)
        update = ItemUpdate(pairs[0][0].version.item.code, sorted({slot.version.number for slot, _ in pairs}),
                            latest.number, len(pairs), next(iter(refusals)) if refusals else None,
                            bank_service.version_changes(earliest, latest))
        result.items.append(update)
        if update.refused is None:
            usable.update({slot.id: latest for slot, _ in pairs})
    if not usable:
        return result

    attempt_ids = sorted({slot.attempt_id for slot, _ in rows if slot.id in usable})
    attempts = db.session.scalars(
        select(Attempt).where(Attempt.id.in_(attempt_ids)).order_by(Attempt.id)
        .options(selectinload(Attempt.slots).joinedload(AttemptSlot.version))
        .execution_options(populate_existing=True)).all()
    names = dict(db.session.execute(select(Enrolment.id, User.full_name).join(User, User.id == Enrolment.user_id)
                                    .where(Enrolment.id.in_({a.enrolment_id for a in attempts}))).all())
    result.attempts = len(attempts)
    for attempt in attempts:
        close = attempt_service.answers_close_at(attempt, test)
        finished = attempt.status == "finished"
        # a score a trainer set by hand stays: the regrade moves its version only
        scores = [((attempt_service.slot_score(s, usable[s.id], close) if s.id in usable and not s.overridden
                    else s.score) if finished else s.score, s.max_score) for s in attempt.slots]
        old = attempt_service.result_of([(s.score, s.max_score) for s in attempt.slots], test)
        new = attempt_service.result_of(scores, test) if finished else old
        if new != old:
            result.changes.append(ResultChange(attempt.id, names.get(attempt.enrolment_id, ""), attempt.number,
                                               old, new))
        if not write:
            continue
        moved = []
        for s, (score, _most) in zip(attempt.slots, scores):
            if s.id in usable:
                moved.append({"slot": s.slot, "from": s.version.number, "to": usable[s.id].number})
                s.item_version_id, s.version, s.score = usable[s.id].id, usable[s.id], score
        if finished:
            attempt_service.set_totals(attempt, test)
        audit.record(actor, "attempt_regraded", attempt,
                     f"{test.title}: attempt {attempt.id}, {old.score:g} → {new.score:g} of {new.max_score:g}",
                     versions=moved, old_score=old.score, new_score=new.score, old_percent=old.percent,
                     new_percent=new.percent, old_passed=old.passed, new_passed=new.passed)
    if write:
        db.session.flush()
        audit.record(actor, "test_regraded", test,
                     f"{test.title}: {len(attempts)} attempt(s) moved to the latest versions of "
                     f"{', '.join(i.code for i in result.usable)}; {len(result.changes)} result(s) changed",
                     items=[i.code for i in result.usable], attempts=len(attempts), changed=len(result.changes))
    return result


def items_with_newer_versions(test: Test) -> int:
    """How many items the test's attempts show in an older version (the results page's hint)."""
    shown = aliased(ItemVersion)
    newer = aliased(ItemVersion)
    return db.session.scalar(
        select(func.count(func.distinct(shown.item_id))).select_from(AttemptSlot)
        .join(Attempt, Attempt.id == AttemptSlot.attempt_id)
        .join(shown, shown.id == AttemptSlot.item_version_id)
        .join(newer, (newer.item_id == shown.item_id) & (newer.number > shown.number))
        .where(Attempt.test_id == test.id)) or 0

