"""The report on courses held, for those who report on the centre's work (methodologists,
admins): a page, and the same rows as CSV (UTF-8 with BOM) and XLSX."""
from __future__ import annotations

from datetime import date

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from lms.core.i18n import localized
from lms.core.models import Region
from lms.core.permissions import requires
from lms.core.services.exports import csv_bytes, xlsx_bytes
from lms.courses.forms import FORMAT_CHOICES
from lms.courses.forms.reports import ANY, CoursesReportForm, report_labels
from lms.courses.models import Programme
from lms.courses.services import reports as service
from lms.courses.views.common import cohorts_bp as bp
from lms.db import db

CAPABILITY = "courses:view_reports"
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _scope() -> tuple[CoursesReportForm, service.Scope, dict]:
    """The form, the scope it names (this calendar year where no valid period is given; a
    choice outside the lists is dropped) and the query to repeat it."""
    form = CoursesReportForm(request.args)
    codes = db.session.scalars(select(Programme.code).distinct().order_by(Programme.code)).all()
    form.programme.choices = ANY + [SelectChoice(c, c) for c in codes]
    regions = db.session.scalars(select(Region).order_by(Region.name_kk)).all()
    form.region.choices = ANY + [SelectChoice(str(r.id), localized(r, "name")) for r in regions]
    form.validate()
    for f in (form.programme, form.region):
        if f.errors:
            f.data, f.errors = "", []
    scope = service.Scope.this_year()
    start, end = form.start.data or scope.start, form.end.data or scope.end
    if not form.start.errors and not form.end.errors and start > end:
        form.end.errors = [_("the end of the period is before its start")]
    if not (form.start.errors or form.end.errors):
        scope.start, scope.end = start, end
    form.start.data, form.end.data = scope.start, scope.end
    scope.programme = form.programme.data or None
    scope.region_id = int(form.region.data) if form.region.data else None
    scope.include_cancelled = bool(form.cancelled.data)
    query = {"start": scope.start.isoformat(), "end": scope.end.isoformat(), "programme": scope.programme,
             "region": scope.region_id, "cancelled": "y" if scope.include_cancelled else None}
    return form, scope, {k: v for k, v in query.items() if v}


@bp.route("/report")
@requires(CAPABILITY)
def report():
    form, scope, query = _scope()
    data = service.build(scope)
    return render_template("courses/report.html", form=form, report=data, query=query,
                           labels=report_labels(service.measures()), today=date.today()), \
        400 if form.errors else 200


@bp.route("/report.<fmt>")
@requires(CAPABILITY)
def report_download(fmt):
    if fmt not in FORMATS:
        abort(404)
    _form, scope, _query = _scope()
    data = service.build(scope)
    header, rows = service.rows(data, {k: str(v) for k, v in report_labels(service.measures()).items()},
                                {c.value: str(c.label) for c in FORMAT_CHOICES})
    body = csv_bytes(header, rows) if fmt == "csv" else xlsx_bytes(header, rows, title="courses")
    name = "-".join(["courses-held", scope.start.isoformat(), scope.end.isoformat(),
                     *([scope.programme] if scope.programme else []),
                     *([f"region-{scope.region_id}"] if scope.region_id else [])])
    return Response(body, mimetype=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})
