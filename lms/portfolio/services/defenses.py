"""Defense sessions, panels, time slots, blind scoring by each assessor, aggregation, the
chair's reconciliation and the release of grades.

(The rest of this module is being written; `defense_results` is the interface the gradebook
and certificates read.)"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from lms.courses.models import Enrolment
from lms.db import db
from lms.portfolio.models import Defense, DefenseSession


@dataclass(frozen=True)
class DefenseResult:
    points: float
    max_points: float
    grade: str | None
    passed: bool
    released: bool
    defense_id: int


def defense_results(cohort_id: int) -> dict[int, DefenseResult]:
    """{enrolment id: the decided result of the defense it took part in (its own, or its
    mini-group's)}; defenses not yet decided are left out. Two statements."""
    defenses = list(db.session.execute(
        select(Defense, DefenseSession.rubric_id)
        .join(DefenseSession, DefenseSession.id == Defense.session_id)
        .where(DefenseSession.cohort_id == cohort_id, Defense.status.in_(("decided", "released")),
               Defense.points.is_not(None))).tuples())
    if not defenses:
        return {}
    from lms.portfolio.models import Rubric

    maxima = dict(db.session.execute(select(Rubric.id, Rubric.max_points).where(
        Rubric.id.in_({rubric_id for _d, rubric_id in defenses}))).tuples().all())
    groups = {}
    for enrolment_id, group in db.session.execute(
            select(Enrolment.id, Enrolment.mini_group).where(Enrolment.cohort_id == cohort_id)):
        groups.setdefault(group, []).append(enrolment_id)
    out: dict[int, DefenseResult] = {}
    for defense, rubric_id in sorted(defenses, key=lambda row: row[0].decided_at or row[0].id):
        result = DefenseResult(float(defense.points), float(maxima.get(rubric_id) or 0), defense.grade,
                               bool(defense.passed), defense.released_at is not None, defense.id)
        members = [defense.enrolment_id] if defense.enrolment_id else groups.get(defense.mini_group, [])
        for enrolment_id in members:
            out[enrolment_id] = result  # a later decision (a re-defense) replaces an earlier one
    return out
