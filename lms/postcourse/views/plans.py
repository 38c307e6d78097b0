"""A graduate's support plan: the staff page (postcourse:view_cohort to read, postcourse:support
to agree, adjust, log consultations, observations and evidence, mark activities) and the
graduate's own page (/cohorts/<code>/me/support: read, accept, add own evidence); the
cohort's group events and their attendance.

Staff routes check the capability in the cohort first, then load the plan only from that
cohort: a plan of another cohort is a 404, as a missing one is. The graduate's routes only
ever load the signed-in participant's own plan."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from lms.core.i18n import current_language, localized
from lms.core.permissions import requires
from lms.core.services import clock, mail
from lms.core.services.errors import NotFound
from lms.core.web import send_stored, upload_of
from lms.courses.forms import ConfirmForm
from lms.courses.views.common import COHORT_TABS
from lms.postcourse.forms import plans as forms
from lms.postcourse.forms.plans import (
    AgreeForm, ActivityActionForm, ActivityForm, CloseForm, ContactForm, EventForm, EvidenceForm, ObservationForm,
    RequestForm,
)
from lms.postcourse.models import SupportPlan
from lms.postcourse.services import activities as activity_service
from lms.postcourse.services import plans as plan_service
from lms.postcourse.views.common import bp, can_here, cohort_context, my_enrolment, run_service

COHORT_TABS.append(("postcourse.my_plan", _l("My support plan")))

VIEW, SUPPORT, FOLLOW = "postcourse:view_cohort", "postcourse:support", "postcourse:follow_plan"


def _plan(plan_id: int) -> SupportPlan:
    try:
        return plan_service.plan_in(g.cohort, plan_id)
    except NotFound:
        abort(404)


def _local_now() -> datetime:
    return clock.now().astimezone(ZoneInfo(g.cohort.timezone or "Asia/Almaty")).replace(tzinfo=None, second=0,
                                                                                        microsecond=0)


def _activity_choices(plan: SupportPlan, model, lang: str, *, graduate: bool = False) -> list[SelectChoice]:
    """The planned activities a record may mark done; the graduate's own evidence only those a
    document completes."""
    return [SelectChoice(forms.NO_ACTIVITY, _("— none —"))] + [
        SelectChoice(a.id, f"{plan_service.activity_label(a, model, lang)} ({a.due_on.isoformat()})"[:160])
        for a in plan.activities if a.status == "planned"
        and (not graduate or activity_service.completed_by_document(a, model))]


def _request_choices(plan: SupportPlan) -> list[SelectChoice]:
    """The graduate's requests still waiting, for a consultation to answer."""
    return [SelectChoice(forms.NO_ACTIVITY, _("— none —"))] + [
        SelectChoice(r.id, f"{r.asked_at:%Y-%m-%d}: {r.topic}"[:160])
        for r in activity_service.requests_of(plan) if r.answered_at is None]




def _prepare(plan: SupportPlan, model, lang: str, given: dict, graduate: bool) -> dict:
    """Every form of the page, with the plan's choices (a form sent back with errors is kept)."""
    today = clock.today(g.cohort.timezone or "Asia/Almaty")
    out = {
        "agree": given.get("agree") or AgreeForm(formdata=None, needs_note=(plan.needs or {}).get("note", "")),
        "activity": given.get("activity") or ActivityForm(formdata=None),
        "contact": given.get("contact") or ContactForm(formdata=None, happened_at=_local_now()),
        "observation": given.get("observation") or ObservationForm(formdata=None, observed_on=today),
        "evidence": given.get("evidence") or EvidenceForm(formdata=None, happened_on=today),
        "close": given.get("close") or CloseForm(formdata=None),
        "action": given.get("action") or ActivityActionForm(formdata=None),
        "request": given.get("request") or RequestForm(formdata=None),
        "confirm": ConfirmForm(),
    }
    out["contact"].request_id.choices = _request_choices(plan)
    out["activity"].activity_type.choices = [
        SelectChoice(m.code, f"{m.label(lang)} · {forms.STAGE_LABELS[m.stage]}") for m in model.menu]
    choices = _activity_choices(plan, model, lang)
    for name in ("contact", "observation", "evidence"):
        out[name].activity_id.choices = choices
    if graduate:
        out["evidence"].activity_id.choices = _activity_choices(plan, model, lang, graduate=True)
    return out


def _render(template: str, plan: SupportPlan, *, staff: bool, given: dict | None = None, **extra):
    lang = current_language()
    view = plan_service.plan_view(plan, staff=staff, lang=lang)
    programme = view.enrolment.cohort.programme
    module_titles = {m.number: localized(m, "title") for m in programme.modules}
    topic_titles = {t.code: localized(t, "title") for t in programme.topics}
    page = render_template(
        template, cohort=g.cohort, v=view, plan=plan, staff=staff,
        f=_prepare(plan, view.model, lang, given or {}, graduate=not staff),
        labels=forms, lang=lang, module_titles=module_titles, topic_titles=topic_titles,
        label_of=lambda a: plan_service.activity_label(a, view.model, lang),
        completion_of=lambda a: plan_service.completion_label(a, view.model, lang),
        activities_by_id={a.id: a for a in plan.activities}, **extra)
    # a form sent back with its errors is a 400, as every other form page answers
    return page, 400 if any(getattr(form, "errors", None) for form in (given or {}).values()) else 200


def _staff_page(plan: SupportPlan, **given):
    return _render("postcourse/plan.html", plan, staff=True, given=given, can_support=can_here(SUPPORT),
                   competences=plan_service.competences_of(plan, current_language()),
                   file_url=lambda file_id: url_for("postcourse.plan_file", code=g.cohort.code, plan_id=plan.id,
                                                    file_id=file_id))


def _back(plan: SupportPlan, anchor: str = ""):
    return url_for("postcourse.plan", code=g.cohort.code, plan_id=plan.id) + (f"#{anchor}" if anchor else "")




# --- staff ------------------------------------------------------------------------------------------

@bp.route("/cohorts/<code>/support/plans/<int:plan_id>")
@requires(VIEW, cohort_context)
def plan(code, plan_id):
    return _staff_page(_plan(plan_id))


@bp.route("/cohorts/<code>/support/plans/<int:plan_id>/agree", methods=["POST"])
@requires(SUPPORT, cohort_context)
def plan_agree(code, plan_id):
    p = _plan(plan_id)
    form = AgreeForm()
    if form.validate_on_submit():
        done = run_service(form, lambda: plan_service.agree(p, current_user, form.note.data, form.needs_note.data),
                           _("The plan is agreed. The graduate can now accept it."), _back(p))
        if done:
            return done
    return _staff_page(p, agree=form)


@bp.route("/cohorts/<code>/support/plans/<int:plan_id>/activities", methods=["POST"])
@requires(SUPPORT, cohort_context)
def plan_activity_add(code, plan_id):
    p = _plan(plan_id)
    form = ActivityForm()
    form.activity_type.choices = [SelectChoice(m.code, m.code) for m in plan_service.model_of(p).menu]
    if form.validate_on_submit():
        fields = {"activity_type": form.activity_type.data, "due_on": form.due_on.data, "title": form.title.data,
                  "note": form.note.data}
        done = run_service(form, lambda: plan_service.add_activity(p, fields, current_user),
                           _("Activity added."), _back(p, "activities"))
        if done:
            return done
    return _staff_page(p, activity=form)


@bp.route("/cohorts/<code>/support/plans/<int:plan_id>/activities/<int:activity_id>", methods=["POST"])
@requires(SUPPORT, cohort_context)
def plan_activity(code, plan_id, activity_id):
    p = _plan(plan_id)
    try:
        activity = plan_service.activity_in(p, activity_id)
    except NotFound:
        abort(404)
    form = ActivityActionForm()
    if not form.validate_on_submit():
        return _staff_page(p, action=form)
    action, note = form.action.data, form.note.data
    if action == "done":
        act, message = lambda: plan_service.mark_activity(p, activity, "done", current_user, form.done_on.data), \
            _("Marked done.")
    elif action == "cancel":
        act, message = lambda: plan_service.mark_activity(p, activity, "cancelled", current_user), _("Cancelled.")
    elif action == "reopen":
        act, message = lambda: plan_service.mark_activity(p, activity, "planned", current_user), _("Planned again.")
    elif action == "remove":
        act, message = lambda: plan_service.remove_activity(p, activity, current_user, note), _("Activity removed.")
    else:
        if form.due_on.data is None:
            form.due_on.errors = list(form.due_on.errors) + [_("Give the new due date.")]
            return _staff_page(p, action=form)
        act, message = lambda: plan_service.change_activity(p, activity, {"due_on": form.due_on.data}, current_user,
                                                            note), _("Due date changed.")
    return run_service(form, act, message, _back(p, "activities")) or _staff_page(p, action=form)


@bp.route("/cohorts/<code>/support/plans/<int:plan_id>/contacts", methods=["POST"])
@requires(SUPPORT, cohort_context)
def log_contact(code, plan_id):
    p = _plan(plan_id)
    form = ContactForm()
    form.activity_id.choices = _activity_choices(p, plan_service.model_of(p), current_language())
    form.request_id.choices = _request_choices(p)
    if form.validate_on_submit():
        fields = {"happened_at": form.happened_at.data, "channel": form.channel.data, "topic": form.topic.data,
                  "outcome": form.outcome.data, "group": bool(form.group.data), "activity_id": form.activity_id.data,
                  "request_id": form.request_id.data}
        done = run_service(form, lambda: activity_service.log_contact(p, fields, current_user),
                           _("Consultation logged."), _back(p, "contacts"))
        if done:
            return done
    return _staff_page(p, contact=form)


@bp.route("/cohorts/<code>/support/plans/<int:plan_id>/observations", methods=["POST"])
@requires(SUPPORT, cohort_context)
def plan_observation(code, plan_id):
    p = _plan(plan_id)
    form = ObservationForm()
    form.activity_id.choices = _activity_choices(p, plan_service.model_of(p), current_language())
    if form.validate_on_submit():
        fields = {"kind": form.kind.data, "observed_on": form.observed_on.data, "url": form.url.data,
                  "feedback": form.feedback.data, "activity_id": form.activity_id.data}
        upload = upload_of(form.file)
        done = run_service(form, lambda: activity_service.add_observation(p, fields, current_user, upload),
                           _("Observation added."), _back(p, "observations"))
        if done:
            return done
    return _staff_page(p, observation=form)


def _evidence_fields(form: EvidenceForm) -> dict:
    return {"kind": form.kind.data, "level": form.level.data, "title": form.title.data,
            "happened_on": form.happened_on.data, "url": form.url.data, "activity_id": form.activity_id.data}


@bp.route("/cohorts/<code>/support/plans/<int:plan_id>/evidence", methods=["POST"])
@requires(SUPPORT, cohort_context)
def plan_evidence(code, plan_id):
    p = _plan(plan_id)
    form = EvidenceForm()
    form.activity_id.choices = _activity_choices(p, plan_service.model_of(p), current_language())
    if form.validate_on_submit():
        fields, upload = _evidence_fields(form), upload_of(form.file)
        done = run_service(form, lambda: activity_service.add_evidence(p, fields, current_user, upload),
                           _("Evidence added."), _back(p, "evidence"))
        if done:
            return done
    return _staff_page(p, evidence=form)


@bp.route("/cohorts/<code>/support/plans/<int:plan_id>/close", methods=["POST"])
@requires(SUPPORT, cohort_context)
def plan_close(code, plan_id):
    p = _plan(plan_id)
    form = CloseForm()
    if form.validate_on_submit():
        done = run_service(form, lambda: plan_service.close_plan(p, current_user, form.note.data),
                           _("The plan is closed."), _back(p))
        if done:
            return done
    return _staff_page(p, close=form)


@bp.route("/cohorts/<code>/support/plans/<int:plan_id>/files/<int:file_id>")
@requires(VIEW, cohort_context)
def plan_file(code, plan_id, file_id):
    p = _plan(plan_id)
    try:
        return send_stored(activity_service.file_of(p, file_id))
    except NotFound:
        abort(404)


# --- the graduate ---------------------------------------------------------------------------------------

def _my_plan() -> SupportPlan | None:
    return plan_service.plan_of(my_enrolment())


def _my_plan_or_404() -> SupportPlan:
    """The signed-in graduate's own plan; none yet is a 404 for what acts on it."""
    p = _my_plan()
    if p is None:
        abort(404)
    return p


def _mine_page(p: SupportPlan | None, **given):
    if p is None:
        return render_template("postcourse/plan_mine.html", cohort=g.cohort, plan=None)
    return _render("postcourse/plan_mine.html", p, staff=False, given=given,
                   file_url=lambda file_id: url_for("postcourse.my_plan_file", code=g.cohort.code, file_id=file_id))


@bp.route("/cohorts/<code>/me/support")
@requires(FOLLOW, cohort_context)
def my_plan(code):
    return _mine_page(_my_plan())


@bp.route("/cohorts/<code>/me/support/accept", methods=["POST"])
@requires(FOLLOW, cohort_context)
def my_plan_accept(code):
    p = _my_plan_or_404()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    target = url_for("postcourse.my_plan", code=code)
    return run_service(None, lambda: plan_service.accept(p, current_user), _("You accepted your plan."), target) \
        or redirect(target)


@bp.route("/cohorts/<code>/me/support/evidence", methods=["POST"])
@requires(FOLLOW, cohort_context)
def my_plan_evidence(code):
    p = _my_plan_or_404()
    form = EvidenceForm()
    form.activity_id.choices = _activity_choices(p, plan_service.model_of(p), current_language(), graduate=True)
    if form.validate_on_submit():
        fields, upload = _evidence_fields(form), upload_of(form.file)
        done = run_service(form, lambda: activity_service.add_evidence(p, fields, current_user, upload),
                           _("Evidence added."), url_for("postcourse.my_plan", code=code) + "#evidence")
        if done:
            return done
    return _mine_page(p, evidence=form)


@bp.route("/cohorts/<code>/me/support/requests", methods=["POST"])
@requires(FOLLOW, cohort_context)
def my_plan_request(code):
    p = _my_plan_or_404()
    form = RequestForm()
    if form.validate_on_submit():
        fields = {"topic": form.topic.data, "channel": form.channel.data, "note": form.note.data}
        done = run_service(form, lambda: activity_service.ask_consultation(p, fields, current_user),
                           _("Your request is sent; you will be contacted."),
                           url_for("postcourse.my_plan", code=code) + "#requests")
        if done:
            return mail.send_after_response(done)
    return _mine_page(p, request=form)


@bp.route("/cohorts/<code>/me/support/files/<int:file_id>")
@requires(FOLLOW, cohort_context)
def my_plan_file(code, file_id):
    p = _my_plan_or_404()
    try:
        return send_stored(activity_service.file_of(p, file_id))
    except NotFound:
        abort(404)


# --- group events ------------------------------------------------------------------------------------------

def _events_page(form: EventForm | None = None):
    cohort = g.cohort
    events = activity_service.events_of_cohort(cohort)
    form = form or EventForm(formdata=None, starts_at=_local_now())
    return render_template("postcourse/plan_events.html", cohort=cohort, events=events, form=form, labels=forms,
                           can_support=can_here(SUPPORT))


@bp.route("/cohorts/<code>/support/events")
@requires(VIEW, cohort_context)
def events(code):
    return _events_page()


@bp.route("/cohorts/<code>/support/events", methods=["POST"])
@requires(SUPPORT, cohort_context)
def event_create(code):
    form = EventForm()
    if form.validate_on_submit():
        fields = {"kind": form.kind.data, "stage": form.stage.data, "title": form.title.data,
                  "starts_at": form.starts_at.data, "meeting_url": form.meeting_url.data}
        done = run_service(form, lambda: activity_service.create_event(g.cohort, fields, current_user),
                           _("Event created."), lambda e: url_for("postcourse.event", code=code, event_id=e.id))
        if done:
            return done
    return _events_page(form)


def _event(event_id: int):
    try:
        return activity_service.get_event(g.cohort, event_id)
    except NotFound:
        abort(404)


@bp.route("/cohorts/<code>/support/events/<int:event_id>")
@requires(VIEW, cohort_context)
def event(code, event_id):
    e = _event(event_id)
    plans = plan_service.plans_of(g.cohort)
    names = plan_service.graduate_names(plans)
    return render_template("postcourse/plan_event.html", cohort=g.cohort, event=e, plans=plans, names=names,
                           attendance=activity_service.attendance_of(e), labels=forms, confirm=ConfirmForm(),
                           can_support=can_here(SUPPORT))


@bp.route("/cohorts/<code>/support/events/<int:event_id>/attendance", methods=["POST"])
@requires(SUPPORT, cohort_context)
def event_attendance(code, event_id):
    e = _event(event_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    present = {int(v) for v in request.form.getlist("attended") if v.isdigit()}
    marks = {p.id: p.id in present for p in plan_service.plans_of(g.cohort)}
    target = url_for("postcourse.event", code=code, event_id=event_id)
    return run_service(None, lambda: activity_service.record_attendance(e, marks, current_user),
                       _("Attendance saved."), target) or redirect(target)
