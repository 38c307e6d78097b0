"""The report on courses held (seed 001, action 20: «Report on courses held»; DESIGN §1: the
methodologist exports reports): the cohorts that ended in a period, each with the people it
enrolled, those who withdrew, completed and, through the plugins' measures, were certified,
the sessions it held, and totals per programme and per region of the participants' schools.

A fixed number of aggregate statements, however many cohorts: the cohorts, the enrolments'
counts per cohort and per region, one pair per plugin measure, the sessions."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import selectinload

from lms.core.models import District, Region, School, User
from lms.core.services import clock
from lms.courses.models import Cohort, Enrolment, Programme, WebinarSession
from lms.db import db

#: the counts of every row, before the plugins' measures
BASE_KEYS = ("participants", "completed", "withdrawn")


@dataclass(frozen=True)
class Measure:
    """A count a plugin adds per enrolment (portfolio: certified). `enrolments(ids)` narrows a
    SELECT of enrolment ids to those it counts, so the report never reads the plugin's tables."""

    key: str
    label: object
    enrolments: Callable[[Select], Select]


def register(app, measure: Measure) -> None:
    """A plugin's set-up adds its measure to this app's report (again: replaced)."""
    app.extensions.setdefault("courses.report_measures", {})[measure.key] = measure


def measures() -> dict[str, Measure]:
    return current_app.extensions.get("courses.report_measures", {})


@dataclass
class Scope:
    """Cohorts whose end date falls within [start, end]; narrowed to a programme and to the
    participants whose school lies in a region. Cancelled cohorts only when asked."""

    start: date
    end: date
    programme: str | None = None
    region_id: int | None = None
    include_cancelled: bool = False

    @classmethod
    def this_year(cls, today: date | None = None) -> "Scope":
        today = today or clock.today()
        return cls(date(today.year, 1, 1), date(today.year, 12, 31))


@dataclass
class CohortRow:
    cohort: Cohort
    counts: dict[str, int]
    sessions_held: int = 0
    hours_held: float = 0.0


@dataclass
class Report:
    scope: Scope
    keys: tuple[str, ...]
    cohorts: list[CohortRow] = field(default_factory=list)
    #: programme code -> counts (with "cohorts")
    programmes: dict[str, dict[str, int]] = field(default_factory=dict)
    #: (Region or None for no school given, counts), by region name
    regions: list[tuple[Region | None, dict[str, int]]] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)


def _zero(keys) -> dict[str, int]:
    return dict.fromkeys(keys, 0)


def build(scope: Scope) -> Report:
    keys = BASE_KEYS + tuple(measures())
    report = Report(scope, keys, totals=_zero(keys))
    cohorts_q = (select(Cohort.id).join(Programme, Programme.id == Cohort.programme_id)
                 .where(Cohort.end_date >= scope.start, Cohort.end_date <= scope.end))
    if not scope.include_cancelled:
        cohorts_q = cohorts_q.where(Cohort.status != "cancelled")
    if scope.programme:
        cohorts_q = cohorts_q.where(Programme.code == scope.programme)
    # the enrolments counted: of those cohorts, and of the region's schools when one is chosen
    enrolments_q = select(Enrolment.id).where(Enrolment.cohort_id.in_(cohorts_q))
    if scope.region_id:
        enrolments_q = (enrolments_q.join(User, User.id == Enrolment.user_id)
                        .join(School, School.id == User.school_id).join(District, District.id == School.district_id)
                        .where(District.region_id == scope.region_id))
    counts = _counts(select(Enrolment.cohort_id), Enrolment.cohort_id, enrolments_q, keys)
    ids = list(counts) if scope.region_id else list(db.session.scalars(cohorts_q))
    cohorts = db.session.scalars(select(Cohort).where(Cohort.id.in_(ids)).options(selectinload(Cohort.programme))
                                 .order_by(Cohort.end_date, Cohort.code)).all()
    held = {cid: (n, hours) for cid, n, hours in db.session.execute(
        select(WebinarSession.cohort_id, func.count(), func.coalesce(func.sum(WebinarSession.academic_hours), 0))
        .where(WebinarSession.cohort_id.in_(ids), WebinarSession.status != "cancelled",
               WebinarSession.starts_at <= clock.now())
        .group_by(WebinarSession.cohort_id))}
    for cohort in cohorts:
        row = CohortRow(cohort, counts.get(cohort.id) or _zero(keys), *held.get(cohort.id, (0, 0.0)))
        report.cohorts.append(row)
        per_programme = report.programmes.setdefault(cohort.programme.code, {"cohorts": 0, **_zero(keys)})
        per_programme["cohorts"] += 1
        for key in keys:
            per_programme[key] += row.counts[key]
            report.totals[key] += row.counts[key]
    report.totals["cohorts"] = len(cohorts)
    by_region = _counts(select(District.region_id).select_from(Enrolment).join(User, User.id == Enrolment.user_id)
                        .outerjoin(School, School.id == User.school_id)
                        .outerjoin(District, District.id == School.district_id), District.region_id, enrolments_q, keys)
    regions = {r.id: r for r in db.session.scalars(select(Region).where(Region.id.in_(
        [k for k in by_region if k is not None])))}
    report.regions = sorted(((regions.get(k) if k is not None else None, v) for k, v in by_region.items()),
                            key=lambda pair: (pair[0] is None, pair[0].name_kk if pair[0] else ""))
    return report


def _counts(group_select: Select, group_by, enrolments_q: Select, keys) -> dict:
    """{group: {key: n}} over the enrolments of `enrolments_q`: the enrolments' own statuses
    in one statement, then one statement per plugin measure."""
    status = Enrolment.status
    out: dict = {}
    stmt = group_select.add_columns(
        func.sum(case((status != "withdrawn", 1), else_=0)), func.sum(case((status == "completed", 1), else_=0)),
        func.sum(case((status == "withdrawn", 1), else_=0)),
    ).where(Enrolment.id.in_(enrolments_q)).group_by(group_by)
    for group, participants, completed, withdrawn in db.session.execute(stmt):
        out[group] = {**_zero(keys), "participants": int(participants or 0), "completed": int(completed or 0),
                      "withdrawn": int(withdrawn or 0)}
    for key, measure in measures().items():
        stmt = group_select.add_columns(func.count()).where(
            Enrolment.id.in_(measure.enrolments(enrolments_q))).group_by(group_by)
        for group, n in db.session.execute(stmt):
            out.setdefault(group, _zero(keys))[key] = int(n)
    return out


def rows(report: Report, labels: dict[str, str], format_names: dict[str, str]) -> tuple[list[str], list[list]]:
    """The cohorts' rows and the total, for CSV and XLSX (labels: the column words)."""
    header = [labels["cohort"], labels["programme"], labels["format"], labels["start"], labels["end"],
              labels["status"], *(labels[k] for k in report.keys), labels["sessions_held"], labels["hours_held"]]
    out = []
    for r in report.cohorts:
        c = r.cohort
        out.append([c.code, f"{c.programme.code} v{c.programme.version}",
                    format_names.get(c.format_code, c.format_code) + (f" × {c.hours_factor:g}" if c.short_run else ""),
                    c.start_date.isoformat(), c.end_date.isoformat(), labels.get(c.status, c.status),
                    *(r.counts[k] for k in report.keys), r.sessions_held, round(float(r.hours_held), 2)])
    out.append([labels["total"], "", "", "", "", "", *(report.totals[k] for k in report.keys), "", ""])
    return header, out
