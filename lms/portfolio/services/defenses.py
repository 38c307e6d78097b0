"""Defense sessions, panels, time slots, blind scoring by each assessor, aggregation, the
chair's reconciliation and the release of grades.

A session belongs to one cohort and scores every slot with one rubric. Its panel has one
chair, who moderates (reconciles and releases) and does not score; every other member scores
each slot alone. Until an assessor has submitted, nothing of the others' scoring reaches them
(`scores_visible_to`); drafts reach nobody but their author. When every assessor has
submitted, the slot is decided by the panel's aggregate, or goes to the chair when the totals
spread too far. Participants see a grade only once it is released, with every assessor's
points and comments per criterion but not who gave them.

How points become a grade (shown on the scoring page as well):
  an assessor's total = the sum of their points per criterion (one of each criterion's levels);
  the panel's value   = the mean or the median (as the session says) of the submitted totals;
  the panel's points  = that value rounded half up to whole points (8.5 -> 9, 6.67 -> 7);
  the grade           = the rubric's conversion row whose [min, max] holds those points.
If the highest total minus the lowest is above the session's spread threshold, the chair
enters the final points (or takes one assessor's total) with a note instead.

`defense_results` is the interface the gradebook and certificates read."""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from lms.core.models import RoleAssignment, User
from lms.core.permissions import Context, has_capability
from lms.core.services import audit
from lms.core.services.errors import Conflict, NotFound, ServiceError
from lms.courses.models import Cohort, Enrolment
from lms.db import db, utcnow
from lms.portfolio.models import (
    AGGREGATIONS, PROJECT_MODES, Assessment, Defense, DefenseSession, PanelMember, ProjectWork, Rubric,
)
from lms.portfolio.services import rubrics as rubric_service
from lms.portfolio.services import schemes
from lms.signals import defense_decided, defense_released, defense_scored

#: a defense's status as people read it (badges and refusals)
STATUS_LABELS = {"scheduled": _l("scheduled"), "scoring": _l("scoring"), "reconcile": _l("to the chair"),
                 "decided": _l("decided"), "released": _l("released")}

#: cohort roles that may sit on a panel
PANEL_ROLES = ("assessor", "trainer")
MAX_COMMENT = 5000
SCORING_OPEN = ("scheduled", "scoring")


# --- sessions and panels ------------------------------------------------------------------------

def get_session(session_id: int) -> DefenseSession:
    session = db.session.get(DefenseSession, session_id)
    if session is None:
        raise NotFound(_l("no defense session %(id)s", id=session_id))
    return session


def load_session(session_id: int) -> DefenseSession:
    """A session with rubric, panel, slots and their assessments: four statements."""
    session = db.session.scalar(
        select(DefenseSession).where(DefenseSession.id == session_id)
        .options(joinedload(DefenseSession.rubric), selectinload(DefenseSession.members),
                 selectinload(DefenseSession.defenses).selectinload(Defense.assessments)))
    if session is None:
        raise NotFound(_l("no defense session %(id)s", id=session_id))
    return session


def sessions_of(cohort: Cohort) -> list[DefenseSession]:
    """With their rubric, panel and slots, in three statements."""
    return list(db.session.scalars(
        select(DefenseSession).where(DefenseSession.cohort_id == cohort.id)
        .options(joinedload(DefenseSession.rubric), selectinload(DefenseSession.members),
                 selectinload(DefenseSession.defenses))
        .order_by(DefenseSession.starts_at, DefenseSession.id)))


def eligible_assessors(cohort: Cohort) -> list[User]:
    """Who may sit on this cohort's panels: the holders of an assessor or trainer role in the
    cohort, its programme or the whole system. One statement."""
    return list(db.session.scalars(
        select(User).join(RoleAssignment).where(
            RoleAssignment.role.in_(PANEL_ROLES),
            or_((RoleAssignment.context_level == "cohort") & (RoleAssignment.context_id == cohort.id),
                (RoleAssignment.context_level == "programme") & (RoleAssignment.context_id == cohort.programme_id),
                RoleAssignment.context_level == "system"))
        .distinct().order_by(User.sort_key, User.id)))


def _session_fields(cohort: Cohort, fields: dict) -> dict:
    title = (fields.get("title") or "").strip()
    if not title or len(title) > 300:
        raise ServiceError(_l("a title of at most %(count)s characters is required", count=300), field="title")
    rubric = fields.get("rubric")
    if rubric is None and fields.get("rubric_id"):
        rubric = db.session.get(Rubric, int(fields["rubric_id"]))
    if rubric is None:
        raise ServiceError(_l("choose a rubric (load them with %(command)s)", command="`lms rubrics load content/rubrics`"),
                           field="rubric_id")
    aggregation = fields.get("aggregation") or "mean"
    if aggregation not in AGGREGATIONS:
        raise ServiceError(_l("aggregation is one of %(choices)s", choices=", ".join(AGGREGATIONS)), field="aggregation")
    threshold = fields.get("spread_threshold", 3)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) \
            or not 0 <= threshold <= float(rubric.max_points):
        raise ServiceError(_l("the spread threshold is between 0 and %(max)s points (the rubric's maximum)",
                              max=f"{float(rubric.max_points):g}"), field="spread_threshold")
    starts_at = fields.get("starts_at")
    if starts_at is not None and (not isinstance(starts_at, datetime) or starts_at.tzinfo is None):
        raise ServiceError(_l("the start needs a date and time"), field="starts_at")
    url = (fields.get("meeting_url") or "").strip() or None
    if url and (not url.startswith(("https://", "http://")) or len(url) > 2000):
        raise ServiceError(_l("the meeting link starts with https:// or http://"), field="meeting_url")
    project = None
    if fields.get("project_id"):
        project = db.session.get(ProjectWork, int(fields["project_id"]))
        if project is None or project.cohort_id != cohort.id:
            raise ServiceError(_l("that project is not this cohort's"), field="project_id")
    return {"title": title, "rubric": rubric, "aggregation": aggregation, "spread_threshold": float(threshold),
            "starts_at": starts_at, "meeting_url": url, "project_id": project.id if project else None}


def create_session(cohort: Cohort, fields: dict, actor) -> DefenseSession:
    """fields: title, rubric (or rubric_id), aggregation (mean|median), spread_threshold,
    starts_at (aware), meeting_url, project_id."""
    values = _session_fields(cohort, fields)
    session = DefenseSession(cohort_id=cohort.id, **values)
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "defense_session_created", session, f"{cohort.code}: {session.title}",
                 rubric=f"{values['rubric'].code} v{values['rubric'].version}", aggregation=values["aggregation"],
                 spread_threshold=values["spread_threshold"])
    return session


def _decided_any(session: DefenseSession) -> bool:
    return any(d.status in ("reconcile", "decided", "released") for d in session.defenses)


def _scored_any(session: DefenseSession) -> bool:
    return bool(db.session.scalar(select(Assessment.id).join(Defense).where(Defense.session_id == session.id)
                                  .limit(1)))


def update_session(session: DefenseSession, fields: dict, actor) -> DefenseSession:
    """Title, time and link may change at any time; the rubric once nobody has scored; how
    scores combine (aggregation, spread threshold) until a slot is decided."""
    cohort = db.session.get(Cohort, session.cohort_id)
    values = _session_fields(cohort, fields)
    if values["rubric"].id != session.rubric_id and _scored_any(session):
        raise Conflict(_l("assessors have scored with this rubric: it can no longer change"), field="rubric_id")
    if (values["aggregation"], values["spread_threshold"]) != (session.aggregation, session.spread_threshold) \
            and _decided_any(session):
        raise Conflict(_l("a defense of this session is decided: how scores combine can no longer change"),
                       field="aggregation")
    old = {"title": session.title, "aggregation": session.aggregation, "spread_threshold": session.spread_threshold,
           "rubric_id": session.rubric_id}
    for key, value in values.items():
        setattr(session, key, value)
    db.session.flush()
    audit.record(actor, "defense_session_updated", session, session.title, old=old,
                 new={"title": session.title, "aggregation": session.aggregation,
                      "spread_threshold": session.spread_threshold, "rubric_id": session.rubric_id})
    return session


def set_panel(session: DefenseSession, members: list[User], chair: User, actor) -> list[PanelMember]:
    """The panel: `members` (who score) and the chair (who reconciles and releases). Every one
    holds an assessor or trainer role for the cohort. Once anyone has scored, the scoring
    members stay as they are (the chair may still change)."""
    cohort = db.session.get(Cohort, session.cohort_id)
    allowed = {u.id for u in eligible_assessors(cohort)}
    scorers = {u.id: u for u in members if u.id != chair.id}
    if not scorers:
        raise ServiceError(_l("the panel needs at least one assessor besides the chair"), field="members")
    for user in [chair, *scorers.values()]:
        if user.id not in allowed:
            raise ServiceError(_l("%(name)s holds no assessor or trainer role for %(cohort)s (give it on the cohort's"
                                  " staff)", name=user.full_name, cohort=cohort.code),
                               field="members" if user is not chair else "chair")
    current = {m.user_id: m for m in session.members}
    current_scorers = {uid for uid, m in current.items() if not m.is_chair}
    if set(scorers) != current_scorers and _scored_any(session):
        raise Conflict(_l("assessors have started scoring: the panel's assessors can no longer change"),
                       field="members")
    for uid, member in list(current.items()):
        if uid not in scorers and uid != chair.id:
            session.members.remove(member)
    db.session.flush()
    for uid in scorers:
        if uid in current:
            current[uid].is_chair = False
        else:
            session.members.append(PanelMember(user_id=uid, is_chair=False))
    if chair.id in current:
        current[chair.id].is_chair = True
    else:
        session.members.append(PanelMember(user_id=chair.id, is_chair=True))
    db.session.flush()
    audit.record(actor, "defense_panel_set", session, session.title, chair=chair.id, assessors=sorted(scorers))
    return list(session.members)


def chair_of(session: DefenseSession) -> PanelMember | None:
    return next((m for m in session.members if m.is_chair), None)


def assessors_of(session: DefenseSession) -> list[PanelMember]:
    """The members who score (everyone but the chair), in the order they joined."""
    return sorted((m for m in session.members if not m.is_chair), key=lambda m: m.id or 0)


def membership(session: DefenseSession, user) -> PanelMember | None:
    uid = getattr(user, "id", None)
    return next((m for m in session.members if m.user_id == uid), None)


def is_manager(session: DefenseSession, user) -> bool:
    return has_capability(user, "portfolio:manage_defenses", Context("cohort", session.cohort_id))


# --- slots ---------------------------------------------------------------------------------------

def session_mode(session: DefenseSession, mode: str | None = None) -> str:
    """A linked project decides group or individual; otherwise `mode`, or what the slots say."""
    if session.project_id:
        project_mode = db.session.scalar(select(ProjectWork.mode).where(ProjectWork.id == session.project_id))
        if project_mode:
            return project_mode
    if mode:
        return mode
    if any(d.enrolment_id for d in session.defenses):
        return "individual"
    return "group"


def generate_slots(session: DefenseSession, actor, *, mode: str | None = None, minutes: int = 7,
                   gap: int = 0) -> list[Defense]:
    """One slot per mini-group that has participants (group mode) or per active participant
    (individual), back to back from the session's start (or after its last slot). Who has
    a slot already is skipped, so generating again only adds newcomers."""
    mode = session_mode(session, mode)
    if mode not in PROJECT_MODES:
        raise ServiceError(_l("mode is one of %(choices)s", choices=", ".join(PROJECT_MODES)), field="mode")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 240:
        raise ServiceError(_l("a slot lasts %(low)s to %(high)s minutes", low=1, high=240), field="minutes")
    if isinstance(gap, bool) or not isinstance(gap, int) or not 0 <= gap <= 120:
        raise ServiceError(_l("a pause between slots is %(low)s to %(high)s minutes", low=0, high=120), field="gap")
    active = Enrolment.status != "withdrawn"
    if mode == "group":
        groups = sorted(set(db.session.scalars(select(Enrolment.mini_group).where(
            Enrolment.cohort_id == session.cohort_id, active, Enrolment.mini_group.is_not(None)))))
        if not groups:
            raise ServiceError(_l("no participant is in a mini-group yet: set the mini-groups first"), field="mode")
        have = {d.mini_group for d in session.defenses if d.mini_group is not None}
        wanted = [{"mini_group": g} for g in groups if g not in have]
    else:
        ids = list(db.session.scalars(select(Enrolment.id).join(User, User.id == Enrolment.user_id).where(
            Enrolment.cohort_id == session.cohort_id, active).order_by(User.sort_key, Enrolment.id)))
        if not ids:
            raise ServiceError(_l("the cohort has no participants"), field="mode")
        have = {d.enrolment_id for d in session.defenses if d.enrolment_id is not None}
        wanted = [{"enrolment_id": e} for e in ids if e not in have]
    ends = [d.starts_at + timedelta(minutes=d.minutes) for d in session.defenses if d.starts_at]
    at = max(ends) + timedelta(minutes=gap) if ends else session.starts_at
    made = []
    for who in wanted:
        defense = Defense(starts_at=at, minutes=minutes, status="scheduled", **who)
        session.defenses.append(defense)
        made.append(defense)
        if at is not None:
            at = at + timedelta(minutes=minutes + gap)
    db.session.flush()
    if made:
        audit.record(actor, "defense_slots_generated", session, f"{len(made)} {mode} slot(s)", mode=mode,
                     minutes=minutes)
    return made


def delete_slot(defense: Defense, actor) -> None:
    if defense.status != "scheduled" or defense.assessments:
        raise Conflict(_l("scoring of this slot has begun: it can no longer be removed"))
    session = defense.session
    audit.record(actor, "defense_slot_deleted", defense, session.title,
                 mini_group=defense.mini_group, enrolment_id=defense.enrolment_id)
    session.defenses.remove(defense)
    db.session.flush()


def get_defense(defense_id: int) -> Defense:
    """A slot with its session, rubric, panel and assessments: four statements."""
    defense = db.session.scalar(
        select(Defense).where(Defense.id == defense_id)
        .options(joinedload(Defense.session).joinedload(DefenseSession.rubric),
                 joinedload(Defense.session).selectinload(DefenseSession.members),
                 selectinload(Defense.assessments)))
    if defense is None:
        raise NotFound(_l("no defense %(id)s", id=defense_id))
    return defense


def defenders(cohort_id: int) -> tuple[dict[int, list[Enrolment]], dict[int, Enrolment]]:
    """({mini-group: its active enrolments}, {enrolment id: enrolment}) with users, one statement."""
    rows = db.session.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort_id,
                                                      Enrolment.status != "withdrawn")
                              .options(joinedload(Enrolment.user)))
    groups: dict[int, list[Enrolment]] = {}
    by_id: dict[int, Enrolment] = {}
    for e in rows:
        by_id[e.id] = e
        if e.mini_group is not None:
            groups.setdefault(e.mini_group, []).append(e)
    for members in groups.values():
        members.sort(key=lambda e: (e.user.sort_key, e.id))
    return groups, by_id


def defends(defense: Defense, enrolment: Enrolment) -> bool:
    """Whether `enrolment` defends in this slot (its own, or its mini-group's)."""
    if defense.enrolment_id is not None:
        return defense.enrolment_id == enrolment.id
    return defense.mini_group is not None and defense.mini_group == enrolment.mini_group


# --- scoring ------------------------------------------------------------------------------------

def own_assessment(defense: Defense, user) -> Assessment | None:
    uid = getattr(user, "id", None)
    return next((a for a in defense.assessments if a.assessor_id == uid), None)


def _clean_scores(rubric: Rubric, given) -> dict:
    """{criterion code: {"points": a level's points or None, "comment": text}}; unknown
    criteria, points that are no level of their criterion and over-long comments refused."""
    if not isinstance(given, dict):
        raise ServiceError(_l("scores: expected {criterion code: {points, comment}}"), field="scores")
    criteria = {c["code"]: c for c in rubric.criteria}
    unknown = sorted(str(k) for k in given if k not in criteria)
    if unknown:
        raise ServiceError(_l("%(codes)s: not criteria of %(rubric)s (its criteria: %(criteria)s)", codes=", ".join(unknown),
                              rubric=f"{rubric.code} v{rubric.version}", criteria=", ".join(criteria)),
                           field=f"scores.{unknown[0]}")
    out = {}
    for code, value in given.items():
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise ServiceError(_l("%(code)s: expected %(shape)s", code=code, shape='{"points": ..., "comment": ...}'),
                               field=f"scores.{code}")
        points = value.get("points")
        levels = rubric_service.criterion_levels(criteria[code])
        if points is not None:
            if isinstance(points, bool) or not isinstance(points, (int, float)) or points not in levels:
                raise ServiceError(_l("%(code)s: %(points)s is not one of its levels (%(levels)s)", code=code,
                                      points=repr(points), levels=", ".join(f"{p:g}" for p in levels)),
                                   field=f"scores.{code}")
            points = next(p for p in levels if p == points)
        comment = value.get("comment")
        if comment is not None and not isinstance(comment, str):
            raise ServiceError(_l("%(code)s: the comment is a text", code=code), field=f"scores.{code}")
        comment = (comment or "").strip()
        if len(comment) > MAX_COMMENT:
            raise ServiceError(_l("%(code)s: a comment has at most %(count)s characters", code=code, count=MAX_COMMENT),
                               field=f"scores.{code}")
        out[code] = {"points": points, "comment": comment}
    return out


def _total(scores: dict) -> float | None:
    given = [v["points"] for v in scores.values() if v.get("points") is not None]
    return float(sum(given)) if given else None


def save_scores(defense: Defense, assessor, scores: dict, *, submit: bool = False) -> Assessment:
    """An assessor's own scores for one slot: saved as a draft, or submitted (complete, then
    locked; the rubric freezes). Criteria not mentioned keep their draft value. Submitting the
    same scores again returns the submitted assessment unchanged."""
    session = defense.session
    member = membership(session, assessor)
    if member is None or member.is_chair:
        raise NotFound(_l("defense %(id)s: you do not score on this panel", id=defense.id))
    rubric = session.rubric
    assessment = own_assessment(defense, assessor)
    given = _clean_scores(rubric, scores)
    if assessment is not None and assessment.status == "submitted":
        if submit and all(assessment.scores.get(k) == v for k, v in given.items()):
            return assessment
        raise Conflict(_l("your scores for this defense are submitted and locked"))
    if defense.status not in SCORING_OPEN:
        raise Conflict(_l("scoring of this defense is closed (%(status)s)", status=STATUS_LABELS[defense.status]))
    if assessment is None:
        assessment = Assessment(defense=defense, assessor_id=assessor.id, rubric_id=rubric.id, scores={})
        db.session.add(assessment)
    merged = {**(assessment.scores or {}), **given}
    merged = {c["code"]: merged[c["code"]] for c in rubric.criteria if c["code"] in merged}
    if submit:
        missing = [c["code"] for c in rubric.criteria if (merged.get(c["code"]) or {}).get("points") is None]
        if missing:
            raise ServiceError(_l("give points for every criterion before submitting (missing: %(codes)s)",
                                  codes=", ".join(missing)), field=f"scores.{missing[0]}")
    assessment.scores = merged
    assessment.total = _total(merged)
    if defense.status == "scheduled":
        defense.status = "scoring"
    if submit:
        assessment.status = "submitted"
        assessment.submitted_at = utcnow()
        rubric_service.freeze(rubric)
    db.session.flush()
    audit.record(assessor, "defense_scored" if submit else "defense_score_draft_saved", assessment,
                 f"defense {defense.id}: {assessment.total if assessment.total is not None else '-'}"
                 f" / {float(rubric.max_points):g}", defense_id=defense.id, total=assessment.total,
                 scores={k: v["points"] for k, v in merged.items()})
    if submit:
        defense_scored.send(assessment, actor=assessor)
        _decide_if_complete(defense, assessor)
    return assessment


@dataclass(frozen=True)
class Aggregate:
    """The panel's figures for one slot, from its submitted assessments."""
    method: str
    totals: tuple[float, ...]
    expected: int
    value: float | None
    points: int | None
    spread: float | None
    threshold: float
    row: dict | None

    @property
    def complete(self) -> bool:
        return self.expected > 0 and len(self.totals) >= self.expected

    @property
    def needs_chair(self) -> bool:
        return self.complete and self.spread is not None and self.spread > self.threshold


def aggregate(defense: Defense) -> Aggregate:
    session = defense.session
    scorers = {m.user_id for m in assessors_of(session)}
    totals = tuple(float(a.total) for a in defense.assessments
                   if a.status == "submitted" and a.assessor_id in scorers and a.total is not None)
    value = None
    if totals:
        value = statistics.median(totals) if session.aggregation == "median" else statistics.fmean(totals)
    points = rubric_service.round_points(value) if value is not None else None
    return Aggregate(session.aggregation, totals, len(scorers), value, points,
                     (max(totals) - min(totals)) if totals else None, float(session.spread_threshold),
                     rubric_service.conversion_row(session.rubric, points) if points is not None else None)


def _decide(defense: Defense, points: float, actor, *, reconciled: bool) -> None:
    rubric = defense.session.rubric
    whole = rubric_service.round_points(points)
    row = rubric_service.conversion_row(rubric, whole)
    defense.points = float(whole)
    defense.grade = row["grade"] if row else None
    defense.passed = bool(row and row.get("passed"))
    defense.status = "decided"
    defense.decided_at = utcnow()
    db.session.flush()
    audit.record(actor, "defense_decided", defense, f"{whole} / {float(rubric.max_points):g}: {defense.grade}",
                 points=whole, grade=defense.grade, passed=defense.passed, reconciled=reconciled)
    defense_decided.send(defense, actor=actor, reconciled=reconciled)


def _decide_if_complete(defense: Defense, actor) -> None:
    figures = aggregate(defense)
    if not figures.complete:
        return
    if figures.needs_chair:
        defense.status = "reconcile"
        db.session.flush()
        audit.record(actor, "defense_sent_to_chair", defense,
                     f"spread {figures.spread:g} > {figures.threshold:g}", totals=list(figures.totals))
        return
    _decide(defense, figures.value, actor, reconciled=False)


def scores_visible_to(defense: Defense, user, *, manager: bool = False) -> bool:
    """The blind rule: an assessor sees the others' scores only once their own are submitted;
    the chair and managers who do not score see the submitted ones."""
    member = membership(defense.session, user)
    if member is not None and not member.is_chair:
        own = own_assessment(defense, user)
        return own is not None and own.status == "submitted"
    return member is not None or manager


def visible_assessments(defense: Defense, user, *, manager: bool = False) -> list[Assessment]:
    """The submitted assessments `user` may read (their own always, drafts included); names
    go with them: this is for staff, never for participants."""
    own = own_assessment(defense, user)
    if not scores_visible_to(defense, user, manager=manager):
        return [own] if own else []
    order = {m.user_id: n for n, m in enumerate(assessors_of(defense.session))}
    shown = [a for a in defense.assessments if a.status == "submitted" or a is own]
    return sorted(shown, key=lambda a: order.get(a.assessor_id, len(order)))


def reconcile(defense: Defense, actor, *, points=None, note: str = "", assessment_id: int | None = None) -> Defense:
    """The chair decides a slot whose totals spread too far: final points entered (rounded half
    up to whole points) or one assessor's total taken, always with a note."""
    member = membership(defense.session, actor)
    if member is None or not member.is_chair:
        raise ServiceError(_l("only the panel's chair decides a defense the assessors disagree on"))
    if defense.status != "reconcile":
        raise Conflict(_l("this defense is not waiting for the chair (%(status)s)", status=STATUS_LABELS[defense.status]))
    note = (note or "").strip()
    if not note:
        raise ServiceError(_l("say in a note why these points"), field="note")
    if len(note) > MAX_COMMENT:
        raise ServiceError(_l("a note has at most %(count)s characters", count=MAX_COMMENT), field="note")
    rubric = defense.session.rubric
    if assessment_id is not None:
        picked = next((a for a in defense.assessments if a.id == assessment_id and a.status == "submitted"), None)
        if picked is None:
            raise ServiceError(_l("pick one of the submitted assessments"), field="source")
        points = picked.total
    if isinstance(points, bool) or not isinstance(points, (int, float)) \
            or not 0 <= points <= float(rubric.max_points):
        raise ServiceError(_l("the final points are between 0 and %(max)s", max=f"{float(rubric.max_points):g}"),
                           field="points")
    figures = aggregate(defense)
    defense.reconciled_by_id = actor.id
    defense.reconciliation_note = note
    audit.record(actor, "defense_reconciled", defense, f"{points:g} ({note[:100]})", points=points,
                 totals=list(figures.totals), aggregate=figures.value, picked=assessment_id)
    _decide(defense, points, actor, reconciled=True)
    return defense


def can_release(defense: Defense, user) -> bool:
    member = membership(defense.session, user)
    return (member is not None and member.is_chair) or is_manager(defense.session, user)


def release(defense: Defense, actor, feedback: str | None = None) -> Defense:
    """Participants see the grade, points and comments from now on. Releasing again changes
    nothing."""
    if defense.status == "released":
        return defense
    if not can_release(defense, actor):
        raise ServiceError(_l("only the chair or a manager of defenses releases grades"))
    if defense.status != "decided":
        raise Conflict(_l("only a decided defense can be released"))
    feedback = (feedback or "").strip() or None
    if feedback and len(feedback) > MAX_COMMENT:
        raise ServiceError(_l("feedback has at most %(count)s characters", count=MAX_COMMENT), field="feedback")
    defense.status = "released"
    defense.released_at = utcnow()
    if feedback:
        defense.feedback = feedback
    db.session.flush()
    audit.record(actor, "defense_released", defense, f"{defense.points:g}: {defense.grade}",
                 points=defense.points, grade=defense.grade)
    defense_released.send(defense, actor=actor)
    return defense


def release_session(session: DefenseSession, actor) -> list[Defense]:
    """Release every decided slot of the session."""
    return [release(d, actor) for d in session.defenses if d.status == "decided"]


# --- what participants and assessors see -----------------------------------------------------------

def has_defense(cohort: Cohort) -> bool:
    """Whether the cohort's participants defend a work: the programme's gradebook scores a
    defense, or staff set a defense day up anyway. LDR-DT hands a portfolio in instead."""
    if any(c.source == "defense" for c in schemes.scheme_of(cohort).components):
        return True
    return db.session.scalar(select(DefenseSession.id).where(DefenseSession.cohort_id == cohort.id).limit(1)) \
        is not None


def participant_defenses(cohort: Cohort, enrolment: Enrolment) -> list[Defense]:
    """The slots `enrolment` defends in (its own, its mini-group's), with session, rubric and
    assessments: four statements."""
    who = Defense.enrolment_id == enrolment.id
    if enrolment.mini_group is not None:
        who = or_(who, Defense.mini_group == enrolment.mini_group)
    return list(db.session.scalars(
        select(Defense).join(DefenseSession, DefenseSession.id == Defense.session_id)
        .where(DefenseSession.cohort_id == cohort.id, who)
        .options(joinedload(Defense.session).joinedload(DefenseSession.rubric),
                 joinedload(Defense.session).selectinload(DefenseSession.members),
                 selectinload(Defense.assessments))
        .order_by(Defense.starts_at, Defense.id)))


@dataclass(frozen=True)
class ReleasedResult:
    points: float
    max_points: float
    grade: str | None
    row: dict | None
    passed: bool
    feedback: str | None
    #: [(criterion, [(assessor number, points, comment), ...])]; assessors are numbered, never named
    criteria: list


def released_result(defense: Defense) -> ReleasedResult | None:
    """What a participant may see of a slot: nothing until released; then the grade and every
    assessor's points and comment per criterion, the assessors numbered 1, 2, 3 ..."""
    if defense.status != "released":
        return None
    rubric = defense.session.rubric
    order = {m.user_id: n for n, m in enumerate(assessors_of(defense.session), start=1)}
    submitted = sorted((a for a in defense.assessments if a.status == "submitted"),
                       key=lambda a: order.get(a.assessor_id, len(order) + 1))
    criteria = []
    for c in rubric.criteria:
        rows = [(n, (a.scores.get(c["code"]) or {}).get("points"), (a.scores.get(c["code"]) or {}).get("comment") or "")
                for n, a in enumerate(submitted, start=1)]
        criteria.append((c, rows))
    return ReleasedResult(float(defense.points or 0), float(rubric.max_points), defense.grade,
                          rubric_service.conversion_row(rubric, defense.points or 0), bool(defense.passed),
                          defense.feedback, criteria)


def panels_of(user) -> list[DefenseSession]:
    """The sessions `user` sits on, newest first, with rubric, panel, slots and assessments
    (four statements)."""
    return list(db.session.scalars(
        select(DefenseSession).join(PanelMember, PanelMember.session_id == DefenseSession.id)
        .where(PanelMember.user_id == user.id)
        .options(joinedload(DefenseSession.rubric), selectinload(DefenseSession.members),
                 selectinload(DefenseSession.defenses).selectinload(Defense.assessments))
        .order_by(DefenseSession.starts_at.desc(), DefenseSession.id.desc())))


@dataclass(frozen=True)
class DefenseResult:
    points: float
    max_points: float
    grade: str | None
    passed: bool
    released: bool
    defense_id: int


def defense_results(cohort_id: int) -> dict[int, DefenseResult]:
    """{enrolment id: the decided result of the defense it took part in (its own, or its
    mini-group's)}; defenses not yet decided are left out. Two statements."""
    defenses = list(db.session.execute(
        select(Defense, DefenseSession.rubric_id)
        .join(DefenseSession, DefenseSession.id == Defense.session_id)
        .where(DefenseSession.cohort_id == cohort_id, Defense.status.in_(("decided", "released")),
               Defense.points.is_not(None))))
    if not defenses:
        return {}
    from lms.portfolio.models import Rubric

    maxima = dict(db.session.execute(select(Rubric.id, Rubric.max_points).where(
        Rubric.id.in_({rubric_id for _d, rubric_id in defenses}))).all())
    groups = {}
    for enrolment_id, group in db.session.execute(
            select(Enrolment.id, Enrolment.mini_group).where(Enrolment.cohort_id == cohort_id)):
        groups.setdefault(group, []).append(enrolment_id)
    out: dict[int, DefenseResult] = {}
    for defense, rubric_id in sorted(defenses, key=lambda row: row[0].decided_at or row[0].id):
        result = DefenseResult(float(defense.points), float(maxima.get(rubric_id) or 0), defense.grade,
                               bool(defense.passed), defense.released_at is not None, defense.id)
        members = [defense.enrolment_id] if defense.enrolment_id else groups.get(defense.mini_group, [])
        for enrolment_id in members:
            out[enrolment_id] = result  # a later decision (a re-defense) replaces an earlier one
    return out
