"""Exit survey pages: answering (participant), the per-cohort summary and its CSV, and the
questions of a draft survey (trainer).

The participant page shows only the signed-in participant's own response. Staff pages of an
anonymous survey show no names and no submission times (see services/survey.py)."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.core.i18n import current_language
from lms.core.permissions import requires
from lms.core.services.exports import table_download
from lms.courses.forms import ConfirmForm
from lms.quizbank.forms.survey import AnswerForm, QuestionsForm, field_name, read_answers
from lms.quizbank.services import survey as service
from lms.quizbank.services import tests as test_service
from lms.quizbank.views.common import bp, can_here, my_enrolment, run_service, test_context


def _survey():
    """The exit survey in g.test (404 for any other kind of test)."""
    if not service.is_survey(g.test):
        abort(404)
    return g.test


# --- participant ------------------------------------------------------------------------------

@bp.route("/cohorts/<code>/me/surveys/<int:test_id>", methods=["GET", "POST"])
@requires("quizbank:attempt", test_context)
def take_survey(code, test_id):
    test = _survey()
    if test.status == "draft":
        abort(404)
    enrolment = my_enrolment()
    questions = service.questions_of(test)
    form = AnswerForm()
    values: dict[int, str] = {}
    errors: dict[int, str] = {}
    here = url_for("quizbank.take_survey", code=code, test_id=test_id)
    response = service.response_of(test, enrolment)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if response is not None:  # a second submission: the first stays
            flash(_("You have already answered this survey; your first answers are kept."), "warning")
            return redirect(here)
        values = read_answers(request.form, questions)
        _clean, errors = service.check_answers(questions, values)
        if not errors:
            done = run_service(None, lambda: service.submit(test, enrolment, values, current_user),
                               _("Thank you! Your answers are saved."), here)
            if done:
                return done
            response = service.response_of(test, enrolment)
    own = {a.question_id: a for a in response.answers} if response is not None else {}
    return render_template("quizbank/survey_take.html", cohort=g.cohort, test=test, questions=questions,
                           form=form, values=values, errors=errors, response=response, own=own,
                           state=test_service.state(test), enrolment=enrolment, field_name=field_name,
                           scale=service.scale_labels())


# --- staff ------------------------------------------------------------------------------------

@bp.route("/cohorts/<code>/tests/<int:test_id>/survey")
@requires("quizbank:view_results", test_context)
def survey_summary(code, test_id):
    test = _survey()
    return render_template("quizbank/survey_summary.html", cohort=g.cohort, test=test,
                           summary=service.summary(test), state=test_service.state(test),
                           scale=service.scale_labels(), can_run=can_here("quizbank:run_tests"), confirm=ConfirmForm())


@bp.route("/cohorts/<code>/tests/<int:test_id>/survey.csv")
@requires("quizbank:view_results", test_context)
def survey_export(code, test_id):
    test = _survey()
    header, rows = service.export_rows(test, current_language())
    return table_download("csv", header, rows, f"{code}-survey-{test_id}")


@bp.route("/cohorts/<code>/tests/<int:test_id>/survey/questions", methods=["GET", "POST"])
@requires("quizbank:run_tests", test_context)
def survey_questions(code, test_id):
    test = _survey()
    questions = service.questions_of(test)
    form = QuestionsForm()
    if request.method == "GET":
        form.questions.data = service.format_questions(questions)
        form.anonymous.data = test.anonymous
    elif form.validate_on_submit():
        def save():
            service.set_anonymous(test, bool(form.anonymous.data), current_user)
            return service.set_questions(test, form.questions.data or "", current_user)

        # a published survey's refusal is flashed: its page shows no form to put it on
        done = run_service(form if test.status == "draft" else None, save, _("Questions saved."),
                           url_for("quizbank.survey_questions", code=code, test_id=test_id))
        if done:
            return done
    return render_template("quizbank/survey_questions.html", cohort=g.cohort, test=test, questions=questions,
                           form=form, confirm=ConfirmForm(), scale=service.scale_labels(),
                           editable=test.status == "draft")


@bp.route("/cohorts/<code>/tests/<int:test_id>/survey/defaults", methods=["POST"])
@requires("quizbank:run_tests", test_context)
def survey_defaults(code, test_id):
    test = _survey()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    target = url_for("quizbank.survey_questions", code=code, test_id=test_id)
    added: list = []
    done = run_service(None, lambda: added.extend(service.add_default_questions(test, current_user)), "", target)
    if done is not None:
        flash(_("The default questions are added.") if added else _("The survey already has questions."))
    return done or redirect(target)
