"""The numbers of a cohort's support year, counted from the records in a fixed number of
statements: plans by status, activities per stage, consultations by channel, observations,
evidence (artefacts) by kind and level, events and attendance. The summary API returns it;
its plans, activities, consultations and evidence are counted by `reports.count`, the code
of the curator's report pages."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from lms.core.services import clock
from lms.courses.models import Cohort, Enrolment
from lms.db import db
from lms.postcourse.models import (
    CHANNELS, EVENT_KINDS, EVIDENCE_KINDS, EVIDENCE_LEVELS, OBSERVATION_KINDS, STAGES, EventAttendance, GroupEvent,
    Observation, SupportPlan,
)
from lms.postcourse.services import reports
from lms.postcourse.services.reports import AGREED


def _plan_ids(cohort: Cohort):
    return (select(SupportPlan.id).join(Enrolment, Enrolment.id == SupportPlan.enrolment_id)
            .where(Enrolment.cohort_id == cohort.id))


def summary(cohort: Cohort, today: date | None = None) -> dict:
    """{"cohort", "programme", "as_of", "graduates", "plans": {total, agreed, accepted, closed,
    by_status}, "activities": {stage: {planned, done, cancelled, overdue, total}}, "consultations":
    {total, group, by_channel}, "observations": {total, by_kind}, "evidence": {total, by_kind,
    by_level, by_kind_level}, "events": {total, by_kind, attended}}. Every key is present (zero
    when nothing happened), so a report can print its table without guessing. Plans,
    activities, consultations and evidence are counted by `reports.count`, as the pages' report."""
    today = today or clock.today(cohort.timezone or "Asia/Almaty")
    plan_ids = _plan_ids(cohort)
    counted = reports.count(plan_ids, reports.Scope(cohort=cohort.code), today)
    graduates = db.session.scalar(select(func.count()).select_from(Enrolment).where(
        Enrolment.cohort_id == cohort.id, Enrolment.status == "completed"))

    by_status = counted.plans
    activities = {s: {**counted.activities[s], "overdue": counted.overdue[s],
                      "total": sum(counted.activities[s].values())} for s in STAGES}
    by_channel = {c: sum(counted.contacts[c].values()) for c in CHANNELS}
    group = sum(counted.contacts[c]["group"] for c in CHANNELS)

    observations = {k: 0 for k in OBSERVATION_KINDS}
    observations.update(dict(db.session.execute(
        select(Observation.kind, func.count()).where(Observation.plan_id.in_(plan_ids))
        .group_by(Observation.kind)).all()))

    by_kind_level = counted.evidence
    by_kind = {k: sum(levels.values()) for k, levels in by_kind_level.items()}
    by_level = {lv: sum(by_kind_level[k][lv] for k in EVIDENCE_KINDS) for lv in EVIDENCE_LEVELS}

    events = {k: 0 for k in EVENT_KINDS}
    events.update(dict(db.session.execute(
        select(GroupEvent.kind, func.count()).where(GroupEvent.cohort_id == cohort.id)
        .group_by(GroupEvent.kind)).all()))
    attended = db.session.scalar(
        select(func.count()).select_from(EventAttendance).join(GroupEvent, GroupEvent.id == EventAttendance.event_id)
        .where(GroupEvent.cohort_id == cohort.id, EventAttendance.attended.is_(True)))

    return {
        "cohort": cohort.code,
        "as_of": today.isoformat(),
        "graduates": graduates,
        "plans": {"total": sum(by_status.values()), "agreed": sum(by_status[s] for s in AGREED),
                  "accepted": by_status["accepted"], "closed": by_status["closed"], "by_status": by_status},
        "activities": activities,
        "consultations": {"total": sum(by_channel.values()), "group": group, "by_channel": by_channel},
        "observations": {"total": sum(observations.values()), "by_kind": observations},
        "evidence": {"total": sum(by_kind.values()), "by_kind": by_kind, "by_level": by_level,
                     "by_kind_level": by_kind_level},
        "events": {"total": sum(events.values()), "by_kind": events, "attended": attended},
    }
