"""Who is due for their next course (services/recertification.py): a page for those who report
on the centre's work, and the same rows as CSV and XLSX."""
from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from lms.core.i18n import localized
from lms.core.models import Region
from lms.core.pagination import Page, page_within
from lms.core.permissions import requires
from lms.core.services.errors import ServiceError
from lms.core.services.exports import TABLE_FORMATS, table_download
from lms.db import db
from lms.portfolio.forms.certificates import DueForm
from lms.portfolio.services import recertification as service
from lms.portfolio.views.common import bp

CAPABILITY = "courses:view_reports"
PER_PAGE = 50


def _scope() -> tuple[DueForm, list, dict]:
    form = DueForm(request.args)
    regions = db.session.scalars(select(Region).order_by(Region.name_kk)).all()
    form.region.choices = [SelectChoice("", _("any"))] + [SelectChoice(str(r.id), localized(r, "name")) for r in regions]
    form.audience.choices = [SelectChoice("", _("any")), SelectChoice("leaders", _("leaders")),
                             SelectChoice("teachers", _("teachers"))]
    form.validate()
    for f in (form.region, form.audience):
        if f.errors:
            f.data, f.errors = "", []
    cycle = form.cycle.data if form.cycle.data is not None and not form.cycle.errors else service.DEFAULT_CYCLE_YEARS
    within = (form.within.data if form.within.data is not None and not form.within.errors
              else service.DEFAULT_WITHIN_MONTHS)
    try:
        rows = service.due(cycle_years=cycle, within_months=within,
                           region_id=int(form.region.data) if form.region.data else None,
                           audience=form.audience.data or None)
    except ServiceError as exc:
        for field, message in exc.problems:
            getattr(form, field).errors = [str(message)]
        rows = []
    query = {"cycle": cycle, "within": within, "region": form.region.data or None, "audience": form.audience.data or None}
    return form, rows, {k: v for k, v in query.items() if v is not None}


@bp.route("/certificates/due")
@requires(CAPABILITY)
def due():
    form, rows, query = _scope()
    number = page_within(request.args.get("page", 1, type=int), len(rows), PER_PAGE)
    page = Page(rows[(number - 1) * PER_PAGE:number * PER_PAGE], number, PER_PAGE, len(rows))
    return render_template("portfolio/due.html", form=form, page=page, query=query,
                           overdue=sum(1 for r in rows if r.overdue)), 400 if any(f.errors for f in form) else 200


@bp.route("/certificates/due.<fmt>")
@requires(CAPABILITY)
def due_download(fmt):
    if fmt not in TABLE_FORMATS:
        abort(404)
    form, rows, query = _scope()
    header = [_("Name"), _("E-mail"), _("School"), _("Latest course"), _("Completed on"), _("Due on"),
              _("Enrolled now")]
    table = [[r.user.full_name, r.user.email, localized(r.user.school, "name") if r.user.school else "",
              r.programme_code, r.completed_on.isoformat(), r.due_on.isoformat(), r.enrolled_in or ""] for r in rows]
    return table_download(fmt, header, table, f"due-for-a-course-{query['cycle']}y-{query['within']}m",
                          sheet=_("Due for a course"))
