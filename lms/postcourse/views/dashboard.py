"""The curator dashboard: every permitted cohort's graduates × the twelve months of their
support year (/support), and the same grid for one cohort as a cohort tab."""
from __future__ import annotations

from flask import g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from lms.core.i18n import localized
from lms.core.permissions import requires
from lms.courses.views.common import COHORT_TABS
from lms.postcourse.forms.dashboard import ANY, STATE_LABELS, DashboardFilterForm
from lms.postcourse.forms.plans import STAGE_LABELS as PLAN_STAGE_LABELS
from lms.postcourse.services import activities as activity_service
from lms.postcourse.services import dashboard as service
from lms.postcourse.views.common import bp, cohort_context
from lms.db import db_int

COHORT_TABS.append(("postcourse.cohort_dashboard", _l("Support year")))

STAGE_LABELS = {"not_started": _l("not started"), **PLAN_STAGE_LABELS, "finished": _l("year over")}


@bp.route("/support")
@requires(service.CAPABILITY, anywhere=True)
def dashboard():
    return _grid_page(None)


@bp.route("/cohorts/<code>/support")
@requires(service.CAPABILITY, cohort_context)
def cohort_dashboard(code):
    return _grid_page(g.cohort)


def _filters_form(options: service.Options, cohort) -> DashboardFilterForm:
    """The filter form with the choices the user may pick from; a value outside them (a
    hand-made URL, a district of another region) is dropped, not an error."""
    form = DashboardFilterForm(request.args)
    regions = {}
    for p in options.places:
        regions.setdefault(str(p["region_id"]), localized(p["region"]))
    form.region.choices = ANY + [SelectChoice(k, v) for k, v in regions.items()]
    if not form.region.data and form.district.data:  # ?district=5 alone names its region too
        form.region.data = next((str(p["region_id"]) for p in options.places
                                 if str(p["district_id"]) == form.district.data), "")
    _keep_valid(form.region)
    form.district.choices = ANY + [SelectChoice(str(p["district_id"]), localized(p["district"]))
                                   for p in options.places if str(p["region_id"]) == form.region.data]
    _keep_valid(form.district)
    form.school.choices = ANY + [SelectChoice(str(s["id"]), localized(s["name"])) for s in options.schools
                                 ] if form.district.data else ANY
    _keep_valid(form.school)
    form.programme.choices = ANY + [SelectChoice(p, p) for p in options.programmes]
    _keep_valid(form.programme)
    form.cohort.choices = ANY + [SelectChoice(c, c) for c, p in options.cohorts
                                 if not form.programme.data or p == form.programme.data]
    _keep_valid(form.cohort)
    _keep_valid(form.state)
    if cohort is not None:
        form.cohort.data = form.programme.data = ""
    return form


def _keep_valid(field) -> None:
    if field.data not in {str(c[0]) for c in field.iter_choices()}:
        field.data = ""


def _grid_page(cohort):
    cohort_id = cohort.id if cohort is not None else None
    options = service.options(current_user, request.args.get("district", type=db_int), cohort_id)
    form = _filters_form(options, cohort)
    as_int = lambda v: int(v) if v else None  # noqa: E731
    filters = service.Filters(region_id=as_int(form.region.data), district_id=as_int(form.district.data),
                              school_id=as_int(form.school.data), programme=form.programme.data or None,
                              cohort=form.cohort.data or None, state=form.state.data or None)
    grid = service.grid(current_user, filters, request.args.get("page", 1, type=int), cohort_id=cohort_id)
    chosen = {name: f.data for name, f in form._fields.items() if f.data}
    endpoint = "postcourse.cohort_dashboard" if cohort is not None else "postcourse.dashboard"
    url_args = {"code": cohort.code} if cohort is not None else {}
    waiting = activity_service.waiting_requests(cohort) if cohort is not None else []
    return render_template("postcourse/dashboard.html", grid=grid, form=form, chosen=chosen, cohort=cohort,
                           waiting=waiting, endpoint=endpoint, url_args=url_args, state_labels=STATE_LABELS,
                           stage_labels=STAGE_LABELS, states=service.STATES, soon_days=service.SOON_DAYS)
