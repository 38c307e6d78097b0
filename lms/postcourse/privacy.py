"""What the support year holds about a person: as a graduate, their plans as their own plan page
shows them (needs, activities, every version, consultations, requests, observations, evidence
with its files, attendance at group events); as a trainer or curator, the consultations,
observations, events and plan versions they recorded, by id and date only (the graduates they
supported are other people: their names stay out, and so does what was written about them).

Who logged a consultation, observed a lesson or changed a plan version is not shown on the
graduate's page, so it is not exported to the graduate either."""
from __future__ import annotations

from sqlalchemy import select

from lms.core.models import StoredFile, User
from lms.core.services.erasure import ERASED_TEXT
from lms.core.services.privacy import PersonalData
from lms.courses.models import Cohort, Enrolment
from lms.db import db
from lms.postcourse.models import (
    ConsultationRequest, Contact, EventAttendance, Evidence, GroupEvent, Observation, PlanActivity, PlanVersion,
    SupportPlan,
)
from lms.postcourse.services.plans import needs_seen


def _needs(needs: dict | None) -> dict:
    """The needs as staff see them, without the answers of an anonymous exit survey: this ZIP may
    be taken by an administrator answering the person's request (/admin/users/<id>/data.zip).
    The survey answers themselves are the quizbank's to export."""
    return needs_seen(needs, staff=True)


def _snapshot(snapshot: dict | None) -> dict:
    snapshot = dict(snapshot or {})
    if "needs" in snapshot:
        snapshot["needs"] = _needs(snapshot["needs"])
    return snapshot


def export(user: User) -> PersonalData:
    data = PersonalData()
    _as_graduate(user, data)
    _as_supporter(user, data)
    return data


def _as_graduate(user: User, data: PersonalData) -> None:
    rows = db.session.execute(
        select(SupportPlan, Cohort.code).join(Enrolment, Enrolment.id == SupportPlan.enrolment_id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id).where(Enrolment.user_id == user.id)
        .order_by(SupportPlan.id)).all()
    cohort_of = {plan.id: code for plan, code in rows}
    data.records["support_plans"] = [
        {"id": plan.id, "cohort": code, "support_model": plan.model_code, "starts_on": plan.starts_on,
         "ends_on": plan.ends_on, "status": plan.status, "version": plan.version, "accepted_at": plan.accepted_at,
         "opened_at": plan.created_at, "needs": _needs(plan.needs)}
        for plan, code in rows]
    sections = ("plan_versions", "plan_activities", "event_attendance", "consultations", "consultation_requests",
                "lesson_observations", "evidence")
    if not cohort_of:
        data.records.update({name: [] for name in sections})
        return
    ids = list(cohort_of)

    data.records["plan_versions"] = [
        {"cohort": cohort_of[v.plan_id], "plan_id": v.plan_id, "number": v.number,
         "action": (v.snapshot or {}).get("action"), "changed_at": v.changed_at, "by_me": v.changed_by_id == user.id,
         "note": v.note, "plan_as_it_was": _snapshot(v.snapshot)}
        for v in db.session.scalars(select(PlanVersion).where(PlanVersion.plan_id.in_(ids))
                                    .order_by(PlanVersion.plan_id, PlanVersion.number))]
    data.records["plan_activities"] = [
        {"cohort": cohort_of[a.plan_id], "plan_id": a.plan_id, "id": a.id, "type": a.activity_type,
         "title": a.title, "stage": a.stage, "due_on": a.due_on, "status": a.status, "done_on": a.done_on,
         "completed_by": a.completion_form, "note": a.note}
        for a in db.session.scalars(select(PlanActivity).where(PlanActivity.plan_id.in_(ids))
                                    .order_by(PlanActivity.plan_id, PlanActivity.due_on, PlanActivity.id))]
    # the register of the events, not the events the person did not appear in
    data.records["event_attendance"] = [
        {"cohort": cohort_of[a.plan_id], "plan_id": a.plan_id, "event_id": e.id, "kind": e.kind, "stage": e.stage,
         "title": e.title, "starts_at": e.starts_at, "attended": a.attended}
        for a, e in db.session.execute(
            select(EventAttendance, GroupEvent).join(GroupEvent, GroupEvent.id == EventAttendance.event_id)
            .where(EventAttendance.plan_id.in_(ids)).order_by(GroupEvent.starts_at, GroupEvent.id))]
    # topic and outcome are both on the graduate's own plan page (the model has no curator-only
    # note); who logged the consultation is not, so it stays out
    data.records["consultations"] = [
        {"cohort": cohort_of[c.plan_id], "plan_id": c.plan_id, "id": c.id, "happened_at": c.happened_at,
         "channel": c.channel, "group": c.group, "topic": c.topic, "outcome": c.outcome, "activity_id": c.activity_id}
        for c in db.session.scalars(select(Contact).where(Contact.plan_id.in_(ids))
                                    .order_by(Contact.happened_at, Contact.id))]
    data.records["consultation_requests"] = [
        {"cohort": cohort_of[r.plan_id], "plan_id": r.plan_id, "id": r.id, "topic": r.topic, "channel": r.channel,
         "note": r.note, "asked_at": r.asked_at, "answered_at": r.answered_at,
         "answered_by_consultation_id": r.contact_id}
        for r in db.session.scalars(select(ConsultationRequest).where(ConsultationRequest.plan_id.in_(ids))
                                    .order_by(ConsultationRequest.asked_at, ConsultationRequest.id))]
    # the feedback and the file as the graduate's page shows them; the observer's name is not there
    data.records["lesson_observations"] = [
        {"cohort": cohort_of[o.plan_id], "plan_id": o.plan_id, "id": o.id, "kind": o.kind,
         "observed_on": o.observed_on, "url": o.url, "feedback": o.feedback, "activity_id": o.activity_id,
         "file": data.add_file("observations", stored)}
        for o, stored in db.session.execute(
            select(Observation, StoredFile).outerjoin(StoredFile, StoredFile.id == Observation.file_id)
            .where(Observation.plan_id.in_(ids)).order_by(Observation.observed_on, Observation.id))]
    data.records["evidence"] = [
        {"cohort": cohort_of[e.plan_id], "plan_id": e.plan_id, "id": e.id, "kind": e.kind, "level": e.level,
         "title": e.title, "happened_on": e.happened_on, "url": e.url, "activity_id": e.activity_id,
         "added_at": e.created_at, "file": data.add_file("evidence", stored)}
        for e, stored in db.session.execute(
            select(Evidence, StoredFile).outerjoin(StoredFile, StoredFile.id == Evidence.file_id)
            .where(Evidence.plan_id.in_(ids)).order_by(Evidence.happened_on, Evidence.id))]


def _plans_of_others(user: User):
    """(plan id, cohort code) of the plans a supporter's record is on, other than their own."""
    return (select(SupportPlan.id, Cohort.code).join(Enrolment, Enrolment.id == SupportPlan.enrolment_id)
            .join(Cohort, Cohort.id == Enrolment.cohort_id).where(Enrolment.user_id != user.id)
            .subquery())


def _as_supporter(user: User, data: PersonalData) -> None:
    """The supporter's own work, by plan id (the site names the graduate to those allowed to see
    them). No topic, outcome or feedback: those are about the graduate, and in the graduate's export."""
    plans = _plans_of_others(user)
    data.records["consultations_logged"] = [
        {"id": c.id, "cohort": code, "plan_id": c.plan_id, "happened_at": c.happened_at, "channel": c.channel,
         "group": c.group, "logged_at": c.created_at}
        for c, code in db.session.execute(
            select(Contact, plans.c.code).join(plans, plans.c.id == Contact.plan_id)
            .where(Contact.logged_by_id == user.id).order_by(Contact.id))]
    data.records["observations_made"] = [
        {"id": o.id, "cohort": code, "plan_id": o.plan_id, "kind": o.kind, "observed_on": o.observed_on}
        for o, code in db.session.execute(
            select(Observation, plans.c.code).join(plans, plans.c.id == Observation.plan_id)
            .where(Observation.observer_id == user.id).order_by(Observation.id))]
    data.records["plan_versions_recorded"] = [
        {"cohort": code, "plan_id": v.plan_id, "number": v.number, "action": (v.snapshot or {}).get("action"),
         "changed_at": v.changed_at}
        for v, code in db.session.execute(
            select(PlanVersion, plans.c.code).join(plans, plans.c.id == PlanVersion.plan_id)
            .where(PlanVersion.changed_by_id == user.id).order_by(PlanVersion.id))]
    data.records["events_created"] = [
        {"id": e.id, "cohort": code, "kind": e.kind, "stage": e.stage, "title": e.title, "starts_at": e.starts_at,
         "meeting_url": e.meeting_url}
        for e, code in db.session.execute(
            select(GroupEvent, Cohort.code).join(Cohort, Cohort.id == GroupEvent.cohort_id)
            .where(GroupEvent.created_by_id == user.id).order_by(GroupEvent.id))]


def erase(erasure) -> None:
    """The support year's record stays for the centre's reports (activities, consultations,
    events and evidence counted by kind and level), closed if still open; what the graduate
    wrote (their requests, their evidence's titles and links, their survey answers copied into
    the needs of the plan and of its versions) and every file of them (evidence, recordings of
    their lessons) goes."""
    from lms.postcourse.services.plans import close_plan

    def without_texts(needs: dict | None) -> dict | None:
        """The needs without the graduate's own words (their open survey answers copied in)."""
        if not needs or not needs.get("survey"):
            return needs
        return {**needs, "survey": [{**s, "text": ERASED_TEXT} if s.get("text") else s for s in needs["survey"]]}

    plans = list(db.session.scalars(select(SupportPlan).join(Enrolment, Enrolment.id == SupportPlan.enrolment_id)
                                    .where(Enrolment.user_id == erasure.user.id)))
    ids = [p.id for p in plans]
    for plan in plans:
        if close_plan(plan, erasure.actor, "personal data erased") is not None:
            erasure.count("postcourse.plans_closed", 1)
        plan.needs = without_texts(plan.needs)
    if not ids:
        return
    for version in db.session.scalars(select(PlanVersion).where(PlanVersion.plan_id.in_(ids))):
        if version.snapshot and "needs" in version.snapshot:
            version.snapshot = {**version.snapshot, "needs": without_texts(version.snapshot["needs"])}
    evidence = list(db.session.scalars(select(Evidence).where(Evidence.plan_id.in_(ids))))
    for e in evidence:
        erasure.forget(e, e.title, e.url)
        erasure.drop_file(db.session.get(StoredFile, e.file_id) if e.file_id else None)
        e.title, e.url, e.file_id = ERASED_TEXT, None, None
    erasure.count("postcourse.evidence", len(evidence))
    observations = list(db.session.scalars(select(Observation).where(
        Observation.plan_id.in_(ids), (Observation.file_id.is_not(None)) | (Observation.url.is_not(None)))))
    for o in observations:
        erasure.drop_file(db.session.get(StoredFile, o.file_id) if o.file_id else None)
        o.url, o.file_id = None, None
    erasure.count("postcourse.observation_recordings", len(observations))
    requests = list(db.session.scalars(select(ConsultationRequest).where(ConsultationRequest.plan_id.in_(ids))))
    for r in requests:
        erasure.forget(r, r.topic, r.note, mail_key=f"postcourse:request:{r.id}:")
        r.topic, r.note = ERASED_TEXT, None
    erasure.count("postcourse.requests", len(requests))
