"""Support-year reports per cohort, region or programme, within the cohorts the user may see:
a page, and the same numbers as CSV (UTF-8 with BOM), XLSX and a PDF with charts."""
from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from lms.core.i18n import localized
from lms.core.permissions import requires
from lms.core.services.exports import csv_bytes, xlsx_bytes
from lms.postcourse.forms.dashboard import ANY
from lms.postcourse.forms.reports import ReportScopeForm, report_labels
from lms.postcourse.models import ACTIVITY_STATUSES, CHANNELS, EVIDENCE_KINDS, EVIDENCE_LEVELS, PLAN_STATUSES, STAGES
from lms.postcourse.services import dashboard
from lms.postcourse.services import reports as service
from lms.postcourse.views.common import bp

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "pdf": "application/pdf"}


def _scope() -> tuple[ReportScopeForm, service.Scope, str]:
    """The form with what the user may choose, the scope it names (a value outside the
    choices is dropped) and the scope in words."""
    options = dashboard.options(current_user)
    form = ReportScopeForm(request.args)
    form.cohort.choices = ANY + [SelectChoice(c, c) for c, _p in options.cohorts]
    regions = {}
    for p in options.places:
        regions.setdefault(str(p["region_id"]), localized(p["region"]))
    form.region.choices = ANY + [SelectChoice(k, v) for k, v in regions.items()]
    form.programme.choices = ANY + [SelectChoice(p, p) for p in options.programmes]
    for f in (form.cohort, form.region, form.programme):
        if f.data not in {str(c[0]) for c in f.iter_choices()}:
            f.data = ""
    scope = service.Scope(cohort=form.cohort.data or None,
                          region_id=int(form.region.data) if form.region.data else None,
                          programme=form.programme.data or None)
    words = [f"{_('Cohort')}: {scope.cohort}" if scope.cohort else None,
             f"{_('Region')}: {regions[form.region.data]}" if scope.region_id else None,
             f"{_('Programme')}: {scope.programme}" if scope.programme else None]
    line = "; ".join(w for w in words if w) or _("All cohorts you may see")
    return form, scope, line


@bp.route("/support/reports")
@requires(dashboard.CAPABILITY, anywhere=True)
def reports():
    form, scope, line = _scope()
    report = service.build(current_user, scope)
    chosen = {name: f.data for name, f in form._fields.items() if f.data}
    return render_template("postcourse/report.html", form=form, report=report, scope_line=line, chosen=chosen,
                           labels=report_labels(), plan_statuses=PLAN_STATUSES, stages=STAGES,
                           activity_statuses=ACTIVITY_STATUSES, channels=CHANNELS, kinds=EVIDENCE_KINDS,
                           levels=EVIDENCE_LEVELS)


@bp.route("/support/reports/report.<fmt>")
@requires(dashboard.CAPABILITY, anywhere=True)
def report_download(fmt):
    if fmt not in FORMATS:
        abort(404)
    form, scope, line = _scope()
    report = service.build(current_user, scope)
    labels = report_labels()
    title = _("Post-course support report")
    name = "-".join(["support-report", *(p for p in (scope.cohort, scope.programme) if p),
                     *([f"region-{scope.region_id}"] if scope.region_id else []), report.generated_on.isoformat()])
    if fmt == "pdf":
        body = service.pdf_bytes(report, labels, title, line)
    else:
        header, rows = service.rows(report, labels)
        body = csv_bytes(header, rows) if fmt == "csv" else xlsx_bytes(header, rows, title="report")
    return Response(body, mimetype=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})
