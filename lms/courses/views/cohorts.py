"""Cohort list, creation, participants and the participant's own pages."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from lms.core.pagination import paginate
from lms.core.permissions import contexts_with, has_capability, requires
from lms.core.services import clock, mail
from lms.core.services import users as user_service
from lms.core.services.errors import NotFound
from lms.core.web import run_button
from lms.courses.forms import CohortForm, CohortSettingsForm, ConfirmForm, EnrolForm, StaffForm
from lms.courses.models import Cohort, Enrolment, Programme
from lms.courses.services import announcements as announcement_service
from lms.courses.services import cohorts as cohort_service
from lms.courses.services import notices
from lms.courses.views.common import add_staff as add_staff_from
from lms.courses.views.common import cohort_context, cohorts_bp as bp, my_enrolment, run_service
from lms.courses.views.common import remove_staff as remove_staff_button
from lms.db import db


@bp.route("/")
@requires("courses:view_cohort", anywhere=True)
def index():
    """The cohorts the reader may open, newest first, a page at a time; filtered in SQL by
    where the reader's roles are held, not checked cohort by cohort."""
    where = contexts_with(current_user, "courses:view_cohort")
    stmt = select(Cohort).order_by(Cohort.start_date.desc(), Cohort.code)
    if "system" not in where:
        stmt = stmt.where(or_(Cohort.id.in_(sorted(where.get("cohort", ()))),
                              Cohort.programme_id.in_(sorted(where.get("programme", ())))))
    q = request.args.get("q", "").strip()
    if q:
        stmt = stmt.where(Cohort.code.ilike(f"%{q}%"))
    page = paginate(stmt.options(selectinload(Cohort.programme)), request.args.get("page", 1, type=int), per_page=30)
    return render_template("courses/cohorts.html", page=page, q=q)


@bp.route("/mine")
@requires("courses:participate", anywhere=True)
def mine():
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.user_id == current_user.id)
                                    .order_by(Enrolment.enrolled_at.desc())).all()
    return render_template("courses/my_cohorts.html", enrolments=enrolments)


@bp.route("/new", methods=["GET", "POST"])
@requires("courses:manage_cohorts")
def create():
    form = CohortForm()
    approved = db.session.scalars(select(Programme).where(Programme.status == "approved")
                                  .order_by(Programme.code)).all()
    form.programme.choices = [(str(p.id), f"{p.code} v{p.version}") for p in approved]
    if form.validate_on_submit():
        programme = next(p for p in approved if str(p.id) == form.programme.data)
        done = run_service(form, lambda: cohort_service.create_cohort(programme, form.data, current_user),
                           _("Cohort created."), lambda c: url_for("cohorts.show", code=c.code))
        if done:
            return done
    return render_template("courses/cohort_form.html", form=form)


@bp.route("/<code>/settings", methods=["GET", "POST"])
@requires("courses:manage_cohorts", cohort_context)
def settings(code):
    cohort = g.cohort
    form = CohortSettingsForm(obj=cohort)
    if cohort.sessions:  # the format and the run's length are fixed once a schedule exists: shown, not offered
        form.format_code.render_kw = form.short_run.render_kw = {"disabled": True}
    if not cohort.short_run and not any(f.short_run for f in cohort.programme.formats):
        del form.short_run  # nothing to choose
    if form.validate_on_submit():
        fields = dict(form.data)
        if cohort.sessions or "short_run" not in fields:
            fields["short_run"] = None  # a disabled or absent tick box keeps what the cohort has

        told = []

        def saved(change):
            told.append(notices.queued_since(cohort, started))
            if told[0]:
                flash(ngettext("%(num)s participant is told of the new link by e-mail.",
                               "%(num)s participants are told of the new link by e-mail.", told[0]))
            if change.links_moved:
                flash(ngettext("%(num)s session not yet held now carries the new link.",
                               "%(num)s sessions not yet held now carry the new link.", change.links_moved))
            if change.sessions_outside:
                flash(ngettext("%(num)s scheduled session falls outside the new dates: move it on the schedule.",
                               "%(num)s scheduled sessions fall outside the new dates: move them on the schedule.",
                               change.sessions_outside), "error")
            return url_for("cohorts.settings", code=code)

        started = clock.now()
        done = run_service(form, lambda: cohort_service.update_settings(cohort, fields, current_user,
                                                                        move_links=form.move_links.data),
                           _("Settings saved."), saved)
        if done:
            return mail.send_after_response(done) if told[0] else done
    return render_template("courses/cohort_form.html", form=form, cohort=cohort), 400 if form.errors else 200


@bp.route("/<code>")
@requires("courses:view_cohort", cohort_context)
def show(code):
    from lms.courses.services import ledger

    dashboard = ledger.cohort_dashboard(g.cohort)
    return render_template("courses/cohort.html", cohort=g.cohort, d=dashboard, confirm=ConfirmForm())


@bp.route("/<code>/participants", methods=["GET", "POST"])
@requires("courses:view_cohort", cohort_context)
def participants(code):
    cohort = g.cohort
    form = EnrolForm()
    can_manage = has_capability(current_user, "courses:manage_cohorts", g.lms_context)
    if request.method == "POST":
        if not can_manage:
            abort(403)
        if form.validate_on_submit():
            def act():
                user = user_service.get_by_email(form.email.data)
                if user is None:
                    raise NotFound(_("No account has this e-mail; import a participant list to create accounts."),
                                   field="email")
                return cohort_service.enrol(cohort, user, current_user)

            done = run_service(form, act, _("Enrolled."), url_for("cohorts.participants", code=code))
            if done:
                return done
    return _participants_page(form, StaffForm(formdata=None), can_manage)


def _participants_page(form, staff_form, can_manage: bool):
    cohort = g.cohort
    enrolments = cohort_service.enrolments(cohort, include_withdrawn=True)
    return render_template("courses/participants.html", cohort=cohort, form=form, staff_form=staff_form,
                           can_manage=can_manage, enrolments=enrolments, confirm=ConfirmForm(),
                           without_password=sum(1 for e in enrolments
                                                if e.status != "withdrawn" and e.user.password_hash is None),
                           staff=cohort_service.staff_by_role(cohort)), \
        400 if form.errors or staff_form.errors else 200


@bp.route("/<code>/participants/<int:enrolment_id>/status", methods=["POST"])
@requires("courses:manage_cohorts", cohort_context)
def enrolment_status(code, enrolment_id):
    """Withdraw someone, take them back, or mark them completed by hand (a certificate marks
    its holder completed by itself); completion opens the graduate's support year."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.cohort_id != g.cohort.id:
        abort(404)
    return run_button(lambda: cohort_service.set_status(enrolment, request.form.get("status", ""), current_user),
                      _("Status of %(name)s changed.", name=enrolment.user.full_name),
                      url_for("cohorts.participants", code=code))


@bp.route("/<code>/staff", methods=["POST"])
@requires("courses:manage_cohorts", cohort_context)
def add_staff(code):
    """Trainers teach and grade the cohort, the curator follows it, assessors score defenses."""
    staff_form = StaffForm()
    done = add_staff_from(staff_form,
                          lambda user, role: cohort_service.assign_staff(g.cohort, user, role, current_user),
                          _("Added to the cohort's staff."), url_for("cohorts.participants", code=code, _anchor="staff"))
    if done:
        return done
    return _participants_page(EnrolForm(formdata=None), staff_form, True)


@bp.route("/<code>/staff/remove", methods=["POST"])
@requires("courses:manage_cohorts", cohort_context)
def remove_staff(code):
    return remove_staff_button(lambda user, role: cohort_service.remove_staff(g.cohort, user, role, current_user),
                               _("Removed from the cohort's staff; what they did stays."),
                               url_for("cohorts.participants", code=code, _anchor="staff"))


@bp.route("/<code>/participants/invite", methods=["POST"])
@requires("courses:manage_cohorts", cohort_context)
def invite_participants(code):
    """Sent at once: a trainer presses it on the first day, when the participants need it."""
    def sent(invited) -> None:  # after the commit: the outbox now, then the answer
        if not invited:
            flash(_("Nobody to invite: everyone has a password, or was invited today."))
        elif mail.deliver_all() >= len(invited):
            flash(ngettext("A link to choose a password was sent to %(num)d participant.",
                           "A link to choose a password was sent to %(num)d participants.", len(invited)))
        else:
            flash(_("The invitations are queued; the mail server has not taken them all yet: they are tried again"
                    " with the daily tasks."), "warning")

    return run_button(lambda: cohort_service.invite_participants(g.cohort, current_user), None,
                      url_for("cohorts.participants", code=code), sent)


@bp.route("/<code>/me")
@requires("courses:participate", cohort_context)
def me(code):
    from lms.courses.services import ledger

    enrolment = my_enrolment()
    return render_template("courses/me.html", cohort=g.cohort, enrolment=enrolment,
                           d=ledger.participant_dashboard(enrolment), confirm=ConfirmForm(),
                           news=announcement_service.latest(g.cohort))


@bp.route("/<code>/me/choose", methods=["POST"])
@requires("courses:participate", cohort_context)
def choose_topic(code):
    enrolment = my_enrolment()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    module = next((m for m in g.cohort.programme.modules if m.id == request.form.get("module_id", type=int)), None)
    if module is None:
        abort(404)
    ids = {int(v) for v in request.form.getlist("topic_id") if v.isdigit()}
    topics = [t for t in module.topics if t.id in ids]
    back = url_for("cohorts.me", code=code)
    return run_service(None, lambda: cohort_service.set_choices(enrolment, module, topics, current_user),
                       _("Your choice is saved."), back) or redirect(back)


@bp.route("/<code>/ledger.<fmt>")
@requires("courses:view_cohort", cohort_context)
def ledger_export(code, fmt):
    from lms.core.services.exports import table_download
    from lms.courses.services import ledger

    header, rows = ledger.export_rows(g.cohort)
    return table_download(fmt, header, rows, f"{code}-ledger", sheet=code)
