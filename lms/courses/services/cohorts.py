"""Cohorts and enrolments: a programme version run for a group in one format."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.core.models import User
from lms.core.permissions import Context
from lms.core.services import audit, clock
from lms.core.services import users as user_service
from lms.core.services.errors import Conflict, NotFound, ServiceError
from lms.courses.models import (
    COHORT_LANGUAGES, COHORT_STATUSES, ENROLMENT_STATUSES, Cohort, Enrolment, Module, Programme, Topic, TopicChoice,
)
from lms.courses.services.schedule import local_date, validate_url
from lms.db import db
from lms.signals import cohort_created, cohort_updated, enrolment_completed, participant_enrolled

COHORT_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")


def cohort_context(cohort: Cohort) -> Context:
    return Context("cohort", cohort.id)


def cohort_parent(cohort_id: int) -> Context | None:
    """The cohort context sits inside its programme's: a programme trainer may teach it."""
    programme_id = db.session.scalar(select(Cohort.programme_id).where(Cohort.id == cohort_id))
    return Context("programme", programme_id) if programme_id else None


def get_cohort(code: str) -> Cohort:
    cohort = db.session.scalar(select(Cohort).where(Cohort.code == code))
    if cohort is None:
        raise NotFound(_l("no cohort %(code)s", code=code))
    return cohort


def create_cohort(programme: Programme, fields: dict, actor) -> Cohort:
    code = (fields.get("code") or "").strip().upper()
    if not COHORT_CODE_RE.match(code):
        raise ServiceError(_l("the code takes capital Latin letters, digits and '-' (e.g. %(example)s)",
                              example="SKO-LDR-2027-01"), field="code")
    if db.session.scalar(select(Cohort.id).where(Cohort.code == code)):
        raise Conflict(_l("cohort %(code)s already exists", code=code), field="code")
    if programme.status != "approved":
        raise ServiceError(_l("%(programme)s is not approved (%(status)s); only an approved programme can run",
                              programme=f"{programme.code} v{programme.version}", status=programme.status),
                           field="programme")
    settings, problems = _checked_settings(programme, fields, defaults={
        "format_code": programme.formats[0].code if programme.formats else None, "hours_factor": 1.0,
        "language": "kk", "capacity": None, "mini_groups": 0, "status": "planned", "meeting_url": None,
        "start_date": None, "end_date": None})
    if problems:
        raise ServiceError.listing(problems)
    cohort = Cohort(code=code, programme=programme, **settings)
    db.session.add(cohort)
    db.session.flush()
    audit.record(actor, "cohort_created", cohort, code)
    cohort_created.send(cohort, actor=actor)
    return cohort


#: what a cohort's settings page may change; the code and the programme version never change
#: (certificates, URLs and the API name the cohort by its code)
SETTINGS = ("format_code", "hours_factor", "language", "start_date", "end_date", "capacity", "mini_groups", "status",
            "meeting_url")


def _checked_settings(programme: Programme, fields: dict, defaults: dict) -> tuple[dict, list[tuple]]:
    """The settings of a new or existing cohort and the (field, message) problems of each; a
    missing key keeps its default (the cohort's current value when editing)."""
    values = {key: fields.get(key, defaults[key]) for key in SETTINGS}
    for key in ("format_code", "language", "status"):
        values[key] = values[key] or defaults[key]
    problems = []
    fmt = programme.format(values["format_code"])
    if fmt is None:
        problems.append(("format_code", _l("%(programme)s has no format %(format)s (it has %(formats)s)",
                                           programme=programme.code, format=repr(values["format_code"]),
                                           formats=", ".join(f.code for f in programme.formats))))
    # a shorter run (`short_run`: true or false; absent keeps the cohort's) takes the format's factor
    short = fields.get("short_run")
    short = defaults["hours_factor"] != 1 if short is None else bool(short)
    values["hours_factor"] = 1.0
    if short and fmt is not None:
        if fmt.short_run.get("factor"):
            values["hours_factor"] = float(fmt.short_run["factor"])
        else:
            problems.append(("short_run", _l("the %(format)s plan of %(programme)s allows no shorter run",
                                             format=fmt.code, programme=programme.code)))
    start, end = values["start_date"], values["end_date"]
    if not isinstance(start, date) or not isinstance(end, date):
        problems.append(("start_date", _l("start and end dates are required")))
    elif end < start:
        problems.append(("end_date", _l("the end date is before the start date")))
    if values["language"] not in COHORT_LANGUAGES:
        problems.append(("language", _l("unknown language %(value)s", value=repr(values["language"]))))
    capacity = values["capacity"]
    if capacity is not None and (not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1):
        problems.append(("capacity", _l("the capacity must be a whole number of 1 or more")))
    values["mini_groups"] = values["mini_groups"] or 0
    if not isinstance(values["mini_groups"], int) or not 0 <= values["mini_groups"] <= 50:
        problems.append(("mini_groups", _l("mini-groups must be between %(low)s and %(high)s", low=0, high=50)))
    if values["status"] not in COHORT_STATUSES:
        problems.append(("status", _l("unknown cohort status %(value)s", value=repr(values["status"]))))
    try:
        values["meeting_url"] = validate_url(values["meeting_url"])
    except ServiceError as exc:
        problems.append(("meeting_url", exc._message))
    return values, problems


@dataclass
class SettingsChange:
    """What an edit of a cohort's settings did, for the page to say."""

    changed: dict[str, tuple] = field(default_factory=dict)
    #: sessions not yet held that followed the old default link and now carry the new one
    links_moved: int = 0
    #: scheduled sessions falling outside the new dates (moved by hand on the schedule)
    sessions_outside: int = 0


def update_settings(cohort: Cohort, fields: dict, actor, *, move_links: bool = True) -> SettingsChange:
    """Correct a running cohort as Moodle's course settings do: dates, capacity, mini-groups,
    language, link and status (planned, running, finished, cancelled: a finished or cancelled
    cohort takes no imported lists and sends no invitations). Refused, with every problem named
    and nothing changed, where the cohort's people or schedule already rule a value out.
    With `move_links`, sessions not yet held that carry the old default link take the new one."""
    current = {key: getattr(cohort, key) for key in SETTINGS}
    values, problems = _checked_settings(cohort.programme, fields, defaults=current)
    active = [e for e in cohort.enrolments if e.status != "withdrawn"]
    if values["format_code"] != cohort.format_code and cohort.sessions:
        problems.append(("format_code", _l("the format cannot change once sessions are scheduled (%(count)s "
                                           "sessions of the %(format)s format)", count=len(cohort.sessions),
                                           format=cohort.format_code)))
    elif values["hours_factor"] != cohort.hours_factor and cohort.sessions:
        problems.append(("short_run", _l("the run's length cannot change once sessions are scheduled (%(count)s "
                                         "sessions)", count=len(cohort.sessions))))
    if isinstance(values["capacity"], int) and values["capacity"] < len(active):
        problems.append(("capacity", _l("%(count)s participants are enrolled: the capacity cannot be lower",
                                        count=len(active))))
    grouped = [e.mini_group for e in active if e.mini_group]
    if grouped and isinstance(values["mini_groups"], int) and values["mini_groups"] < max(grouped):
        problems.append(("mini_groups", _l("participants are placed in mini-group %(number)s: move them before "
                                           "taking that group away", number=max(grouped))))
    if problems:
        raise ServiceError.listing(problems)
    change = SettingsChange(changed={key: (current[key], values[key]) for key in SETTINGS
                                     if values[key] != current[key]})
    if not change.changed:
        return change
    for key, (_old, new) in change.changed.items():
        setattr(cohort, key, new)
    old_link = current["meeting_url"]
    if move_links and "meeting_url" in change.changed and old_link:
        now = clock.now()
        for session in cohort.sessions:
            if session.meeting_url == old_link and session.status == "scheduled" and session.starts_at > now:
                session.meeting_url = values["meeting_url"]
                change.links_moved += 1
    change.sessions_outside = sum(1 for s in cohort.sessions if s.status == "scheduled" and not (
        cohort.start_date <= local_date(cohort, s.starts_at) <= cohort.end_date))
    db.session.flush()
    audit.record(actor, "cohort_updated", cohort, "; ".join(f"{k}: {_shown(o)} -> {_shown(n)}"
                                                            for k, (o, n) in change.changed.items()),
                 **{k: [_shown(o), _shown(n)] for k, (o, n) in change.changed.items()},
                 links_moved=change.links_moved)
    cohort_updated.send(cohort, actor=actor, changed=change.changed)
    return change


def _shown(value) -> str:
    return "" if value is None else value.isoformat() if isinstance(value, date) else str(value)


#: the roles a cohort's own staff hold in its context
STAFF_ROLES = ("trainer", "curator", "assessor")


def staff_by_role(cohort: Cohort, roles: tuple[str, ...] = STAFF_ROLES) -> dict[str, list[User]]:
    """Users holding each of `roles` in this cohort's own context, by name; one statement."""
    return user_service.holders("cohort", cohort.id, roles)


def staff(cohort: Cohort, role: str) -> list[User]:
    """Users holding `role` in this cohort's own context (trainers, curator)."""
    return staff_by_role(cohort, (role,))[role]


def assign_staff(cohort: Cohort, user: User, role: str, actor) -> None:
    """Idempotent. A participant of the cohort cannot also be its staff: a trainer would grade
    their own work, and certificates go to participants only."""
    user_service.check_staff(user, role, STAFF_ROLES)
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.cohort_id == cohort.id,
                                                          Enrolment.user_id == user.id))
    if enrolment is not None and enrolment.status != "withdrawn":
        raise Conflict(_l("%(email)s is a participant of %(code)s, so cannot be on its staff", email=user.email,
                          code=cohort.code), field="email")
    user_service.assign_role(user, role, "cohort", cohort.id, actor=actor)


def remove_staff(cohort: Cohort, user: User, role: str, actor) -> bool:
    """What they did stays (grades, reviews, contacts, all audited); they only lose the role."""
    user_service.check_staff(user, role, STAFF_ROLES, giving=False)
    return user_service.remove_role(user, role, "cohort", cohort.id, actor=actor)


def enrol(cohort: Cohort, user: User, actor, *, mini_group: int | None = None) -> Enrolment:
    """Idempotent: enrolling someone already enrolled returns the existing enrolment
    (and re-activates a withdrawn one)."""
    existing = db.session.scalar(select(Enrolment).where(Enrolment.cohort_id == cohort.id,
                                                         Enrolment.user_id == user.id))
    if existing is not None:
        if existing.status == "withdrawn":
            existing.status = "enrolled"
            audit.record(actor, "enrolment_reactivated", existing, f"{user.email} in {cohort.code}")
        return existing
    if cohort.capacity is not None:
        count = db.session.scalar(select(func.count()).select_from(Enrolment).where(
            Enrolment.cohort_id == cohort.id, Enrolment.status != "withdrawn"))
        if count >= cohort.capacity:
            raise Conflict(_l("cohort %(code)s is full (%(count)s places)", code=cohort.code, count=cohort.capacity))
    if mini_group is not None and not 1 <= mini_group <= max(cohort.mini_groups, 0):
        raise ServiceError(_l("mini-group must be between %(low)s and %(high)s", low=1, high=cohort.mini_groups),
                           field="mini_group")
    enrolment = Enrolment(cohort=cohort, user=user, mini_group=mini_group)
    db.session.add(enrolment)
    user_service.assign_role(user, "participant", "cohort", cohort.id, actor=actor)
    db.session.flush()
    audit.record(actor, "participant_enrolled", enrolment, f"{user.email} in {cohort.code}")
    participant_enrolled.send(enrolment, actor=actor)
    return enrolment


def set_status(enrolment: Enrolment, status: str, actor, *, completed_at=None) -> None:
    """`completed` fires `enrolment_completed` (postcourse opens the graduate's support plan);
    `completed_at` defaults to now."""
    if status not in ENROLMENT_STATUSES:
        raise ServiceError(_l("unknown enrolment status %(value)s", value=repr(status)), field="status")
    if status == enrolment.status:
        return
    old = enrolment.status
    enrolment.status = status
    if status == "completed":
        enrolment.completed_at = completed_at or clock.now()
    audit.record(actor, "enrolment_status_changed", enrolment, f"{old} -> {status}", old=old, new=status)
    if status == "completed":
        enrolment_completed.send(enrolment, actor=actor)


def cohorts_of_programme(programme_code: str) -> list[Cohort]:
    """Every cohort of a programme, whichever of its versions each follows, latest start first."""
    return list(db.session.scalars(
        select(Cohort).join(Programme, Programme.id == Cohort.programme_id).where(Programme.code == programme_code)
        .order_by(Cohort.start_date.desc(), Cohort.code)))


def enrolment_of(cohort: Cohort, user) -> Enrolment | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Enrolment).where(Enrolment.cohort_id == cohort.id,
                                                     Enrolment.user_id == user.id))


def enrolments(cohort: Cohort, include_withdrawn: bool = False) -> list[Enrolment]:
    """With their users loaded in the same round trip, ordered by name."""
    stmt = (select(Enrolment).join(User).where(Enrolment.cohort_id == cohort.id)
            .options(selectinload(Enrolment.user), selectinload(Enrolment.choices))
            .order_by(User.sort_key, Enrolment.id))
    if not include_withdrawn:
        stmt = stmt.where(Enrolment.status != "withdrawn")
    return list(db.session.scalars(stmt))


def invite_participants(cohort: Cohort, actor) -> list[User]:
    """E-mail each participant still in the cohort whose account has no password yet (an
    import creates accounts without one) a link to choose it; nobody twice a day. The caller
    commits, then delivers the outbox."""
    from lms.core.services import passwords

    if cohort.status in ("finished", "cancelled"):
        raise Conflict(_l("cohort %(code)s is over; its participants are not invited any more", code=cohort.code))
    return passwords.invite([e.user for e in enrolments(cohort) if e.user.password_hash is None], actor, about=cohort)


def choose_topic(enrolment: Enrolment, topic: Topic, actor) -> TopicChoice:
    """A variative module's pick. Choosing again within the module replaces the earlier
    pick when the module allows only one."""
    module: Module | None = topic.module
    if module is None or topic.programme_id != enrolment.cohort.programme_id:
        raise ServiceError(_l("that topic is not part of this cohort's programme"), field="topic")
    if not module.choose:
        raise ServiceError(_l("module %(number)s is not variative: every topic is taken", number=module.number),
                           field="topic")
    in_module = [c for c in enrolment.choices if c.module_id == module.id]
    if any(c.topic_id == topic.id for c in in_module):
        return next(c for c in in_module if c.topic_id == topic.id)
    if len(in_module) >= module.choose:
        if module.choose == 1:
            for c in in_module:
                enrolment.choices.remove(c)
        else:
            raise Conflict(_l("module %(number)s allows %(count)s topics; drop one first", number=module.number,
                              count=module.choose), field="topic")
    choice = TopicChoice(enrolment=enrolment, module_id=module.id, topic_id=topic.id)
    db.session.add(choice)
    db.session.flush()
    audit.record(actor, "topic_chosen", enrolment, f"module {module.number}: topic {topic.code}")
    return choice


def set_choices(enrolment: Enrolment, module: Module, topics: list[Topic], actor) -> None:
    """Replace a participant's picks in one variative module with `topics` (1..choose)."""
    if not module.choose:
        raise ServiceError(_l("module %(number)s is not variative: every topic is taken", number=module.number),
                           field="topic")
    if any(t.module_id != module.id for t in topics):
        raise ServiceError(_l("a chosen topic is not in this module"), field="topic")
    if not 1 <= len(topics) <= module.choose:
        raise ServiceError(_l("choose between 1 and %(count)s topic(s) in module %(number)s", count=module.choose,
                              number=module.number), field="topic")
    wanted = {t.id for t in topics}
    for c in [c for c in enrolment.choices if c.module_id == module.id and c.topic_id not in wanted]:
        enrolment.choices.remove(c)
    have = {c.topic_id for c in enrolment.choices}
    for t in topics:
        if t.id not in have:
            db.session.add(TopicChoice(enrolment=enrolment, module_id=module.id, topic_id=t.id))
    db.session.flush()
    audit.record(actor, "topics_chosen", enrolment,
                 f"module {module.number}: {', '.join(t.code for t in topics)}")
