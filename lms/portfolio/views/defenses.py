"""Defense pages: a cohort's sessions (staff), a session's panel and slots, an assessor's
scoring page, the slot page (every assessor's scores as the blind rule allows, the chair's
reconciliation, the release), a participant's "my defense", an assessor's panels and the
rubrics.

Every page takes the cohort from the URL and loads only that cohort's sessions and slots (an
id of another cohort is a 404); a user who is not on a slot's panel gets a 404 on its pages."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.core.i18n import current_language
from lms.core.models import User
from lms.core.permissions import Context, has_capability, requires
from lms.core.services.errors import NotFound, ServiceError
from lms.courses.forms import ConfirmForm
from lms.courses.views.common import COHORT_TABS, TAB_APPLIES
from lms.db import db
from lms.portfolio.forms.defenses import (PanelForm, ReconcileForm, ReleaseForm, SessionDetailsForm, SessionForm,
                                          SlotsForm, score_form_class)
from lms.portfolio.models import ProjectWork, Rubric
from lms.portfolio.services import defenses as service
from lms.portfolio.services import rubrics as rubric_service
from lms.portfolio.views.common import bp, can_here, cohort_context, my_enrolment, run_service

COHORT_TABS.append(("portfolio.defenses", _l("Defenses")))
COHORT_TABS.append(("portfolio.my_panels", _l("My panels")))
COHORT_TABS.append(("portfolio.my_defense", _l("My defense")))
TAB_APPLIES["portfolio.my_defense"] = service.has_defense

MANAGE, ASSESS = "portfolio:manage_defenses", "portfolio:assess"


# --- loaders ---------------------------------------------------------------------------------------
# The capability is checked in the cohort of the URL before a session or slot is read, so ids
# cannot be probed from outside the cohort; a session or slot of another cohort is then a 404.

def _session(session_id: int):
    """The cohort's session with rubric, panel, slots and assessments."""
    try:
        session = service.load_session(session_id)
    except NotFound:
        abort(404)
    if session.cohort_id != g.cohort.id:
        abort(404)
    return session


def _defense(defense_id: int):
    """The cohort's slot with its session, rubric, panel and assessments."""
    try:
        defense = service.get_defense(defense_id)
    except NotFound:
        abort(404)
    if defense.session.cohort_id != g.cohort.id:
        abort(404)
    return defense


def _panel_or_manager(defense) -> tuple[object, bool]:
    """The user's seat on the slot's panel and whether they manage defenses; neither is a 404."""
    member = service.membership(defense.session, current_user)
    manager = service.is_manager(defense.session, current_user)
    if member is None and not manager:
        abort(404)
    return member, manager


# --- helpers ------------------------------------------------------------------------------------

def _zone(cohort) -> ZoneInfo:
    return ZoneInfo(cohort.timezone or "Asia/Almaty")


def _to_utc(value: datetime | None, cohort) -> datetime | None:
    return None if value is None else value.replace(tzinfo=_zone(cohort)).astimezone(ZoneInfo("UTC"))


def _to_local(value: datetime | None, cohort) -> datetime | None:
    return None if value is None else value.astimezone(_zone(cohort)).replace(tzinfo=None)


def _who(defense, groups, by_id) -> dict:
    """Who defends in a slot: a mini-group with its members, or one participant."""
    if defense.mini_group is not None:
        return {"label": _("Mini-group %(n)s", n=defense.mini_group),
                "names": [e.user.full_name for e in groups.get(defense.mini_group, [])]}
    enrolment = by_id.get(defense.enrolment_id)
    return {"label": enrolment.user.full_name if enrolment else _("(withdrawn)"), "names": []}


def _names(user_ids) -> dict[int, str]:
    ids = set(user_ids)
    if not ids:
        return {}
    return {uid: name for uid, name in db.session.execute(select(User.id, User.full_name).where(User.id.in_(ids)))}


def _rubric_choices(cohort) -> list[tuple[str, str]]:
    rubrics = rubric_service.latest_rubrics()
    rubrics.sort(key=lambda r: (r.programme_code != cohort.programme.code, r.code))
    return [(str(r.id), f"{r.code} v{r.version} ({r.max_points:g})") for r in rubrics]


def _project_choices(cohort) -> list[tuple[str, str]]:
    rows = db.session.execute(select(ProjectWork.id, ProjectWork.title, ProjectWork.mode)
                              .where(ProjectWork.cohort_id == cohort.id).order_by(ProjectWork.id))
    return [("", _("— none —"))] + [(str(i), f"{t} ({m})") for i, t, m in rows]


def _panel_choices(form, cohort) -> None:
    people = [(u.id, u.full_name) for u in service.eligible_assessors(cohort)]
    form.members.choices = people
    form.chair.choices = people


def _details(form, cohort) -> dict:
    return {"title": form.title.data, "rubric_id": form.rubric_id.data or None,
            "project_id": form.project_id.data or None, "aggregation": form.aggregation.data,
            "spread_threshold": float(form.spread_threshold.data) if form.spread_threshold.data is not None else None,
            "starts_at": _to_utc(form.starts_at.data, cohort), "meeting_url": form.meeting_url.data}


def _users(ids) -> list[User]:
    return list(db.session.scalars(select(User).where(User.id.in_(set(ids or [])))))


def _slot_rows(session, groups, by_id) -> list[dict]:
    scorers = {m.user_id for m in service.assessors_of(session)}
    return [{"d": d, "who": _who(d, groups, by_id),
             "submitted": sum(1 for a in d.assessments if a.status == "submitted" and a.assessor_id in scorers),
             "expected": len(scorers)} for d in session.defenses]


# --- staff: sessions ----------------------------------------------------------------------------

@bp.route("/cohorts/<code>/defenses")
@requires("portfolio:view", cohort_context)
def defenses(code):
    cohort = g.cohort
    sessions = service.sessions_of(cohort)
    names = _names(m.user_id for s in sessions for m in s.members)
    return render_template("portfolio/defense_sessions.html", cohort=cohort, sessions=sessions, names=names,
                           can_manage=can_here(MANAGE))


@bp.route("/cohorts/<code>/defenses/new", methods=["GET", "POST"])
@requires(MANAGE, cohort_context)
def defense_new(code):
    cohort = g.cohort
    form = SessionForm()
    form.rubric_id.choices = _rubric_choices(cohort)
    form.project_id.choices = _project_choices(cohort)
    _panel_choices(form, cohort)
    if request.method == "GET":
        form.mode.data = "group" if cohort.mini_groups else "individual"
        form.minutes.data = 7 if cohort.mini_groups else 10
        form.meeting_url.data = cohort.meeting_url
    if form.validate_on_submit():
        def act():
            session = service.create_session(cohort, _details(form, cohort), current_user)
            chair = db.session.get(User, form.chair.data) if form.chair.data else None
            if chair is None:
                raise ServiceError(_("Choose the chair."), field="chair")
            service.set_panel(session, _users(form.members.data), chair, current_user)
            if form.generate.data:
                service.generate_slots(session, current_user, mode=form.mode.data, minutes=form.minutes.data,
                                       gap=form.gap.data or 0)
            return session

        done = run_service(form, act, _("The defense session is set up."),
                           lambda s: url_for(".defense_session", code=cohort.code, session_id=s.id))
        if done:
            return done
    return render_template("portfolio/defense_session_form.html", cohort=cohort, form=form, session=None)


@bp.route("/cohorts/<code>/defenses/<int:session_id>/edit", methods=["GET", "POST"])
@requires(MANAGE, cohort_context)
def defense_edit(code, session_id):
    cohort, session = g.cohort, _session(session_id)
    form = SessionDetailsForm()
    form.rubric_id.choices = _rubric_choices(cohort)
    if session.rubric_id not in {int(v) for v, _label in form.rubric_id.choices}:
        form.rubric_id.choices.insert(0, (str(session.rubric_id), f"{session.rubric.code} v{session.rubric.version}"))
    form.project_id.choices = _project_choices(cohort)
    if request.method == "GET":
        form.title.data, form.rubric_id.data = session.title, str(session.rubric_id)
        form.project_id.data = str(session.project_id or "")
        form.aggregation.data, form.spread_threshold.data = session.aggregation, session.spread_threshold
        form.starts_at.data, form.meeting_url.data = _to_local(session.starts_at, cohort), session.meeting_url
    if form.validate_on_submit():
        done = run_service(form, lambda: service.update_session(session, _details(form, cohort), current_user),
                           _("Changes saved."), url_for(".defense_session", code=cohort.code, session_id=session.id))
        if done:
            return done
    return render_template("portfolio/defense_session_form.html", cohort=cohort, form=form, session=session)


@bp.route("/cohorts/<code>/defenses/<int:session_id>")
@requires("portfolio:view", cohort_context)
def defense_session(code, session_id):
    cohort, session = g.cohort, _session(session_id)
    groups, by_id = service.defenders(cohort.id)
    can_manage = can_here(MANAGE)
    panel_form = slots_form = None
    if can_manage:
        panel_form = PanelForm(formdata=None)
        _panel_choices(panel_form, cohort)
        chair = service.chair_of(session)
        panel_form.members.data = [m.user_id for m in service.assessors_of(session)]
        panel_form.chair.data = chair.user_id if chair else None
        slots_form = SlotsForm(formdata=None)
        slots_form.mode.data = service.session_mode(session, "group" if cohort.mini_groups else "individual")
    return render_template("portfolio/defense_session.html", cohort=cohort, session=session,
                           rows=_slot_rows(session, groups, by_id), names=_names(m.user_id for m in session.members),
                           chair=service.chair_of(session), assessors=service.assessors_of(session),
                           can_manage=can_manage, can_assess=can_here(ASSESS), panel_form=panel_form,
                           slots_form=slots_form,
                           confirm=ConfirmForm(), member=service.membership(session, current_user),
                           linked_mode=service.session_mode(session) if session.project_id else None)


@bp.route("/cohorts/<code>/defenses/<int:session_id>/panel", methods=["POST"])
@requires(MANAGE, cohort_context)
def defense_panel(code, session_id):
    cohort, session = g.cohort, _session(session_id)
    form = PanelForm()
    _panel_choices(form, cohort)
    target = url_for(".defense_session", code=cohort.code, session_id=session.id)
    if form.validate_on_submit():
        chair = db.session.get(User, form.chair.data) if form.chair.data else None
        if chair is None:
            flash(_("Choose the chair."), "error")
            return redirect(target)
        done = run_service(None, lambda: service.set_panel(session, _users(form.members.data), chair, current_user),
                           _("The panel is saved."), target)
        if done:
            return done
    return redirect(target)


@bp.route("/cohorts/<code>/defenses/<int:session_id>/slots", methods=["POST"])
@requires(MANAGE, cohort_context)
def defense_slots(code, session_id):
    cohort, session = g.cohort, _session(session_id)
    form = SlotsForm()
    target = url_for(".defense_session", code=cohort.code, session_id=session.id)
    if form.validate_on_submit():
        made = []

        def act():
            made.extend(service.generate_slots(session, current_user, mode=form.mode.data, minutes=form.minutes.data,
                                               gap=form.gap.data or 0))

        done = run_service(None, act, "", target)
        if done:
            flash(ngettext("%(num)s slot added.", "%(num)s slots added.", len(made)) if made
                  else _("Everyone has a slot already."))
            return done
    for errors in form.errors.values():
        for e in errors:
            flash(e, "error")
    return redirect(target)


@bp.route("/cohorts/<code>/defenses/<int:session_id>/slots/<int:defense_id>/delete", methods=["POST"])
@requires(MANAGE, cohort_context)
def defense_slot_delete(code, session_id, defense_id):
    cohort, session = g.cohort, _session(session_id)
    defense = next((d for d in session.defenses if d.id == defense_id), None)
    if defense is None:
        abort(404)
    target = url_for(".defense_session", code=cohort.code, session_id=session.id)
    if ConfirmForm().validate_on_submit():
        done = run_service(None, lambda: service.delete_slot(defense, current_user), _("The slot is removed."), target)
        if done:
            return done
    return redirect(target)


@bp.route("/cohorts/<code>/defenses/<int:session_id>/release", methods=["POST"])
@requires(MANAGE, cohort_context)
def defense_release_all(code, session_id):
    cohort, session = g.cohort, _session(session_id)
    target = url_for(".defense_session", code=cohort.code, session_id=session.id)
    if ConfirmForm().validate_on_submit():
        done = run_service(None, lambda: service.release_session(session, current_user),
                           _("Released: the participants see their grades."), target)
        if done:
            return done
    return redirect(target)


# --- assessors ----------------------------------------------------------------------------------

def _panel_rows(sessions, user) -> list[dict]:
    rows = []
    for s in sessions:
        member = service.membership(s, user)
        rows.append({"session": s, "member": member, "slots": [
            {"d": d, "own": service.own_assessment(d, user)} for d in s.defenses]})
    return rows


@bp.route("/cohorts/<code>/panels")
@requires(ASSESS, cohort_context)
def my_panels(code):
    cohort = g.cohort
    sessions = [s for s in service.panels_of(current_user) if s.cohort_id == cohort.id]
    groups, by_id = service.defenders(cohort.id)
    return render_template("portfolio/defense_panels.html", cohort=cohort, rows=_panel_rows(sessions, current_user),
                           who=lambda d: _who(d, groups, by_id), cohorts=None)


@bp.route("/defenses/mine")
@requires(ASSESS, anywhere=True)
def panels():
    """Every panel the user sits on, in a cohort where they still assess: an assessor's way in
    (one taken off a cohort's staff keeps the panel seat's row, not its participants' names)."""
    from lms.courses.models import Cohort, Enrolment

    sessions = service.panels_of(current_user)
    assessing = {i for i in {s.cohort_id for s in sessions}
                 if has_capability(current_user, ASSESS, Context("cohort", i))}
    sessions = [s for s in sessions if s.cohort_id in assessing]
    cohorts = {c.id: c for c in db.session.scalars(
        select(Cohort).where(Cohort.id.in_({s.cohort_id for s in sessions})))} if sessions else {}
    ids = {d.enrolment_id for s in sessions for d in s.defenses if d.enrolment_id}
    by_id = {e.id: e for e in db.session.scalars(select(Enrolment).where(Enrolment.id.in_(ids))
                                                 .options(joinedload(Enrolment.user)))} if ids else {}
    return render_template("portfolio/defense_panels.html", cohort=None, rows=_panel_rows(sessions, current_user),
                           who=lambda d: _who(d, {}, by_id), cohorts=cohorts)


def _score_values(form, rubric) -> dict:
    out = {}
    for criterion in rubric.criteria:
        code = criterion["code"]
        levels = {f"{p:g}": p for p in rubric_service.criterion_levels(criterion)}
        out[code] = {"points": levels.get(form[f"points_{code}"].data), "comment": form[f"comment_{code}"].data}
    return out


@bp.route("/cohorts/<code>/defenses/slots/<int:defense_id>/score", methods=["GET", "POST"])
@requires(ASSESS, cohort_context)
def defense_score(code, defense_id):
    cohort, defense = g.cohort, _defense(defense_id)
    session = defense.session
    member = service.membership(session, current_user)
    if member is None or member.is_chair:
        abort(404)
    rubric = session.rubric
    own = service.own_assessment(defense, current_user)
    form = score_form_class(rubric, current_language())()
    if request.method == "GET" and own is not None:
        for c in rubric.criteria:
            value = own.scores.get(c["code"]) or {}
            form[f"points_{c['code']}"].data = f"{value['points']:g}" if value.get("points") is not None else None
            form[f"comment_{c['code']}"].data = value.get("comment") or ""
    locked = own is not None and own.status == "submitted"
    if request.method == "POST" and not locked and form.validate_on_submit():
        submit = bool(form.finish.data)
        done = run_service(None, lambda: service.save_scores(defense, current_user, _score_values(form, rubric),
                                                             submit=submit),
                           _("Your scores are submitted and locked.") if submit
                           else _("Draft saved. Nobody else sees it."),
                           url_for(".defense_score", code=cohort.code, defense_id=defense.id))
        if done:
            return done
    elif request.method == "POST" and locked:
        flash(_("Your scores for this defense are submitted and locked."), "error")
    groups, by_id = service.defenders(cohort.id)
    shown = service.visible_assessments(defense, current_user)
    others = [a for a in shown if a.assessor_id != current_user.id]
    names = {**_names(a.assessor_id for a in others), current_user.id: _("You")}
    return render_template("portfolio/defense_score.html", cohort=cohort, defense=defense, session=session,
                           rubric=rubric, form=form, own=own, locked=locked, others=others,
                           names=names, who=_who(defense, groups, by_id),
                           figures=service.aggregate(defense) if others else None,
                           blind=not service.scores_visible_to(defense, current_user))


@bp.route("/cohorts/<code>/defenses/slots/<int:defense_id>")
@requires(ASSESS, cohort_context)
def defense_detail(code, defense_id):
    cohort, defense = g.cohort, _defense(defense_id)
    member, manager = _panel_or_manager(defense)
    session = defense.session
    shown = service.visible_assessments(defense, current_user, manager=manager)
    visible = service.scores_visible_to(defense, current_user, manager=manager)
    groups, by_id = service.defenders(cohort.id)
    is_chair = member is not None and member.is_chair
    reconcile_form = None
    if is_chair and defense.status == "reconcile":
        reconcile_form = ReconcileForm(formdata=None)
        reconcile_form.source.choices = _reconcile_choices(shown, _names(a.assessor_id for a in shown))
    return render_template("portfolio/defense_detail.html", cohort=cohort, defense=defense, session=session,
                           rubric=session.rubric, shown=shown, visible=visible,
                           names=_names([a.assessor_id for a in shown] + [m.user_id for m in session.members]),
                           figures=service.aggregate(defense) if visible else None, who=_who(defense, groups, by_id),
                           member=member, is_chair=is_chair, reconcile_form=reconcile_form,
                           release_form=ReleaseForm(formdata=None) if service.can_release(defense, current_user)
                           and defense.status == "decided" else None,
                           reconciler=_names([defense.reconciled_by_id]).get(defense.reconciled_by_id)
                           if defense.reconciled_by_id else None)


def _reconcile_choices(assessments, names) -> list[tuple[str, str]]:
    return [(f"a{a.id}", _("the total of %(name)s: %(points)s", name=names.get(a.assessor_id, "?"),
                           points=f"{a.total:g}")) for a in assessments if a.status == "submitted"] \
        + [("custom", _("the points I enter"))]


@bp.route("/cohorts/<code>/defenses/slots/<int:defense_id>/reconcile", methods=["POST"])
@requires(ASSESS, cohort_context)
def defense_reconcile(code, defense_id):
    cohort, defense = g.cohort, _defense(defense_id)
    member = service.membership(defense.session, current_user)
    if member is None or not member.is_chair:
        abort(403)
    form = ReconcileForm()
    form.source.choices = _reconcile_choices(defense.assessments, {})
    target = url_for(".defense_detail", code=cohort.code, defense_id=defense.id)
    if form.validate_on_submit():
        source = form.source.data or "custom"
        picked = int(source[1:]) if source.startswith("a") and source[1:].isdigit() else None
        points = float(form.points.data) if form.points.data is not None else None
        done = run_service(None, lambda: service.reconcile(defense, current_user, points=points, note=form.note.data,
                                                           assessment_id=picked),
                           _("Decided. Release the grade when the panel is ready."), target)
        if done:
            return done
    for errors in form.errors.values():
        for e in errors:
            flash(e, "error")
    return redirect(target)


@bp.route("/cohorts/<code>/defenses/slots/<int:defense_id>/release", methods=["POST"])
@requires(ASSESS, cohort_context)
def defense_release(code, defense_id):
    cohort, defense = g.cohort, _defense(defense_id)
    if not service.can_release(defense, current_user):
        abort(403)
    form = ReleaseForm()
    target = url_for(".defense_detail", code=cohort.code, defense_id=defense.id)
    if form.validate_on_submit():
        done = run_service(None, lambda: service.release(defense, current_user, form.feedback.data),
                           _("Released: the participants see the grade and the comments."), target)
        if done:
            return done
    return redirect(target)


# --- participants -------------------------------------------------------------------------------

@bp.route("/cohorts/<code>/me/defense")
@requires("portfolio:keep", cohort_context)
def my_defense(code):
    cohort = g.cohort
    enrolment = my_enrolment()
    slots = service.participant_defenses(cohort, enrolment)
    groups, by_id = ({}, {}) if not any(d.mini_group for d in slots) else service.defenders(cohort.id)
    return render_template("portfolio/defense_mine.html", cohort=cohort, enrolment=enrolment,
                           rows=[{"d": d, "result": service.released_result(d), "who": _who(d, groups, by_id)
                                  if d.mini_group is not None else None} for d in slots])


# --- rubrics ------------------------------------------------------------------------------------

@bp.route("/rubrics")
@requires(MANAGE, anywhere=True)
def rubrics():
    rows = db.session.scalars(select(Rubric).order_by(Rubric.code, Rubric.version.desc())).all()
    return render_template("portfolio/rubrics.html", rubrics=rows)


@bp.route("/rubrics/<int:rubric_id>")
@requires(MANAGE, anywhere=True)
def rubric(rubric_id):
    row = db.session.get(Rubric, rubric_id)
    if row is None:
        abort(404)
    return render_template("portfolio/rubric.html", rubric=row, versions=rubric_service.rubric_versions(row.code))
