"""Cohort views: self-study tasks, hand-ins, the review queue and evidence files.

Staff pages take the cohort from the URL and only ever load tasks and submissions that
belong to it; participant pages (/me/...) only ever show the signed-in participant's own
enrolment's hand-ins. Anything else is a 404, never its content."""
from __future__ import annotations

import tempfile

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.core.i18n import localized
from lms.core.pagination import paginate
from lms.core.permissions import has_capability, requires
from lms.core.services.errors import NotFound
from lms.core.web import send_stored, upload_of
from lms.courses.forms import ConfirmForm
from lms.courses.forms.selfstudy import PeerReviewForm, ReviewForm, SubmissionForm, TaskForm
from lms.courses.models import SelfStudyTask, Submission
from lms.courses.services import ledger, marks, render_markdown
from lms.courses.services import selfstudy as service
from lms.courses.views.common import (
    COHORT_TABS, TEMPLATE_LINKS, cohort_context, cohorts_bp as bp, my_enrolment, run_service,
)
from lms.db import db

COHORT_TABS.append(("cohorts.selfstudy", _l("Self-study")))
TEMPLATE_LINKS["review_url"] = lambda submission: url_for(
    "cohorts.review_submission", code=submission.task.cohort.code, submission_id=submission.id)
TEMPLATE_LINKS["task_url"] = lambda task: url_for("cohorts.my_task", code=task.cohort.code, task_id=task.id)


def _task(task_id: int) -> SelfStudyTask:
    try:
        return service.get_task(g.cohort, task_id)
    except NotFound:
        abort(404)


def _submission(submission_id: int) -> Submission:
    try:
        return service.get_submission(g.cohort, submission_id)
    except NotFound:
        abort(404)




# --- staff: tasks -------------------------------------------------------------------------

@bp.route("/<code>/selfstudy")
@requires("courses:view_cohort", cohort_context)
def selfstudy(code):
    """Everyone on the cohort's staff may read the task list; trainers also edit it."""
    cohort = g.cohort
    units, _topics = ledger.units(cohort)
    return render_template("courses/selfstudy.html", cohort=cohort, tasks=service.tasks(cohort),
                           planned=sum(u.self_planned for u in units),
                           counts=service.task_counts(cohort), confirm=ConfirmForm(),
                           can_teach=has_capability(current_user, "courses:teach", g.lms_context))


@bp.route("/<code>/selfstudy/defaults", methods=["POST"])
@requires("courses:teach", cohort_context)
def selfstudy_defaults(code):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    target = url_for("cohorts.selfstudy", code=code)
    created: list[SelfStudyTask] = []
    done = run_service(None, lambda: created.extend(service.create_default_tasks(g.cohort, current_user)), "", target)
    if done is not None:
        flash(ngettext("%(num)d task created from the hour plan.", "%(num)d tasks created from the hour plan.",
                       len(created)) if created else _("Every topic with self-study hours already has a task."))
    return done or redirect(target)


def _topic_choices(cohort):
    units, topics = ledger.units(cohort)
    ids = [tid for u in units for tid in u.topic_ids]
    return [(tid, f"{topics[tid].code}. {localized(topics[tid], 'title')}"[:120]) for tid in ids]


def _points_text(points: float | None) -> str:
    return "" if points is None else f"{points:g}"


def _task_form_page(task: SelfStudyTask | None):
    cohort = g.cohort
    form = TaskForm(obj=task)
    if task is not None and request.method == "GET":
        form.descriptors.data = "\n".join(task.descriptors or [])
        form.max_points.data = _points_text(task.max_points)
    form.topic_id.choices = _topic_choices(cohort)
    if form.validate_on_submit():
        fields = {"topic_id": form.topic_id.data, "title": form.title.data, "instructions": form.instructions.data,
                  "hours": form.hours.data, "due_date": form.due_date.data, "peer_reviews": form.peer_reviews.data,
                  "descriptors": form.descriptors.data, "self_check": form.self_check.data,
                  "max_points": form.max_points.data}
        done = run_service(form, lambda: service.save_task(cohort, fields, current_user, task),
                           _("Task saved."), url_for("cohorts.selfstudy", code=cohort.code))
        if done:
            return done
    return render_template("courses/selfstudy_task_form.html", cohort=cohort, form=form, task=task,
                           confirm=ConfirmForm(),
                           descriptor_counts=service.descriptor_counts(task) if task is not None else [])


@bp.route("/<code>/selfstudy/new", methods=["GET", "POST"])
@requires("courses:teach", cohort_context)
def new_task(code):
    return _task_form_page(None)


@bp.route("/<code>/selfstudy/tasks/<int:task_id>", methods=["GET", "POST"])
@requires("courses:teach", cohort_context)
def edit_task(code, task_id):
    return _task_form_page(_task(task_id))


@bp.route("/<code>/selfstudy/tasks/<int:task_id>/delete", methods=["POST"])
@requires("courses:teach", cohort_context)
def delete_task(code, task_id):
    task = _task(task_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    target = url_for("cohorts.selfstudy", code=code)
    return run_service(None, lambda: service.delete_task(task, current_user), _("Task deleted."), target) \
        or redirect(url_for("cohorts.edit_task", code=code, task_id=task_id))


@bp.route("/<code>/selfstudy/tasks/<int:task_id>/hand-ins.zip")
@requires("courses:teach", cohort_context)
def task_hand_ins(code, task_id):
    """Every present participant's newest hand-in for the task, one ZIP (Moodle's "Download all
    submissions"), to read offline or keep; built in a temporary file, not in memory."""
    task = _task(task_id)
    labels = {"status": _("Status"), "handed_in": _("Handed in"), "link": _("Link"),
              "self_assessment": _("Self-assessment"), "feedback": _("Feedback"), "mark": _("Mark"),
              "ticks": _("[x] [ ]: the participant's check, then the trainer's ([-]: not reviewed yet)"),
              "submitted": _("waiting for review"), "accepted": _("accepted"),
              "returned": _("returned for rework"), "answer_file": _("answer"), "index_file": _("hand-ins"),
              "index_header": "|".join([_("No."), _("Participant"), _("E-mail"), _("Status"), _("Handed in"),
                                        _("File"), _("Link"), _("Descriptors met"), _("Mark")])}
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    if not service.hand_ins_zip(task, out, labels):
        out.close()
        flash(_("Nobody has handed in this task yet."))
        return redirect(url_for("cohorts.selfstudy", code=code))
    out.seek(0)
    response = send_file(out, mimetype="application/zip", as_attachment=True, max_age=0,
                         download_name=f"{code}-{task.topic.code}-{task.id}.zip")
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- trainer: review ----------------------------------------------------------------------

@bp.route("/<code>/selfstudy/review")
@requires("courses:teach", cohort_context)
def review_queue(code):
    page = paginate(service.review_queue(g.cohort), request.args.get("page", 1, type=int), per_page=30)
    return render_template("courses/selfstudy_review.html", cohort=g.cohort, page=page)


@bp.route("/<code>/selfstudy/submissions/<int:submission_id>", methods=["GET", "POST"])
@requires("courses:teach", cohort_context)
def review_submission(code, submission_id):
    submission = _submission(submission_id)
    form = ReviewForm()
    form.met.choices = list(enumerate(submission.descriptors or []))
    marked = submission.task.max_points is not None
    if not marked:
        del form.points
    else:
        form.points.description = _("Out of %(max)s. Leave it empty for no mark yet.",
                                    max=_points_text(submission.task.max_points))
    if request.method == "GET" and submission.descriptors:
        form.met.data = [i for i, tick in enumerate(submission.met or submission.self_met or []) if tick]
    if request.method == "GET" and marked:
        form.points.data = _points_text(submission.points)
    if request.method == "POST" and form.validate_on_submit():
        points = form.points.data if marked else None
        if form.save_mark.data and marked:
            done = run_service(form, lambda: marks.mark(submission, points, current_user,
                                                        service.newest(submission.task, submission.enrolment)),
                               _("Mark saved."), url_for("cohorts.review_submission", code=code,
                                                         submission_id=submission_id))
            if done:
                return done
        else:
            accept = bool(form.accept.data)
            if not accept and not form.send_back.data:
                abort(400)
            message = _("Accepted.") if accept else _("Returned for rework.")
            met = list(form.met.data or []) if submission.descriptors else None
            done = run_service(form, lambda: service.review(submission, accept, form.feedback.data, current_user, met,
                                                            points),
                               message, url_for("cohorts.review_queue", code=code))
            if done:
                return done
    task, enrolment = submission.task, submission.enrolment
    versions = service.history(task, enrolment)
    return render_template("courses/selfstudy_submission.html", cohort=g.cohort, submission=submission,
                           task=task, enrolment=enrolment, versions=versions, form=form,
                           is_newest=bool(versions) and versions[0].id == submission.id,
                           peer_comments=service.reviews_of(task, enrolment),
                           instructions_html=render_markdown(task.instructions),
                           staff_file_url=lambda s: url_for("cohorts.submission_file", code=code,
                                                            submission_id=s.id))


@bp.route("/<code>/selfstudy/files/<int:submission_id>")
@requires("courses:view_cohort", cohort_context)
def submission_file(code, submission_id):
    return send_stored(_submission(submission_id).file)


# --- participant --------------------------------------------------------------------------

@bp.route("/<code>/me/tasks/<int:task_id>", methods=["GET", "POST"])
@requires("courses:participate", cohort_context)
def my_task(code, task_id):
    enrolment = my_enrolment()
    task = _task(task_id)
    form = SubmissionForm()
    form.self_met.choices = list(enumerate(task.descriptors or []))
    if request.method == "POST" and form.validate_on_submit():
        upload = upload_of(form.file)
        done = run_service(form, lambda: service.submit(task, enrolment, form.text.data, form.link.data, upload,
                                                        current_user, form.self_assessment.data,
                                                        list(form.self_met.data or [])),
                           _("Handed in. Your trainer will review it."),
                           url_for("cohorts.my_task", code=code, task_id=task_id))
        if done:
            return done
    return _my_task_page(task, enrolment, form)


def _my_task_page(task, enrolment, form, review_form=None, status: int = 200):
    code = g.cohort.code
    form.self_met.choices = list(enumerate(task.descriptors or []))
    versions = service.history(task, enrolment)
    to_review = service.reviews_to_write(task, enrolment)
    if to_review:
        db.session.commit()  # the classmates' work assigned on first opening stays assigned
    return render_template("courses/selfstudy_task.html", cohort=g.cohort, task=task, enrolment=enrolment,
                           versions=versions, form=form, instructions_html=render_markdown(task.instructions),
                           self_check_html=render_markdown(task.self_check) if versions and task.self_check else "",
                           to_review=to_review, peer_comments=service.reviews_of(task, enrolment),
                           review_form=review_form or PeerReviewForm(formdata=None), failed_review=request.form.get(
                               "review_id", type=int) if review_form is not None else None,
                           peer_file_url=lambda r: url_for("cohorts.peer_file", code=code, review_id=r.id),
                           own_file_url=lambda s: url_for("cohorts.my_submission_file", code=code,
                                                          submission_id=s.id),
                           can_hand_in=enrolment.status != "withdrawn"
                           and not (versions and versions[0].status == "accepted")), status


@bp.route("/<code>/me/tasks/<int:task_id>/reviews", methods=["POST"])
@requires("courses:participate", cohort_context)
def write_peer_review(code, task_id):
    enrolment = my_enrolment()
    task = _task(task_id)
    review = _my_review(request.form.get("review_id", type=int), enrolment)
    form = PeerReviewForm()
    if form.validate_on_submit():
        done = run_service(form, lambda: service.write_review(review, enrolment, form.comment.data, current_user),
                           _("Your comment is saved. Thank you!"),
                           url_for("cohorts.my_task", code=code, task_id=task_id, _anchor=f"review-{review.id}"))
        if done:
            return done
    return _my_task_page(task, enrolment, SubmissionForm(formdata=None), form, 400)


def _my_review(review_id, enrolment):
    """A peer review assigned to the signed-in participant in this cohort (never another's)."""
    try:
        review = service.get_review(g.cohort, review_id or 0)
    except NotFound:
        abort(404)
    if review.reviewer_id != enrolment.id:
        abort(404)
    return review


@bp.route("/<code>/me/reviews/<int:review_id>/file")
@requires("courses:participate", cohort_context)
def peer_file(code, review_id):
    """The classmate's file, to the reviewer assigned to it only, while they are in the cohort."""
    enrolment = my_enrolment()
    if enrolment.status == "withdrawn":
        abort(404)
    return send_stored(_my_review(review_id, enrolment).submission.file)


@bp.route("/<code>/me/files/<int:submission_id>")
@requires("courses:participate", cohort_context)
def my_submission_file(code, submission_id):
    enrolment = my_enrolment()
    submission = _submission(submission_id)
    if submission.enrolment_id != enrolment.id:
        abort(404)
    return send_stored(submission.file)
