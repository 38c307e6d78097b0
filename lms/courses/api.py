"""JSON API of the courses plugin (documented in /api/v1/openapi.json)."""
from __future__ import annotations

from flask import g, jsonify

from lms.core.api import ApiError, api_blueprint, api_endpoint, current_api_user, path_parameter
from lms.core.permissions import Context
from lms.core.services.errors import ServiceError
from lms.courses import services
from lms.courses.models import Enrolment
from lms.courses.services import cohorts as cohort_service
from lms.courses.services import ledger
from lms.db import db

bp = api_blueprint("courses_api")

LOCALIZED = {"type": "object", "properties": {"kk": {"type": "string"}, "ru": {"type": "string"},
                                              "en": {"type": "string"}}}
PROGRAMME = {"type": "object", "properties": {
    "code": {"type": "string"}, "version": {"type": "integer"}, "status": {"type": "string"},
    "audience": {"type": "string"}, "hours": {"type": "integer"}, "title": LOCALIZED,
    "formats": {"type": "array", "items": {"type": "object"}}}}
COHORT = {"type": "object", "properties": {
    "code": {"type": "string"}, "programme": {"type": "string"}, "programme_version": {"type": "integer"},
    "format": {"type": "string"}, "language": {"type": "string"}, "start_date": {"type": "string", "format": "date"},
    "end_date": {"type": "string", "format": "date"}, "status": {"type": "string"},
    "participants": {"type": "integer"}}}
ENROLMENT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "user_id": {"type": "integer"}, "full_name": {"type": "string"},
    "email": {"type": "string"}, "status": {"type": "string"}, "mini_group": {"type": ["integer", "null"]}}}
HOURS_ROW = {"type": "object", "properties": {
    "module": {"type": "integer"}, "topic": {"type": "string"}, "contact_planned": {"type": "number"},
    "contact_attended": {"type": "number"}, "self_study_planned": {"type": "number"},
    "self_study_accepted": {"type": "number"}}}


def _programme_json(p) -> dict:
    return {"code": p.code, "version": p.version, "status": p.status, "audience": p.audience,
            "hours": p.nominal_hours, "title": {k: getattr(p, f"title_{k}") for k in ("kk", "ru", "en")
                                                if getattr(p, f"title_{k}")},
            "formats": [{"code": f.code, "kinds": f.kinds, "totals": f.totals} for f in p.formats]}


@bp.route("/programmes")
@api_endpoint(None, summary="Approved programmes (newest version of each)", tags=("programmes",),
              response={"type": "array", "items": PROGRAMME})
def programmes():
    return jsonify([_programme_json(p) for p in services.catalogue(None)])


@bp.route("/programmes/<code>")
@api_endpoint(None, summary="One approved programme with its hour plan totals", tags=("programmes",),
              parameters=[path_parameter("code")], response=PROGRAMME)
def programme(code):
    try:
        p = services.get_programme(code)
    except ServiceError:
        raise ApiError(404, f"no programme {code}") from None
    if p.status != "approved":
        raise ApiError(404, f"no programme {code}")
    return jsonify(_programme_json(p))


def cohort_api_context(code: str, **_kw) -> Context:
    """For `api_endpoint`: the cohort named in the URL (404 as JSON), left in g.cohort; the
    plugins' cohort endpoints use it too."""
    try:
        g.cohort = cohort_service.get_cohort(code)
    except ServiceError:
        raise ApiError(404, f"no cohort {code}") from None
    return cohort_service.cohort_context(g.cohort)


_cohort_ctx = cohort_api_context


@bp.route("/cohorts/<code>")
@api_endpoint("courses:view_cohort", _cohort_ctx, summary="A cohort", tags=("cohorts",),
              parameters=[path_parameter("code")], response=COHORT)
def cohort(code):
    c = g.cohort
    count = len(cohort_service.enrolments(c))
    return jsonify(code=c.code, programme=c.programme.code, programme_version=c.programme.version,
                   format=c.format_code, language=c.language, start_date=c.start_date.isoformat(),
                   end_date=c.end_date.isoformat(), status=c.status, participants=count)


@bp.route("/cohorts/<code>/enrolments")
@api_endpoint("courses:view_cohort", _cohort_ctx, summary="A cohort's enrolments", tags=("cohorts",),
              parameters=[path_parameter("code")], response={"type": "array", "items": ENROLMENT})
def cohort_enrolments(code):
    return jsonify([{"id": e.id, "user_id": e.user_id, "full_name": e.user.full_name, "email": e.user.email,
                     "status": e.status, "mini_group": e.mini_group}
                    for e in cohort_service.enrolments(g.cohort, include_withdrawn=True)])


def _enrolment_ctx(enrolment_id: int, **_kw) -> Context:
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise ApiError(404, f"no enrolment {enrolment_id}")
    g.enrolment = enrolment
    return cohort_service.cohort_context(enrolment.cohort)


@bp.route("/enrolments/<int:enrolment_id>/hours")
@api_endpoint(("courses:view_cohort", "courses:participate"), _enrolment_ctx,
              summary="The hour ledger of one enrolment (staff of the cohort, or the participant)",
              tags=("cohorts",), parameters=[path_parameter("enrolment_id", "integer")],
              response={"type": "object", "properties": {
                  "enrolment_id": {"type": "integer"}, "contact_planned": {"type": "number"},
                  "contact_attended": {"type": "number"}, "self_study_planned": {"type": "number"},
                  "self_study_accepted": {"type": "number"}, "topics": {"type": "array", "items": HOURS_ROW}}})
def enrolment_hours(enrolment_id):
    enrolment = g.enrolment
    if "courses:view_cohort" not in g.api_capabilities and enrolment.user_id != current_api_user().id:
        raise ApiError(403, "a participant sees only their own ledger")
    return jsonify(_hours_json(enrolment))


def _hours_json(enrolment) -> dict:
    l = ledger.ledger_for(enrolment)
    return {"enrolment_id": enrolment.id, "contact_planned": l.contact_planned, "contact_attended": l.attended,
            "self_study_planned": l.self_planned, "self_study_accepted": l.accepted,
            "topics": [{"module": r.unit.module.number, "topic": r.unit.code,
                        "contact_planned": r.unit.contact_planned, "contact_attended": r.attended,
                        "self_study_planned": r.unit.self_planned, "self_study_accepted": r.accepted}
                       for r in l.rows]}
