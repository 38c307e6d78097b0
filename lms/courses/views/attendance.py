"""Cohort views: attendance. The grid (participants x sessions), the marking sheet of one
session, the provider report upload and the mapping of people the report did not match."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.core.permissions import has_capability, requires
from lms.core.services.errors import ServiceError
from lms.courses.forms.attendance import (
    MapForm, MarkForm, ReportForm, read_marks, status_initials, status_labels, was_value,
)
from lms.courses.models import AttendanceImport, Enrolment, WebinarSession
from lms.courses.services import attendance as service
from lms.courses.views.common import COHORT_TABS, cohort_context, cohorts_bp as bp, run_service
from lms.db import db, db_int

COHORT_TABS.append(("cohorts.attendance", _l("Attendance")))


def _session_of_cohort(session_id: int) -> WebinarSession:
    session = db.session.get(WebinarSession, session_id)
    if session is None or session.cohort_id != g.cohort.id:
        abort(404)
    return session


def _import_of_cohort(import_id: int) -> AttendanceImport:
    try:
        return service.get_import(g.cohort, import_id)
    except ServiceError:
        abort(404)


@bp.route("/<code>/attendance")
@requires("courses:view_cohort", cohort_context)
def attendance(code):
    start = request.args.get("from", type=db_int)
    page = request.args.get("page", 1, type=int)
    grid = service.grid(g.cohort, start, page)

    def grid_url(first: int, page_number: int) -> str:
        args = {"from": first, **({"page": page_number} if page_number > 1 else {})}
        return url_for("cohorts.attendance", code=code, **args)

    return render_template("courses/attendance.html", cohort=g.cohort, grid=grid, grid_url=grid_url,
                           pending=service.unmatched_pending(g.cohort),
                           can_teach=has_capability(current_user, "courses:teach", g.lms_context),
                           initials=status_initials(), labels=status_labels())


def _render_session(session, form=None, report_form=None, errors=None, report_errors=None, report_heading=None,
                    submitted=None, status=200):
    return render_template(
        "courses/attendance_session.html", cohort=g.cohort, session=session,
        sheet=service.session_sheet(session), form=form or MarkForm(), report_form=report_form or ReportForm(),
        imports=service.imports_of(session), errors=errors or [], report_errors=report_errors or [],
        report_heading=report_heading, submitted=submitted, labels=status_labels(), was_value=was_value,
        max_minutes=service.MAX_MINUTES_FACTOR * session.minutes), status


@bp.route("/<code>/attendance/<int:session_id>", methods=["GET", "POST"])
@requires("courses:teach", cohort_context)
def attendance_session(code, session_id):
    session = _session_of_cohort(session_id)
    form = MarkForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        enrolments = [e for e, _a in service.session_sheet(session)]
        marks, errors = read_marks(request.form, enrolments)
        if not errors:
            try:
                changed = service.mark(session, marks, current_user)
            except ServiceError as exc:
                db.session.rollback()
                errors = [exc.message]
            else:
                db.session.commit()
                flash(_("Attendance saved: %(n)s changed.", n=len(changed)))
                return redirect(url_for("cohorts.attendance_session", code=code, session_id=session_id))
        return _render_session(session, form=form, errors=errors, submitted=request.form)
    return _render_session(session, form=form)


@bp.route("/<code>/attendance/<int:session_id>/report", methods=["POST"])
@requires("courses:teach", cohort_context)
def attendance_report(code, session_id):
    session = _session_of_cohort(session_id)
    form = ReportForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _render_session(session, report_form=form)
    upload = form.report.data
    data = upload.stream.read(service.MAX_REPORT_BYTES + 1)
    try:
        record = service.import_report(session, data, upload.filename or "report.csv", current_user)
    except service.ReportError as exc:
        db.session.rollback()
        return _render_session(session, report_form=form, report_errors=exc.errors,
                               report_heading=exc.summary)
    except ServiceError as exc:
        db.session.rollback()
        return _render_session(session, report_form=form, report_errors=[exc.message])
    db.session.commit()
    flash(_("Report imported: %(matched)s participants matched, %(unmatched)s people to map.",
            matched=record.matched, unmatched=len(record.unmatched)))
    return redirect(url_for("cohorts.attendance_import", code=code, import_id=record.id))


def _map_choices(record: AttendanceImport) -> tuple[list[Enrolment], set[int]]:
    """The cohort's participants, and those already marked for the import's session."""
    sheet = service.session_sheet(record.session)
    return [e for e, _a in sheet if e.status != "withdrawn"], {e.id for e, a in sheet if a is not None}


@bp.route("/<code>/attendance/imports/<int:import_id>")
@requires("courses:teach", cohort_context)
def attendance_import(code, import_id):
    record = _import_of_cohort(import_id)
    enrolments, marked = _map_choices(record)
    return render_template("courses/attendance_import.html", cohort=g.cohort, record=record,
                           session=record.session, enrolments=enrolments, marked=marked,
                           names={e.id: e.user.full_name for e in enrolments}, form=MapForm(),
                           labels=status_labels())


@bp.route("/<code>/attendance/imports/<int:import_id>/map", methods=["POST"])
@requires("courses:teach", cohort_context)
def attendance_map(code, import_id):
    record = _import_of_cohort(import_id)
    enrolments, _marked = _map_choices(record)
    by_id = {str(e.id): e for e in enrolments}
    form = MapForm()
    form.enrolment.choices = [("ignore", _("not a participant"))] + [(k, e.user.full_name) for k, e in by_id.items()]
    target = url_for("cohorts.attendance_import", code=code, import_id=import_id)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        for errors in (form.key.errors, form.enrolment.errors):
            for message in errors:
                flash(message, "error")
        return redirect(target)
    if form.enrolment.data == "ignore":
        return run_service(None, lambda: service.dismiss_unmatched(record, form.key.data, current_user),
                           _("Set aside: not a participant."), target) or redirect(target)
    enrolment = by_id[form.enrolment.data]
    return run_service(None, lambda: service.map_unmatched(record, form.key.data, enrolment, current_user),
                       _("Minutes credited to %(name)s.", name=enrolment.user.full_name), target) \
        or redirect(target)
