"""What happens during the support year: group events with attendance, consultations,
lesson observations and evidence. Each can be linked to a planned activity of the plan,
which it then marks done on the day it happened (a Telegram consultation on an overdue
"consultation" activity puts the graduate back on track). All audited."""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.core.i18n import language_of
from lms.core.models import StoredFile, User
from lms.core.services import audit, clock, files, mail
from lms.core.services.errors import Conflict, NotFound, ServiceError
from lms.courses.models import Cohort, Enrolment
from lms.db import db
from lms.postcourse.models import (
    CHANNELS, EVENT_KINDS, EVIDENCE_KINDS, EVIDENCE_LEVELS, OBSERVATION_KINDS, STAGES, ConsultationRequest, Contact,
    EventAttendance, Evidence, GroupEvent, Observation, PlanActivity, SupportPlan,
)
from lms.postcourse.services import plans as plan_service
from lms.postcourse.forms.plans import CHANNEL_LABELS  # the channels' words, shared with the pages
from lms.postcourse.services.reminders import supporters
from lms.signals import support_contact_logged

URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
MAX_TEXT = 5000
#: a moment logged a little ahead of the server's clock (a phone's clock) is still "now"
CLOCK_SKEW = timedelta(minutes=10)
#: which menu activities attending an event of a kind completes
EVENT_COMPLETES = {
    "seminar": ("seminar", "event"),
    "webinar": ("seminar", "event"),
    "master_class": ("master_classes", "seminar", "event"),
    "round_table": ("event",),
    "forum": ("event",),
    "conference": ("event",),
    "final_event": ("final_event",),
}
#: the stage an event belongs to when none is given
EVENT_STAGE = {"final_event": "reflection"}


def _tz(cohort: Cohort) -> str:
    return cohort.timezone or "Asia/Almaty"


def _cohort_of(plan: SupportPlan) -> Cohort:
    return db.session.scalar(select(Cohort).join(Enrolment, Enrolment.cohort_id == Cohort.id)
                             .where(Enrolment.id == plan.enrolment_id))


def _text(fields: Mapping, name: str, *, required: bool = False, limit: int = MAX_TEXT) -> str | None:
    value = fields.get(name)
    if value is not None and not isinstance(value, str):
        raise ServiceError(_l("expected a text"), field=name)
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(_l("required"), field=name)
    if len(value) > limit:
        raise ServiceError(_l("at most %(count)s characters (got %(length)s)", count=limit, length=len(value)), field=name)
    return value or None


def _url(fields: Mapping, name: str = "url") -> str | None:
    value = _text(fields, name, limit=2000)
    if value and not URL_RE.match(value):
        raise ServiceError(_l("a link starts with http:// or https://"), field=name)
    return value


def _choice(fields: Mapping, name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
    value = fields.get(name) or default
    if value not in allowed:
        raise ServiceError(_l("one of %(choices)s (got %(value)s)", choices=", ".join(allowed), value=repr(value)), field=name)
    return value


def _moment(value, name: str, tz: str) -> datetime:
    """An aware datetime; a naive one (a form's datetime-local) or an ISO text without offset is
    the cohort's local time; a date alone is noon that day."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text or " " in text \
                else date.fromisoformat(text)
        except ValueError:
            raise ServiceError(_l("expected a date and time (YYYY-MM-DDTHH:MM), got %(value)s", value=repr(value)),
                               field=name) from None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz))).astimezone(timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(12, 0), tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)
    raise ServiceError(_l("required: a date and time (YYYY-MM-DDTHH:MM)"), field=name)


def _in_plan_time(plan: SupportPlan, day: date, name: str, tz: str) -> None:
    today = clock.today(tz)
    if day > today:
        raise ServiceError(_l("%(day)s is in the future", day=day), field=name)
    if day < plan.starts_on:
        raise ServiceError(_l("%(day)s is before the plan started (%(start)s)", day=day, start=plan.starts_on), field=name)


def _linked_activity(plan: SupportPlan, fields: Mapping) -> PlanActivity | None:
    raw = fields.get("activity_id")
    if raw in (None, "", 0):
        return None
    try:
        activity_id = int(raw)
    except (TypeError, ValueError):
        raise ServiceError(_l("expected an activity id, got %(value)s", value=repr(raw)), field="activity_id") from None
    activity = plan_service.activity_in(plan, activity_id)
    if activity.status == "cancelled":
        raise Conflict(_l("that activity is cancelled"), field="activity_id")
    return activity


def _upload(upload, actor, field: str = "file") -> StoredFile | None:
    """`upload` is (bytes, filename) or None."""
    if not upload:
        return None
    data, name = upload
    return files.store(data, name, actor, field=field)


# --- consultations -------------------------------------------------------------------------------

def log_contact(plan: SupportPlan, fields: Mapping, actor) -> Contact:
    """A consultation: happened_at, channel (email, phone, whatsapp, telegram, zoom, teams, meet,
    in_person), topic, outcome, group (bool), optional activity_id (marked done that day)."""
    tz = _tz(_cohort_of(plan))
    happened_at = _moment(fields.get("happened_at"), "happened_at", tz)
    if happened_at > clock.now() + CLOCK_SKEW:
        raise ServiceError(_l("%(day)s is in the future", day=f"{happened_at:%Y-%m-%d %H:%M}"), field="happened_at")
    day = plan_service.local_date(happened_at, tz)
    _in_plan_time(plan, day, "happened_at", tz)
    channel = _choice(fields, "channel", CHANNELS)
    topic = _text(fields, "topic", required=True, limit=300)
    outcome = _text(fields, "outcome")
    group = fields.get("group", False)
    if not isinstance(group, bool):
        raise ServiceError(_l("true or false (got %(value)s)", value=repr(group)), field="group")
    activity = _linked_activity(plan, fields)
    request = _linked_request(plan, fields)
    contact = Contact(plan_id=plan.id, activity_id=activity.id if activity else None, happened_at=happened_at,
                      channel=channel, group=group, topic=topic, outcome=outcome,
                      logged_by_id=getattr(actor, "id", None), created_at=clock.now())
    db.session.add(contact)
    db.session.flush()
    if request is not None:
        request.contact_id, request.answered_at = contact.id, clock.now()
    audit.record(actor, "support_contact_logged", contact, f"plan {plan.id}: {channel} on {day}: {topic}")
    if activity is not None:
        plan_service.complete_activity(activity, day, actor, "contact")
    support_contact_logged.send(contact, plan=plan, actor=actor)
    return contact


# --- a graduate's request for a consultation ------------------------------------------------------

#: open requests a plan may hold at once: enough to ask about several things, not a flood
MAX_OPEN_REQUESTS = 5


def ask_consultation(plan: SupportPlan, fields: Mapping, actor) -> ConsultationRequest:
    """The graduate asks (their own plan, not closed): topic, optional channel and note. Their
    supporters (the model's, else the other staff role) are e-mailed; the caller commits and
    sends. Answered when a consultation is logged for it (`log_contact`'s request_id)."""
    enrolment = db.session.get(Enrolment, plan.enrolment_id)
    if getattr(actor, "id", None) != enrolment.user_id:
        raise Conflict(_l("only the graduate asks for a consultation on their plan"))
    if plan.status == "closed":
        raise Conflict(_l("the support year of this plan is closed"))
    topic = _text(fields, "topic", required=True, limit=300)
    channel = fields.get("channel") or None
    if channel is not None and channel not in CHANNELS:
        raise ServiceError(_l("unknown channel %(value)s", value=repr(channel)), field="channel")
    note = _text(fields, "note")
    open_now = db.session.scalar(select(func.count()).select_from(ConsultationRequest).where(
        ConsultationRequest.plan_id == plan.id, ConsultationRequest.answered_at.is_(None)))
    if open_now >= MAX_OPEN_REQUESTS:
        raise Conflict(_l("%(count)s requests are still waiting for an answer; ask again once one is answered",
                          count=open_now), field="topic")
    request = ConsultationRequest(plan_id=plan.id, topic=topic, channel=channel, note=note, asked_at=clock.now())
    db.session.add(request)
    db.session.flush()
    audit.record(actor, "support_consultation_requested", request, f"plan {plan.id}: {topic}")
    _tell_supporters(plan, enrolment, request)
    return request


def _tell_supporters(plan: SupportPlan, enrolment: Enrolment, request: ConsultationRequest) -> None:
    cohort, graduate = enrolment.cohort, enrolment.user
    for person in supporters(cohort, plan_service.model_of(plan)):
        if not mail.wants(person, "postcourse:request"):
            continue  # the plan page and the cohort's dashboard still list the request
        with force_locale(language_of(person)):
            asked = _("%(graduate)s (%(cohort)s) asks for a consultation: %(topic)s", graduate=graduate.full_name,
                      cohort=cohort.code, topic=request.topic)
            if request.channel:
                asked += "\n" + _("Preferred channel: %(channel)s", channel=CHANNEL_LABELS[request.channel])
            body = mail.letter(person, asked, request.note or "",
                               _("The plan: %(url)s", url=mail.link(f"/cohorts/{cohort.code}/support/plans/{plan.id}")))
            subject = _("Consultation requested: %(graduate)s", graduate=graduate.full_name)
        mail.queue(f"postcourse:request:{request.id}:{person.id}", person.email, subject, body)


def requests_of(plan: SupportPlan) -> list[ConsultationRequest]:
    """Waiting ones first, then answered, newest first within each."""
    return list(db.session.scalars(select(ConsultationRequest).where(ConsultationRequest.plan_id == plan.id)
                                   .order_by(ConsultationRequest.answered_at.is_not(None),
                                             ConsultationRequest.asked_at.desc())))


def waiting_requests(cohort: Cohort) -> list[tuple[ConsultationRequest, SupportPlan, User]]:
    """The cohort's requests no consultation has answered yet, oldest first, with plan and
    graduate (one statement: the cohort's support dashboard lists them)."""
    return [tuple(row) for row in db.session.execute(
        select(ConsultationRequest, SupportPlan, User)
        .join(SupportPlan, SupportPlan.id == ConsultationRequest.plan_id)
        .join(Enrolment, Enrolment.id == SupportPlan.enrolment_id).join(User, User.id == Enrolment.user_id)
        .where(Enrolment.cohort_id == cohort.id, ConsultationRequest.answered_at.is_(None))
        .order_by(ConsultationRequest.asked_at))]


def _linked_request(plan: SupportPlan, fields: Mapping) -> ConsultationRequest | None:
    raw = fields.get("request_id")
    if raw in (None, "", 0, "0"):
        return None
    try:
        request = db.session.get(ConsultationRequest, int(raw))
    except (TypeError, ValueError):
        raise ServiceError(_l("expected a request id, got %(value)s", value=repr(raw)), field="request_id") from None
    if request is None or request.plan_id != plan.id:
        raise NotFound(_l("no request %(id)s on this plan", id=raw), field="request_id")
    if request.answered_at is not None:
        raise Conflict(_l("that request is answered already"), field="request_id")
    return request


def contacts_of(plan: SupportPlan) -> list[Contact]:
    """Newest first."""
    return list(db.session.scalars(select(Contact).where(Contact.plan_id == plan.id)
                                   .order_by(Contact.happened_at.desc(), Contact.id.desc())))


# --- observations and evidence -----------------------------------------------------------------------

def add_observation(plan: SupportPlan, fields: Mapping, actor, upload=None) -> Observation:
    """A lesson observed by video link or visit, or a lesson plan analysed (uploaded, or linked):
    kind, observed_on, url or file, feedback, optional activity_id (marked done)."""
    tz = _tz(_cohort_of(plan))
    kind = _choice(fields, "kind", OBSERVATION_KINDS)
    observed_on = plan_service.parse_date(fields.get("observed_on") or clock.today(tz), "observed_on",
                                          from_datetime=True)
    _in_plan_time(plan, observed_on, "observed_on", tz)
    url = _url(fields)
    feedback = _text(fields, "feedback")
    activity = _linked_activity(plan, fields)
    if kind != "lesson_visit" and not url and not upload:
        raise ServiceError(_l("give the lesson's video link or upload the lesson plan"), field="url")
    stored = _upload(upload, actor)
    observation = Observation(plan_id=plan.id, activity_id=activity.id if activity else None, kind=kind,
                              observed_on=observed_on, url=url, file_id=stored.id if stored else None,
                              feedback=feedback, observer_id=getattr(actor, "id", None))
    db.session.add(observation)
    db.session.flush()
    audit.record(actor, "support_observation_added", observation, f"plan {plan.id}: {kind} on {observed_on}")
    if activity is not None:
        plan_service.complete_activity(activity, observed_on, actor, "observation")
    return observation


def observations_of(plan: SupportPlan) -> list[Observation]:
    return list(db.session.scalars(select(Observation).where(Observation.plan_id == plan.id)
                                   .order_by(Observation.observed_on.desc(), Observation.id.desc())))


def completed_by_document(activity: PlanActivity, model) -> bool:
    """Whether the graduate's own evidence may mark the activity done: the support model names a
    document of the graduate's that completes it (a publication, a talk, a collection of master
    classes). A consultation, an observation or a seminar (whose document is the supporter's
    recommendations) is done when the curator or trainer records it."""
    item = model.find(activity.activity_type) if model is not None else None
    return item is not None and item.evidence not in (None, "recommendations")


def add_evidence(plan: SupportPlan, fields: Mapping, actor, upload=None) -> Evidence:
    """A publication, talk, contest, development programme ...: kind, level, title, happened_on,
    url or file, optional activity_id (marked done). The graduate adds their own too, and may
    link it only to an activity a document completes."""
    tz = _tz(_cohort_of(plan))
    kind = _choice(fields, "kind", EVIDENCE_KINDS)
    level = _choice(fields, "level", EVIDENCE_LEVELS, "school")
    title = _text(fields, "title", required=True, limit=300)
    happened_on = plan_service.parse_date(fields.get("happened_on") or clock.today(tz), "happened_on",
                                          from_datetime=True)
    _in_plan_time(plan, happened_on, "happened_on", tz)
    url = _url(fields)
    activity = _linked_activity(plan, fields)
    if activity is not None and getattr(actor, "id", None) == db.session.get(Enrolment, plan.enrolment_id).user_id \
            and not completed_by_document(activity, plan_service.model_of(plan)):
        raise ServiceError(_l("your evidence can complete only an activity that a document completes (a "
                              "publication, a talk ...); this one is marked done by whoever supports you"),
                           field="activity_id")
    if not url and not upload:
        raise ServiceError(_l("give a link or upload the file"), field="url")
    stored = _upload(upload, actor)
    evidence = Evidence(plan_id=plan.id, activity_id=activity.id if activity else None, kind=kind, level=level,
                        title=title, url=url, file_id=stored.id if stored else None, happened_on=happened_on,
                        created_at=clock.now())
    db.session.add(evidence)
    db.session.flush()
    audit.record(actor, "support_evidence_added", evidence, f"plan {plan.id}: {kind} ({level}) {title}")
    if activity is not None:
        plan_service.complete_activity(activity, happened_on, actor, "evidence")
    return evidence


def evidence_of(plan: SupportPlan) -> list[Evidence]:
    return list(db.session.scalars(select(Evidence).where(Evidence.plan_id == plan.id)
                                   .order_by(Evidence.happened_on.desc(), Evidence.id.desc())))


def file_of(plan: SupportPlan, file_id: int) -> StoredFile:
    """A file of this plan's observations or evidence (NotFound for any other file)."""
    owned = db.session.scalar(select(Evidence.id).where(Evidence.plan_id == plan.id, Evidence.file_id == file_id)) \
        or db.session.scalar(select(Observation.id).where(Observation.plan_id == plan.id,
                                                           Observation.file_id == file_id))
    stored = db.session.get(StoredFile, file_id) if owned else None
    if stored is None:
        raise NotFound(_l("no file %(id)s in this plan", id=file_id))
    return stored


# --- group events ----------------------------------------------------------------------------------------

def create_event(cohort: Cohort, fields: Mapping, actor) -> GroupEvent:
    """A seminar, webinar, master class, round table, forum, conference or the final
    (reflection) event for the cohort's graduates: kind, stage, title, starts_at, meeting_url."""
    kind = _choice(fields, "kind", EVENT_KINDS)
    stage = _choice(fields, "stage", STAGES, EVENT_STAGE.get(kind, "implementation"))
    if kind == "final_event" and stage != "reflection":
        raise ServiceError(_l("the final event closes the year: it belongs to the reflection stage"), field="stage")
    title = _text(fields, "title", required=True, limit=300)
    starts_at = _moment(fields.get("starts_at"), "starts_at", _tz(cohort))
    url = _url(fields, "meeting_url")
    event = GroupEvent(cohort_id=cohort.id, kind=kind, stage=stage, title=title, starts_at=starts_at,
                       meeting_url=url, created_by_id=getattr(actor, "id", None))
    db.session.add(event)
    db.session.flush()
    audit.record(actor, "support_event_created", event, f"{cohort.code}: {kind} {starts_at:%Y-%m-%d}: {title}")
    return event


def events_of_cohort(cohort: Cohort) -> list[GroupEvent]:
    return list(db.session.scalars(select(GroupEvent).where(GroupEvent.cohort_id == cohort.id)
                                   .order_by(GroupEvent.starts_at, GroupEvent.id)))


def get_event(cohort: Cohort, event_id: int) -> GroupEvent:
    event = db.session.scalar(select(GroupEvent).where(GroupEvent.id == event_id, GroupEvent.cohort_id == cohort.id))
    if event is None:
        raise NotFound(_l("no event %(id)s in cohort %(cohort)s", id=event_id, cohort=cohort.code))
    return event


def attendance_of(event: GroupEvent) -> dict[int, bool]:
    """{plan id: attended}."""
    return dict(db.session.execute(select(EventAttendance.plan_id, EventAttendance.attended)
                                   .where(EventAttendance.event_id == event.id)).all())


def record_attendance(event: GroupEvent, attended: Mapping[int, bool], actor) -> dict[str, int]:
    """Attendance of the cohort's graduates at an event ({plan id: attended}). Attending marks the
    plan's matching planned activity done on the event's day; attending the final event closes
    the graduate's year (the plan is closed). Unticking someone later corrects the register
    only: what their attendance completed stays (staff plan it again by hand if it was wrong)."""
    cohort = db.session.get(Cohort, event.cohort_id)
    tz = _tz(cohort)
    day = plan_service.local_date(event.starts_at, tz)
    if attended and day > clock.today(tz):
        raise Conflict(_l("the event is on %(day)s: attendance is recorded once it has taken place", day=day),
                       field="attendance")
    plans = {p.id: p for p in plan_service.plans_of(cohort)}
    strangers = sorted(set(attended) - set(plans))
    if strangers:
        raise NotFound(_l("plan(s) %(plans)s are not of cohort %(cohort)s", plans=", ".join(map(str, strangers)),
                          cohort=cohort.code), field="attendance")
    existing = {a.plan_id: a for a in db.session.scalars(
        select(EventAttendance).where(EventAttendance.event_id == event.id))}
    completes = EVENT_COMPLETES.get(event.kind, ())
    done = closed = 0
    for plan_id, present in attended.items():
        present = bool(present)
        row = existing.get(plan_id)
        if row is None:
            db.session.add(EventAttendance(event_id=event.id, plan_id=plan_id, attended=present))
        elif row.attended != present:
            row.attended = present
        if not present:
            continue
        plan = plans[plan_id]
        match = next((a for a in plan.activities if a.status == "planned" and a.activity_type in completes
                      and a.stage == event.stage), None) \
            or next((a for a in plan.activities if a.status == "planned" and a.activity_type in completes), None)
        if match is not None and plan.status != "closed" and day >= plan.starts_on:
            done += plan_service.complete_activity(match, day, actor, "event")
        if event.kind == "final_event" and plan.status != "closed":
            plan_service.close_plan(plan, actor, f"final event {day}")
            closed += 1
    db.session.flush()
    present = sum(1 for v in attended.values() if v)
    audit.record(actor, "support_attendance_recorded", event,
                 f"{present} of {len(attended)} attended; {done} activities done; {closed} plans closed")
    return {"attended": present, "activities_done": done, "plans_closed": closed}


def events_of(plan: SupportPlan) -> list[tuple[GroupEvent, bool | None]]:
    """The cohort's events with this graduate's attendance (None: not recorded)."""
    cohort_id = db.session.scalar(select(Enrolment.cohort_id).where(Enrolment.id == plan.enrolment_id))
    rows = db.session.execute(
        select(GroupEvent, EventAttendance.attended)
        .outerjoin(EventAttendance, (EventAttendance.event_id == GroupEvent.id) & (EventAttendance.plan_id == plan.id))
        .where(GroupEvent.cohort_id == cohort_id).order_by(GroupEvent.starts_at, GroupEvent.id)).all()
    return [(event, attended) for event, attended in rows]
