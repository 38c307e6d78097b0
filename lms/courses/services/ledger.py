"""The hour ledger: contact hours attended (minutes / 45, never more than a session's
planned minutes) and self-study hours accepted, against the plan, per topic and in total.

Everything is computed from a fixed set of bulk queries per cohort, so a dashboard of 200
participants and 60 sessions costs the same number of SQL statements as one of 5."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.courses.models import (
    ACADEMIC_HOUR_MINUTES, Attendance, Cohort, Enrolment, Module, Programme, SelfStudyTask, Submission,
    Topic, WebinarSession,
)
from lms.courses.services import cohorts as cohort_service
from lms.db import db, utcnow


@dataclass
class Unit:
    """A row of the ledger: a topic, or a whole variative module whose topics carry no hours."""

    key: str  # "t<topic id>" or "m<module id>"
    module: Module
    topic: Topic | None
    contact_planned: float
    self_planned: float
    topic_ids: tuple[int, ...]  # the topics whose sessions and tasks count here

    @property
    def code(self) -> str:
        return self.topic.code if self.topic else f"{self.module.number}"


@dataclass
class LedgerRow:
    unit: Unit
    attended: float = 0.0
    accepted: float = 0.0
    chosen: list[Topic] = field(default_factory=list)


@dataclass
class Ledger:
    enrolment: Enrolment
    rows: list[LedgerRow]

    @property
    def contact_planned(self) -> float:
        return sum(r.unit.contact_planned for r in self.rows)

    @property
    def attended(self) -> float:
        return sum(r.attended for r in self.rows)

    @property
    def self_planned(self) -> float:
        return sum(r.unit.self_planned for r in self.rows)

    @property
    def accepted(self) -> float:
        return sum(r.accepted for r in self.rows)

    @staticmethod
    def percent(done: float, planned: float) -> int:
        return 0 if not planned else min(100, round(100 * done / planned))

    @property
    def contact_percent(self) -> int:
        return self.percent(self.attended, self.contact_planned)

    @property
    def self_percent(self) -> int:
        return self.percent(self.accepted, self.self_planned)


def _hours(cells: dict, kinds, factor: float = 1.0) -> float:
    return float(sum(cells.get(k) or 0 for k in kinds)) * factor


def units(cohort: Cohort) -> tuple[list[Unit], dict[int, Topic]]:
    """The plan of the cohort's format as ledger rows, in programme order, and the
    programme's topics by id; a shorter run's hours scaled by its factor (a one-week full-time
    run plans each topic at half its hours)."""
    programme = db.session.scalar(select(Programme).where(Programme.id == cohort.programme_id).options(
        selectinload(Programme.modules), selectinload(Programme.topics)))
    fmt, contact, factor = cohort.format_code, cohort.contact_kinds, cohort.hours_factor
    by_module: dict[int, list[Topic]] = defaultdict(list)
    for t in programme.topics:
        if t.module_id is not None:
            by_module[t.module_id].append(t)
    out: list[Unit] = []
    for m in programme.modules:
        topics = by_module[m.id]
        with_hours = [t for t in topics if t.hours.get(fmt)]
        if with_hours:
            for t in with_hours:
                cells = t.hours[fmt]
                out.append(Unit(f"t{t.id}", m, t, _hours(cells, contact, factor),
                                _hours(cells, ("self_study",), factor), (t.id,)))
        elif m.hours.get(fmt):  # a variative module: its hours go to whichever topic is chosen
            cells = m.hours[fmt]
            out.append(Unit(f"m{m.id}", m, None, _hours(cells, contact, factor),
                            _hours(cells, ("self_study",), factor), tuple(t.id for t in topics)))
    return out, {t.id: t for t in programme.topics}


@dataclass
class CohortData:
    """The bulk-loaded facts of one cohort."""

    cohort: Cohort
    units: list[Unit]
    topics: dict[int, Topic]
    sessions: list[WebinarSession]
    attendance: dict[tuple[int, int], Attendance]  # (session id, enrolment id)
    tasks: list[SelfStudyTask]
    latest: dict[tuple[int, int], Submission]  # (task id, enrolment id) -> newest hand-in
    enrolments: list[Enrolment]


def load(cohort: Cohort, enrolments: list[Enrolment] | None = None) -> CohortData:
    if enrolments is None:
        enrolments = cohort_service.enrolments(cohort)
    sessions = list(db.session.scalars(select(WebinarSession).where(WebinarSession.cohort_id == cohort.id)
                                       .order_by(WebinarSession.starts_at, WebinarSession.id)))
    ids = [e.id for e in enrolments]
    attendance: dict = {}
    latest: dict = {}
    if ids:
        stmt = select(Attendance).join(WebinarSession).where(WebinarSession.cohort_id == cohort.id)
        if len(ids) < 500:
            stmt = stmt.where(Attendance.enrolment_id.in_(ids))
        attendance = {(a.session_id, a.enrolment_id): a for a in db.session.scalars(stmt)}
    tasks = list(db.session.scalars(select(SelfStudyTask).where(SelfStudyTask.cohort_id == cohort.id)
                                    .order_by(SelfStudyTask.sort_order, SelfStudyTask.id)))
    if ids and tasks:
        stmt = (select(Submission).join(SelfStudyTask).where(SelfStudyTask.cohort_id == cohort.id)
                .order_by(Submission.submitted_at, Submission.id))
        if len(ids) < 500:
            stmt = stmt.where(Submission.enrolment_id.in_(ids))
        for s in db.session.scalars(stmt):
            latest[(s.task_id, s.enrolment_id)] = s  # ordered, so the newest wins
    plan, topics = units(cohort)
    return CohortData(cohort, plan, topics, sessions, attendance, tasks, latest, enrolments)


def ledger_of(data: CohortData, enrolment: Enrolment) -> Ledger:
    unit_of_topic: dict[int, LedgerRow] = {}
    unit_of_module: dict[int, LedgerRow] = {}
    rows = []
    chosen = {c.topic_id for c in enrolment.choices}
    for unit in data.units:
        row = LedgerRow(unit)
        if unit.topic is None:
            unit_of_module[unit.module.id] = row
            row.chosen = [data.topics[tid] for tid in unit.topic_ids if tid in chosen]
        for tid in unit.topic_ids:
            unit_of_topic[tid] = row
        rows.append(row)
    for s in data.sessions:
        a = data.attendance.get((s.id, enrolment.id))
        if a is None or not credited_hours(a, s):
            continue
        row = unit_of_topic.get(s.topic_id) if s.topic_id else unit_of_module.get(s.module_id)
        if row is not None:
            row.attended += credited_hours(a, s)
    for task in data.tasks:
        sub = data.latest.get((task.id, enrolment.id))
        if sub is not None and sub.status == "accepted":
            row = unit_of_topic.get(task.topic_id)
            if row is not None:
                row.accepted += task.hours
    for row in rows:  # never more than the plan
        row.attended = round(min(row.attended, row.unit.contact_planned), 2)
        row.accepted = round(min(row.accepted, row.unit.self_planned), 2)
    return Ledger(enrolment, rows)


def credited_hours(a: Attendance, s: WebinarSession) -> float:
    """The academic hours a presence earns: none for a session that did not take place, at most
    the session's planned minutes."""
    return min(a.minutes or 0, s.minutes) / ACADEMIC_HOUR_MINUTES if s.status == "scheduled" else 0.0


def ledger_for(enrolment: Enrolment) -> Ledger:
    return ledger_of(load(enrolment.cohort, [enrolment]), enrolment)


def next_session(data: CohortData, now: datetime | None = None) -> WebinarSession | None:
    now = now or utcnow()
    return next((s for s in data.sessions if s.status == "scheduled" and s.ends_at > now), None)


def tasks_for(data: CohortData, enrolment: Enrolment) -> list[tuple[SelfStudyTask, Submission | None]]:
    """The participant's tasks with their newest hand-in. In a variative module only the
    chosen topic's tasks count (all are shown until a choice is made)."""
    chosen = {c.topic_id for c in enrolment.choices}
    variative = {tid for u in data.units if u.topic is None for tid in u.topic_ids}
    out = []
    for task in data.tasks:
        if task.topic_id in variative and chosen & variative and task.topic_id not in chosen:
            continue
        out.append((task, data.latest.get((task.id, enrolment.id))))
    return out


@dataclass
class ParticipantDashboard:
    ledger: Ledger
    next_session: WebinarSession | None
    tasks_due: list[tuple[SelfStudyTask, Submission | None]]
    tasks: list[tuple[SelfStudyTask, Submission | None]]
    variative: list[Unit]


def participant_dashboard(enrolment: Enrolment) -> ParticipantDashboard:
    data = load(enrolment.cohort, [enrolment])
    tasks = tasks_for(data, enrolment)
    due = [(t, s) for t, s in tasks if s is None or s.status == "returned"]
    due.sort(key=lambda ts: (ts[0].due_date is None, ts[0].due_date or enrolment.cohort.end_date))
    return ParticipantDashboard(ledger_of(data, enrolment), next_session(data), due, tasks,
                                [u for u in data.units if u.topic is None and u.module.choose])


@dataclass
class CohortDashboard:
    data: CohortData
    ledgers: dict[int, Ledger]
    review_queue: list[Submission]
    behind: list[tuple[Enrolment, float, float]]  # (enrolment, attended, expected by now)
    next_session: WebinarSession | None
    held_hours: float

    @property
    def sessions(self):
        return self.data.sessions

    @property
    def enrolments(self):
        return self.data.enrolments


def cohort_dashboard(cohort: Cohort, now: datetime | None = None) -> CohortDashboard:
    now = now or utcnow()
    data = load(cohort)
    ledgers = {e.id: ledger_of(data, e) for e in data.enrolments}
    queue = sorted((s for s in data.latest.values() if s.status == "submitted"), key=lambda s: s.submitted_at)
    held = sum(s.academic_hours for s in data.sessions if s.status == "scheduled" and s.ends_at <= now)
    behind = []
    for e in data.enrolments:
        attended = ledgers[e.id].attended
        if held and attended < 0.75 * held:
            behind.append((e, attended, held))
    behind.sort(key=lambda t: t[1])
    return CohortDashboard(data, ledgers, queue, behind, next_session(data, now), held)


def export_rows(cohort: Cohort) -> tuple[list[str], list[list]]:
    """The cohort ledger, one row per participant and topic plus a total row each."""
    data = load(cohort)
    header = ["participant", "email", "school", "module", "topic", "contact_planned_h", "contact_attended_h",
              "self_study_planned_h", "self_study_accepted_h"]
    rows = []
    for e in data.enrolments:
        ledger = ledger_of(data, e)
        school = e.user.school.name_kk if e.user.school else ""
        for r in ledger.rows:
            rows.append([e.user.full_name, e.user.email, school, r.unit.module.number, r.unit.code,
                         r.unit.contact_planned, r.attended, r.unit.self_planned, r.accepted])
        rows.append([e.user.full_name, e.user.email, school, "", "TOTAL", ledger.contact_planned, ledger.attended,
                     ledger.self_planned, ledger.accepted])
    return header, rows
