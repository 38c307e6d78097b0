"""Staff review of attempts and the essay grading queue of a test."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.core.i18n import current_language
from lms.core.permissions import requires
from lms.core.services.errors import NotFound
from lms.courses.forms import ConfirmForm
from lms.courses.models import Enrolment
from lms.db import db
from lms.quizbank.forms.tests import GradeForm
from lms.quizbank.models import AttemptSlot
from lms.quizbank.qtypes import qtype
from lms.quizbank.services import attempts as attempt_service
from lms.quizbank.services import results as result_service
from lms.quizbank.views.attempts import slot_view
from lms.quizbank.views.common import bp, by_competence, can_here, run_service, test_context, topic_titles


def _attempt_of_test(attempt_id: int):
    try:
        attempt = attempt_service.get_attempt(attempt_id)
    except NotFound:
        abort(404)
    if attempt.test_id != g.test.id:
        abort(404)
    db.session.commit()  # an overdue attempt finished on load stays finished
    return attempt


@bp.route("/cohorts/<code>/tests/<int:test_id>/attempts/<int:attempt_id>")
@requires("quizbank:view_results", test_context)
def attempt_review(code, test_id, attempt_id):
    attempt = _attempt_of_test(attempt_id)
    view = attempt_service.result_view(attempt, staff=True, language=current_language(), topics=True)
    enrolment = db.session.get(Enrolment, attempt.enrolment_id)
    return render_template("quizbank/attempt_review.html", cohort=g.cohort, test=g.test, attempt=attempt,
                           participant=enrolment.user, view=view, slots=[slot_view(s) for s in attempt.slots],
                           reviews={r["slot"]: r for r in view.get("answers", [])},
                           can_grade=can_here("quizbank:run_tests"), form=GradeForm(formdata=None),
                           confirm=ConfirmForm(), around=result_service.neighbours(g.test, attempt.id),
                           topic_titles=topic_titles(g.cohort), timeline=attempt_service.timeline(attempt),
                           competence=by_competence(g.cohort, view))


@bp.route("/cohorts/<code>/tests/<int:test_id>/grading")
@requires("quizbank:view_results", test_context)
def grading(code, test_id):
    counts = attempt_service.grading_counts(g.test)
    item = request.args.get("item") if request.args.get("item") in dict(counts) else None
    queue = attempt_service.grading_queue(g.test, item)
    return render_template("quizbank/grading.html", cohort=g.cohort, test=g.test, queue=queue, counts=counts,
                           item=item, slots={s.id: slot_view(s) for s in queue},
                           can_grade=can_here("quizbank:run_tests"), form=GradeForm(formdata=None))


@bp.route("/cohorts/<code>/tests/<int:test_id>/slots/<int:slot_id>/grade", methods=["POST"])
@requires("quizbank:run_tests", test_context)
def grade_slot(code, test_id, slot_id):
    slot = db.session.get(AttemptSlot, slot_id)
    if slot is None or slot.attempt.test_id != g.test.id:
        abort(404)
    form = GradeForm()
    back = request.form.get("next") == "review"
    target = url_for(".attempt_review", code=code, test_id=test_id, attempt_id=slot.attempt_id) if back \
        else url_for(".grading", code=code, test_id=test_id, item=request.form.get("item") or None)
    if request.form.get("action") == "restore":  # an overridden question gets its automatic score back
        if ConfirmForm().validate_on_submit():
            done = run_service(None, lambda: attempt_service.override_score(slot, None, None, current_user),
                               _("Question %(n)s has its automatic score again.", n=slot.slot), target)
            if done:
                return done
        return redirect(target)
    if form.validate_on_submit():
        if qtype(slot.version.qtype).manual:  # graded by hand; anything else is an override
            grade, message = attempt_service.grade_essay, _("Graded: question %(n)s.", n=slot.slot)
        else:
            grade, message = attempt_service.override_score, _("Points of question %(n)s overridden.", n=slot.slot)
        done = run_service(form, lambda: grade(slot, float(form.score.data), form.feedback.data, current_user),
                           message, target)
        if done:
            return done
    for errors in form.errors.values():
        for e in errors:
            flash(e, "error")
    return redirect(target)
