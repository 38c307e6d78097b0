"""A participant's tests: the list, starting, answering page by page, finishing, the result.

Answers are saved as they are given: without JavaScript every button on the attempt page
posts the page's answers (saved and committed before the next page shows); with JavaScript
each answer is also saved when it changes (`save_slot`, acknowledged only after commit).
Only the signed-in participant's own attempts are reachable; anything else is a 404."""
from __future__ import annotations

import math
from datetime import timezone

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.core.i18n import current_language, localtime
from lms.core.permissions import expired_json, requires
from lms.core.services.errors import NotFound, ServiceError
from lms.courses.forms import ConfirmForm
from lms.courses.views.common import COHORT_TABS
from lms.db import db, utcnow
from lms.quizbank.models import Attempt
from lms.quizbank.qtypes import qtype
from lms.quizbank.services import attempts as attempt_service
from lms.quizbank.services import results as result_service
from lms.quizbank.views.common import bp, by_competence, cohort_context, my_enrolment, test_context, topic_titles

COHORT_TABS.append(("quizbank.my_tests", _l("My tests")))
PER_PAGE = 5


def _my_attempt(attempt_id: int) -> Attempt:
    """The participant's own attempt in this cohort, finished first if its time is up."""
    enrolment = my_enrolment()
    try:
        attempt = attempt_service.get_attempt(attempt_id)
    except NotFound:
        abort(404)
    if attempt.enrolment_id != enrolment.id:
        abort(404)
    db.session.commit()  # an overdue attempt finished on load stays finished
    return attempt


@bp.route("/cohorts/<code>/me/tests")
@requires("quizbank:attempt", cohort_context)
def my_tests(code):
    enrolment = my_enrolment()
    rows = result_service.my_tests(g.cohort, enrolment)
    return render_template("quizbank/my_tests.html", cohort=g.cohort, rows=rows, confirm=ConfirmForm(),
                           band_of=_band_of,
                           profile=result_service.competence_profile(g.cohort, rows, current_language()))


def _band_of(attempt) -> str:
    view = attempt_service.result_view(attempt, language=current_language())
    return view.get("band") or ""


@bp.route("/cohorts/<code>/me/tests/<int:test_id>/start", methods=["POST"])
@requires("quizbank:attempt", test_context)
def start(code, test_id):
    enrolment = my_enrolment()
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".my_tests", code=code))
    try:
        attempt = attempt_service.start_attempt(g.test, enrolment, current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".my_tests", code=code))
    db.session.commit()
    return redirect(url_for(".take", code=code, attempt_id=attempt.id))


# --- answering --------------------------------------------------------------------------------

def shown_answer(slot_no: int, kind: str, view: dict, form) -> dict | None:
    """The answer a page's fields give for one question, in shown positions; None when the
    question was left as it was (nothing chosen, nothing typed)."""
    name = f"q{slot_no}"
    if kind == "single" or kind == "truefalse":
        value = form.get(name)
        if value in (None, ""):
            return None
        return {"choice": value} if kind == "single" else {"value": value}
    if kind == "multiple":
        return {"choices": form.getlist(name)}
    if kind == "matching":
        pairs = {str(i): form.get(f"{name}-{i}", "") for i in range(len(view.get("questions", [])))}
        return {"pairs": pairs} if any(pairs.values()) else None
    value = form.get(name)
    if value is None:
        return None
    if kind == "numerical":
        return {"value": value.strip()} if value.strip() else None
    return {"text": value}


def _save_slots(attempt: Attempt, slots, form) -> list[str]:
    """Save the answers the form holds for `slots`; returns problems, one per question.
    Raises AttemptClosed when time ran out (what was decided is committed by the caller)."""
    problems = []
    now = utcnow()
    for s in slots:
        if form.get(f"present-{s.slot}") is None:
            continue
        kind, data, order = qtype(s.version.qtype), s.version.data or {}, s.option_order or []
        answer = shown_answer(s.slot, kind.id, kind.public_view(data, order), form)
        if answer is None or (kind.id == "multiple" and not answer["choices"] and s.answer is None):
            continue
        try:
            if kind.from_shown(data, order, answer) == s.answer:
                continue  # unchanged: nothing to write
            attempt_service.save_answer(attempt.id, s.slot, answer, current_user, now)
        except attempt_service.AttemptClosed:
            raise
        except ServiceError as exc:
            problems.append(_("Question %(n)s: %(problem)s", n=s.slot, problem=exc.message))
    return problems


def _pages(attempt: Attempt) -> int:
    return max(1, math.ceil(len(attempt.slots) / PER_PAGE))


@bp.route("/cohorts/<code>/me/attempts/<int:attempt_id>", methods=["GET", "POST"])
@requires("quizbank:attempt", cohort_context)
def take(code, attempt_id):
    attempt = _my_attempt(attempt_id)
    if attempt.status == "finished":
        return redirect(url_for(".result", code=code, attempt_id=attempt.id))
    pages = _pages(attempt)
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    on_page = attempt.slots[(page - 1) * PER_PAGE: page * PER_PAGE]
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(_("The page had expired; your answers on it were not saved. Please give them again."), "error")
            return redirect(url_for(".take", code=code, attempt_id=attempt.id, page=page))
        try:
            problems = _save_slots(attempt, on_page, request.form)
        except attempt_service.AttemptClosed as exc:
            db.session.commit()
            flash(exc.message, "error")
            return redirect(url_for(".result", code=code, attempt_id=attempt.id))
        db.session.commit()
        for problem in problems:
            flash(problem, "error")
        action = request.form.get("action", "")
        if problems:
            return redirect(url_for(".take", code=code, attempt_id=attempt.id, page=page))
        if action == "timeup" and attempt.deadline_at is not None and utcnow() < attempt.deadline_at:
            # the page's countdown ended, but the trainer gave more time meanwhile: go on
            flash(_("You were given more time: %(minutes)s min left.",
                    minutes=max(1, _remaining(attempt) // 60)))
            return redirect(url_for(".take", code=code, attempt_id=attempt.id, page=page))
        if action in ("submit", "timeup"):
            return _submit(attempt)
        if action == "finish":
            return redirect(url_for(".summary", code=code, attempt_id=attempt.id))
        flag = next((s for s in on_page if action == f"flag-{s.slot}"), None)
        if flag is not None:  # the flag button, without JavaScript: the page's answers are saved too
            attempt_service.set_flag(attempt.id, flag.slot, not flag.flagged, current_user)
            db.session.commit()
            return redirect(url_for(".take", code=code, attempt_id=attempt.id, page=page, _anchor=f"q{flag.slot}"))
        target = page + 1 if action == "next" else page - 1 if action == "prev" else \
            int(action[5:]) if action.startswith("page-") and action[5:].isdigit() else page
        return redirect(url_for(".take", code=code, attempt_id=attempt.id, page=min(max(target, 1), pages)))
    return render_template("quizbank/take.html", cohort=g.cohort, attempt=attempt, test=attempt.test,
                           slots=[slot_view(s) for s in on_page], page=page, pages=pages, per_page=PER_PAGE,
                           form=form, remaining=_remaining(attempt), answered=result_service.answered_count(attempt))


def slot_view(s) -> dict:
    kind = qtype(s.version.qtype)
    data, order = s.version.data or {}, s.option_order or []
    return {"slot": s, "kind": s.version.qtype, "view": kind.public_view(data, order),
            "shown": kind.to_shown(data, order, s.answer) or {},
            # as the autosave answers it: attempt.js compares the two to know what the server has
            "saved_at": _iso_utc(s.answered_at)}


def _iso_utc(moment) -> str:
    return moment.astimezone(timezone.utc).isoformat() if moment else ""


def _remaining(attempt: Attempt) -> int | None:
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - utcnow()).total_seconds()))


@bp.route("/cohorts/<code>/me/attempts/<int:attempt_id>/slots/<int:slot>", methods=["POST"])
@requires("quizbank:attempt", cohort_context)
def save_slot(code, attempt_id, slot):
    """The autosave of one answer (JavaScript): 200 only once the answer is committed."""
    enrolment = my_enrolment()
    if not ConfirmForm().validate_on_submit():
        return expired_json()
    target = attempt_service.answer_target(attempt_id, slot)
    if target is None or target.user_id != current_user.id or target.cohort_id != enrolment.cohort_id:
        return jsonify(error="not_found", message=_("No such question.")), 404
    if target.slot_id is None:
        return jsonify(error="not_found", message=_("No such question.")), 404
    answer = shown_answer(slot, target.qtype, qtype(target.qtype).public_view(target.data or {},
                                                                            target.option_order or []), request.form)
    if answer is None:
        return jsonify(error="empty", message=_("Nothing to save.")), 400
    try:
        saved_at = attempt_service.save_answer(attempt_id, slot, answer, current_user, target=target)
    except attempt_service.AttemptClosed as exc:
        db.session.commit()
        return jsonify(error="closed", message=exc.message,
                       result_url=url_for(".result", code=code, attempt_id=attempt_id)), 409
    except ServiceError as exc:
        db.session.rollback()
        return jsonify(error="invalid", message=exc.message), 400
    db.session.commit()
    deadline = target.deadline_at  # read with the answer's target, this request
    return jsonify(slot=slot, saved_at=_iso_utc(saved_at),
                   message=_("Saved at %(time)s", time=localtime(saved_at, g.cohort.timezone, "HH:mm:ss")),
                   # the countdown follows the deadline, which a trainer may have moved
                   remaining=None if deadline is None else max(0, int((deadline - utcnow()).total_seconds())))


@bp.route("/cohorts/<code>/me/attempts/<int:attempt_id>/slots/<int:slot>/flag", methods=["POST"])
@requires("quizbank:attempt", cohort_context)
def flag_slot(code, attempt_id, slot):
    """The flag button with JavaScript: sets the flag without reloading the page."""
    if not ConfirmForm().validate_on_submit():
        return expired_json()
    try:  # the service checks the attempt is this participant's own and in progress
        flagged = attempt_service.set_flag(attempt_id, slot, request.form.get("flagged") == "1", current_user,
                                           g.cohort.id)
    except ServiceError as exc:
        db.session.rollback()
        return jsonify(error="not_found", message=exc.message), 404
    db.session.commit()
    return jsonify(slot=slot, flagged=flagged)


@bp.route("/cohorts/<code>/me/attempts/<int:attempt_id>/summary", methods=["GET", "POST"])
@requires("quizbank:attempt", cohort_context)
def summary(code, attempt_id):
    attempt = _my_attempt(attempt_id)
    if attempt.status == "finished":
        return redirect(url_for(".result", code=code, attempt_id=attempt.id))
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        return _submit(attempt)
    return render_template("quizbank/summary.html", cohort=g.cohort, attempt=attempt, test=attempt.test,
                           form=form, per_page=PER_PAGE, remaining=_remaining(attempt))


def _submit(attempt: Attempt):
    try:
        attempt_service.submit(attempt.id, current_user)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".take", code=g.cohort.code, attempt_id=attempt.id))
    db.session.commit()
    return redirect(url_for(".result", code=g.cohort.code, attempt_id=attempt.id))


@bp.route("/cohorts/<code>/me/attempts/<int:attempt_id>/result")
@requires("quizbank:attempt", cohort_context)
def result(code, attempt_id):
    attempt = _my_attempt(attempt_id)
    if attempt.status != "finished":
        return redirect(url_for(".take", code=code, attempt_id=attempt.id))
    view = attempt_service.result_view(attempt, language=current_language(), topics=True)
    reviews = {r["slot"]: r for r in view.get("answers", [])}
    slots = [slot_view(s) for s in attempt.slots] if reviews else []
    return render_template("quizbank/result.html", cohort=g.cohort, attempt=attempt, test=attempt.test,
                           view=view, slots=slots, reviews=reviews, topic_titles=topic_titles(g.cohort),
                           competence=by_competence(g.cohort, view),
                           again=attempt_service.may_start_again(attempt.test, my_enrolment()), confirm=ConfirmForm())
