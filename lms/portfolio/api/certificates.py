"""Public certificate verification and the Open Badges 2.0 documents (Assertion, BadgeClass,
Issuer), in /api/v1/openapi.json. Anyone may call these: they state only what the printed
certificate states. Rate-limited together with the /verify page."""
from __future__ import annotations

from flask import jsonify, request

from lms.core.api import ApiError, api_endpoint, path_parameter, query_parameter
from lms.core.services.errors import NotFound
from lms.portfolio.api import bp
from lms.portfolio.services import certificates as service
from lms.portfolio.views.certificates import verify_limited

TAGS = ("certificates",)
DATE = {"type": ["string", "null"], "format": "date"}
VERIFY = {"type": "object", "required": ["number", "status"], "properties": {
    "number": {"type": "string"}, "status": {"type": "string", "enum": ["valid", "revoked"]},
    "holder_name": {"type": "string"}, "programme_code": {"type": "string"}, "programme_title": {"type": "string"},
    "hours": {"type": "number"}, "language": {"type": "string", "enum": list(service.LANGUAGES)},
    "completed_on": DATE, "issued_on": DATE, "revoked_on": DATE, "revoke_reason": {"type": ["string", "null"]},
    "sha256": {"type": "string", "description": "SHA-256 of the PDF as issued"},
    "verify_url": {"type": "string", "format": "uri"}}}
OB = {"type": "object", "description": "Open Badges 2.0 JSON-LD", "properties": {
    "@context": {"type": "string"}, "type": {"type": "string"}, "id": {"type": "string", "format": "uri"}}}
NUMBER = path_parameter("number", description="the certificate number, e.g. UST-2026-LDR-DT-7K2Q9XMB")


def _certificate(number: str):
    try:
        return service.get_certificate(number)
    except NotFound:
        raise ApiError(404, f"no certificate {number}") from None


@bp.route("/certificates/<number>")
@api_endpoint(None, summary="Verify a certificate: valid or revoked, and what it states", tags=TAGS,
              parameters=[NUMBER], response=VERIFY)
@verify_limited
def certificate_verify(number):
    try:
        return jsonify(service.verify(number))
    except NotFound:
        raise ApiError(404, f"no certificate {number}") from None


@bp.route("/certificates/<number>/badge")
@api_endpoint(None, summary="The certificate as an Open Badges 2.0 Assertion (hosted verification)", tags=TAGS,
              parameters=[NUMBER], response=OB)
@verify_limited
def certificate_badge(number):
    return jsonify(service.open_badge(_certificate(number)))


@bp.route("/badges/classes/<programme_code>")
@api_endpoint(None, summary="The Open Badges 2.0 BadgeClass of a programme's certificate", tags=TAGS,
              parameters=[path_parameter("programme_code", description="e.g. LDR-DT"),
                          query_parameter("hours", "number", "a shorter run's hours (a one-week full-time run: 40)")],
              response=OB)
def badge_class(programme_code):
    hours = request.args.get("hours", type=float)
    if "hours" in request.args and hours is None:
        raise ApiError(400, "hours is a number", field="hours")
    try:
        return jsonify(service.badge_class(programme_code, hours))
    except NotFound as exc:
        raise ApiError(404, str(exc) if hours is not None else f"no programme {programme_code}") from None


@bp.route("/badges/issuer")
@api_endpoint(None, summary="The Open Badges 2.0 Issuer profile", tags=TAGS, response=OB)
def badge_issuer():
    return jsonify(service.issuer_profile())
