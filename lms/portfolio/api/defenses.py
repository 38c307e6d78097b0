"""Defense scores over the API: an assessor saves or submits their own scores for one slot
(documented in /api/v1/openapi.json).

Only the slot's scoring panel members reach it: someone who does not score on its panel gets
404, as for a missing slot; an assessor of another cohort gets 403. The answer tells the
slot's status, and its decided points only to an assessor who has submitted (the blind rule)."""
from __future__ import annotations

from flask import g, jsonify

from lms.core.api import ApiError, api_endpoint, current_api_user, json_body, path_parameter
from lms.core.permissions import Context
from lms.core.services.errors import NotFound, ServiceError
from lms.db import db
from lms.portfolio.api import bp
from lms.portfolio.services import defenses as service

TAGS = ("defenses",)
TIME = {"type": ["string", "null"], "format": "date-time"}
SCORE = {"type": "object", "properties": {
    "points": {"type": ["number", "null"], "description": "one of the criterion's level points"},
    "comment": {"type": "string"}}}
SCORES_BODY = {"type": "object", "required": ["scores"], "properties": {
    "scores": {"type": "object", "additionalProperties": SCORE,
               "description": "{criterion code: {points, comment}}; criteria left out keep their draft values"},
    "submit": {"type": "boolean", "default": False,
               "description": "true: every criterion needs points; the scores are then locked"}}}
ASSESSMENT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "defense_id": {"type": "integer"},
    "rubric": {"type": "object", "properties": {"code": {"type": "string"}, "version": {"type": "integer"}}},
    "status": {"type": "string", "enum": ["draft", "submitted"]}, "scores": {"type": "object",
                                                                             "additionalProperties": SCORE},
    "total": {"type": ["number", "null"]}, "max_points": {"type": "number"}, "submitted_at": TIME}}
DEFENSE = {"type": "object", "properties": {
    "id": {"type": "integer"},
    "status": {"type": "string", "enum": ["scheduled", "scoring", "reconcile", "decided", "released"]},
    "points": {"type": ["number", "null"], "description": "decided points, once the caller has submitted"},
    "grade": {"type": ["string", "null"]}, "passed": {"type": ["boolean", "null"]}}}
RESULT = {"type": "object", "properties": {"assessment": ASSESSMENT, "defense": DEFENSE}}


def _iso(value):
    return value.isoformat() if value else None


def _defense_ctx(defense_id: int, **_kw) -> Context:
    try:
        g.defense = service.get_defense(defense_id)
    except NotFound:
        raise ApiError(404, f"no defense {defense_id}") from None
    return Context("cohort", g.defense.session.cohort_id)


def _json(assessment, defense, user) -> dict:
    rubric = defense.session.rubric
    out = {"id": defense.id, "status": defense.status, "points": None, "grade": None, "passed": None}
    if defense.points is not None and service.scores_visible_to(defense, user):
        out.update(points=defense.points, grade=defense.grade, passed=defense.passed)
    return {"assessment": {"id": assessment.id, "defense_id": defense.id,
                           "rubric": {"code": rubric.code, "version": rubric.version}, "status": assessment.status,
                           "scores": assessment.scores, "total": assessment.total,
                           "max_points": float(rubric.max_points), "submitted_at": _iso(assessment.submitted_at)},
            "defense": out}


@bp.route("/defenses/<int:defense_id>/scores", methods=["POST"])
@api_endpoint("portfolio:assess", _defense_ctx, summary="Save or submit the caller's own scores for one defense",
              tags=TAGS, parameters=[path_parameter("defense_id", "integer")], request_body=SCORES_BODY,
              response=RESULT)
def submit_scores(defense_id):
    body = json_body()
    if not isinstance(body.get("scores"), dict):
        raise ApiError(400, 'the body is {"scores": {"P1": {"points": 2, "comment": "..."}}, "submit": true}',
                       field="scores")
    submit = body.get("submit", False)
    if not isinstance(submit, bool):
        raise ApiError(400, "submit is true or false", field="submit")
    user, defense = current_api_user(), g.defense
    member = service.membership(defense.session, user)
    if member is None or member.is_chair:
        raise ApiError(404, f"no defense {defense_id} that you score")
    try:
        assessment = service.save_scores(defense, user, body["scores"], submit=submit)
    except ServiceError:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify(_json(assessment, defense, user))
