"""Gradebook pages: the cohort's table for staff with inline mark entry for hand-given
components (one plain form, no JavaScript), CSV (UTF-8 with BOM) and XLSX downloads, and a
participant's own row."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.core.i18n import localized
from lms.core.permissions import requires
from lms.core.services.errors import ServiceError
from lms.core.services.exports import table_download
from lms.courses.views.common import COHORT_TABS
from lms.db import db
from lms.portfolio.forms.gradebook import MarksForm, mark_name, parse_marks
from lms.portfolio.services import gradebook as service
from lms.portfolio.services import schemes
from lms.portfolio.views.common import bp, can_here, cohort_context, my_enrolment

COHORT_TABS.append(("portfolio.gradebook", _l("Gradebook")))
COHORT_TABS.append(("portfolio.my_grades", _l("My grades")))

ORIGINAL_PREFIX = "o-"


def _page(book, form, *, entered: dict | None = None):
    kept = schemes.kept(g.cohort)
    return render_template("portfolio/gradebook.html", cohort=g.cohort, book=book, form=form,
                           can_mark=can_here("portfolio:manage_defenses"), mark_name=mark_name,
                           original_prefix=ORIGINAL_PREFIX, entered=entered or {}, kept=kept,
                           file_changed=kept is not None and schemes.differs_from_file(g.cohort, kept))


@bp.route("/cohorts/<code>/gradebook")
@requires("portfolio:view", cohort_context)
def gradebook(code):
    return _page(service.gradebook(g.cohort), MarksForm())


@bp.route("/cohorts/<code>/gradebook/marks", methods=["POST"])
@requires("portfolio:manage_defenses", cohort_context)
def gradebook_marks(code):
    """Applies only the cells whose value differs from the one the page was shown with, so a
    stale page does not overwrite a colleague's marks in cells nobody touched here. A refusal
    changes nothing and shows the page again with what was entered."""
    form = MarksForm()
    if not form.validate_on_submit():
        abort(400)
    entered = parse_marks(request.form)
    shown = parse_marks({name[len(ORIGINAL_PREFIX):]: value for name, value in request.form.items()
                         if name.startswith(ORIGINAL_PREFIX)})
    changed = {k: v for k, v in entered.items() if (v or "").strip() != (shown.get(k) or "").strip()}
    try:
        count = service.set_marks(g.cohort, changed, current_user, form.note.data)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _page(service.gradebook(g.cohort), form, entered=entered)
    db.session.commit()
    flash(_("%(num)d mark(s) saved.", num=count) if count else _("Nothing changed."))
    return redirect(url_for("portfolio.gradebook", code=code))


def export_table(book) -> tuple[list[str], list[list]]:
    """The gradebook as a header and rows: per component its value and its weighted points."""
    header = [_("Participant"), _("E-mail"), _("Mini-group")]
    for c in book.components:
        title = localized(c.title) or c.code
        header += [f"{title}: {_('value')}", f"{title}: {_('points')} ({c.weight:g})"]
    header.append(_("Total") + f" ({book.max_total:g})")
    rows = []
    for r in book.rows:
        row = [r.enrolment.user.full_name, r.enrolment.user.email, r.enrolment.mini_group]
        for c in book.components:
            cell = r.cells[c.code]
            row += [cell.raw, cell.points]
        row.append(r.total)
        rows.append(row)
    return header, rows


@bp.route("/cohorts/<code>/gradebook.<fmt>")
@requires("portfolio:view", cohort_context)
def gradebook_export(code, fmt):
    header, rows = export_table(service.gradebook(g.cohort))
    return table_download(fmt, header, rows, f"{code}-gradebook", sheet=code)


@bp.route("/cohorts/<code>/portfolio/grades")
@requires("portfolio:keep", cohort_context)
def my_grades(code):
    """The participant's own row only; a defense counts once its grade is released."""
    enrolment = my_enrolment()
    book = service.gradebook(g.cohort, [enrolment], released_only=True)
    return render_template("portfolio/gradebook_mine.html", cohort=g.cohort, book=book, row=book.rows[0])
