"""Attempts: started with a frozen draw, every answer saved when given, graded exactly once.

The two writes that race are single guarded statements, so the database, not the
application, decides:

- saving an answer is one UPDATE of the slot that only matches while the attempt is in
  progress, before its deadline plus grace, and the participant's own; the caller commits
  and only then acknowledges (an acknowledged answer is on disk);
- finishing is one UPDATE ... SET status='finished' WHERE status='in_progress': whoever's
  UPDATE matched grades; a second submit (another tab, a retry, the sweep) finds the
  attempt finished and returns it as graded.

On PostgreSQL the save's guard reads the attempt FOR SHARE, so a save and a submit of the
same attempt are serialized: either the answer is in before grading or it is refused.
SQLite serializes all writers anyway.

Overdue attempts (deadline plus grace passed) are finished by `lms quiz sweep` and lazily
whenever one is loaded here (start, save, submit, get).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from lms import signals
from lms.core.services import audit
from lms.core.services.errors import Conflict, NotFound, ServiceError
from lms.courses.models import Cohort, Enrolment
from lms.db import db, utcnow
from lms.quizbank.models import SURVEY_KINDS, Attempt, AttemptSlot, ExtraAttempts, Item, ItemVersion, Test
from lms.quizbank.qtypes import QUESTION_TYPES, parse_number, qtype
from lms.quizbank.services import draw
from lms.quizbank.services import tests as test_service

#: statuses an enrolment may take a test in
ACTIVE_ENROLMENT = ("enrolled", "active", "completed")
SWEEP_BATCH = 500


class AttemptClosed(Conflict):
    """The attempt takes no more answers (finished, or its time is up). What was decided
    on the way (an overdue attempt finished and graded) should still be committed."""


# --- small helpers --------------------------------------------------------------------------

def _grace(test: Test) -> timedelta:
    return timedelta(seconds=test.grace_seconds or 0)


def answers_close_at(attempt: Attempt, test: Test) -> datetime | None:
    """The moment answers stop counting: deadline plus grace (None: no limit)."""
    return None if attempt.deadline_at is None else attempt.deadline_at + _grace(test)


def is_overdue(attempt: Attempt, test: Test, now: datetime) -> bool:
    close = answers_close_at(attempt, test)
    return attempt.status == "in_progress" and close is not None and now >= close


def _send_finished(attempt: Attempt, actor) -> None:
    signals.attempt_finished.send(attempt, actor=actor)


def _load(attempt_id: int, *, for_update: bool = False) -> Attempt | None:
    """An attempt with its test, slots, versions and items, fresh from the database."""
    stmt = (select(Attempt).where(Attempt.id == attempt_id)
            .options(joinedload(Attempt.test),
                     selectinload(Attempt.slots).joinedload(AttemptSlot.version).joinedload(ItemVersion.item))
            .execution_options(populate_existing=True))
    if for_update:
        stmt = stmt.with_for_update(of=Attempt)
    return db.session.scalar(stmt)


def _owner_id(attempt: Attempt) -> int | None:
    return db.session.scalar(select(Enrolment.user_id).where(Enrolment.id == attempt.enrolment_id))


# --- start ----------------------------------------------------------------------------------

def start_attempt(test: Test, enrolment: Enrolment, actor, *, versions: list[ItemVersion] | None = None,
                  now: datetime | None = None) -> Attempt:
    """A new attempt with its draw frozen (item versions, option orders, seed), or the
    attempt already in progress (starting twice, from two tabs, gives the same attempt).

    `versions` is the draw; when None it is made by `draw.draw_for` with the attempt's seed."""
    now = now or utcnow()
    if test.status != "published":
        raise Conflict(_l("test '%(title)s' is %(status)s: it cannot be taken", title=test.title, status=test.status),
                       field="test")
    if test.kind in SURVEY_KINDS:
        raise Conflict(_l("'%(title)s' is a survey: it is answered on its own page, not attempted", title=test.title),
                       field="test")
    grant = None
    if test.opens_at is not None and now < test.opens_at:
        grant = granted(test.id, enrolment.id)
        opens_at = personal_open(test, grant)
        if now < opens_at:
            raise Conflict(_l("test '%(title)s' opens at %(time)s UTC", title=test.title,
                              time=f"{opens_at:%Y-%m-%d %H:%M}"), field="test")
    if enrolment.cohort_id != test.cohort_id:
        raise ServiceError(_l("test '%(title)s' belongs to another cohort", title=test.title), field="enrolment")
    if enrolment.status not in ACTIVE_ENROLMENT:
        raise Conflict(_l("the enrolment is %(status)s: a withdrawn participant takes no test",
                          status=enrolment.status), field="enrolment")

    existing = list(db.session.scalars(
        select(Attempt).where(Attempt.test_id == test.id, Attempt.enrolment_id == enrolment.id)
        .order_by(Attempt.number).execution_options(populate_existing=True)))
    for attempt in existing:
        if attempt.status == "in_progress":
            if not is_overdue(attempt, test, now):
                return attempt
            finish_if_overdue(attempt, now)
    # what a trainer granted this participant is read only when it can matter (the test's own
    # attempts are used, it is timed or it closes): a first start of an open-ended test pays nothing
    if grant is None:
        grant = (granted(test.id, enrolment.id)
                 if len(existing) >= test.attempts_allowed or test.time_limit_minutes or test.closes_at else NO_GRANT)
    closes_at = personal_close(test, grant)
    if closes_at is not None and now >= closes_at:
        raise Conflict(_l("test '%(title)s' closed at %(time)s UTC", title=test.title,
                          time=f"{closes_at:%Y-%m-%d %H:%M}"), field="test")
    if len(existing) >= (allowed := test.attempts_allowed + grant.count):
        raise Conflict(_l("all %(n)s attempt(s) allowed at '%(title)s' are used", n=allowed,
                          title=test.title), field="attempts_allowed")

    seed = draw.new_seed()
    drawn_here = versions is None
    if drawn_here:
        versions = draw.draw_for(test, enrolment, seed)
    if not versions:
        raise ServiceError(_l("test %(title)s drew no items", title=repr(test.title)), field="blueprint_id")
    if len({v.item_id for v in versions}) != len(versions):
        raise ServiceError(_l("the draw holds an item twice"), field="blueprint_id")

    ends = [d for d in (now + timedelta(minutes=test.time_limit_minutes + grant.minutes)
                        if test.time_limit_minutes else None, closes_at) if d is not None]
    order_rng = random.Random(f"option-order-{seed}")
    attempt = Attempt(test_id=test.id, enrolment_id=enrolment.id, number=len(existing) + 1, seed=seed,
                      status="in_progress", started_at=now, deadline_at=min(ends) if ends else None,
                      pending_grading=0)
    attempt.slots = [AttemptSlot(slot=n, item_version_id=v.id, version=v, max_score=1.0,
                                 option_order=qtype(v.qtype).shuffle_order(v.data or {}, order_rng))
                     for n, v in enumerate(versions, start=1)]
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
            if drawn_here:
                draw.count_exposure(versions)  # undone with the attempt if another tab won
    except IntegrityError:
        # another tab started the same attempt number a moment ago: that one is the attempt
        again = db.session.scalar(select(Attempt).where(
            Attempt.test_id == test.id, Attempt.enrolment_id == enrolment.id, Attempt.status == "in_progress"))
        if again is None:
            raise Conflict(_l("another attempt was started at the same moment; reload the test")) from None
        return again
    return attempt


# --- extra attempts for one participant ------------------------------------------------------

class Grant(NamedTuple):
    """What a trainer granted one participant at one test."""

    count: int = 0
    minutes: int = 0
    #: a later closing time than the test's (None: the test's own)
    closes_at: datetime | None = None
    #: an earlier opening time than the test's (None: the test's own)
    opens_at: datetime | None = None


NO_GRANT = Grant()
_GRANT_COLUMNS = (ExtraAttempts.count, ExtraAttempts.minutes, ExtraAttempts.closes_at, ExtraAttempts.opens_at)


def granted_many(test_ids: list[int], enrolment_ids: list[int]) -> dict[tuple[int, int], Grant]:
    """{(test id, enrolment id): Grant}, in one statement."""
    if not test_ids or not enrolment_ids:
        return {}
    return {(t, e): Grant(*rest) for t, e, *rest in db.session.execute(
        select(ExtraAttempts.test_id, ExtraAttempts.enrolment_id, *_GRANT_COLUMNS)
        .where(ExtraAttempts.test_id.in_(test_ids), ExtraAttempts.enrolment_id.in_(enrolment_ids)))}


def granted(test_id: int, enrolment_id: int) -> Grant:
    """What a trainer granted this participant at this test."""
    row = db.session.execute(select(*_GRANT_COLUMNS).where(
        ExtraAttempts.test_id == test_id, ExtraAttempts.enrolment_id == enrolment_id)).first()
    return Grant(*row) if row else NO_GRANT


@dataclass(frozen=True)
class Terms:
    """A test as one participant meets it, with what a trainer granted them: what their list
    of tests, "try again" and the API's list of tests all show."""

    state: str
    opens_at: datetime | None
    closes_at: datetime | None
    time_limit_minutes: int | None
    attempts_allowed: int


def terms_for(test: Test, grant: Grant, now: datetime | None = None) -> Terms:
    return Terms(state_for(test, grant, now), personal_open(test, grant), personal_close(test, grant),
                 test.time_limit_minutes + grant.minutes if test.time_limit_minutes else None,
                 test.attempts_allowed + grant.count)


def may_start_again(test: Test, enrolment: Enrolment, now: datetime | None = None) -> bool:
    """Whether "try again" can work: the test open to this participant, an attempt left."""
    terms = terms_for(test, granted(test.id, enrolment.id), now)
    return terms.state == "open" and len(attempts_of(test, enrolment)) < terms.attempts_allowed


def personal_close(test: Test, grant: Grant) -> datetime | None:
    """When the test closes for this participant: a granted closing time only ever extends."""
    if test.closes_at is None or grant.closes_at is None:
        return test.closes_at
    return max(test.closes_at, grant.closes_at)


def personal_open(test: Test, grant: Grant) -> datetime | None:
    """When the test opens for this participant: a granted opening time only ever brings it
    forward."""
    if test.opens_at is None or grant.opens_at is None:
        return test.opens_at
    return min(test.opens_at, grant.opens_at)


def state_for(test: Test, grant: Grant, now: datetime | None = None) -> str:
    """The test's state as this participant meets it: open before the test's opening once an
    earlier opening time granted to them has come, and past the test's closing while a later
    closing time granted to them runs (a test closed by hand stays closed)."""
    now = now or utcnow()
    state = test_service.state(test, now)
    if state == "upcoming" and now >= personal_open(test, grant):
        return "open"
    close = personal_close(test, grant)
    if state == "closed" and test.status == "published" and close is not None and now < close:
        return "open"
    return state


def closed_for_everyone(test: Test, now: datetime | None = None) -> bool:
    """Closed, and no participant still has a later closing time: what "review after the test
    closes" waits for, so nobody sees the answers while someone may still take the test."""
    now = now or utcnow()
    if test_service.state(test, now) != "closed":
        return False
    return test.status == "closed" or latest_close(test) <= now


def latest_close(test: Test) -> datetime | None:
    """The latest time the test closes for anyone (None: it never closes)."""
    if test.closes_at is None:
        return None
    granted_latest = db.session.scalar(select(func.max(ExtraAttempts.closes_at)).where(
        ExtraAttempts.test_id == test.id))
    return max(test.closes_at, granted_latest) if granted_latest else test.closes_at


#: the most minutes a trainer may add to one participant's time limit
MAX_EXTRA_MINUTES = 600


def set_extra_minutes(test: Test, enrolment: Enrolment, minutes, actor, now: datetime | None = None) -> int:
    """Give one participant more time than the test's limit (0 takes it back): their next
    attempts get it, and so does an attempt in progress whose time has not run out (its
    deadline moves, never past the test's closing). Returns the participant's limit in minutes."""
    now = now or utcnow()
    if test.status != "published" or test.kind in SURVEY_KINDS:
        raise Conflict(_l("only a published test gives extra time"), field="test")
    if not test.time_limit_minutes:
        raise Conflict(_l("test '%(title)s' has no time limit", title=test.title), field="minutes")
    if isinstance(minutes, str) and minutes.strip().isdigit():
        minutes = int(minutes.strip())
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= MAX_EXTRA_MINUTES:
        raise ServiceError(_l("extra time is a whole number of minutes from 0 to %(max)s (got %(value)s)",
                              max=MAX_EXTRA_MINUTES, value=repr(minutes)), field="minutes")
    _check_granted_to(test, enrolment)
    row = _granted_row(test, enrolment)
    old, row.minutes, row.updated_at = row.minutes, minutes, now
    _move_deadlines(test, enrolment, row, now)
    audit.record(actor, "test_extra_minutes", test, f"{test.title}: enrolment {enrolment.id} has +{minutes} min",
                 enrolment_id=enrolment.id, old=old, new=minutes)
    return test.time_limit_minutes + minutes


#: how far past the test's own closing a participant's closing time may go (and how far before
#: its opening their opening time)
MAX_CLOSE_EXTENSION = timedelta(days=366)


def set_personal_close(test: Test, enrolment: Enrolment, closes_at: datetime | None, actor,
                       now: datetime | None = None) -> datetime | None:
    """Let one participant take the test until a later time than its closing (None takes it
    back), as Moodle's user override does; returns when the test now closes for them. An
    attempt in progress whose time has not run out follows (a spent one is not revived)."""
    now = now or utcnow()
    if test.status != "published" or test.kind in SURVEY_KINDS:
        raise Conflict(_l("only a published test gives a later closing time"), field="test")
    if test.closes_at is None:
        raise Conflict(_l("test '%(title)s' has no closing time: it stays open to everyone", title=test.title),
                       field="closes_at")
    if closes_at is not None:
        if closes_at.tzinfo is None:
            raise ServiceError(_l("the closing time needs a time zone"), field="closes_at")
        if closes_at <= test.closes_at:
            raise ServiceError(_l("the closing time for one participant must be later than the test's, %(time)s UTC",
                                  time=f"{test.closes_at:%Y-%m-%d %H:%M}"), field="closes_at")
        if closes_at <= now:
            raise ServiceError(_l("the closing time for one participant must be in the future"), field="closes_at")
        if closes_at > test.closes_at + MAX_CLOSE_EXTENSION:
            raise ServiceError(_l("the closing time for one participant may be at most a year after the test's"),
                               field="closes_at")
    _check_granted_to(test, enrolment)
    row = _granted_row(test, enrolment)
    old, row.closes_at, row.updated_at = row.closes_at, closes_at, now
    close = _move_deadlines(test, enrolment, row, now)
    audit.record(actor, "test_personal_close", test,
                 f"{test.title}: enrolment {enrolment.id} until {close:%Y-%m-%d %H:%M} UTC",
                 enrolment_id=enrolment.id, old=old.isoformat() if old else None,
                 new=closes_at.isoformat() if closes_at else None)
    return close


def set_personal_open(test: Test, enrolment: Enrolment, opens_at: datetime | None, actor,
                      now: datetime | None = None) -> datetime | None:
    """Let one participant start the test earlier than its opening (None takes it back), as
    Moodle's user override does: for someone who must leave before the test day. Returns when
    the test now opens for them. Attempts already made stay as they are."""
    now = now or utcnow()
    if test.status != "published" or test.kind in SURVEY_KINDS:
        raise Conflict(_l("only a published test gives an earlier opening time"), field="test")
    if test.opens_at is None:
        raise Conflict(_l("test '%(title)s' has no opening time: it is open to everyone from its publication",
                          title=test.title), field="opens_at")
    if opens_at is not None:
        if opens_at.tzinfo is None:
            raise ServiceError(_l("the opening time needs a time zone"), field="opens_at")
        if now >= test.opens_at:
            raise Conflict(_l("test '%(title)s' is already open to everyone", title=test.title), field="opens_at")
        if opens_at >= test.opens_at:
            raise ServiceError(_l("the opening time for one participant must be earlier than the test's, %(time)s UTC",
                                  time=f"{test.opens_at:%Y-%m-%d %H:%M}"), field="opens_at")
        if opens_at < test.opens_at - MAX_CLOSE_EXTENSION:
            raise ServiceError(_l("the opening time for one participant may be at most a year before the test's"),
                               field="opens_at")
    _check_granted_to(test, enrolment)
    row = _granted_row(test, enrolment)
    old, row.opens_at, row.updated_at = row.opens_at, opens_at, now
    db.session.flush()
    opens = personal_open(test, Grant(opens_at=opens_at))
    audit.record(actor, "test_personal_open", test,
                 f"{test.title}: enrolment {enrolment.id} from {opens:%Y-%m-%d %H:%M} UTC",
                 enrolment_id=enrolment.id, old=old.isoformat() if old else None,
                 new=opens_at.isoformat() if opens_at else None)
    return opens


def _move_deadlines(test: Test, enrolment: Enrolment, row: ExtraAttempts, now: datetime) -> datetime | None:
    """The participant's attempts in progress take their new limit and closing time, unless
    their time already ran out: the sweep finishes those, a grant does not revive them.
    Returns when the test now closes for the participant."""
    grant = Grant(row.count, row.minutes, row.closes_at, row.opens_at)
    limit = timedelta(minutes=test.time_limit_minutes + grant.minutes) if test.time_limit_minutes else None
    close = personal_close(test, grant)
    for attempt in db.session.scalars(select(Attempt).where(
            Attempt.test_id == test.id, Attempt.enrolment_id == enrolment.id, Attempt.status == "in_progress")):
        if is_overdue(attempt, test, now):
            continue
        ends = [d for d in (attempt.started_at + limit if limit else None, close) if d is not None]
        attempt.deadline_at = min(ends) if ends else None
    db.session.flush()
    return close


def _check_granted_to(test: Test, enrolment: Enrolment) -> None:
    if enrolment.cohort_id != test.cohort_id:
        raise ServiceError(_l("test '%(title)s' belongs to another cohort", title=test.title), field="enrolment")
    if enrolment.status not in ACTIVE_ENROLMENT:
        raise Conflict(_l("the enrolment is %(status)s: a withdrawn participant takes no test",
                          status=enrolment.status), field="enrolment")


def _granted_query(test: Test, enrolment: Enrolment):
    """The participant's row of grants at this test, locked for the change at hand."""
    return (select(ExtraAttempts).where(ExtraAttempts.test_id == test.id, ExtraAttempts.enrolment_id == enrolment.id)
            .with_for_update())


def _granted_row(test: Test, enrolment: Enrolment) -> ExtraAttempts:
    """The participant's row of grants at this test, locked; made when there is none yet."""
    query = _granted_query(test, enrolment)
    row = db.session.scalar(query)
    if row is None:
        try:
            with db.session.begin_nested():
                row = ExtraAttempts(test_id=test.id, enrolment_id=enrolment.id, count=0, minutes=0)
                db.session.add(row)
                db.session.flush()
        except IntegrityError:  # another grant made the row a moment ago
            row = db.session.scalar(query)
    return row


def grant_extra_attempt(test: Test, enrolment: Enrolment, actor) -> int:
    """Allow one participant one more attempt than the test allows (a line that dropped, an
    illness), as Moodle's user override does; returns how many attempts they now have. Only
    while the test takes attempts: published, not a survey, a participant still enrolled."""
    if test.status != "published" or test.kind in SURVEY_KINDS:
        raise Conflict(_l("only a published test gives extra attempts"), field="test")
    _check_granted_to(test, enrolment)
    row = _granted_row(test, enrolment)  # locked: two grants at once count two
    row.count += 1
    row.updated_at = utcnow()
    db.session.flush()
    allowed = test.attempts_allowed + row.count
    audit.record(actor, "test_extra_attempt", test, f"{test.title}: enrolment {enrolment.id} may take {allowed}",
                 enrolment_id=enrolment.id, extra=row.count, allowed=allowed)
    return allowed


def withdraw_extra_attempt(test: Test, enrolment: Enrolment, actor) -> int:
    """Undo a grant the participant has not used yet (given by mistake); returns how many
    attempts they now have. An attempt already started stays theirs."""
    row = db.session.scalar(_granted_query(test, enrolment))
    used = db.session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.test_id == test.id, Attempt.enrolment_id == enrolment.id))
    if row is None or row.count < 1:
        raise Conflict(_l("this participant has no extra attempt to withdraw"), field="enrolment")
    if used > test.attempts_allowed + row.count - 1:
        raise Conflict(_l("the extra attempt is already taken: it stays the participant's"), field="enrolment")
    row.count -= 1
    row.updated_at = utcnow()
    db.session.flush()
    allowed = test.attempts_allowed + row.count
    audit.record(actor, "test_extra_attempt_withdrawn", test,
                 f"{test.title}: enrolment {enrolment.id} may take {allowed}",
                 enrolment_id=enrolment.id, extra=row.count, allowed=allowed)
    return allowed


# --- saving an answer ------------------------------------------------------------------------

@dataclass
class AnswerTarget:
    """What saving an answer needs, read in one statement (the API reads it to check access)."""

    attempt_id: int
    slot: int
    status: str
    deadline_at: datetime | None
    grace_seconds: int
    user_id: int
    cohort_id: int
    programme_id: int | None
    slot_id: int | None
    qtype: str | None
    data: dict | None
    option_order: list | None

    @property
    def closes_at(self) -> datetime | None:
        return None if self.deadline_at is None else self.deadline_at + timedelta(seconds=self.grace_seconds)


def answer_target_read() -> tuple:
    """The read a save needs as (tables, columns, condition): `answer_target` runs it alone;
    the API joins it to its authenticating SELECT, so a save request reads once. Core (table
    columns, not mapped attributes) and built once: a save runs it on every answer, and a
    reused Core statement keeps its memoized cache key and skips the ORM's setup."""
    a, t, e, c = Attempt.__table__.c, Test.__table__.c, Enrolment.__table__.c, Cohort.__table__.c
    s, v = AttemptSlot.__table__.c, ItemVersion.__table__.c
    tables = (Attempt.__table__.join(Test.__table__, t.id == a.test_id)
              .join(Enrolment.__table__, e.id == a.enrolment_id).join(Cohort.__table__, c.id == t.cohort_id)
              .outerjoin(AttemptSlot.__table__, (s.attempt_id == a.id) & (s.slot == bindparam("slot")))
              .outerjoin(ItemVersion.__table__, v.id == s.item_version_id))
    columns = (a.status, a.deadline_at, t.grace_seconds, e.user_id, t.cohort_id, c.programme_id,
               s.id, v.qtype, v.data, s.option_order)
    return tables, columns, a.id == bindparam("attempt_id")


def answer_target_of(attempt_id: int, slot: int, values) -> AnswerTarget | None:
    """The AnswerTarget from the columns of `answer_target_read` (None: no such attempt)."""
    if values is None or values[0] is None:
        return None
    return AnswerTarget(attempt_id, slot, values[0], values[1], values[2] or 0, *values[3:])


def _save_statement():
    """The guarded write (Core, built once like the read): the slot's UPDATE matches only
    while its attempt is in progress, before deadline plus grace (`cutoff` = now - grace),
    and the participant's own. On PostgreSQL the guard reads the attempt FOR SHARE (see the
    module docstring)."""
    a, e, slots = Attempt.__table__, Enrolment.__table__, AttemptSlot.__table__
    guard = (select(a.c.id).select_from(a).join(e, e.c.id == a.c.enrolment_id)
             .where(a.c.id == bindparam("a_id"), a.c.status == "in_progress",
                    or_(a.c.deadline_at.is_(None), a.c.deadline_at > bindparam("cutoff")),
                    e.c.user_id == bindparam("user_id"))
             .with_for_update(read=True, of=a))
    # bind names differ from the table's column names: UPDATE reserves those for its SET clause
    return (update(slots).where(slots.c.attempt_id == bindparam("a_id"), slots.c.slot == bindparam("slot_no"),
                                exists(guard))
            .values(answer=bindparam("new_answer", type_=slots.c.answer.type),
                    answered_at=bindparam("saved_at", type_=slots.c.answered_at.type)))


def _target_statement():
    tables, columns, where = answer_target_read()
    return select(*columns).select_from(tables).where(where)


_TARGET, _SAVE = _target_statement(), _save_statement()


def answer_target(attempt_id: int, slot: int) -> AnswerTarget | None:
    """One SELECT: the attempt's state and owner, its test's grace, cohort and the cohort's
    programme (the capability check's context chain), the slot's frozen version and option
    order (None fields when the attempt has no such slot)."""
    return answer_target_of(attempt_id, slot, db.session.execute(_TARGET, {"attempt_id": attempt_id,
                                                                           "slot": slot}).first())


def save_answer(attempt_id: int, slot: int, answer, user, now: datetime | None = None, *,
                target: AnswerTarget | None = None) -> datetime:
    """Store one answer, as given in the shown order (see qtypes), and return its time.

    One SELECT (skipped when the caller passes the `target` it read) and one guarded UPDATE;
    the caller's COMMIT makes three statements. Refusals: NotFound (no such attempt, not
    yours, no such slot), AttemptClosed (finished, past deadline plus grace), ServiceError
    (an answer of the wrong shape)."""
    now = now or utcnow()
    t = target if target is not None else answer_target(attempt_id, slot)
    if t is None or t.user_id != user.id:
        raise NotFound(_l("no attempt %(id)s", id=attempt_id))
    if t.status != "in_progress":
        raise AttemptClosed(_l("attempt %(id)s is finished: answers are no longer accepted", id=attempt_id))
    if t.closes_at is not None and now >= t.closes_at:
        _finish_overdue_ids([attempt_id])
        raise AttemptClosed(_l("attempt %(id)s: time ran out at %(time)s UTC (with %(grace)s s grace); the answer"
                               " was not saved", id=attempt_id, time=f"{t.deadline_at:%H:%M:%S}",
                               grace=t.grace_seconds))
    if t.slot_id is None:
        raise NotFound(_l("attempt %(id)s has no question %(slot)s", id=attempt_id, slot=slot), field="slot")
    stored = qtype(t.qtype).from_shown(t.data or {}, t.option_order or [], answer)

    result = db.session.execute(_SAVE, {"a_id": attempt_id, "slot_no": slot, "user_id": user.id,
                                        "cutoff": now - timedelta(seconds=t.grace_seconds),
                                        "new_answer": stored, "saved_at": now})
    if result.rowcount != 1:
        # the attempt changed between the read and the write: say what happened
        again = answer_target(attempt_id, slot)
        if again is None or again.user_id != user.id:
            raise NotFound(_l("no attempt %(id)s", id=attempt_id))
        if again.status != "in_progress":
            raise AttemptClosed(_l("attempt %(id)s was finished before this answer arrived; it was not saved",
                                   id=attempt_id))
        raise AttemptClosed(_l("attempt %(id)s: time ran out; the answer was not saved", id=attempt_id))
    return now


def set_flag(attempt_id: int, slot: int, flagged: bool, user, cohort_id: int | None = None) -> bool:
    """Flag a question to come back to, or take the flag off (Moodle's flag): only the
    participant's own attempt, while it is in progress (and of the cohort whose page asks, when
    given). Returns the flag as stored."""
    owned = (select(Attempt.id).join(Enrolment, Enrolment.id == Attempt.enrolment_id)
             .where(Attempt.id == attempt_id, Attempt.status == "in_progress", Enrolment.user_id == user.id))
    if cohort_id is not None:
        owned = owned.where(Enrolment.cohort_id == cohort_id)
    done = db.session.execute(
        update(AttemptSlot).where(AttemptSlot.attempt_id == attempt_id, AttemptSlot.slot == slot, exists(owned))
        .values(flagged=bool(flagged)).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise NotFound(_l("attempt %(id)s has no question %(slot)s in progress", id=attempt_id, slot=slot),
                       field="slot")
    return bool(flagged)


# --- finishing and grading ----------------------------------------------------------------------

def submit(attempt_id: int, user, now: datetime | None = None) -> Attempt:
    """Finish and grade the participant's attempt. Grades once: a second submit, from another
    tab or a retry, returns the attempt as the first one graded it."""
    now = now or utcnow()
    owned = select(Enrolment.id).where(Enrolment.user_id == user.id)
    won = db.session.execute(
        update(Attempt).where(Attempt.id == attempt_id, Attempt.status == "in_progress",
                              Attempt.enrolment_id.in_(owned))
        .values(status="finished", finished_at=now).execution_options(synchronize_session=False)).rowcount
    attempt = _load(attempt_id)
    if attempt is None or _owner_id(attempt) != user.id:
        raise NotFound(_l("no attempt %(id)s", id=attempt_id))
    if won == 1:
        if attempt.deadline_at is not None and now >= answers_close_at(attempt, attempt.test):
            attempt.finished_at = attempt.deadline_at  # time ran out before the participant submitted
        _grade(attempt, user, "submitted")
    return attempt


def finish_if_overdue(attempt: Attempt | None, now: datetime | None = None) -> bool:
    """Finish and grade one attempt whose time is up (lazily, when it is next loaded)."""
    now = now or utcnow()
    if attempt is None or attempt.status != "in_progress":
        return False
    test = attempt.test
    if not is_overdue(attempt, test, now):
        return False
    return _finish_overdue_ids([attempt.id]) == 1


def finish_overdue(now: datetime | None = None) -> int:
    """Finish and grade every attempt in progress whose deadline plus grace has passed
    (`lms quiz sweep`, from cron or RQ). Returns how many this call finished."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Attempt.id, Attempt.deadline_at, Test.grace_seconds).join(Test, Test.id == Attempt.test_id)
        .where(Attempt.status == "in_progress", Attempt.deadline_at.is_not(None), Attempt.deadline_at < now)
        .order_by(Attempt.id)).all()
    due = [i for i, deadline, grace in rows if now >= deadline + timedelta(seconds=grace or 0)]
    return sum(_finish_overdue_ids(due[k:k + SWEEP_BATCH]) for k in range(0, len(due), SWEEP_BATCH))


def _finish_overdue_ids(ids: list[int]) -> int:
    if not ids:
        return 0
    won = list(db.session.scalars(
        update(Attempt).where(Attempt.id.in_(ids), Attempt.status == "in_progress")
        .values(status="finished", finished_at=Attempt.deadline_at).returning(Attempt.id)
        .execution_options(synchronize_session=False)))
    if not won:
        return 0
    attempts = db.session.scalars(
        select(Attempt).where(Attempt.id.in_(won))
        .options(joinedload(Attempt.test),
                 selectinload(Attempt.slots).joinedload(AttemptSlot.version))
        .execution_options(populate_existing=True)).all()
    for attempt in attempts:
        _grade(attempt, None, "time ran out")
    return len(won)


def _grade(attempt: Attempt, actor, reason: str) -> None:
    """Score every slot of a just-finished attempt and set its totals. Unanswered items score
    0 (an unanswered essay too: there is nothing to grade); answered essays wait for a grader.
    Answers saved after the deadline plus grace never count (the save refuses them anyway)."""
    test = attempt.test
    close = answers_close_at(attempt, test)
    for s in attempt.slots:
        s.score = slot_score(s, s.version, close)
    set_totals(attempt, test)
    db.session.flush()
    audit.record(actor, "attempt_graded", attempt, f"{test.title}: {_summary(attempt)} ({reason})",
                 score=attempt.score, max=attempt.max_score, percent=attempt.percent, band=attempt.band,
                 passed=attempt.passed, pending_grading=attempt.pending_grading, reason=reason)
    if attempt.pending_grading == 0:
        _send_finished(attempt, actor)


def slot_score(s: AttemptSlot, version: ItemVersion, close: datetime | None) -> float | None:
    """What a finished attempt's slot scores by `version`: unanswered items score 0 (an
    unanswered essay too: there is nothing to grade), answered essays wait for a grader
    (None), and answers saved after the deadline plus grace never count."""
    qt = QUESTION_TYPES[version.qtype]
    late = close is not None and s.answered_at is not None and s.answered_at >= close
    if s.answer is None or late:
        return 0.0
    if qt.manual:
        return None
    return round(qt.score(version.data or {}, s.answer) * s.max_score, 6)


@dataclass(frozen=True)
class Result:
    """An attempt's totals: score, max, percent, band and pass."""

    score: float
    max_score: float
    percent: float | None
    band: str | None
    passed: bool | None
    pending_grading: int


def result_of(scores: list[tuple[float | None, float]], test: Test) -> Result:
    """Totals from (score, max) per slot. While essays wait for a grader (score None) the
    percent is over the items graded so far (provisional) and band and pass are left empty."""
    graded = [(score, most) for score, most in scores if score is not None]
    score, most = round(sum(x for x, _ in graded), 6), round(sum(m for _, m in graded), 6)
    percent = round(score / most * 100, 2) if most else None
    pending = len(scores) - len(graded)
    if pending or percent is None:
        return Result(score, most, percent, None, None, pending)
    band = (test_service.band_label(test_service.band_for(test, percent), "kk") or None)
    return Result(score, most, percent, band[:100] if band else None,
                  percent >= float(test.pass_percent) - 1e-9, pending)


def set_totals(attempt: Attempt, test: Test) -> None:
    result = result_of([(s.score, s.max_score) for s in attempt.slots], test)
    for name, value in vars(result).items():
        setattr(attempt, name, value)


def _summary(attempt: Attempt) -> str:
    text = f"{attempt.score:g} / {attempt.max_score:g}"
    if attempt.percent is not None:
        text += f" = {attempt.percent:g} %"
    if attempt.pending_grading:
        text += f", {attempt.pending_grading} essay(s) to grade"
    elif attempt.band:
        text += f", {attempt.band}"
    return text


# --- essays ------------------------------------------------------------------------------------

def _waiting_essays(test: Test) -> tuple:
    """What makes a slot wait in the grading queue (its joins: Attempt, ItemVersion)."""
    return (Attempt.test_id == test.id, Attempt.status == "finished", ItemVersion.qtype == "essay",
            AttemptSlot.answer.is_not(None), AttemptSlot.score.is_(None))


def grading_queue(test: Test, item_code: str | None = None) -> list[AttemptSlot]:
    """Answered essays of finished attempts still without a score, oldest first; with
    `item_code`, one item's only (Moodle's grading by question: every answer to the same
    question read one after another, so each is judged by the same measure)."""
    stmt = (select(AttemptSlot).join(Attempt, Attempt.id == AttemptSlot.attempt_id)
            .join(ItemVersion, ItemVersion.id == AttemptSlot.item_version_id)
            .where(*_waiting_essays(test))
            .options(joinedload(AttemptSlot.version).joinedload(ItemVersion.item), joinedload(AttemptSlot.attempt))
            .order_by(Attempt.finished_at, Attempt.id, AttemptSlot.slot))
    if item_code:
        stmt = stmt.join(Item, Item.id == ItemVersion.item_id).where(Item.code == item_code)
    return list(db.session.scalars(stmt))


def grading_counts(test: Test) -> list[tuple[str, int]]:
    """How many essays wait for a grade, per item, by item code (the grading page's choice)."""
    return [(code, n) for code, n in db.session.execute(
        select(Item.code, func.count()).select_from(AttemptSlot)
        .join(Attempt, Attempt.id == AttemptSlot.attempt_id)
        .join(ItemVersion, ItemVersion.id == AttemptSlot.item_version_id).join(Item, Item.id == ItemVersion.item_id)
        .where(*_waiting_essays(test))
        .group_by(Item.code).order_by(Item.code))]


def grade_essay(slot: AttemptSlot, score, feedback: str | None, actor) -> AttemptSlot:
    """A grader's score (0 to the slot's maximum) and feedback for an essay; grading again
    replaces the score. The attempt's totals, band and pass are worked out again. Audited."""
    attempt = _load(slot.attempt_id, for_update=True)
    slot = next(s for s in attempt.slots if s.id == slot.id)
    if slot.version.qtype != "essay":
        raise ServiceError(_l("question %(n)s is a %(qtype)s item, scored automatically", n=slot.slot,
                              qtype=slot.version.qtype), field="slot")
    if attempt.status != "finished":
        raise Conflict(_l("attempt %(id)s is still in progress; grade it once it is finished", id=attempt.id),
                       field="slot")
    if slot.answer is None:
        raise Conflict(_l("question %(n)s was not answered; it scores 0", n=slot.slot), field="slot")
    value = _points(slot, score)
    old = slot.score
    was_pending = attempt.pending_grading
    slot.score = round(value, 6)
    slot.feedback = (feedback or "").strip() or None
    set_totals(attempt, attempt.test)
    db.session.flush()
    audit.record(actor, "essay_graded" if old is None else "essay_regraded", slot,
                 f"attempt {attempt.id}, question {slot.slot}: {old if old is not None else '-'} -> {value:g};"
                 f" attempt {_summary(attempt)}",
                 old=old, new=slot.score, attempt_id=attempt.id, attempt_score=attempt.score,
                 attempt_percent=attempt.percent, passed=attempt.passed)
    if was_pending and attempt.pending_grading == 0:
        _send_finished(attempt, actor)
    return slot


def _points(slot: AttemptSlot, score) -> float:
    """A grader's points for a slot: a number from 0 to its maximum."""
    try:
        value = parse_number(score)
    except ServiceError:
        raise ServiceError(_l("score: a number from 0 to %(most)s (got %(got)s)", most=f"{slot.max_score:g}",
                              got=repr(score)), field="score") from None
    if not 0 <= value <= slot.max_score:
        raise ServiceError(_l("score: a number from 0 to %(most)s (got %(got)s)", most=f"{slot.max_score:g}",
                              got=f"{value:g}"), field="score")
    return value


def override_score(slot: AttemptSlot, score, reason: str | None, actor) -> AttemptSlot:
    """Set the points of an automatically scored question by hand (Moodle's "override mark"),
    after an appeal: the reason is required and shown to the participant. `score` None gives
    the question its automatic score back. The attempt's totals, band and pass are worked out
    again; a later regrade keeps an overridden score. Audited."""
    attempt = _load(slot.attempt_id, for_update=True)
    slot = next(s for s in attempt.slots if s.id == slot.id)
    if QUESTION_TYPES[slot.version.qtype].manual:
        raise ServiceError(_l("question %(n)s is graded by hand: give its grade instead", n=slot.slot), field="slot")
    if attempt.status != "finished":
        raise Conflict(_l("attempt %(id)s is still in progress; grade it once it is finished", id=attempt.id),
                       field="slot")
    old, was = slot.score, slot.overridden
    if score is None:
        if not slot.overridden:
            raise Conflict(_l("question %(n)s already has its automatic score", n=slot.slot), field="slot")
        slot.score = slot_score(slot, slot.version, answers_close_at(attempt, attempt.test))
        slot.overridden, slot.feedback = False, None
        action = "score_restored"
    else:
        value = _points(slot, score)
        reason = (reason or "").strip()
        if not reason:
            raise ServiceError(_l("say why the points change: the participant reads it"), field="feedback")
        slot.score, slot.overridden, slot.feedback = round(value, 6), True, reason
        action = "score_overridden"
    set_totals(attempt, attempt.test)
    db.session.flush()
    audit.record(actor, action, slot,
                 f"attempt {attempt.id}, question {slot.slot}: {old if old is not None else '-'} -> {slot.score:g};"
                 f" attempt {_summary(attempt)}",
                 old=old, new=slot.score, was_overridden=was, reason=slot.feedback, attempt_id=attempt.id,
                 attempt_score=attempt.score, attempt_percent=attempt.percent, passed=attempt.passed)
    return slot


# --- reading --------------------------------------------------------------------------------

def get_attempt(attempt_id: int, now: datetime | None = None) -> Attempt:
    """An attempt with its slots and versions; finished and graded first if its time is up."""
    attempt = _load(attempt_id)
    if attempt is None:
        raise NotFound(_l("no attempt %(id)s", id=attempt_id))
    if finish_if_overdue(attempt, now):
        attempt = _load(attempt_id)
    return attempt


def attempts_of(test: Test, enrolment: Enrolment) -> list[Attempt]:
    return list(db.session.scalars(select(Attempt).where(Attempt.test_id == test.id,
                                                         Attempt.enrolment_id == enrolment.id)
                                   .order_by(Attempt.number)))


def review_options(test: Test) -> dict:
    return {**test_service.DEFAULT_REVIEW, **(test.review_options or {})}


def _waits_for_close(test: Test, review: dict, now: datetime | None = None) -> bool:
    return review.get("when") == "after_close" and not closed_for_everyone(test, now)


def score_shown(test: Test, now: datetime | None = None) -> bool:
    """Whether a participant sees their score at `test` now, as its review options say: the
    result page, and every other page that shows it (the gradebook's "My grades"), ask this."""
    review = review_options(test)
    return bool(review.get("score")) and not _waits_for_close(test, review, now)


def result_view(attempt: Attempt, *, staff: bool = False, language: str = "kk",
                now: datetime | None = None, topics: bool = False) -> dict:
    """What the result page and the API show of a finished attempt, as the test's review
    options allow (staff see everything). Hidden values are left out, and `hidden` names them.
    `topics` adds the points per topic beside the score (the attempt's slots and their items
    loaded, as `_load` does)."""
    test = attempt.test
    review = review_options(test)
    out: dict = {"attempt_id": attempt.id, "status": attempt.status,
                 "finished_at": attempt.finished_at.isoformat() if attempt.finished_at else None,
                 "pending_grading": attempt.pending_grading,
                 "provisional": bool(attempt.pending_grading)}
    if attempt.status != "finished":
        return out
    hidden: list[str] = []
    later = not staff and _waits_for_close(test, review, now)
    if staff or (review.get("score") and not later):
        out.update(score=attempt.score, max=attempt.max_score, percent=attempt.percent, passed=attempt.passed)
        if topics:
            out["topics"] = [{"topic": t.topic, "module": t.module, "score": t.score, "max": t.max_score,
                              "percent": t.percent, "pending": t.pending} for t in topic_scores(attempt.slots)]
    else:
        hidden += ["score", "max", "percent", "passed", *(["topics"] if topics else [])]
    if staff or (review.get("band") and not later):
        band = test_service.band_for(test, attempt.percent) if attempt.band else None
        out["band"] = test_service.band_label(band, language) if band else attempt.band
    else:
        hidden.append("band")
    if staff or (review.get("answers") and not later):
        out["answers"] = [_slot_review(s) for s in attempt.slots]
    else:
        hidden.append("answers")
    if hidden:
        out["hidden"] = hidden
        if later:
            last = latest_close(test)
            out["shown_after"] = last.isoformat() if last else "the test closes"
    return out


@dataclass(frozen=True)
class Moment:
    """One step of an attempt as the server recorded it (the review's timeline)."""

    at: datetime
    #: started, answered, time_up, finished
    kind: str
    #: the question's number (answered), or how the attempt ended (finished: the grading's reason)
    detail: object = None


def timeline(attempt: Attempt) -> list[Moment]:
    """When the attempt started, when each answer was last saved, when its time was up and how
    it ended, in time order: what settles "my answer was lost" or "the time ran short". Only
    the last save of each question is kept, so an answer changed later shows its last time."""
    moments = [Moment(attempt.started_at, "started")]
    moments += [Moment(s.answered_at, "answered", s.slot) for s in attempt.slots if s.answered_at is not None]
    if attempt.deadline_at is not None and (attempt.finished_at is None or attempt.deadline_at <= attempt.finished_at):
        moments.append(Moment(attempt.deadline_at, "time_up"))  # still ahead, or reached before the end
    if attempt.finished_at is not None:
        graded = audit.entries_for(attempt, "attempt_graded")
        moments.append(Moment(attempt.finished_at, "finished", graded[0].details.get("reason") if graded else None))
    order = {"started": 0, "answered": 1, "time_up": 2, "finished": 3}
    return sorted(moments, key=lambda m: (m.at, order[m.kind], m.detail if m.kind == "answered" else 0))


@dataclass(frozen=True)
class TopicScore:
    """Points earned on one topic's questions of an attempt (graded questions only)."""

    topic: str
    module: int
    score: float
    max_score: float
    #: essays of this topic still waiting for their grade
    pending: int = 0

    @property
    def percent(self) -> float | None:
        return share_of([self])


def share_of(scores) -> float | None:
    """Several TopicScores together: their points as a percent of the points possible (a
    cohort's share on one topic)."""
    scores = list(scores)
    possible = sum(t.max_score for t in scores)
    return round(100 * sum(t.score for t in scores) / possible, 1) if possible else None


def topic_order(module: int, key: str) -> tuple:
    """Topics as the programme lists them: "1.2" before "1.10"."""
    return module, tuple(int(p) if p.isdigit() else 0 for p in key.split("."))


def topic_scores(slots, by: str = "topic") -> list[TopicScore]:
    """An attempt's points per topic (or per module, `by="module"`), in the programme's order;
    slots need their version's item loaded. What a diagnostic test is for: where a participant
    stands on each topic before the course."""
    acc: dict[tuple[int, str], list] = {}
    for s in slots:
        item = s.version.item
        key = (item.module_number, str(item.module_number) if by == "module" else item.topic_code)
        score, max_score, pending = acc.setdefault(key, [0.0, 0.0, 0])
        if s.score is None:
            acc[key][2] = pending + 1
        else:
            acc[key][0], acc[key][1] = score + s.score, max_score + s.max_score
    order = sorted(acc, key=lambda k: topic_order(*k))
    return [TopicScore(k[1], k[0], round(acc[k][0], 4), acc[k][1], acc[k][2]) for k in order]


def _slot_review(s: AttemptSlot) -> dict:
    qt = QUESTION_TYPES[s.version.qtype]
    return {"slot": s.slot, "score": s.score, "max": s.max_score,
            "feedback": s.feedback if qt.manual or s.overridden else qt.feedback(s.version.data or {}, s.answer),
            "overridden": s.overridden,
            "general_feedback": s.version.general_feedback}
