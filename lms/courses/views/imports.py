"""Cohort views: importing a participant list (CSV) into a cohort."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.core.permissions import requires
from lms.core.services.errors import ServiceError
from lms.courses.forms.imports import ParticipantImportForm
from lms.courses.services import user_import
from lms.courses.views.common import COHORT_TABS, cohort_context, cohorts_bp as bp
from lms.db import db

COHORT_TABS.append(("cohorts.import_participants", _l("Import participants")))


@bp.route("/<code>/participants/import", methods=["GET", "POST"])
@requires("courses:manage_cohorts", cohort_context)
def import_participants(code):
    """All or nothing: on any bad row the page lists every error by line and writes nothing."""
    cohort = g.cohort
    form = ParticipantImportForm()
    errors: list[tuple[int, str]] = []
    filename = None
    if form.validate_on_submit():
        upload = form.file.data
        filename = upload.filename or "participants.csv"
        try:
            report = user_import.import_participants(cohort, upload.read(), filename, current_user)
        except user_import.ParticipantImportError as exc:
            db.session.rollback()
            errors = exc.errors
        except ServiceError as exc:
            db.session.rollback()
            form.file.errors = list(form.file.errors) + [exc.message]
        else:
            db.session.commit()
            flash(_("Imported %(rows)s rows: %(created)s accounts created, %(matched)s existing accounts matched,"
                    " %(enrolled)s enrolled, %(already)s already enrolled.",
                    rows=report.rows, created=len(report.created), matched=report.matched,
                    enrolled=report.enrolled, already=report.already_enrolled))
            return redirect(url_for("cohorts.participants", code=code))
    return render_template("courses/import_participants.html", cohort=cohort, form=form, errors=errors,
                           filename=filename, columns=user_import.COLUMNS)

