"""The gradebook of a cohort: every component of the programme's scheme
(content/certification/<PROGRAMME>.yaml) with its weight, per participant, and the total.

Each component says where its points come from:
  attendance    contact hours attended / contact hours planned (the hour ledger) x weight
  manual        the mark staff gave / the component's max x weight
  tasks         the marks on the cohort's marked self-study tasks / their maximums x weight
                (a task not marked yet counts 0: courses' marks.cohort_marks)
  defense       the decided defense's points / the rubric's max x weight
  final_test    the best finished final-test percent / 100 x weight
  module_tests  the mean over the cohort's module tests of the best percent in each
                (a module not taken counts 0) / 100 x weight
  portfolio     handed in or not x weight
A component with nothing to count yet gives 0 points. The whole cohort is read in a fixed
number of statements, whatever its size."""
from __future__ import annotations

from dataclasses import dataclass, replace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.core.services import audit
from lms.core.services.errors import NotFound, ServiceError, about, joined
from lms.courses.models import Cohort, Enrolment
from lms.courses.services import cohorts as cohort_service
from lms.courses.services import ledger, marks as task_marks
from lms.db import db, utcnow
from lms.portfolio.models import GradebookMark
from lms.portfolio.services import artefacts
from lms.portfolio.services.defenses import defense_results
from lms.portfolio.services.schemes import Component, Scheme, scheme_of
from lms.quizbank.services.attempts import score_shown
from lms.quizbank.services.results import best_results
from lms.quizbank.services.tests import tests_of

MAX_NOTE = 2000
#: why a cell counts nothing yet
PENDING = ("no_mark", "no_defense", "not_released", "no_attempt", "no_sessions", "no_tasks")


@dataclass(frozen=True)
class Cell:
    """One component of one participant: `raw` out of `of` (hours, points, percent, 1 for a
    yes), the share of the weight it earns, and the weighted points."""

    raw: float | None
    of: float | None
    fraction: float | None
    points: float
    #: why nothing counts yet: one of PENDING
    pending: str | None = None
    #: how many of the items counted carry a result (marked tasks: 3 of 5)
    count: tuple[int, int] | None = None


@dataclass
class Row:
    enrolment: Enrolment
    cells: dict[str, Cell]

    @property
    def total(self) -> float:
        return round(sum(c.points for c in self.cells.values()), 2)


@dataclass
class Gradebook:
    cohort: Cohort
    scheme: Scheme
    rows: list[Row]

    @property
    def components(self) -> tuple[Component, ...]:
        return self.scheme.components

    @property
    def max_total(self) -> float:
        return sum(c.weight for c in self.components)


def _cell(raw, of, weight: float, pending: str | None = None) -> Cell:
    if raw is None or not of:
        return Cell(raw, of, None, 0.0, pending)
    fraction = max(0.0, min(1.0, raw / of))
    return Cell(round(raw, 2), of, fraction, round(fraction * weight, 2))


def gradebook(cohort: Cohort, enrolments: list[Enrolment] | None = None, *, released_only: bool = False) -> Gradebook:
    """The cohort's gradebook (all active participants, or just `enrolments`). With
    `released_only` (a participant's own view) a defense counts only once its grade is released,
    and a test's result only where its review options show the score (else "not_released")."""
    scheme = scheme_of(cohort)
    if enrolments is None:
        enrolments = cohort_service.enrolments(cohort)
    sources = {c.source for c in scheme.components}
    ids = [e.id for e in enrolments]

    hours: dict[int, tuple[float, float]] = {}
    data = None
    if "attendance" in sources and enrolments:
        data = ledger.load(cohort, enrolments)
        for e in enrolments:
            book = ledger.ledger_of(data, e)
            hours[e.id] = (book.attended, book.contact_planned)
    marks: dict[tuple[int, str], GradebookMark] = {}
    if "manual" in sources and ids:
        stmt = (select(GradebookMark).join(Enrolment, Enrolment.id == GradebookMark.enrolment_id)
                .where(Enrolment.cohort_id == cohort.id))
        if len(ids) < 500:  # as the ledger does: a long IN list costs more than it saves
            stmt = stmt.where(GradebookMark.enrolment_id.in_(ids))
        marks = {(m.enrolment_id, m.component): m for m in db.session.scalars(stmt)}
    tasked = task_marks.cohort_marks(cohort, enrolments, data) if "tasks" in sources else {}
    defenses = defense_results(cohort.id) if "defense" in sources else {}
    finals, modules, module_numbers, withheld, tests = {}, {}, [], set(), []
    if "module_tests" in sources or (released_only and "final_test" in sources):
        tests = tests_of(cohort)
    if released_only:  # a participant's own view shows a test's score only where its review options do
        withheld = {t.id for t in tests if not score_shown(t)}
    if "final_test" in sources:
        finals = best_results(cohort.id, "final")
    if "module_tests" in sources:
        modules = best_results(cohort.id, "module")
        module_numbers = sorted({t.module_number for t in tests if t.kind == "module" and t.module_number is not None})
    handed_in = artefacts.submitted_enrolments(cohort.id) if "portfolio" in sources else set()

    rows = []
    for e in enrolments:
        cells: dict[str, Cell] = {}
        for c in scheme.components:
            if c.source == "attendance":
                attended, planned = hours.get(e.id, (0.0, 0.0))
                cells[c.code] = _cell(attended, planned, c.weight, None if planned else "no_sessions")
            elif c.source == "manual":
                mark = marks.get((e.id, c.code))
                cells[c.code] = _cell(mark.points if mark else None, c.max, c.weight, None if mark else "no_mark")
            elif c.source == "tasks":
                mine = tasked.get(e.id)
                if mine is None or not mine.counted:
                    cells[c.code] = Cell(None, None, None, 0.0, "no_tasks")
                elif not mine.marked:
                    cells[c.code] = Cell(None, mine.of, None, 0.0, "no_mark", (0, mine.counted))
                else:
                    cells[c.code] = replace(_cell(mine.points, mine.of, c.weight), count=(mine.marked, mine.counted))
            elif c.source == "defense":
                result = defenses.get(e.id)
                if result is None:
                    cells[c.code] = Cell(None, None, None, 0.0, "no_defense")
                elif released_only and not result.released:
                    cells[c.code] = Cell(None, result.max_points, None, 0.0, "not_released")
                else:
                    cells[c.code] = _cell(result.points, result.max_points, c.weight)
            elif c.source == "final_test":
                mine = finals.get(e.id, {})
                best = max((r.percent for r in mine.values()), default=None)
                if any(r.test_id in withheld for r in mine.values()):
                    cells[c.code] = Cell(None, 100.0, None, 0.0, "not_released")
                else:
                    cells[c.code] = _cell(best, 100.0, c.weight, None if best is not None else "no_attempt")
            elif c.source == "module_tests":
                mine = modules.get(e.id, {})
                if any(r.test_id in withheld for r in mine.values()):
                    cells[c.code] = Cell(None, 100.0, None, 0.0, "not_released")
                elif module_numbers:
                    mean = sum(mine[n].percent if n in mine else 0.0 for n in module_numbers) / len(module_numbers)
                    cells[c.code] = _cell(mean, 100.0, c.weight)
                else:
                    cells[c.code] = Cell(None, 100.0, None, 0.0, "no_attempt")
            elif c.source == "portfolio":
                cells[c.code] = _cell(1.0 if e.id in handed_in else 0.0, 1.0, c.weight)
        rows.append(Row(e, cells))
    return Gradebook(cohort, scheme, rows)


# --- marks ----------------------------------------------------------------------------------

def _manual(scheme: Scheme, code: str) -> Component:
    component = scheme.component(code)
    if component.source != "manual":
        raise ServiceError(_l("%(component)s is computed (%(source)s); it takes no mark", component=component.code,
                              source=component.source), field="points")
    return component


def _points(value, component: Component, who: str) -> float | None:
    try:
        points = task_marks.typed_number(value)
    except (TypeError, ValueError):
        raise ServiceError(about(f"{who}, {component.code}", _l("%(value)s is not a number", value=repr(value))),
                           field="points") from None
    if points is None:
        return None
    if points != points or not 0 <= points <= component.max:
        raise ServiceError(about(f"{who}, {component.code}", _l("the mark must be from 0 to %(max)s (got %(value)s)",
                                                             max=f"{component.max:g}", value=value)), field="points")
    return round(points, 2)


def set_marks(cohort: Cohort, marks: dict[tuple[int, str], object], actor, note: str | None = None) -> int:
    """Set hand-given marks {(enrolment id, component code): points, or None/"" to clear}.
    All or nothing: every value is checked first and every refusal is named. Only changed
    marks are written, each in the audit log with its old and new value. Returns how many
    changed."""
    scheme = scheme_of(cohort)
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE:
        raise ServiceError(_l("the note is longer than %(count)s characters", count=MAX_NOTE), field="note")
    ids = {eid for eid, _code in marks}
    enrolments = {e.id: e for e in db.session.scalars(
        select(Enrolment).where(Enrolment.id.in_(ids), Enrolment.cohort_id == cohort.id)
        .options(selectinload(Enrolment.user)))} if ids else {}
    existing = {(m.enrolment_id, m.component): m for m in db.session.scalars(
        select(GradebookMark).where(GradebookMark.enrolment_id.in_(list(enrolments))))} if enrolments else {}
    problems: list[str] = []
    wanted: dict[tuple[int, str], float | None] = {}
    for (eid, code), value in marks.items():
        enrolment = enrolments.get(eid)
        if enrolment is None:
            raise NotFound(_l("no participant %(id)s in cohort %(cohort)s", id=eid, cohort=cohort.code))
        who = enrolment.user.full_name or enrolment.user.email
        try:
            component = _manual(scheme, code)
            wanted[(eid, code)] = _points(value, component, who)
        except NotFound as exc:
            raise ServiceError(exc.problems[0][1], field="points") from None
        except ServiceError as exc:
            problems.extend(message for _field, message in exc.problems)
    if problems:
        raise ServiceError(joined(problems), field="points")
    changed = 0
    now = utcnow()
    for (eid, code), points in wanted.items():
        mark = existing.get((eid, code))
        old = mark.points if mark else None
        if old == points:
            continue
        if points is None:
            db.session.delete(mark)
        elif mark is None:
            db.session.add(GradebookMark(enrolment_id=eid, component=code, points=points, note=note,
                                         marked_by_id=getattr(actor, "id", None), marked_at=now))
        else:
            mark.points, mark.note, mark.marked_by_id, mark.marked_at = points, note, getattr(actor, "id", None), now
        audit.record(actor, "gradebook_mark_set", ("Enrolment", eid), f"{cohort.code} {code}: {old} -> {points}",
                     component=code, old=old, new=points)
        changed += 1
    db.session.flush()
    return changed
