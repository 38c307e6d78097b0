"""The curator dashboard: one row per graduate's support plan, twelve month cells, each in a
state, over every cohort the user may see.

The state rule is written once (`FLAGS` and `RULE`) and evaluated both in Python, for the
cells, and in SQL, for the state filter and the tallies, so the two never disagree. For a
span of days (a plan month [start, end), or the whole plan) as of today, cancelled
activities ignored, the first line that holds gives the state:

- **overdue**: an activity due in the span, or earlier and still open, is not done and its
  due date has passed, and the span has begun (an old debt marks every month up to now);
- **due soon**: an activity due in the span within the next 14 days (today included) is not done;
- **done**: there are activities due in the span and every one is done;
- **on track**: otherwise, when the span has begun or has activities planned;
- **empty**: a future month with nothing due.

A graduate's own state (the State column, the filter, the tallies) is the rule over the
whole plan as of today.

Cost: a fixed number of statements whatever the number of graduates: the cohorts and
places for the filters, one for the tallies per state, one for the page's rows (50) and
one for those rows' activities. In SQL each flag is an EXISTS probe of the index
(plan_id, status, due_on), so a plan costs a few index seeks, not a scan of its activities."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Callable, NamedTuple

from sqlalchemy import Select, case, false, func, not_, or_, select, true

from lms.core.models import District, Region, School, User
from lms.core.pagination import Page, page_within
from lms.core.permissions import registry
from lms.core.services import clock
from lms.core.services.errors import ServiceError
from lms.courses.models import Cohort, Enrolment, Programme
from lms.db import db
from lms.postcourse.models import PlanActivity, SupportPlan
from lms.postcourse.services import plans as plan_service

PER_PAGE = 50
MONTHS = 12
SOON_DAYS = plan_service.DUE_SOON_DAYS  # one rule for the grid, the plan page and reminders
CAPABILITY = "postcourse:view_cohort"

#: the states in the rule's order, then "empty"
STATES = ("overdue", "due_soon", "done", "on_track", "empty")
#: seed 004's stage months, for a plan whose support model is no longer shipped
DEFAULT_STAGE_MONTHS = {"organisational": (1, 1), "implementation": (2, 9), "reflection": (10, 12)}


# --- the rule --------------------------------------------------------------------------------------

class Span(NamedTuple):
    """Where the rule looks: due dates in [start, end), as of `today`; `started` says whether
    the span has begun (a bool, or an SQL expression)."""

    start: date
    end: date
    today: date
    started: Any

    @property
    def soon_until(self) -> date:
        return self.today + timedelta(days=SOON_DAYS)


def _not(x):
    return (not x) if isinstance(x, bool) else not_(x)


#: what the rule asks of a span: is there an activity that ...? `a` is an activity row
#: (Python) or PlanActivity (SQL); `&` and `|` work on both
FLAGS: dict[str, Callable[[Any, Span], Any]] = {
    "overdue": lambda a, s: (a.status == "planned") & (a.due_on < s.today) & (a.due_on < s.end),
    "soon": lambda a, s: ((a.status == "planned") & (a.due_on >= s.today) & (a.due_on <= s.soon_until)
                          & (a.due_on >= s.start) & (a.due_on < s.end)),
    "done": lambda a, s: (a.status == "done") & (a.due_on >= s.start) & (a.due_on < s.end),
    "open": lambda a, s: (a.status == "planned") & (a.due_on >= s.start) & (a.due_on < s.end),
    "any": lambda a, s: (a.status != "cancelled") & (a.due_on >= s.start) & (a.due_on < s.end),
}

#: (state, condition over the flags), the first that holds wins; else "empty"
RULE: list[tuple[str, Callable[[dict, Span], Any]]] = [
    ("overdue", lambda f, s: f["overdue"] & s.started),
    ("due_soon", lambda f, s: f["soon"]),
    ("done", lambda f, s: f["done"] & _not(f["open"])),
    ("on_track", lambda f, s: s.started | f["any"]),
]


class _Flags(dict):
    """The flags of a span, each worked out when the rule first asks for it."""

    def __init__(self, activities, span: Span):
        super().__init__()
        self.activities, self.span = activities, span

    def __missing__(self, name: str) -> bool:
        pred = FLAGS[name]
        value = self[name] = any(pred(a, self.span) for a in self.activities)
        return value


def state_of(activities, span: Span) -> str:
    """The rule in Python, over activity rows (anything with due_on and status)."""
    flags = _Flags(activities, span)
    return next((state for state, holds in RULE if holds(flags, span)), "empty")


def _state_sql(today: date):
    """The rule in SQL for each SupportPlan row of the query: its state over the whole plan."""
    span = Span(date.min, date.max, today, SupportPlan.starts_on <= today)
    flags = {name: select(PlanActivity.id).where(PlanActivity.plan_id == SupportPlan.id, pred(PlanActivity, span))
             .exists() for name, pred in FLAGS.items()}
    return case(*[(holds(flags, span), state) for state, holds in RULE], else_="empty")


def plan_span(starts_on: date, today: date) -> Span:
    """The whole plan as one span, for a graduate's own state."""
    return Span(date.min, date.max, today, starts_on <= today)


# --- stages -----------------------------------------------------------------------------

def stage_on(plan, today: date) -> str:
    """The stage a graduate is in today, by the plan month and the support model's stage
    months: a stage code, or "not_started" / "finished". `plan` has model_code, starts_on
    and ends_on (a SupportPlan or a row)."""
    if today < plan.starts_on:
        return "not_started"
    if today > plan.ends_on:
        return "finished"
    month = plan_service.plan_month(plan, today)
    try:
        ranges = {s.code: (s.first_month, s.last_month) for s in plan_service.model_of(plan).stages}
    except ServiceError:  # a plan of a model no longer shipped: seed 004's year
        ranges = DEFAULT_STAGE_MONTHS
    return next((code for code, (first, last) in ranges.items() if first <= month <= last), "finished")


# --- who sees what ---------------------------------------------------------------------------------

def visible_cohorts(user, capability: str = CAPABILITY):
    """An SQL condition on Cohort: the cohorts in which `user` holds `capability` (a role
    granting it system-wide, for the cohort's programme or in the cohort itself). Read from
    the user's role assignments, so no query per cohort."""
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    grants = registry().grants
    granting = {role for role, caps in grants.items() if capability in caps}
    if "user" in granting:
        return true()
    cohort_ids, programme_ids = set(), set()
    for ra in user.role_assignments:
        if ra.role not in granting:
            continue
        if ra.context_level == "system":
            return true()
        (cohort_ids if ra.context_level == "cohort" else programme_ids).add(ra.context_id)
    conditions = ([Cohort.id.in_(sorted(cohort_ids))] if cohort_ids else []) + (
        [Cohort.programme_id.in_(sorted(programme_ids))] if programme_ids else [])
    return or_(*conditions) if conditions else false()


# --- the grid --------------------------------------------------------------------------------------

@dataclass
class Filters:
    region_id: int | None = None
    district_id: int | None = None
    school_id: int | None = None
    programme: str | None = None
    cohort: str | None = None
    state: str | None = None


@dataclass
class Cell:
    month: int
    start: date
    end: date  # exclusive
    state: str
    total: int
    done: int
    current: bool


@dataclass
class Row:
    plan_id: int
    name: str
    school: dict
    district: dict
    region: dict
    cohort: str
    programme: str
    model_code: str
    starts_on: date
    ends_on: date
    stage: str
    state: str
    month: int
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Grid:
    page: Page  # items: list[Row]
    tallies: dict[str, int]  # state -> graduates (before the state filter)
    today: date
    filters: Filters


@dataclass
class Options:
    """What the filters offer."""

    cohorts: list[tuple[str, str]]  # (cohort code, programme code) the user may see, with plans
    programmes: list[str]
    places: list[dict]  # every district with its region
    schools: list[dict]  # the chosen district's schools


def plans_query(user, filters: Filters, cohort_id: int | None = None) -> Select:
    """SELECT plan id FROM the visible plans, filtered (no state filter): the plan, its
    enrolment, cohort, programme, graduate and where their school is, joined, so callers
    can take other columns of the same join."""
    stmt = (select(SupportPlan.id)
            .join(Enrolment, Enrolment.id == SupportPlan.enrolment_id)
            .join(Cohort, Cohort.id == Enrolment.cohort_id)
            .join(Programme, Programme.id == Cohort.programme_id)
            .join(User, User.id == Enrolment.user_id)
            .outerjoin(School, School.id == User.school_id)
            .outerjoin(District, District.id == School.district_id)
            .outerjoin(Region, Region.id == District.region_id)
            .where(visible_cohorts(user)))
    if cohort_id is not None:
        stmt = stmt.where(Cohort.id == cohort_id)
    if filters.cohort:
        stmt = stmt.where(Cohort.code == filters.cohort)
    if filters.programme:
        stmt = stmt.where(Programme.code == filters.programme)
    if filters.school_id:
        stmt = stmt.where(User.school_id == filters.school_id)
    if filters.district_id:
        stmt = stmt.where(School.district_id == filters.district_id)
    if filters.region_id:
        stmt = stmt.where(District.region_id == filters.region_id)
    return stmt


ROW_COLUMNS = (SupportPlan.id, SupportPlan.model_code, SupportPlan.starts_on, SupportPlan.ends_on, User.full_name,
               School.name_kk.label("school_kk"), School.name_ru.label("school_ru"),
               District.name_kk.label("district_kk"), District.name_ru.label("district_ru"),
               Region.name_kk.label("region_kk"), Region.name_ru.label("region_ru"),
               Cohort.code.label("cohort"), Programme.code.label("programme"))


def grid(user, filters: Filters | None = None, page: int = 1, *, cohort_id: int | None = None,
         today: date | None = None, per_page: int = PER_PAGE) -> Grid:
    """The dashboard rows `user` may see, filtered, one page of them, with month cells."""
    filters = filters or Filters()
    today = today or clock.today()
    plans = plans_query(user, filters, cohort_id)
    state = _state_sql(today)

    per_state = plans.with_only_columns(state.label("state")).subquery("plan_states")
    tallies = dict.fromkeys(STATES, 0)
    for name, n in db.session.execute(select(per_state.c.state, func.count()).group_by(per_state.c.state)):
        tallies[name] = n
    total = tallies.get(filters.state, 0) if filters.state else sum(tallies.values())
    page = page_within(page, total, per_page)

    found = []
    if total:
        rows_stmt = plans.with_only_columns(*ROW_COLUMNS)
        if filters.state:
            rows_stmt = rows_stmt.where(state == filters.state)
        found = db.session.execute(rows_stmt.order_by(Cohort.code, User.sort_key, SupportPlan.id)
                                   .limit(per_page).offset((page - 1) * per_page)).all()
    by_plan = defaultdict(list)
    if found:
        for a in db.session.execute(select(PlanActivity.plan_id, PlanActivity.due_on, PlanActivity.status)
                                    .where(PlanActivity.plan_id.in_([r.id for r in found]))):
            by_plan[a.plan_id].append(a)
    rows = [_row(r, by_plan[r.id], today) for r in found]
    return Grid(Page(rows, page, per_page, total), tallies, today, filters)


def _row(r, activities: list, today: date) -> Row:
    month = plan_service.plan_month(r, today)
    cells = []
    bounds = [plan_service.month_start(r.starts_on, k) for k in range(1, MONTHS + 2)]
    for k in range(1, MONTHS + 1):
        start, end = bounds[k - 1], bounds[k]
        upto = [a for a in activities if a.due_on < end]  # later ones cannot count here
        within = [a for a in upto if a.due_on >= start and a.status != "cancelled"]
        cells.append(Cell(k, start, end, state_of(upto, Span(start, end, today, start <= today)), len(within),
                          sum(1 for a in within if a.status == "done"), k == month))
    return Row(plan_id=r.id, name=r.full_name, school={"kk": r.school_kk, "ru": r.school_ru},
               district={"kk": r.district_kk, "ru": r.district_ru}, region={"kk": r.region_kk, "ru": r.region_ru},
               cohort=r.cohort, programme=r.programme, model_code=r.model_code, starts_on=r.starts_on,
               ends_on=r.ends_on, stage=stage_on(r, today),
               state=state_of(activities, plan_span(r.starts_on, today)), month=month, cells=cells)


def options(user, district_id: int | None = None, cohort_id: int | None = None) -> Options:
    """What the filters offer: the visible cohorts that have plans (and their programmes),
    every district with its region, and the schools of `district_id`."""
    stmt = (select(Cohort.code, Programme.code).join(Programme, Programme.id == Cohort.programme_id)
            .where(visible_cohorts(user),
                   Cohort.id.in_(select(Enrolment.cohort_id).join(SupportPlan, SupportPlan.enrolment_id == Enrolment.id)))
            .order_by(Cohort.code))
    if cohort_id is not None:
        stmt = stmt.where(Cohort.id == cohort_id)
    cohorts = [(c, p) for c, p in db.session.execute(stmt)]
    programmes = sorted({p for _, p in cohorts})
    places = [{"district_id": d_id, "district": {"kk": d_kk, "ru": d_ru}, "region_id": r_id,
               "region": {"kk": r_kk, "ru": r_ru}}
              for d_id, d_kk, d_ru, r_id, r_kk, r_ru in db.session.execute(
                  select(District.id, District.name_kk, District.name_ru, Region.id, Region.name_kk, Region.name_ru)
                  .join(Region, Region.id == District.region_id).order_by(Region.name_kk, District.name_kk))]
    schools = []
    if district_id:
        schools = [{"id": s_id, "name": {"kk": kk, "ru": ru}} for s_id, kk, ru in db.session.execute(
            select(School.id, School.name_kk, School.name_ru).where(School.district_id == district_id)
            .order_by(School.name_kk))]
    return Options(cohorts, programmes, places, schools)
