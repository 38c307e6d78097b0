"""Certificate pages: the cohort's eligibility table with the reasons, issuing one or all,
revoking with a reason, the PDFs and the cohort's ZIP (staff); the participant's own
certificate; and the public verification page /verify/<number> a QR code opens.

Staff pages take the cohort from the URL and only load its certificates (another cohort's
number is a 404); the participant pages only ever load the signed-in participant's own."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from lms.core.extensions import limiter
from lms.core.permissions import public, requires
from lms.core.services import mail
from lms.core.services.errors import NotFound, ServiceError
from lms.courses.models import Enrolment
from lms.courses.views.common import COHORT_TABS
from lms.db import db
from lms.portfolio.forms.certificates import IssueAllForm, IssueForm, RevokeForm
from lms.portfolio.services import certificates as service
from lms.portfolio.views.common import bp, can_here, cohort_context, my_enrolment, run_service

COHORT_TABS.append(("portfolio.certificates", _l("Certificates")))
COHORT_TABS.append(("portfolio.my_certificate", _l("My certificate")))

#: public verification answers this many look-ups per address and minute (page and API together)
VERIFY_RATE_LIMIT = "30 per minute"


def verify_limit() -> str:
    return current_app.config.get("LMS_VERIFY_RATE_LIMIT", VERIFY_RATE_LIMIT)


#: one budget for the page and the API, so switching between them gains nothing
verify_limited = limiter.shared_limit(verify_limit, scope="certificate-verify")


def _pdf_response(cert, inline: bool = False) -> Response:
    """The stored bytes, as issued (never remade)."""
    try:
        body = service.pdf_bytes(cert)
    except ServiceError:
        abort(404)
    disposition = "inline" if inline else "attachment"
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'{disposition}; filename="{cert.number}.pdf"',
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


def _certificate(number: str):
    try:
        return service.certificate_in(g.cohort, number)
    except NotFound:
        abort(404)


# --- staff ---------------------------------------------------------------------------------------

@bp.route("/cohorts/<code>/certificates")
@requires("portfolio:view", cohort_context)
def certificates(code):
    cohort = g.cohort
    rows = service.eligibility(cohort)
    revoked = [c for c in service.certificates_of(cohort) if c.revoked_at is not None]
    return render_template("portfolio/certificates.html", cohort=cohort, rows=rows, revoked=revoked,
                           can_issue=can_here("portfolio:issue_certificates"), reason_text=service.reason_text,
                           issue_all_form=IssueAllForm(), issue_form=IssueForm(formdata=None),
                           eligible=sum(1 for r in rows if r.eligible and r.certificate is None),
                           valid=sum(1 for r in rows if r.certificate is not None),
                           lapsed=sum(1 for r in rows if r.lapsed))


@bp.route("/cohorts/<code>/certificates/issue", methods=["POST"])
@requires("portfolio:issue_certificates", cohort_context)
def certificate_issue(code):
    cohort = g.cohort
    form = IssueForm()
    target = url_for(".certificates", code=cohort.code)
    if not form.validate_on_submit():
        abort(400)
    try:
        enrolment_id = int(form.enrolment_id.data)
    except ValueError:
        abort(400)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.cohort_id != cohort.id:
        abort(404)
    issued = []

    def act():
        issued.append(service.issue(enrolment, form.language.data or None, current_user))

    done = run_service(form, act, None, target)
    if done is not None:
        flash(_("Certificate %(number)s is issued to %(name)s.", number=issued[0].number,
                name=issued[0].holder_name))
        mail.send_after_response(done)  # the holder's e-mail, once the page has answered
    return done or redirect(target)


@bp.route("/cohorts/<code>/certificates/issue-all", methods=["POST"])
@requires("portfolio:issue_certificates", cohort_context)
def certificates_issue_all(code):
    cohort = g.cohort
    form = IssueAllForm()
    if not form.validate_on_submit():
        abort(400)
    reports = []

    def act():
        reports.append(service.issue_cohort(cohort, form.language.data or None, current_user))

    target = url_for(".certificates", code=cohort.code)
    done = run_service(form, act, None, target)
    if done is not None:
        report = reports[0]
        flash(ngettext("%(num)s certificate issued.", "%(num)s certificates issued.", len(report.issued)))
        if report.already:
            flash(ngettext("%(num)s participant already held one.", "%(num)s participants already held one.",
                           len(report.already)))
        if report.refused:
            flash(ngettext("%(num)s participant is not eligible; the table says why.",
                           "%(num)s participants are not eligible; the table says why.", len(report.refused)),
                  "error")
        if report.issued:
            mail.send_after_response(done)  # the holders' e-mails, once the page has answered
    return done or redirect(target)


@bp.route("/cohorts/<code>/certificates/<number>/revoke", methods=["GET", "POST"])
@requires("portfolio:issue_certificates", cohort_context)
def certificate_revoke(code, number):
    cohort = g.cohort
    cert = _certificate(number)
    form = RevokeForm()
    if cert.revoked_at is None and form.validate_on_submit():
        done = run_service(form, lambda: service.revoke(cert, form.reason.data, current_user),
                           _("Certificate %(number)s is revoked.", number=cert.number),
                           url_for(".certificates", code=cohort.code))
        if done:
            return done
    unmet = [] if cert.revoked_at else service.eligibility(cert.enrolment).reasons
    return render_template("portfolio/certificate_revoke.html", cohort=cohort, cert=cert, form=form,
                           unmet=unmet, reason_text=service.reason_text), 400 if form.errors else 200


@bp.route("/cohorts/<code>/certificates/<number>.pdf")
@requires("portfolio:view", cohort_context)
def certificate_pdf(code, number):
    return _pdf_response(_certificate(number))


@bp.route("/cohorts/<code>/certificates.zip")
@requires("portfolio:view", cohort_context)
def certificates_zip(code):
    cohort = g.cohort
    try:
        body = service.zip_of_cohort(cohort)
    except NotFound:
        flash(_("No valid certificates yet."), "error")
        return redirect(url_for(".certificates", code=cohort.code))
    return Response(body, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{cohort.code}-certificates.zip"',
        "Cache-Control": "private, no-store"})


# --- the participant ---------------------------------------------------------------------------------

@bp.route("/cohorts/<code>/my-certificate")
@requires("portfolio:keep", cohort_context)
def my_certificate(code):
    enrolment = my_enrolment()
    cert = service.latest_of(enrolment)
    row = (service.eligibility(enrolment, released_only=True) if cert is None or cert.revoked_at is not None
           else None)
    return render_template("portfolio/certificate_mine.html", cohort=g.cohort, cert=cert, row=row,
                           reason_text=service.reason_text, verify_url=service.verify_url)


@bp.route("/cohorts/<code>/my-certificate.pdf")
@requires("portfolio:keep", cohort_context)
def my_certificate_pdf(code):
    """Only the signed-in participant's own valid certificate: there is no number in the URL."""
    cert = service.latest_of(my_enrolment())
    if cert is None or cert.revoked_at is not None:
        abort(404)
    return _pdf_response(cert)


# --- public verification -------------------------------------------------------------------------------

@bp.route("/verify", defaults={"number": None})
@bp.route("/verify/<number>")
@public
@verify_limited
def verify(number):
    """What a QR code on a certificate opens: the holder, programme, hours, date, and whether it
    is valid or revoked. Nothing else about the holder is shown."""
    if number is None:
        asked = (request.args.get("number") or "").strip()
        if asked:
            return redirect(url_for(".verify", number=asked))
        return render_template("portfolio/verify.html", facts=None, number="")
    try:
        facts = service.verify(number)
    except NotFound:
        return render_template("portfolio/verify.html", facts=None, number=number), 404
    return render_template("portfolio/verify.html", facts=facts, number=facts["number"])
