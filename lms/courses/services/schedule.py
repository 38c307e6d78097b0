"""The webinar schedule: sessions generated from the cohort's hour plan, then moved, split,
cancelled and linked by trainers; the coverage check; iCalendar feeds.

Times are entered and shown in the cohort's local time (Cohort.timezone) and stored UTC.
Hours are academic hours (45 minutes). Nothing a participant earned may be lost: a
schedule with attendance is never regenerated, and a session with attendance is never split
(cancelling keeps its attendance rows; the ledger ignores cancelled sessions)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.core.services import audit
from lms.core.services.errors import Conflict, ServiceError
from lms.courses.models import (
    ACADEMIC_HOUR_MINUTES, Attendance, AttendanceImport, Cohort, Enrolment, WebinarSession,
)
from lms.courses.services.ledger import Unit, units
from lms.db import db, utcnow
from lms.signals import session_changed

MAX_HOURS_PER_DAY = 10
MAX_BREAK_MINUTES = 120
#: hours are kept to the hundredth of an academic hour (the plan uses whole and half hours)
_CENTS = 100


def _cents(hours: float) -> int:
    return round(hours * _CENTS)


def _hours(cents: int) -> float:
    return cents / _CENTS


def _minutes(cents: int) -> int:
    """Minutes of `cents` hundredths of an academic hour, as WebinarSession.minutes rounds."""
    return round(_hours(cents) * ACADEMIC_HOUR_MINUTES)


def _fmt(hours: float) -> str:
    return f"{hours:g}"


def zone(cohort: Cohort) -> ZoneInfo:
    return ZoneInfo(cohort.timezone or "Asia/Almaty")


def local_to_utc(cohort: Cohort, day: date, at: time) -> datetime:
    """A cohort-local wall-clock time as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=zone(cohort)).astimezone(timezone.utc)


def local_date(cohort: Cohort, moment: datetime) -> date:
    return moment.astimezone(zone(cohort)).date()


# --- the plan and its coverage ----------------------------------------------------------

def _unit_kinds(cohort: Cohort, unit: Unit) -> list[tuple[str, int]]:
    """The contact kinds of a unit with their planned hours (in cents), in the format's order."""
    cells = (unit.topic.hours if unit.topic is not None else unit.module.hours).get(cohort.format_code) or {}
    return [(kind, _cents(float(cells.get(kind) or 0))) for kind in cohort.contact_kinds if cells.get(kind)]


@dataclass
class CoverageRow:
    unit: Unit
    planned: float
    scheduled: float

    @property
    def missing(self) -> float:
        return round(max(self.planned - self.scheduled, 0), 2)

    @property
    def extra(self) -> float:
        return round(max(self.scheduled - self.planned, 0), 2)


@dataclass
class Coverage:
    rows: list[CoverageRow]
    #: hours of scheduled sessions that belong to no row of the plan (should stay 0)
    unplanned: float = 0.0

    @property
    def planned(self) -> float:
        return round(sum(r.planned for r in self.rows), 2)

    @property
    def scheduled(self) -> float:
        return round(sum(r.scheduled for r in self.rows), 2)

    @property
    def missing(self) -> float:
        return round(sum(r.missing for r in self.rows), 2)

    @property
    def complete(self) -> bool:
        return all(r.missing == 0 for r in self.rows)


def coverage(cohort: Cohort, sessions: list[WebinarSession] | None = None,
             plan: list[Unit] | None = None) -> Coverage:
    """Planned contact hours per plan row against the hours of its non-cancelled sessions,
    so a trainer sees what is left uncovered after cancelling or moving things around."""
    if plan is None:
        plan = units(cohort)[0]
    if sessions is None:
        sessions = list_sessions(cohort)
    rows = [CoverageRow(u, u.contact_planned, 0.0) for u in plan if u.contact_planned]
    by_topic: dict[int, CoverageRow] = {}
    by_module: dict[int, CoverageRow] = {}
    for row in rows:
        if row.unit.topic is None:
            by_module[row.unit.module.id] = row
        for tid in row.unit.topic_ids:
            by_topic[tid] = row
    unplanned = 0.0
    for s in sessions:
        if s.status == "cancelled":
            continue
        row = by_topic.get(s.topic_id) if s.topic_id is not None else by_module.get(s.module_id)
        if row is None:
            unplanned += s.academic_hours
        else:
            row.scheduled += s.academic_hours
    for row in rows:
        row.scheduled = round(row.scheduled, 2)
    return Coverage(rows, round(unplanned, 2))


def list_sessions(cohort: Cohort) -> list[WebinarSession]:
    """The cohort's sessions in time order, with their topics and modules (at most three
    statements, whatever the number of sessions)."""
    return list(db.session.scalars(select(WebinarSession).where(WebinarSession.cohort_id == cohort.id)
                                   .options(selectinload(WebinarSession.topic), selectinload(WebinarSession.module))
                                   .order_by(WebinarSession.starts_at, WebinarSession.id)))


def attendance_counts(session_ids: list[int]) -> dict[int, int]:
    """How many attendance rows each session has, in one statement."""
    if not session_ids:
        return {}
    return dict(db.session.execute(
        select(Attendance.session_id, func.count()).where(Attendance.session_id.in_(session_ids))
        .group_by(Attendance.session_id)).all())


def _attendance_count(session: WebinarSession) -> int:
    return db.session.scalar(select(func.count()).select_from(Attendance)
                             .where(Attendance.session_id == session.id)) or 0


# --- generation ---------------------------------------------------------------------------

@dataclass
class _Part:
    unit: Unit
    kind: str
    cents: int


def _plan_parts(cohort: Cohort, plan: list[Unit]) -> list[_Part]:
    parts = []
    for unit in plan:
        for kind, cents in _unit_kinds(cohort, unit):
            if cents > 0:
                parts.append(_Part(unit, kind, cents))
    return parts


def generate(cohort: Cohort, start_date: date, weekdays: set[int], start_time: time, hours_per_day: float,
             actor, break_minutes: int = 0, replace: bool = False) -> list[WebinarSession]:
    """Sessions covering every plan row's contact hours in programme order: each teaching
    day (a chosen weekday from `start_date` on) gets up to `hours_per_day` academic hours
    from `start_time` (cohort-local), back to back with `break_minutes` between sessions;
    one session per plan row and day, and a row may continue on the next teaching day.
    All or nothing: a refusal writes nothing."""
    weekdays = set(weekdays or ())
    if not weekdays:
        raise ServiceError(_l("choose at least one weekday"), field="weekdays")
    if not weekdays <= set(range(7)):
        raise ServiceError(_l("weekdays are numbered 0 (Monday) to 6 (Sunday)"), field="weekdays")
    if not isinstance(start_date, date):
        raise ServiceError(_l("the start date is required"), field="start_date")
    if not isinstance(start_time, time):
        raise ServiceError(_l("the start time is required"), field="start_time")
    try:
        hours_per_day = float(hours_per_day)
    except (TypeError, ValueError):
        raise ServiceError(_l("hours per day must be a number"), field="hours_per_day") from None
    if not 0 < hours_per_day <= MAX_HOURS_PER_DAY:
        raise ServiceError(_l("hours per day must be more than 0 and at most %(max)s", max=MAX_HOURS_PER_DAY),
                           field="hours_per_day")
    break_minutes = int(break_minutes or 0)
    if not 0 <= break_minutes <= MAX_BREAK_MINUTES:
        raise ServiceError(_l("the break must be between 0 and %(max)s minutes", max=MAX_BREAK_MINUTES),
                           field="break_minutes")
    if not cohort.start_date <= start_date <= cohort.end_date:
        raise ServiceError(_l("the start date must be within the cohort's dates (%(start)s – %(end)s)",
                              start=cohort.start_date, end=cohort.end_date), field="start_date")

    existing = list_sessions(cohort)
    if existing and not replace:
        raise Conflict(_l("%(cohort)s already has %(count)s sessions; choose to replace them to generate the schedule"
                          " again", cohort=cohort.code, count=len(existing)), field="replace")
    if existing:
        ids = [s.id for s in existing]
        marked = db.session.scalar(select(func.count()).select_from(Attendance)
                                   .where(Attendance.session_id.in_(ids))) or 0
        imported = db.session.scalar(select(func.count()).select_from(AttendanceImport)
                                     .where(AttendanceImport.session_id.in_(ids))) or 0
        if marked or imported:
            raise Conflict(_l("the existing sessions have %(marked)s attendance marks and %(imported)s imported reports;"
                              " a new schedule would lose them. Move, split or cancel sessions instead",
                              marked=marked, imported=imported), field="replace")

    plan = units(cohort)[0]
    parts = _plan_parts(cohort, plan)
    if not parts:
        raise ServiceError(_l("the %(format)s hour plan of %(programme)s has no %(kinds)s hours to schedule",
                              format=cohort.format_code, programme=cohort.programme.code,
                              kinds=" / ".join(cohort.contact_kinds)))
    per_day = _cents(hours_per_day)
    pause = timedelta(minutes=break_minutes)
    slots: list[tuple[_Part, datetime, int]] = []  # (part, starts_at UTC, cents)
    index, left = 0, parts[0].cents
    day = start_date
    while index < len(parts) and day <= cohort.end_date:
        if day.weekday() in weekdays:
            capacity = per_day
            cursor = local_to_utc(cohort, day, start_time)
            midnight = local_to_utc(cohort, day + timedelta(days=1), time(0))
            while capacity > 0 and index < len(parts):
                take = min(left, capacity)
                ends = cursor + timedelta(minutes=_minutes(take))
                if ends > midnight:
                    raise ServiceError(_l("a teaching day starting at %(start)s with %(hours)s academic hours runs"
                                          " past midnight; start earlier or teach fewer hours",
                                          start=f"{start_time:%H:%M}", hours=_fmt(hours_per_day)),
                                       field="start_time")
                slots.append((parts[index], cursor, take))
                cursor = ends + pause
                capacity -= take
                left -= take
                if left == 0:
                    index += 1
                    left = parts[index].cents if index < len(parts) else 0
        day += timedelta(days=1)
    if index < len(parts):
        short = left + sum(p.cents for p in parts[index + 1:])
        raise ServiceError(_l("%(short)s of %(total)s academic hours do not fit before the cohort's end date %(end)s;"
                              " add weekdays, teach more hours a day or start earlier", short=_fmt(_hours(short)),
                              total=_fmt(_hours(sum(p.cents for p in parts))), end=cohort.end_date),
                           field="hours_per_day")

    if existing:
        cohort.sessions.clear()  # delete-orphan: the old rows go; nothing was marked on them
        db.session.flush()
    created = []
    for part, starts_at, cents in slots:
        session = WebinarSession(cohort=cohort, module_id=part.unit.module.id,
                                 topic_id=part.unit.topic.id if part.unit.topic is not None else None,
                                 kind=part.kind, starts_at=starts_at, academic_hours=_hours(cents),
                                 status="scheduled", meeting_url=cohort.meeting_url or None)
        db.session.add(session)
        created.append(session)
    db.session.flush()
    total = _hours(sum(c for _p, _s, c in slots))
    audit.record(actor, "schedule_generated", cohort,
                 f"{len(created)} sessions, {_fmt(total)} h from {start_date}",
                 sessions=len(created), hours=total, start_date=start_date.isoformat(),
                 weekdays=sorted(weekdays), start_time=start_time.strftime("%H:%M"), hours_per_day=hours_per_day,
                 break_minutes=break_minutes, replaced=len(existing))
    return created


# --- changes to one session ---------------------------------------------------------------

def get_session(cohort: Cohort, session_id: int) -> WebinarSession | None:
    """A session of this cohort (None for another cohort's, so URLs cannot cross cohorts)."""
    session = db.session.get(WebinarSession, session_id)
    return session if session is not None and session.cohort_id == cohort.id else None


def _describe(session: WebinarSession) -> str:
    code = session.topic.code if session.topic is not None else f"module {session.module.number}"
    return f"{session.cohort.code} {code} {session.starts_at:%Y-%m-%d %H:%M} UTC"


def _check_overlap(session: WebinarSession, starts_at: datetime, ends_at: datetime) -> None:
    for other in list_sessions(session.cohort):
        if other.id == session.id or other.status != "scheduled":
            continue
        if other.starts_at < ends_at and starts_at < other.ends_at:
            when = other.starts_at.astimezone(zone(session.cohort))
            code = other.topic.code if other.topic is not None else _l("module %(number)s",
                                                                        number=other.module.number)
            raise Conflict(_l("that time overlaps the session of %(code)s on %(day)s at %(time)s", code=code,
                              day=f"{when:%Y-%m-%d}", time=f"{when:%H:%M}"), field="starts_at")


def move(session: WebinarSession, new_start_utc: datetime, actor) -> WebinarSession:
    """Reschedule a session (within the cohort's dates, not over another session)."""
    if not isinstance(new_start_utc, datetime) or new_start_utc.tzinfo is None:
        raise ServiceError(_l("the new start must be a date and time"), field="starts_at")
    new_start_utc = new_start_utc.astimezone(timezone.utc)
    cohort = session.cohort
    day = local_date(cohort, new_start_utc)
    if not cohort.start_date <= day <= cohort.end_date:
        raise ServiceError(_l("the new date must be within the cohort's dates (%(start)s – %(end)s)",
                              start=cohort.start_date, end=cohort.end_date), field="starts_at")
    if session.status == "scheduled":
        _check_overlap(session, new_start_utc, new_start_utc + timedelta(minutes=session.minutes))
    old = session.starts_at
    session.starts_at = new_start_utc
    db.session.flush()
    audit.record(actor, "session_moved", session, f"{_describe(session)} (was {old:%Y-%m-%d %H:%M} UTC)",
                 old=old.isoformat(), new=new_start_utc.isoformat())
    if new_start_utc != old:
        session_changed.send(session, actor=actor, change="moved", before=old)
    return session


def split(session: WebinarSession, first_hours: float, actor) -> tuple[WebinarSession, WebinarSession]:
    """Two sessions of the same plan row; the second starts when the first ends, so the
    trainer can then move it to another day. The total stays the same."""
    try:
        first = _cents(float(first_hours))
    except (TypeError, ValueError):
        raise ServiceError(_l("the first part's hours must be a number"), field="first_hours") from None
    total = _cents(session.academic_hours)
    if not 0 < first < total:
        raise ServiceError(_l("the first part must be more than 0 and less than the session's %(hours)s hours",
                              hours=_fmt(session.academic_hours)), field="first_hours")
    if session.status != "scheduled":
        raise ServiceError(_l("a cancelled session cannot be split; restore it first"))
    marked = _attendance_count(session)
    if marked:
        raise Conflict(_l("attendance is already marked for %(count)s participants; a session with attendance cannot"
                          " be split", count=marked), field="first_hours")
    session.academic_hours = _hours(first)
    second = WebinarSession(cohort=session.cohort, module_id=session.module_id, topic_id=session.topic_id,
                            kind=session.kind, starts_at=session.ends_at, academic_hours=_hours(total - first),
                            status="scheduled", meeting_url=session.meeting_url, note=session.note)
    db.session.add(second)
    db.session.flush()
    audit.record(actor, "session_split", session,
                 f"{_describe(session)}: {_fmt(_hours(first))} + {_fmt(_hours(total - first))} h",
                 second_id=second.id, first_hours=_hours(first), second_hours=_hours(total - first))
    return session, second


def cancel(session: WebinarSession, actor, note: str | None = None) -> WebinarSession:
    """Mark a session cancelled. The row and any attendance marked on it are kept (the
    ledger does not credit cancelled sessions; restoring credits them again)."""
    if session.status == "cancelled":
        raise ServiceError(_l("the session is already cancelled"))
    note = (note or "").strip() or None
    if note is not None and len(note) > 500:
        raise ServiceError(_l("the note takes at most %(count)s characters", count=500), field="note")
    session.status = "cancelled"
    session.note = note
    db.session.flush()
    audit.record(actor, "session_cancelled", session, _describe(session) + (f": {note}" if note else ""),
                 attendance_kept=_attendance_count(session))
    session_changed.send(session, actor=actor, change="cancelled", before=None)
    return session


def restore(session: WebinarSession, actor=None) -> WebinarSession:
    if session.status != "cancelled":
        raise ServiceError(_l("the session is not cancelled"))
    _check_overlap(session, session.starts_at, session.ends_at)
    session.status = "scheduled"
    session.note = None
    db.session.flush()
    audit.record(actor, "session_restored", session, _describe(session))
    session_changed.send(session, actor=actor, change="restored", before=None)
    return session


def validate_url(url: str | None, field: str = "meeting_url") -> str | None:
    url = (url or "").strip()
    if not url:
        return None
    if len(url) > 500:
        raise ServiceError(_l("the link takes at most %(count)s characters", count=500), field=field)
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or any(c.isspace() for c in url):
        raise ServiceError(_l("the link must be a web address starting with https:// or http://"), field=field)
    return url


def set_link(session: WebinarSession, url: str | None, actor) -> WebinarSession:
    """The session's own meeting link; empty falls back to the cohort's default link."""
    url = validate_url(url)
    old = session.meeting_url
    session.meeting_url = url
    db.session.flush()
    audit.record(actor, "session_link_changed", session, f"{_describe(session)}: {url or '(cohort default)'}",
                 old=old, new=url)
    if (url or session.cohort.meeting_url) != (old or session.cohort.meeting_url):
        session_changed.send(session, actor=actor, change="link", before=old)
    return session


# --- iCalendar --------------------------------------------------------------------------

def join_url(session: WebinarSession) -> str | None:
    return session.meeting_url or session.cohort.meeting_url


def feed_sessions_for_user(user) -> list[WebinarSession]:
    """Every session of every cohort the user is enrolled in (not withdrawn), in one
    statement plus the topics, modules and cohorts they name."""
    return list(db.session.scalars(
        select(WebinarSession).join(Enrolment, Enrolment.cohort_id == WebinarSession.cohort_id)
        .where(Enrolment.user_id == user.id, Enrolment.status != "withdrawn")
        .options(selectinload(WebinarSession.topic), selectinload(WebinarSession.module),
                 selectinload(WebinarSession.cohort))
        .order_by(WebinarSession.starts_at, WebinarSession.id)))


def ics(sessions: list[WebinarSession], name: str, host: str = "ustaz") -> bytes:
    """An iCalendar feed: one VEVENT per session, UID stable per session, times in UTC,
    cancelled sessions kept with STATUS:CANCELLED so calendars drop them."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//Ustaz//Cohort schedule//KK")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    stamp = utcnow().replace(microsecond=0)
    for s in sessions:
        event = Event()
        event.add("uid", f"session-{s.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", s.starts_at.astimezone(timezone.utc))
        event.add("dtend", s.ends_at.astimezone(timezone.utc))
        if s.topic is not None:
            summary = f"{s.topic.code} {s.topic.title_kk}"
        else:
            summary = f"{s.module.number}. {s.module.title_kk}"
        event.add("summary", summary)
        link = join_url(s)
        description = [s.cohort.code, f"{_fmt(s.academic_hours)} ак. сағ."]
        if link:
            event.add("location", link)
            event.add("url", link)
            description.append(link)
        if s.note:
            description.append(s.note)
        event.add("description", "\n".join(description))
        event.add("status", "CANCELLED" if s.status == "cancelled" else "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()
