"""Support plans over the JSON API (in /api/v1/openapi.json): a plan with its timeline, logging a
consultation, and a cohort's summary. The graduate reads only their own plan (another's
answers 404, as a missing one does); cohort staff read their cohorts' plans and log contacts."""
from __future__ import annotations

from flask import g, jsonify
from sqlalchemy import select

from lms.core.api import ApiError, api_endpoint, current_api_user, json_body, path_parameter
from lms.core.permissions import Context
from lms.core.services.errors import ServiceError
from lms.courses.api import cohort_api_context
from lms.courses.models import Enrolment
from lms.db import db
from lms.postcourse.api import bp
from lms.postcourse.models import (
    ACTIVITY_STATUSES, CHANNELS, EVENT_KINDS, EVIDENCE_KINDS, EVIDENCE_LEVELS, OBSERVATION_KINDS, PLAN_STATUSES,
    STAGES, Contact, SupportPlan,
)
from lms.postcourse.services import activities as activity_service
from lms.postcourse.services import plans as plan_service
from lms.postcourse.services import reports_data

VIEW, SUPPORT, FOLLOW = "postcourse:view_cohort", "postcourse:support", "postcourse:follow_plan"
TAGS = ("post-course support",)
DATE = {"type": "string", "format": "date"}
TIME = {"type": "string", "format": "date-time"}
NULL_DATE = {"type": ["string", "null"], "format": "date"}
COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
ACTIVITY = {"type": "object", "properties": {
    "id": {"type": "integer"}, "type": {"type": "string", "description": "the menu entry's code"},
    "title": {"type": "string"}, "stage": {"type": "string", "enum": list(STAGES)}, "due_on": DATE,
    "status": {"type": "string", "enum": list(ACTIVITY_STATUSES)},
    "state": {"type": "string", "enum": ["planned", "due_soon", "overdue", "done", "cancelled"]},
    "done_on": NULL_DATE, "completion_form": {"type": "string"}, "note": {"type": ["string", "null"]}}}
CONTACT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "happened_at": TIME, "channel": {"type": "string", "enum": list(CHANNELS)},
    "group": {"type": "boolean"}, "topic": {"type": "string"}, "outcome": {"type": ["string", "null"]},
    "activity_id": {"type": ["integer", "null"]}}}
PLAN = {"type": "object", "properties": {
    "id": {"type": "integer"}, "cohort": {"type": "string"},
    "graduate": {"type": "object", "properties": {"id": {"type": "integer"}, "full_name": {"type": "string"}}},
    "model": {"type": "string"}, "status": {"type": "string", "enum": list(PLAN_STATUSES)},
    "version": {"type": "integer"}, "starts_on": DATE, "ends_on": DATE,
    "month": {"type": "integer", "description": "the plan's month today: 1-12, 0 before, 13 after"},
    "accepted_at": {"type": ["string", "null"], "format": "date-time"},
    "needs": {"type": "object", "description": "weakest modules, final test and its topics below the pass mark,"
                                               " exit-survey needs (staff never see answers of an anonymous"
                                               " survey), agreed note"},
    "stages": {"type": "array", "items": {"type": "object", "properties": {
        "code": {"type": "string"}, "title": {"type": "string"}, "starts_on": DATE, "ends_on": DATE,
        "activities": {"type": "array", "items": ACTIVITY}}}},
    "contacts": {"type": "array", "items": CONTACT},
    "observations": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string", "enum": list(OBSERVATION_KINDS)}, "observed_on": DATE,
        "url": {"type": ["string", "null"]}, "has_file": {"type": "boolean"}, "feedback": {"type": ["string", "null"]},
        "activity_id": {"type": ["integer", "null"]}}}},
    "evidence": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string", "enum": list(EVIDENCE_KINDS)},
        "level": {"type": "string", "enum": list(EVIDENCE_LEVELS)}, "title": {"type": "string"}, "happened_on": DATE,
        "url": {"type": ["string", "null"]}, "has_file": {"type": "boolean"},
        "activity_id": {"type": ["integer", "null"]}}}},
    "events": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string", "enum": list(EVENT_KINDS)}, "title": {"type": "string"},
        "starts_at": TIME, "attended": {"type": ["boolean", "null"]}}}},
    "versions": {"type": "array", "items": {"type": "object", "properties": {
        "number": {"type": "integer"}, "action": {"type": "string"}, "changed_at": TIME,
        "note": {"type": ["string", "null"]}}}}}}
CONTACT_BODY = {"type": "object", "required": ["happened_at", "channel", "topic"], "properties": {
    "happened_at": {"type": "string", "description": "ISO 8601; without an offset it is the cohort's local time"},
    "channel": {"type": "string", "enum": list(CHANNELS)}, "topic": {"type": "string", "maxLength": 300},
    "outcome": {"type": "string"}, "group": {"type": "boolean"},
    "activity_id": {"type": "integer", "description": "a planned activity of this plan: marked done that day"}}}
SUMMARY = {"type": "object", "properties": {
    "cohort": {"type": "string"}, "as_of": DATE, "graduates": {"type": "integer"},
    "plans": {"type": "object", "properties": {"total": {"type": "integer"}, "agreed": {"type": "integer"},
                                               "accepted": {"type": "integer"}, "closed": {"type": "integer"},
                                               "by_status": COUNTS}},
    "activities": {"type": "object", "description": "per stage: planned, done, cancelled, overdue, total",
                   "additionalProperties": COUNTS},
    "consultations": {"type": "object", "properties": {"total": {"type": "integer"}, "group": {"type": "integer"},
                                                       "by_channel": COUNTS}},
    "observations": {"type": "object", "properties": {"total": {"type": "integer"}, "by_kind": COUNTS}},
    "evidence": {"type": "object", "properties": {"total": {"type": "integer"}, "by_kind": COUNTS,
                                                  "by_level": COUNTS,
                                                  "by_kind_level": {"type": "object", "additionalProperties": COUNTS}}},
    "events": {"type": "object", "properties": {"total": {"type": "integer"}, "by_kind": COUNTS,
                                                "attended": {"type": "integer"}}}}}


def _iso(value):
    return value.isoformat() if value else None


def _language() -> str:
    return getattr(current_api_user(), "language", None) or "kk"


# --- contexts: load (404), then the decorator checks the capability (403) -------------------------------

def _plan_ctx(plan_id: int, **_kw) -> Context:
    row = db.session.execute(
        select(SupportPlan, Enrolment.cohort_id, Enrolment.user_id)
        .join(Enrolment, Enrolment.id == SupportPlan.enrolment_id).where(SupportPlan.id == plan_id)).first()
    if row is None:
        raise ApiError(404, f"no support plan {plan_id}")
    g.plan, g.plan_owner_id = row[0], row[2]
    return Context("cohort", row[1])


_cohort_ctx = cohort_api_context


# --- JSON -------------------------------------------------------------------------------------------------

def _contact_json(c: Contact) -> dict:
    return {"id": c.id, "happened_at": _iso(c.happened_at), "channel": c.channel, "group": c.group,
            "topic": c.topic, "outcome": c.outcome, "activity_id": c.activity_id}


def plan_json(plan: SupportPlan, *, staff: bool, lang: str = "kk") -> dict:
    v = plan_service.plan_view(plan, staff=staff, lang=lang)

    def activity(a):
        return {"id": a.id, "type": a.activity_type, "title": plan_service.activity_label(a, v.model, lang),
                "stage": a.stage, "due_on": _iso(a.due_on), "status": a.status, "state": v.state(a),
                "done_on": _iso(a.done_on), "completion_form": plan_service.completion_label(a, v.model, lang),
                "note": a.note}

    return {
        "id": plan.id, "cohort": v.enrolment.cohort.code,
        "graduate": {"id": v.enrolment.user.id, "full_name": v.enrolment.user.full_name},
        "model": plan.model_code, "status": plan.status, "version": plan.version, "starts_on": _iso(plan.starts_on),
        "ends_on": _iso(plan.ends_on), "month": v.month, "accepted_at": _iso(plan.accepted_at),
        "needs": v.needs,
        "stages": [{"code": s.code, "title": s.title, "starts_on": _iso(s.first), "ends_on": _iso(s.last),
                    "activities": [activity(a) for a in s.activities]} for s in v.stages],
        "contacts": [_contact_json(c) for c in v.contacts],
        "observations": [{"id": o.id, "kind": o.kind, "observed_on": _iso(o.observed_on), "url": o.url,
                          "has_file": o.file_id is not None, "feedback": o.feedback, "activity_id": o.activity_id}
                         for o in v.observations],
        "evidence": [{"id": e.id, "kind": e.kind, "level": e.level, "title": e.title, "happened_on": _iso(e.happened_on),
                      "url": e.url, "has_file": e.file_id is not None, "activity_id": e.activity_id}
                     for e in v.evidence],
        "events": [{"id": e.id, "kind": e.kind, "title": e.title, "starts_at": _iso(e.starts_at), "attended": attended}
                   for e, attended in v.events],
        "versions": [{"number": ver.number, "action": (ver.snapshot or {}).get("action"),
                      "changed_at": _iso(ver.changed_at), "note": ver.note} for ver in v.versions],
    }


# --- endpoints ----------------------------------------------------------------------------------------------

@bp.route("/postcourse/plans/<int:plan_id>")
@api_endpoint((VIEW, FOLLOW), _plan_ctx, summary="A graduate's support plan: needs, stages, activities, contacts,"
              " observations, evidence, events and versions (the graduate themself, or cohort staff)", tags=TAGS,
              parameters=[path_parameter("plan_id", "integer")], response=PLAN)
def plan(plan_id):
    staff = VIEW in g.api_capabilities
    if not staff and g.plan_owner_id != current_api_user().id:
        raise ApiError(404, f"no support plan {plan_id}")
    return jsonify(plan_json(g.plan, staff=staff, lang=_language()))


@bp.route("/postcourse/plans/<int:plan_id>/contacts", methods=["POST"])
@api_endpoint(SUPPORT, _plan_ctx, summary="Log a consultation (linked to a planned activity, it marks that activity"
              " done on its day)", tags=TAGS, parameters=[path_parameter("plan_id", "integer")],
              request_body=CONTACT_BODY, response=CONTACT, status=201)
def log_contact(plan_id):
    body = json_body()
    unknown = sorted(set(body) - set(CONTACT_BODY["properties"]))
    if unknown:
        raise ApiError(422, f"unknown field(s) {', '.join(unknown)}", field=unknown[0])
    try:
        contact = activity_service.log_contact(g.plan, body, current_api_user())
    except ServiceError:
        db.session.rollback()
        raise
    db.session.commit()
    response = jsonify(_contact_json(contact))
    response.status_code = 201
    return response


@bp.route("/postcourse/cohorts/<code>/summary")
@api_endpoint(VIEW, _cohort_ctx, summary="A cohort's support year in numbers: plans agreed, activities per stage,"
              " consultations by channel, observations, evidence by kind and level, events", tags=TAGS,
              parameters=[path_parameter("code")], response=SUMMARY)
def cohort_summary(code):
    return jsonify(reports_data.summary(g.cohort))
