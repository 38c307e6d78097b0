"""Marks on formative work. Seed 000's full-time grading scale gives practical work on formative
tasks 20 of the 100 points, so a task may be marked out of its `max_points` (a task without one
gives feedback only, as before). The trainer marks a hand-in when accepting or returning it, or
corrects the mark afterwards; every change is in the audit log.

A participant's mark on a task is that of their newest marked hand-in, so a new version waiting
for review keeps the earlier mark until it is marked itself (Moodle's gradebook takes the latest
graded attempt). The gradebook's `tasks` source adds them up (`cohort_marks`)."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.core.services import audit
from lms.core.services.errors import Conflict, ServiceError
from lms.courses.models import Cohort, Enrolment, SelfStudyTask, Submission
from lms.courses.services import ledger
from lms.db import db

#: the most a task may be marked out of
MAX_TASK_POINTS = 100
#: review() without a mark leaves the hand-in's mark as it is
KEEP = object()


def typed_number(value) -> float | None:
    """A mark as typed ("7,5" too), None for nothing; ValueError or TypeError for anything that
    is not a number (NaN passes: the caller's range check refuses it). The gradebook's hand-given
    marks read the same way."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return float(str(value).strip().replace(",", ".")) if isinstance(value, str) else float(value)


def check_max(value) -> float | None:
    """A task's `max_points` as given on its form: empty for a task without marks."""
    try:
        number = typed_number(value)
    except (TypeError, ValueError):
        raise ServiceError(_l("the maximum mark must be a number"), field="max_points") from None
    if number is not None and not 0 < number <= MAX_TASK_POINTS:
        raise ServiceError(_l("the maximum mark must be more than 0 and at most %(most)s, or empty for a task"
                              " without marks", most=MAX_TASK_POINTS), field="max_points")
    return None if number is None else round(number, 2)


def check_points(task: SelfStudyTask, value) -> float | None:
    """A mark for a hand-in of `task`, from 0 to the task's maximum; None for no mark."""
    try:
        points = typed_number(value)
    except (TypeError, ValueError):
        raise ServiceError(_l("the mark must be a number"), field="points") from None
    if points is None:
        return None
    if task.max_points is None:
        raise ServiceError(_l("this task is not marked: give it a maximum mark first"), field="points")
    if not 0 <= points <= task.max_points:
        raise ServiceError(_l("the mark must be from 0 to %(max)s (got %(value)s)", max=f"{task.max_points:g}",
                              value=f"{points:g}"), field="points")
    return round(points, 2)


def set_points(submission: Submission, points: float | None, actor) -> bool:
    """Write a checked mark on a hand-in (None clears it); audited with the old and new mark.
    Returns whether it changed."""
    old = submission.points
    if old == points:
        return False
    submission.points = points
    db.session.flush()
    audit.record(actor, "selfstudy_marked", submission, f"{submission.task.title}: {old} -> {points}",
                 old=old, new=points, of=submission.task.max_points, enrolment_id=submission.enrolment_id)
    return True


def mark(submission: Submission, value, actor, newest: Submission | None) -> Submission:
    """Correct the mark of a reviewed hand-in (the newest one: `newest` is the participant's
    newest hand-in of the task, as selfstudy.newest gives it)."""
    if newest is None or newest.id != submission.id:
        raise Conflict(_l("a newer hand-in exists; mark that one instead"))
    if submission.status == "submitted":
        raise Conflict(_l("review the hand-in first: accept it or return it, with its mark"))
    points = check_points(submission.task, value)
    set_points(submission, points, actor)
    return submission


@dataclass(frozen=True)
class TaskMarks:
    """One participant's marks on the cohort's marked tasks: `points` out of `of`, over the
    `counted` tasks that apply to them, `marked` of which carry a mark."""

    points: float
    of: float
    marked: int
    counted: int


def cohort_marks(cohort: Cohort, enrolments: list[Enrolment],
                 data: ledger.CohortData | None = None) -> dict[int, TaskMarks]:
    """enrolment id -> TaskMarks, for every enrolment given. The tasks that count are the
    cohort's marked tasks (those with a maximum) that apply to the participant: in a variative
    module, those of the topic they chose, or, before they choose, only those they were marked
    on. A task not marked yet counts 0 out of its maximum, so the sum is what the gradebook
    will hold when the course ends. `data`: the cohort's ledger, where the caller has it loaded.
    Two statements and the plan's, whatever the cohort's size; one with `data`."""
    if data is not None:
        tasks = [t for t in data.tasks if t.max_points is not None]
    else:
        tasks = list(db.session.scalars(select(SelfStudyTask).where(SelfStudyTask.cohort_id == cohort.id,
                                                                     SelfStudyTask.max_points.is_not(None))))
    if not tasks or not enrolments:
        return {e.id: TaskMarks(0.0, 0.0, 0, 0) for e in enrolments}
    units = data.units if data is not None else ledger.units(cohort)[0]
    variative = {tid for u in units if u.topic is None for tid in u.topic_ids}
    stmt = (select(Submission.task_id, Submission.enrolment_id, Submission.points)
            .where(Submission.task_id.in_([t.id for t in tasks]), Submission.points.is_not(None))
            .order_by(Submission.submitted_at, Submission.id))
    ids = [e.id for e in enrolments]
    if len(ids) < 500:  # as the ledger does: a long IN list costs more than it saves
        stmt = stmt.where(Submission.enrolment_id.in_(ids))
    given = {(task_id, eid): points for task_id, eid, points in db.session.execute(stmt)}  # the newest wins
    out = {}
    for e in enrolments:
        chosen = {c.topic_id for c in e.choices} & variative
        points = of = 0.0
        marked = counted = 0
        for task in tasks:
            mine = given.get((task.id, e.id))
            if task.topic_id in variative and task.topic_id not in chosen and (chosen or mine is None):
                continue
            counted += 1
            of += task.max_points
            if mine is not None:
                marked += 1
                points += mine
        out[e.id] = TaskMarks(round(points, 2), round(of, 2), marked, counted)
    return out
