"""What the cohort views share: the blueprint, the loaders for `requires`."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.core.models import User
from lms.core.permissions import Context
from lms.core.services import users as user_service
from lms.core.services.errors import NotFound, ServiceError
from lms.core.web import run_button, run_service  # noqa: F401  (the plugins' views import run_service from here)
from lms.courses.models import Cohort, Enrolment, Programme
from lms.courses.services import cohorts as cohort_service
from lms.db import db, db_int

cohorts_bp = Blueprint("cohorts", __name__, template_folder="../templates", url_prefix="/cohorts")

#: tabs of a cohort's pages, (endpoint, label); each area module appends its own
COHORT_TABS: list[tuple[str, object]] = []
#: endpoint -> cohort -> bool: a tab that some cohorts have no use for (a participant's defense
#: tab where the programme holds no defense) shows only where it applies
TAB_APPLIES: dict[str, object] = {}
#: endpoint -> cohort -> int: a count shown beside a tab for the signed-in user (discussions
#: with something new to them); asked only where the tab shows
TAB_COUNTS: dict[str, object] = {}
#: template helpers an area module provides to the shared pages, e.g. "review_url"
#: (Submission -> url) and "task_url" (SelfStudyTask -> url)
TEMPLATE_LINKS: dict[str, object] = {}


def tab_allowed(endpoint: str, cohort: Cohort) -> bool:
    """A tab shows only to those its page admits (the capability its route declares), and only
    in a cohort it applies to."""
    from flask import current_app

    from lms.core.permissions import has_capability, remember_parent

    view = current_app.view_functions.get(endpoint)
    capability = getattr(view, "required_capability", None)
    if capability is not None:
        ctx = Context("cohort", cohort.id)
        remember_parent(ctx, Context("programme", cohort.programme_id))  # one tab bar, no lookup per tab
        if not has_capability(current_user, capability, ctx):
            return False
    # only then whether the cohort has a use for it (that may read the database)
    applies = TAB_APPLIES.get(endpoint)
    return applies is None or applies(cohort)


def tab_count(endpoint: str, cohort: Cohort) -> int:
    count = TAB_COUNTS.get(endpoint)
    return count(cohort) if count is not None else 0


@cohorts_bp.context_processor
def cohort_template_helpers():
    from lms.courses.forms import COHORT_STATUS_CHOICES, FORMAT_CHOICES

    return {"cohort_tabs": COHORT_TABS, "tab_allowed": tab_allowed, "tab_count": tab_count,
            **TEMPLATE_LINKS,
            "format_names": {c.value: c.label for c in FORMAT_CHOICES},
            "cohort_status_names": {c.value: c.label for c in COHORT_STATUS_CHOICES}}


def load_cohort(code: str) -> Cohort:
    try:
        cohort = cohort_service.get_cohort(code)
    except ServiceError:
        abort(404)
    g.cohort = cohort
    return cohort


def cohort_context(code: str, **_kwargs) -> Context:
    """For `requires`: load the cohort named in the URL (404) and check in its context."""
    return cohort_service.cohort_context(load_cohort(code))


def my_enrolment() -> Enrolment:
    """The signed-in participant's own enrolment in g.cohort (never anyone else's)."""
    enrolment = cohort_service.enrolment_of(g.cohort, current_user)
    if enrolment is None:
        abort(403)
    return enrolment


def cohort_names(ids: list[int]) -> dict[int, tuple[str, str | None]]:
    """The core's pages name a cohort context by its code, linked to the cohort's page the
    signed-in user may open: its dashboard for its staff, their own page for a participant."""
    from lms.core.permissions import has_capability

    def page(cohort_id: int, code: str) -> str | None:
        for capability, endpoint in (("courses:view_cohort", "cohorts.show"), ("courses:participate", "cohorts.me")):
            if has_capability(current_user, capability, Context("cohort", cohort_id)):
                return url_for(endpoint, code=code)
        return None

    return {i: (code, page(i, code)) for i, code in db.session.execute(
        select(Cohort.id, Cohort.code).where(Cohort.id.in_(ids)))}


def programme_names(ids: list[int]) -> dict[int, tuple[str, str | None]]:
    return {i: (code, url_for("courses.programme", code=code)) for i, code in db.session.execute(
        select(Programme.id, Programme.code).where(Programme.id.in_(ids)))}


def add_staff(form, assign, success: str, target: str):
    """A staff form's POST, on a cohort's or a programme's page: the account named by e-mail
    (refused under its field when there is none), then `assign(user, role)`. Returns the
    redirect, or None to show the page again with the form's problems."""
    if not form.validate_on_submit():
        return None

    def act():
        user = user_service.get_by_email(form.email.data)
        if user is None:
            raise NotFound(_("No account has this e-mail; an administrator creates it on the users page."),
                           field="email")
        assign(user, form.role.data)

    return run_service(form, act, success, target)


def remove_staff(remove, success: str, target: str):
    """A staff member's ✕ button: `remove(user, role)` for the account and role the form names."""
    user = db.session.get(User, request.form.get("user_id", type=db_int) or 0)
    if user is None:
        return redirect(target)
    return run_button(lambda: remove(user, request.form.get("role", "")), success, target)
