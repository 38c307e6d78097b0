"""Portfolio pages: the participant's own portfolio and share links, the staff's view of a
cohort's portfolios, and the public read-only page a live share link opens.

Participant pages only ever load the signed-in participant's own enrolment's artefacts (any
other id is a 404); staff pages take the cohort from the URL and only load its enrolments;
/p/<token> shows one portfolio while its link is live (unknown: 404; expired or revoked: 410)."""
from __future__ import annotations

from flask import abort, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.core.i18n import localized
from lms.core.permissions import public, requires
from lms.core.services.errors import NotFound, ServiceError
from lms.core.web import send_stored, upload_of
from lms.courses.forms import ConfirmForm
from lms.courses.models import Enrolment
from lms.courses.views.common import COHORT_TABS
from lms.db import db
from lms.portfolio.forms.artefacts import CATEGORY_LABELS, SECTION_LABELS, ArtefactForm, ShareForm
from lms.portfolio.models import ARTEFACT_SECTIONS, Artefact
from lms.portfolio.services import artefacts as service
from lms.portfolio.services import projects as project_service
from lms.portfolio.views.common import bp, cohort_context, my_enrolment, run_service

COHORT_TABS.append(("portfolio.my_portfolio", _l("My portfolio")))
COHORT_TABS.append(("portfolio.portfolios", _l("Portfolios")))

PAGE_LABELS = {"category": CATEGORY_LABELS, "section": SECTION_LABELS}





def _own_artefact(enrolment, artefact_id: int) -> Artefact:
    try:
        return service.get_artefact(enrolment, artefact_id)
    except NotFound:
        abort(404)


def _placement_choices(form, programme_id: int) -> None:
    modules, topics = service.programme_parts(programme_id)
    number_of = {m.id: n for n, m in modules.items()}
    form.module_number.choices = [("", "—")] + [(str(n), f"{n}. {localized(m, 'title')}"[:100])
                                                for n, m in modules.items()]
    form.topic_code.choices = [("", "—")] + [(t.code, f"{t.code}. {localized(t, 'title')}"[:100])
                                             for t in topics.values() if t.module_id in number_of]


# --- participant ----------------------------------------------------------------------------

@bp.route("/cohorts/<code>/portfolio")
@requires("portfolio:keep", cohort_context)
def my_portfolio(code):
    enrolment = my_enrolment()
    mine = service.portfolio(enrolment)
    return render_template("portfolio/portfolio_mine.html", cohort=g.cohort, p=mine, labels=PAGE_LABELS,
                           projects=project_service.projects_of(g.cohort), confirm=ConfirmForm(),
                           file_url=lambda a: url_for("portfolio.my_artefact_file", code=code, artefact_id=a.id),
                           can_change=enrolment.status != "withdrawn")


def _artefact_page(enrolment, section: str, artefact: Artefact | None):
    cohort = g.cohort
    form = ArtefactForm(obj=artefact)
    if artefact is not None and request.method == "GET":
        form.link.data = artefact.url
        form.module_number.data = str(artefact.module_number) if artefact.module_number else ""
    _placement_choices(form, cohort.programme_id)
    if form.validate_on_submit():
        fields = {"section": section, "kind": form.kind.data, "title": form.title.data,
                  "category": form.category.data, "module_number": form.module_number.data,
                  "topic_code": form.topic_code.data, "link": form.link.data, "text": form.text.data}
        upload = upload_of(form.file)
        message = _("Your portfolio is handed in.") if section == "submission" else _("Saved.")
        done = run_service(form, lambda: service.save_artefact(enrolment, fields, upload, current_user, artefact),
                           message, url_for("portfolio.my_portfolio", code=cohort.code))
        if done:
            return done
    return render_template("portfolio/artefact_form.html", cohort=cohort, form=form, artefact=artefact,
                           section=section, labels=PAGE_LABELS)


@bp.route("/cohorts/<code>/portfolio/new/<section>", methods=["GET", "POST"])
@requires("portfolio:keep", cohort_context)
def new_artefact(code, section):
    enrolment = my_enrolment()
    if section not in ARTEFACT_SECTIONS:
        abort(404)
    return _artefact_page(enrolment, section, None)


@bp.route("/cohorts/<code>/portfolio/artefacts/<int:artefact_id>", methods=["GET", "POST"])
@requires("portfolio:keep", cohort_context)
def edit_artefact(code, artefact_id):
    enrolment = my_enrolment()
    artefact = _own_artefact(enrolment, artefact_id)
    if artefact.section == "submission":
        abort(404)  # a hand-in is kept as handed in
    return _artefact_page(enrolment, artefact.section, artefact)


@bp.route("/cohorts/<code>/portfolio/artefacts/<int:artefact_id>/delete", methods=["GET", "POST"])
@requires("portfolio:keep", cohort_context)
def delete_artefact(code, artefact_id):
    """GET asks to confirm (works without JavaScript); POST deletes."""
    enrolment = my_enrolment()
    artefact = _own_artefact(enrolment, artefact_id)
    form = ConfirmForm()
    back = url_for("portfolio.my_portfolio", code=code)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        return run_service(None, lambda: service.delete_artefact(artefact, enrolment, current_user),
                           _("Deleted."), back) or redirect(back)
    return render_template("portfolio/artefact_delete.html", cohort=g.cohort, artefact=artefact, confirm=form,
                           labels=PAGE_LABELS)


@bp.route("/cohorts/<code>/portfolio/files/<int:artefact_id>")
@requires("portfolio:keep", cohort_context)
def my_artefact_file(code, artefact_id):
    return send_stored(_own_artefact(my_enrolment(), artefact_id).file)


@bp.route("/cohorts/<code>/portfolio/share", methods=["GET", "POST"])
@requires("portfolio:keep", cohort_context)
def share_links(code):
    """Creating a link shows its address on this very response, once: only its hash is kept."""
    enrolment = my_enrolment()
    form = ShareForm()
    new_url = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            _link, plain = service.create_share_link(enrolment, form.days.data, current_user)
        except ServiceError as exc:
            db.session.rollback()
            form.days.errors = list(form.days.errors) + [exc.message]
        else:
            db.session.commit()
            new_url = url_for("portfolio.shared", token=plain, _external=True)
    return render_template("portfolio/share_links.html", cohort=g.cohort, form=form, new_url=new_url,
                           links=service.share_links(enrolment), is_live=service.is_live, confirm=ConfirmForm(),
                           can_change=enrolment.status != "withdrawn")


@bp.route("/cohorts/<code>/portfolio/share/<int:link_id>/revoke", methods=["POST"])
@requires("portfolio:keep", cohort_context)
def revoke_share_link(code, link_id):
    enrolment = my_enrolment()
    try:
        link = service.get_share_link(enrolment, link_id)
    except NotFound:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back = url_for("portfolio.share_links", code=code)
    return run_service(None, lambda: service.revoke_share_link(link, current_user), _("The link is revoked."),
                       back) or redirect(back)


# --- staff ----------------------------------------------------------------------------------

@bp.route("/cohorts/<code>/portfolios")
@requires("portfolio:view", cohort_context)
def portfolios(code):
    return render_template("portfolio/portfolio_list.html", cohort=g.cohort,
                           rows=service.cohort_portfolios(g.cohort), labels=PAGE_LABELS)


def _cohort_enrolment(enrolment_id: int):
    try:
        return service.get_enrolment(g.cohort, enrolment_id)
    except NotFound:
        abort(404)


@bp.route("/cohorts/<code>/portfolios/<int:enrolment_id>")
@requires("portfolio:view", cohort_context)
def participant_portfolio(code, enrolment_id):
    enrolment = _cohort_enrolment(enrolment_id)
    return render_template("portfolio/portfolio_staff.html", cohort=g.cohort, p=service.portfolio(enrolment),
                           labels=PAGE_LABELS,
                           file_url=lambda a: url_for("portfolio.participant_file", code=code,
                                                      enrolment_id=enrolment_id, artefact_id=a.id))


@bp.route("/cohorts/<code>/portfolios/<int:enrolment_id>/files/<int:artefact_id>")
@requires("portfolio:view", cohort_context)
def participant_file(code, enrolment_id, artefact_id):
    enrolment = _cohort_enrolment(enrolment_id)
    return send_stored(_own_artefact(enrolment, artefact_id).file)


# --- public, through a share link -----------------------------------------------------------

def _live_link(token: str):
    """The live link (404 for an unknown token); an expired or revoked one answers 410 here."""
    try:
        return service.live_share(token), None
    except service.ShareLinkGone as exc:
        gone = render_template("core/error.html", title=_("This link no longer works"),
                               message=_("The owner has revoked this link.") if exc.reason == "revoked"
                               else _("This link has expired.")), 410
        return None, gone
    except NotFound:
        abort(404)


def _private(response):
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the address
    return response


@bp.route("/p/<token>")
@public
def shared(token):
    link, gone = _live_link(token)
    if gone is not None:
        return gone
    enrolment = db.session.get(Enrolment, link.enrolment_id)
    page = render_template("portfolio/share_view.html", cohort=enrolment.cohort, p=service.portfolio(enrolment),
                           link=link, labels=PAGE_LABELS,
                           file_url=lambda a: url_for("portfolio.shared_file", token=token, artefact_id=a.id))
    return _private(make_response(page))


@bp.route("/p/<token>/files/<int:artefact_id>")
@public
def shared_file(token, artefact_id):
    link, gone = _live_link(token)
    if gone is not None:
        return gone
    artefact = db.session.get(Artefact, artefact_id)
    if artefact is None or artefact.enrolment_id != link.enrolment_id:
        abort(404)
    return _private(send_stored(artefact.file))
