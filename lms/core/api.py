"""The JSON API under /api/v1: bearer-token authentication, JSON errors and the OpenAPI
3.1 document, assembled from what each endpoint declares.

A plugin's `api.py` makes its own Blueprint with `api_blueprint(name)` and decorates each
endpoint with `api_endpoint(...)`, which states its capability (as `requires` does for
HTML views) and its OpenAPI operation."""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import Blueprint, abort, current_app, g, jsonify, request
from flask_babel import force_locale

from lms.core import api_lane
from lms.core.api_lane import lane_request
from lms.core.extensions import csrf
from lms.core.permissions import SYSTEM, Context, has_capability, public
from lms.core.i18n import localized
from lms.core.services import policies, tokens
from lms.core.services.errors import ServiceError
from lms.db import db

PREFIX = "/api/v1"
ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
               422: "invalid", 429: "too_many_requests", 500: "server_error"}
SERVICE_STATUS = {"invalid": 422, "not_found": 404, "conflict": 409, "read_only": 409}

ERROR_SCHEMA = {"type": "object", "required": ["error", "message"],
                "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                               "field": {"type": "string"}}}


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
        self.code = code or ERROR_CODES.get(status, "error")


def error_response(status: int, message: str, code: str | None = None, field: str | None = None):
    body = {"error": code or ERROR_CODES.get(status, "error"), "message": message}
    if field:
        body["field"] = field
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="ustaz"'
    return response


def api_blueprint(name: str) -> Blueprint:
    bp = Blueprint(name, __name__, url_prefix=PREFIX)
    csrf.exempt(bp)
    return bp


def current_api_user():
    """The token's user, a mapped User (made on first call from the row authentication read)."""
    who = g.get("api_caller")
    return who.user() if who is not None else None


def current_api_caller() -> tokens.TokenUser | None:
    """The token's user as authentication read it: `id`, `language` and role assignments,
    without a mapped object (what hot paths such as an answer save need)."""
    return g.get("api_caller")


def api_endpoint(capability: str | tuple[str, ...] | None, context: Callable[..., Context] | None = None, *,
                 summary: str, tags: tuple[str, ...] = (), parameters: list | None = None,
                 request_body: dict | None = None, response: dict | None = None, status: int = 200,
                 joined: Callable[[], tuple] | None = None, before_policies: bool = False):
    """Authenticate (401) -> load (404) -> check capability (403) -> act. `capability=None`
    marks an endpoint anyone may call (still documented); a tuple admits any of them (the
    endpoint then narrows what it shows, e.g. a participant's own rows only).

    `joined` gives (tables, columns, condition) of the endpoint's own read, which is then
    done by the authenticating SELECT itself (its bind parameters take the URL values of the
    same names); `context` finds the values in `current_api_caller().joined`. For hot paths:
    an answer save reads once.

    A read (GET) by a user for whom a current policy waits is refused, 403 `policies_not_accepted`,
    as a page sends them to accept it first (Moodle's web services refuse alike); a write goes
    through, so that work begun is never lost. `before_policies` exempts an endpoint (the
    policies themselves, the token's user)."""
    capabilities = (capability,) if isinstance(capability, str) else tuple(capability or ())
    statement = []  # the authenticating SELECT with the joined read, built on first use

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if capability is None:
                return view(*args, **kwargs)
            lane = lane_request()
            header = lane.authorization if lane is not None else request.headers.get("Authorization", "")
            scheme, _, plain = header.partition(" ")
            if joined is not None and not statement:
                statement.append(tokens.authenticating_select(joined()))
            who = (tokens.token_user(plain.strip(), "api", statement[0] if statement else None, kwargs)
                   if scheme.lower() == "bearer" else None)
            if who is None:
                raise ApiError(401, "a valid bearer token is required (Authorization: Bearer <token>)")
            g.api_caller = who
            used = tokens.record_use(who)
            ctx = context(**kwargs) if context else SYSTEM
            held = [c for c in capabilities if has_capability(who, c, ctx)]
            if not held:
                raise ApiError(403, f"this token's user lacks {' or '.join(capabilities)} here")
            g.api_capabilities = held
            if not before_policies and lane is None and request.method in ("GET", "HEAD"):
                _policies_first(who)
            response = view(*args, **kwargs)
            if used:
                db.session.commit()  # a reading endpoint commits nothing itself; keep the token's last use
            return response

        wrapped.openapi = {"summary": summary, "tags": list(tags), "parameters": parameters or [],
                           "request_body": request_body, "response": response or {"type": "object"},
                           "status": status, "capability": " or ".join(capabilities) or None}
        if capability is None:
            return public(wrapped)
        wrapped.required_capability = capabilities[0]
        wrapped.required_capabilities = capabilities
        return wrapped

    return decorator


def _policies_first(who: tokens.TokenUser) -> None:
    agreed = who.columns.get("policies_agreed")
    if agreed is None:  # a lean read
        agreed = who.user().policies_agreed
    if agreed:
        return
    if policies.still_asks(who.user()):
        raise ApiError(403, "a current policy waits for this user's acceptance: read it at GET /api/v1/policies"
                            " and accept it with POST /api/v1/policies/accept", code="policies_not_accepted")


def path_parameter(name: str, schema_type: str = "string", description: str = "") -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": schema_type},
            "description": description}


def query_parameter(name: str, schema_type: str = "string", description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": {"type": schema_type},
            "description": description}


def json_body() -> dict:
    lane = lane_request()
    data = lane.json if lane is not None else request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return data


def openapi_document(app) -> dict:
    paths: dict = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX):
            continue
        spec = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if spec is None:
            continue
        path = rule.rule[len(PREFIX):]
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", f"{{{arg}}}").replace(f"<{arg}>", f"{{{arg}}}")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = {"operationId": rule.endpoint.replace(".", "_") + ("" if method == "GET" else f"_{method.lower()}"),
                  "summary": spec["summary"], "tags": spec["tags"], "parameters": spec["parameters"],
                  "responses": {str(spec["status"]): {"description": "OK", "content": {
                      "application/json": {"schema": spec["response"]}}},
                      "default": {"description": "Error", "content": {
                          "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}
            if spec["request_body"]:
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": spec["request_body"]}}}
            if spec["capability"]:
                op["security"] = [{"bearer": []}]
                op["x-capability"] = spec["capability"]
            else:
                op["security"] = []
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Ustaz LMS API", "version": "1",
                 "description": "Bearer tokens are created with `lms users token EMAIL`."},
        "servers": [{"url": PREFIX}],
        "paths": dict(sorted(paths.items())),
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": {"Error": ERROR_SCHEMA}},
    }


core_api = api_blueprint("api")


@core_api.route("/openapi.json")
@public
def openapi():
    return jsonify(openapi_document(current_app))


@core_api.route("/me")
@api_endpoint("core:view_profile", summary="The token's user", tags=("core",), before_policies=True,
              response={"type": "object", "properties": {"id": {"type": "integer"}, "email": {"type": "string"},
                                                         "full_name": {"type": "string"},
                                                         "language": {"type": "string"},
                                                         "policies_agreed": {"type": "boolean"}}})
def me():
    user = current_api_user()
    return jsonify(id=user.id, email=user.email, full_name=user.full_name, language=user.language,
                   policies_agreed=user.policies_agreed or not policies.still_asks(user))


POLICIES = {"type": "object", "properties": {"policies": {"type": "array", "items": {"type": "object", "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string"}, "version": {"type": "integer"},
    "title": {"type": "string"}, "text_html": {"type": "string", "description": "sanitized HTML"},
    "published_at": {"type": "string", "format": "date-time"},
    "accepted_at": {"type": ["string", "null"], "format": "date-time",
                    "description": "null: waits for this user's acceptance"}}}}}}


def _policies_json(user) -> dict:
    with force_locale(user.language or "kk"):
        accepted = {a.policy_id: a.accepted_at for a in policies.acceptances_of(user)}
        return {"policies": [{"id": p.id, "kind": p.kind, "version": p.version, "title": localized(p, "title"),
                              "text_html": str(policies.html(p)), "published_at": p.published_at.isoformat(),
                              "accepted_at": accepted[p.id].isoformat() if p.id in accepted else None}
                             for p in policies.current() if policies.applies_to(p, user)]}


@core_api.route("/policies")
@api_endpoint("core:view_profile", summary="The current policies this user is asked to accept, in their language,"
              " each with when they accepted it (null: waiting)", tags=("core",), before_policies=True,
              response=POLICIES)
def current_policies():
    return jsonify(_policies_json(current_api_user()))


@core_api.route("/policies/accept", methods=["POST"])
@api_endpoint("core:view_profile", summary="Accept the current policies: every one waiting must be named",
              tags=("core",), before_policies=True, response=POLICIES,
              request_body={"type": "object", "required": ["policy_ids"],
                            "properties": {"policy_ids": {"type": "array", "items": {"type": "integer"}}}})
def accept_policies():
    ids = json_body().get("policy_ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise ApiError(422, "policy_ids: a list of the policies' ids", field="policy_ids")
    user = current_api_user()
    policies.accept(user, set(ids))
    db.session.commit()
    return jsonify(_policies_json(user))


def refusal_response(exc: Exception):
    """The JSON error for the API's own refusals (messages in English, as the API documents
    them, whatever the token user's language); None for any other exception."""
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.message, exc.code, exc.field)
    if isinstance(exc, ServiceError):
        with force_locale("en"):
            message = exc.message
        return error_response(SERVICE_STATUS.get(exc.code, 422), message, exc.code, exc.field)
    return None


def init_api(app) -> None:
    app.register_blueprint(core_api)
    api_lane.install(app, refusal_response)

    is_api = is_api_request

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return refusal_response(exc)

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        if is_api():
            return refusal_response(exc)
        abort(404 if SERVICE_STATUS.get(exc.code, 422) == 404 else 400)

    # HTTP errors inside /api/v1 answer JSON; the core's HTML error pages (403, 404, 429, CSRF,
    # and any other status: lms.core.init_core) call `is_api_request` themselves


def is_api_request() -> bool:
    return request.path.startswith(PREFIX + "/") or request.path == PREFIX
