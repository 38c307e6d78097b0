"""JSON API of the quizbank plugin: a cohort's tests, starting an attempt, saving answers,
submitting and reading an attempt (documented in /api/v1/openapi.json).

A participant reaches only their own attempts: another participant's attempt answers 404,
as a missing one does. A save answers 200 only after its COMMIT, so an acknowledged answer
survives a crash of the server."""
from __future__ import annotations

import time
from functools import wraps

from flask import g, jsonify
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from lms.core.api import (ApiError, api_blueprint, api_endpoint, current_api_caller, current_api_user, json_body,
                          path_parameter)
from lms.core.api_lane import lane_endpoint
from lms.core.i18n import localized
from lms.core.permissions import Context, remember_parent
from lms.core.services.errors import ServiceError
from lms.courses.api import cohort_api_context
from lms.courses.models import Enrolment
from lms.db import db, utcnow
from lms.quizbank.models import TEST_KINDS, Attempt, Test
from lms.quizbank.qtypes import QUESTION_TYPES
from lms.quizbank.services import attempts as attempt_service
from lms.quizbank.services import results
from lms.quizbank.services import tests as test_service

bp = api_blueprint("quizbank_api")

PARTICIPANT, STAFF = "quizbank:attempt", "quizbank:view_results"
TAGS = ("tests",)
TIME = {"type": ["string", "null"], "format": "date-time"}
TEST = {"type": "object", "description": "As the caller meets it: for a participant, the state, closing time, time"
        " limit and attempts include what a trainer granted them.", "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string", "enum": list(TEST_KINDS)},
    "title": {"type": "string"}, "module_number": {"type": ["integer", "null"]},
    "state": {"type": "string", "enum": list(test_service.TEST_STATES)},
    "opens_at": TIME, "closes_at": TIME, "time_limit_minutes": {"type": ["integer", "null"]},
    "attempts_allowed": {"type": "integer"}}}
OPTION = {"type": "object", "properties": {"value": {}, "text": {"type": "string"}}}
SLOT = {"type": "object", "description": "A drawn item as the participant sees it: never its key.", "properties": {
    "slot": {"type": "integer"}, "code": {"type": "string"}, "type": {"type": "string", "enum": list(QUESTION_TYPES)},
    "title": {"type": ["string", "null"]}, "text": {"type": "string"}, "text_html": {"type": "string"},
    "options": {"type": "array", "items": OPTION, "description": "single, multiple, truefalse: in shown order;"
                " answer with their `value`"},
    "questions": {"type": "array", "items": OPTION, "description": "matching: answer {\"pairs\": {value: text}}"},
    "answers": {"type": "array", "items": {"type": "string"}, "description": "matching: the answers to choose from"},
    "answer": {"type": ["object", "null"]}, "answered_at": TIME,
    "flagged": {"type": "boolean", "description": "the participant marked it to come back to"}}}
RESULT = {"type": "object", "description": "Fields the test's review options hide are left out and listed in"
                                          " `hidden`.", "properties": {
    "attempt_id": {"type": "integer"}, "status": {"type": "string"}, "finished_at": TIME,
    "score": {"type": ["number", "null"]}, "max": {"type": ["number", "null"]},
    "percent": {"type": ["number", "null"]}, "band": {"type": ["string", "null"]},
    "passed": {"type": ["boolean", "null"]},
    "topics": {"type": "array", "description": "points per topic of the programme (graded questions only), with the"
               " score", "items": {"type": "object", "properties": {
                   "topic": {"type": "string"}, "module": {"type": "integer"}, "score": {"type": "number"},
                   "max": {"type": "number"}, "percent": {"type": ["number", "null"]},
                   "pending": {"type": "integer", "description": "essays of the topic still to be graded"}}}},
    "competences": {"type": "array", "description": "the same points gathered per competence of the programme's"
                    " framework, where it has one: a competence counts the questions of the topics that build it",
                    "items": {"type": "object", "properties": {
                        "competence": {"type": "string"}, "title": {"type": "string"}, "score": {"type": "number"},
                        "max": {"type": "number"}, "percent": {"type": ["number", "null"]},
                        "pending": {"type": "integer"}}}},
    "pending_grading": {"type": "integer", "description": "essays still to be graded by hand"},
    "provisional": {"type": "boolean", "description": "true while essays wait: percent is over the graded items"
                                                      " only, band and passed are empty"},
    "hidden": {"type": "array", "items": {"type": "string"}}}}
ATTEMPT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "test_id": {"type": "integer"}, "number": {"type": "integer"},
    "status": {"type": "string", "enum": ["in_progress", "finished"]}, "started_at": TIME,
    "deadline_at": {**TIME, "description": "answers count until this time plus grace_seconds"},
    "grace_seconds": {"type": "integer"}, "slots": {"type": "array", "items": SLOT},
    "result": RESULT}}
ANSWER_BODY = {"type": "object", "required": ["answer"], "properties": {"answer": {
    "type": "object", "description": "single {\"choice\": value}, multiple {\"choices\": [value, ...]}, truefalse"
    " {\"value\": true}, matching {\"pairs\": {\"0\": \"answer text\"}}, short {\"text\": \"...\"}, numerical"
    " {\"value\": 12.5 or \"12,5\"}, essay {\"text\": \"...\"}; choice values as the slot's options give them"}}}


def _iso(value):
    return value.isoformat() if value else None


def _language() -> str:
    return getattr(current_api_caller(), "language", None) or "kk"


def _is_staff() -> bool:
    return STAFF in g.get("api_capabilities", ())


# --- contexts: load (404), then the decorator checks the capability (403) ----------------------

_cohort_ctx = cohort_api_context


def _test_ctx(test_id: int, **_kw) -> Context:
    g.test = db.session.get(Test, test_id)
    if g.test is None:
        raise ApiError(404, f"no test {test_id}")
    return Context("cohort", g.test.cohort_id)


def _answer_ctx(attempt_id: int, slot: int, **_kw) -> Context:
    """The one read a save needs, done by the authenticating SELECT (`joined`), so the
    capability check can use its cohort and the cohort's programme without a query."""
    caller = current_api_caller()
    target = attempt_service.answer_target_of(attempt_id, slot, caller.joined)
    if target is None or target.user_id != caller.id:
        raise ApiError(404, f"no attempt {attempt_id}")
    g.answer_target = target
    ctx = Context("cohort", target.cohort_id)
    remember_parent(ctx, Context("programme", target.programme_id) if target.programme_id else None)
    return ctx


def _attempt_ctx(attempt_id: int, **_kw) -> Context:
    row = db.session.execute(
        select(Enrolment.user_id, Test.cohort_id).select_from(Attempt)
        .join(Enrolment, Enrolment.id == Attempt.enrolment_id).join(Test, Test.id == Attempt.test_id)
        .where(Attempt.id == attempt_id)).first()
    if row is None:
        raise ApiError(404, f"no attempt {attempt_id}")
    g.attempt_owner_id = row[0]
    return Context("cohort", row[1])


def _own_attempt_only(attempt_id: int) -> None:
    if g.attempt_owner_id != current_api_caller().id:
        raise ApiError(404, f"no attempt {attempt_id}")


# --- JSON -------------------------------------------------------------------------------------

def _test_json(test: Test, terms: attempt_service.Terms) -> dict:
    """A test as the caller meets it (`attempt_service.terms_for`)."""
    return {"id": test.id, "kind": test.kind, "title": test.title, "module_number": test.module_number,
            "state": terms.state, "opens_at": _iso(terms.opens_at), "closes_at": _iso(terms.closes_at),
            "time_limit_minutes": terms.time_limit_minutes, "attempts_allowed": terms.attempts_allowed}


def _slot_json(s) -> dict:
    v = s.version
    qt = QUESTION_TYPES[v.qtype]
    order = s.option_order or []
    return {"slot": s.slot, "code": v.item.code, "type": v.qtype, "title": v.title, "text": v.text,
            "text_html": v.text_html, **qt.public_view(v.data or {}, order),
            "answer": qt.to_shown(v.data or {}, order, s.answer), "answered_at": _iso(s.answered_at),
            "flagged": bool(s.flagged)}


def _attempt_json(attempt: Attempt, *, staff: bool = False) -> dict:
    out = {"id": attempt.id, "test_id": attempt.test_id, "number": attempt.number, "status": attempt.status,
           "started_at": _iso(attempt.started_at), "deadline_at": _iso(attempt.deadline_at),
           "grace_seconds": attempt.test.grace_seconds, "slots": [_slot_json(s) for s in attempt.slots]}
    if attempt.status == "finished":
        out["result"] = _result_json(attempt, staff=staff)
    return out


def _result_json(attempt: Attempt, *, staff: bool = False) -> dict:
    """The result view with its points per topic and, where the programme has a competence
    framework, per competence (hidden with the topics when the review options hide them)."""
    language = _language()
    view = attempt_service.result_view(attempt, staff=staff, language=language, topics=True)
    framework = results.framework_of(attempt.test)
    if framework is None:
        return view
    if "topics" in view.get("hidden", ()):
        view["hidden"].insert(view["hidden"].index("topics") + 1, "competences")
    elif "topics" in view:
        named = framework.by_code()
        view["competences"] = [{"competence": c.topic, "title": localized(named[c.topic], "title", language),
                                "score": c.score, "max": c.max_score, "percent": c.percent, "pending": c.pending}
                               for c in results.by_competence(framework, view)]
    return view


def _closed(exc: attempt_service.AttemptClosed):
    """Keep what the refusal decided (an overdue attempt finished and graded), then refuse."""
    db.session.commit()
    raise exc


def _retry_when_locked(view):
    """SQLite (the embedded default) lets one writer in at a time, and a transaction that read
    before another writer committed cannot write at all ("database is locked"): the request
    is rolled back and run again, whole, token check included. Every endpoint here is
    idempotent (the same answer saved again, a submit that finds the attempt graded), so a
    rerun is safe. PostgreSQL waits on row locks instead and never gets here."""

    @wraps(view)  # keeps the capability and OpenAPI attributes api_endpoint set
    def wrapped(*args, **kwargs):
        for attempt in range(1, 6):
            try:
                return view(*args, **kwargs)
            except OperationalError as exc:
                if attempt == 5 or "database is locked" not in str(exc.orig):
                    raise
                db.session.rollback()
                time.sleep(0.02 * attempt)

    return wrapped


# --- endpoints ----------------------------------------------------------------------------------

@bp.route("/cohorts/<code>/tests")
@_retry_when_locked
@api_endpoint((PARTICIPANT, STAFF), _cohort_ctx, summary="A cohort's tests and whether each is open",
              tags=TAGS, parameters=[path_parameter("code")], response={"type": "array", "items": TEST})
def cohort_tests(code):
    now = utcnow()
    staff = _is_staff()
    tests = test_service.tests_of(g.cohort, include_drafts=staff)
    enrolment_id = None if staff else db.session.scalar(select(Enrolment.id).where(
        Enrolment.cohort_id == g.cohort.id, Enrolment.user_id == current_api_user().id))
    grants = attempt_service.granted_many([t.id for t in tests], [enrolment_id]) if enrolment_id else {}
    no_grant = attempt_service.NO_GRANT
    return jsonify([_test_json(t, attempt_service.terms_for(t, grants.get((t.id, enrolment_id), no_grant), now))
                    for t in tests])


@bp.route("/tests/<int:test_id>/attempts", methods=["POST"])
@_retry_when_locked
@api_endpoint(PARTICIPANT, _test_ctx, summary="Start an attempt (or resume the one in progress)", tags=TAGS,
              parameters=[path_parameter("test_id", "integer")], response=ATTEMPT, status=201)
def start(test_id):
    test = g.test
    if test.status == "draft":
        raise ApiError(404, f"no test {test_id}")
    user = current_api_user()
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.cohort_id == test.cohort_id,
                                                          Enrolment.user_id == user.id))
    if enrolment is None:
        raise ApiError(403, "only the cohort's participants take its tests")
    now = utcnow()
    try:
        attempt = attempt_service.start_attempt(test, enrolment, user, now=now)
    except ServiceError:
        db.session.rollback()
        raise
    created = attempt.started_at == now
    db.session.commit()
    # a new attempt is answered from what the start built (its slots, versions and items are
    # loaded: expire_on_commit is off); one resumed is read afresh, finished first if overdue
    response = jsonify(_attempt_json(attempt if created else attempt_service.get_attempt(attempt.id)))
    response.status_code = 201 if created else 200
    return response


@bp.route("/attempts/<int:attempt_id>/answers/<int:slot>", methods=["PUT"])
@lane_endpoint  # the final test day's request: served without Flask's request context (core/api_lane.py)
@_retry_when_locked
@api_endpoint(PARTICIPANT, _answer_ctx, summary="Save one answer; 200 only once it is committed", tags=TAGS,
              joined=attempt_service.answer_target_read,
              parameters=[path_parameter("attempt_id", "integer"), path_parameter("slot", "integer")],
              request_body=ANSWER_BODY,
              response={"type": "object", "properties": {"slot": {"type": "integer"}, "saved_at": TIME}})
def save_answer(attempt_id, slot):
    body = json_body()
    if "answer" not in body:
        raise ApiError(400, "the body is {\"answer\": {...}}", field="answer")
    try:
        saved_at = attempt_service.save_answer(attempt_id, slot, body["answer"], current_api_caller(),
                                               target=g.answer_target)
    except attempt_service.AttemptClosed as exc:
        _closed(exc)
    except ServiceError:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify(slot=slot, saved_at=_iso(saved_at))


@bp.route("/attempts/<int:attempt_id>/flags/<int:slot>", methods=["PUT"])
@api_endpoint(PARTICIPANT, _attempt_ctx, summary="Flag a question to come back to, or take the flag off", tags=TAGS,
              parameters=[path_parameter("attempt_id", "integer"), path_parameter("slot", "integer")],
              request_body={"type": "object", "required": ["flagged"],
                            "properties": {"flagged": {"type": "boolean"}}},
              response={"type": "object", "properties": {"slot": {"type": "integer"}, "flagged": {"type": "boolean"}}})
def flag(attempt_id, slot):
    _own_attempt_only(attempt_id)
    body = json_body()
    if not isinstance(body.get("flagged"), bool):
        raise ApiError(400, "the body is {\"flagged\": true or false}", field="flagged")
    try:
        flagged = attempt_service.set_flag(attempt_id, slot, body["flagged"], current_api_user())
    except ServiceError:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify(slot=slot, flagged=flagged)


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@_retry_when_locked
@api_endpoint(PARTICIPANT, _attempt_ctx, summary="Submit: finish and grade once (a second submit returns the"
              " same result)", tags=TAGS, parameters=[path_parameter("attempt_id", "integer")], response=RESULT)
def submit(attempt_id):
    _own_attempt_only(attempt_id)
    try:
        attempt = attempt_service.submit(attempt_id, current_api_user())
    except ServiceError:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify(_result_json(attempt))


@bp.route("/attempts/<int:attempt_id>")
@_retry_when_locked
@api_endpoint((PARTICIPANT, STAFF), _attempt_ctx, summary="An attempt: its items, saved answers and, once"
              " finished, the result the review options allow", tags=TAGS,
              parameters=[path_parameter("attempt_id", "integer")], response=ATTEMPT)
def attempt(attempt_id):
    staff = _is_staff()
    if not staff:
        _own_attempt_only(attempt_id)
    a = attempt_service.get_attempt(attempt_id)
    db.session.commit()  # an overdue attempt finished on the way stays finished
    return jsonify(_attempt_json(a, staff=staff))
