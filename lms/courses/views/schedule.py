"""Cohort views: the webinar schedule (generate, move, split, cancel, links) and the
iCalendar feeds (per cohort, per participant, and a token feed for calendar apps).

Session actions take the session id from the form body, never trusting it: a session of
another cohort is a 404."""
from __future__ import annotations

from flask import Response, abort, flash, g, make_response, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user

from lms.core.pagination import Page
from lms.core.permissions import has_capability, public, requires
from lms.core.services import clock, mail, tokens
from lms.courses.forms import ConfirmForm
from lms.courses.forms.schedule import CancelForm, GenerateForm, LinkForm, MoveForm, SplitForm
from lms.courses.models import WebinarSession
from lms.courses.services import notices, schedule
from lms.courses.services.ledger import units
from lms.courses.views.common import COHORT_TABS, cohort_context, cohorts_bp as bp, my_enrolment, run_service
from lms.db import db, db_int, utcnow

COHORT_TABS.append(("cohorts.schedule", _l("Schedule")))

PER_PAGE = 50


def _page_of(sessions: list[WebinarSession], session_id: int | None) -> int | None:
    for i, s in enumerate(sessions):
        if s.id == session_id:
            return i // PER_PAGE + 1
    return None


def _edit_forms(session: WebinarSession) -> dict:
    """The change forms of one session, filled with its current values."""
    local = session.starts_at.astimezone(schedule.zone(session.cohort))
    return {
        "move": MoveForm(formdata=None, day=local.date(), starts_at=local.time().replace(second=0, microsecond=0)),
        "split": SplitForm(formdata=None, first_hours=round(session.academic_hours / 2, 2)),
        "cancel": CancelForm(formdata=None),
        "link": LinkForm(formdata=None, meeting_url=session.meeting_url or ""),
    }


def _render(generate_form: GenerateForm | None = None, edit_id: int | None = None, failed: dict | None = None):
    """The schedule page; after a refused POST it shows the refused form with its errors."""
    cohort = g.cohort
    plan = units(cohort)[0]
    sessions = schedule.list_sessions(cohort)
    can_teach = has_capability(current_user, "courses:teach", g.lms_context)
    edit_id = edit_id if edit_id is not None else request.args.get("edit", type=db_int)
    at = edit_id or request.args.get("at", type=db_int)
    page_no = request.args.get("page", type=int) or _page_of(sessions, at) or 1
    page = Page(sessions[(page_no - 1) * PER_PAGE: page_no * PER_PAGE], page_no, PER_PAGE, len(sessions))
    edit = next((s for s in sessions if s.id == edit_id), None) if can_teach else None
    forms = _edit_forms(edit) if edit is not None else {}
    forms.update(failed or {})
    if generate_form is None:
        generate_form = GenerateForm(formdata=None, start_date=max(cohort.start_date, _today(cohort)))
    return render_template(
        "courses/schedule.html", cohort=cohort, page=page, sessions=sessions, can_teach=can_teach,
        coverage=schedule.coverage(cohort, sessions, plan),
        marked=schedule.attendance_counts([s.id for s in page.items]),
        generate_form=generate_form, edit=edit, forms=forms, confirm=ConfirmForm())


def _today(cohort):
    today = schedule.local_date(cohort, utcnow())
    return today if today <= cohort.end_date else cohort.start_date


@bp.route("/<code>/schedule", endpoint="schedule")
@requires("courses:view_cohort", cohort_context)
def schedule_page(code):
    return _render()


def _back(session_id: int | None = None):
    if session_id is None:
        return url_for("cohorts.schedule", code=g.cohort.code)
    return url_for("cohorts.schedule", code=g.cohort.code, at=session_id, _anchor=f"s-{session_id}")


@bp.route("/<code>/schedule/generate", methods=["POST"])
@requires("courses:teach", cohort_context)
def schedule_generate(code):
    form = GenerateForm()
    if form.validate_on_submit():
        done = run_service(form, lambda: schedule.generate(
            g.cohort, form.start_date.data, set(form.weekdays.data or ()), form.start_time.data,
            float(form.hours_per_day.data), current_user, break_minutes=form.break_minutes.data or 0,
            replace=form.replace.data), _("The schedule is generated."), _back())
        if done:
            return done
    return _render(generate_form=form)


def _session_or_404() -> WebinarSession:
    session = schedule.get_session(g.cohort, request.form.get("session_id", type=db_int) or 0)
    if session is None:
        abort(404)
    return session


def _session_action(form, key: str, action, success: str):
    """Validate, run and redirect back to the session's row; re-render with errors. A change
    its participants are told of goes out by e-mail once the page has answered."""
    session = _session_or_404()
    session_id = session.id
    if form.validate_on_submit():
        started = clock.now()
        done = run_service(form, lambda: action(session), success, _back(session_id))
        if done:
            told = notices.queued_since(session, started)
            if told:
                flash(ngettext("%(num)s participant is told by e-mail.", "%(num)s participants are told by e-mail.",
                               told))
                mail.send_after_response(done)
            return done
    return _render(edit_id=session_id, failed={key: form})


@bp.route("/<code>/schedule/move", methods=["POST"])
@requires("courses:teach", cohort_context)
def schedule_move(code):
    form = MoveForm()
    return _session_action(form, "move", lambda s: schedule.move(
        s, schedule.local_to_utc(g.cohort, form.day.data, form.starts_at.data), current_user),
        _("The session is moved."))


@bp.route("/<code>/schedule/split", methods=["POST"])
@requires("courses:teach", cohort_context)
def schedule_split(code):
    form = SplitForm()
    return _session_action(form, "split", lambda s: schedule.split(s, float(form.first_hours.data), current_user),
                           _("The session is split in two."))


@bp.route("/<code>/schedule/cancel", methods=["POST"])
@requires("courses:teach", cohort_context)
def schedule_cancel(code):
    form = CancelForm()
    return _session_action(form, "cancel", lambda s: schedule.cancel(s, current_user, form.note.data),
                           _("The session is cancelled. Attendance already marked is kept but not credited."))


@bp.route("/<code>/schedule/restore", methods=["POST"])
@requires("courses:teach", cohort_context)
def schedule_restore(code):
    form = ConfirmForm()
    return _session_action(form, "restore", lambda s: schedule.restore(s, current_user),
                           _("The session is restored."))


@bp.route("/<code>/schedule/link", methods=["POST"])
@requires("courses:teach", cohort_context)
def schedule_link(code):
    form = LinkForm()
    return _session_action(form, "link", lambda s: schedule.set_link(s, form.meeting_url.data, current_user),
                           _("The meeting link is saved."))


# --- iCalendar feeds ----------------------------------------------------------------------

def _ics_response(sessions, name: str, filename: str) -> Response:
    body = schedule.ics(sessions, name, host=request.host.split(":")[0] or "ustaz")
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, max-age=300"})


def _cohort_ics_sessions():
    return schedule.list_sessions(g.cohort)


@bp.route("/<code>/schedule.ics")
@requires("courses:view_cohort", cohort_context)
def schedule_ics(code):
    return _ics_response(_cohort_ics_sessions(), g.cohort.code, f"{code}.ics")


def _render_mine(feed_url: str | None = None):
    return render_template("courses/schedule_mine.html", cohort=g.cohort, sessions=_cohort_ics_sessions(),
                           feed_url=feed_url, confirm=ConfirmForm())


@bp.route("/<code>/me/schedule")
@requires("courses:participate", cohort_context)
def my_schedule(code):
    my_enrolment()
    return _render_mine()


@bp.route("/<code>/me/schedule.ics")
@requires("courses:participate", cohort_context)
def my_schedule_ics(code):
    my_enrolment()
    return _ics_response(_cohort_ics_sessions(), g.cohort.code, f"{code}.ics")


@bp.route("/<code>/me/calendar-token", methods=["POST"])
@requires("courses:participate", cohort_context)
def my_calendar_token(code):
    """A fresh feed address (any earlier one stops working); shown once, since only its
    hash is kept."""
    my_enrolment()
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    plain = tokens.calendar_token(current_user)
    db.session.commit()
    response = make_response(_render_mine(feed_url=url_for("cohorts.calendar_feed", token=plain, _external=True)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/calendar/<token>.ics")
@public
def calendar_feed(token):
    """For calendar apps that cannot sign in: every session of every cohort the token's
    owner is enrolled in."""
    user = tokens.user_for(token, "calendar")
    if user is None:
        abort(404)
    sessions = schedule.feed_sessions_for_user(user)
    db.session.commit()  # the token's last use
    return _ics_response(sessions, "Ustaz", "ustaz.ics")
