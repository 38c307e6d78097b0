"""GET /api/v1/cohorts/{code}/gradebook: the cohort's gradebook as JSON.

Staff (portfolio:view) get every participant's row. A participant (portfolio:keep) gets
their own row only, as on their "My grades" page, and a defense grade only once released;
a participant of another cohort, or someone with neither capability, gets 403."""
from __future__ import annotations

from flask import g, jsonify

from lms.core.api import ApiError, api_endpoint, current_api_user, path_parameter
from lms.core.i18n import localized
from lms.courses.api import cohort_api_context
from lms.courses.services import cohorts as cohort_service
from lms.portfolio.api import bp
from lms.portfolio.services import gradebook as service
from lms.portfolio.services.schemes import SOURCES

STAFF, PARTICIPANT = "portfolio:view", "portfolio:keep"
NUMBER = {"type": ["number", "null"]}
CELL = {"type": "object", "properties": {
    "raw": {**NUMBER, "description": "the component's own measure: hours attended, mark, defense points, percent,"
                                     " 1/0 for a portfolio handed in"},
    "of": {**NUMBER, "description": "what raw is out of: planned hours, the mark's max, the rubric's max, 100, 1"},
    "fraction": {**NUMBER, "description": "raw / of, from 0 to 1; null while nothing counts yet"},
    "points": {"type": "number", "description": "fraction x weight"},
    "pending": {"type": ["string", "null"], "enum": [None, *service.PENDING]},
    "count": {"type": ["array", "null"], "items": {"type": "integer"}, "minItems": 2, "maxItems": 2,
              "description": "marks on self-study tasks: [tasks marked, tasks counted]; null elsewhere"}}}
GRADEBOOK = {"type": "object", "properties": {
    "cohort": {"type": "string"}, "programme": {"type": "string"},
    "components": {"type": "array", "items": {"type": "object", "properties": {
        "code": {"type": "string"}, "title": {"type": "string"}, "weight": {"type": "number"},
        "source": {"type": "string", "enum": list(SOURCES)},
        "max": {**NUMBER, "description": "the most points a hand-given mark may have (manual components)"}}}},
    "max_total": {"type": "number"},
    "rows": {"type": "array", "description": "staff: every active participant; a participant: their own row only",
             "items": {"type": "object", "properties": {
                 "enrolment_id": {"type": "integer"}, "participant": {"type": "string"},
                 "email": {"type": "string"}, "mini_group": {"type": ["integer", "null"]},
                 "cells": {"type": "object", "additionalProperties": CELL}, "total": {"type": "number"}}}}}}


_cohort_ctx = cohort_api_context


def _language() -> str:
    return getattr(current_api_user(), "language", None) or "kk"


@bp.route("/cohorts/<code>/gradebook")
@api_endpoint((STAFF, PARTICIPANT), _cohort_ctx, summary="A cohort's gradebook: every component with its weight,"
              " per participant (a participant: their own row only)", tags=("gradebook",),
              parameters=[path_parameter("code")], response=GRADEBOOK)
def cohort_gradebook(code):
    cohort = g.cohort
    if STAFF in g.api_capabilities:
        book = service.gradebook(cohort)
    else:
        enrolment = cohort_service.enrolment_of(cohort, current_api_user())
        if enrolment is None:
            raise ApiError(403, "only the cohort's participants and staff read its gradebook")
        book = service.gradebook(cohort, [enrolment], released_only=True)
    language = _language()
    return jsonify({
        "cohort": cohort.code, "programme": book.scheme.programme_code, "max_total": book.max_total,
        "components": [{"code": c.code, "title": localized(c.title, lang=language) or c.code, "weight": c.weight,
                        "source": c.source, "max": c.max} for c in book.components],
        "rows": [{"enrolment_id": r.enrolment.id, "participant": r.enrolment.user.full_name,
                  "email": r.enrolment.user.email, "mini_group": r.enrolment.mini_group, "total": r.total,
                  "cells": {code: {"raw": cell.raw, "of": cell.of,
                                   "fraction": None if cell.fraction is None else round(cell.fraction, 4),
                                   "points": cell.points, "pending": cell.pending,
                                   "count": list(cell.count) if cell.count else None}
                            for code, cell in r.cells.items()}} for r in book.rows]})
