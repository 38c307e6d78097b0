"""Attendance: the trainer's marks (present / late / absent / excused, with minutes) and the
meeting provider's participant report (Zoom, Teams, Google Meet, or a hand-made sheet with
Kazakh or Russian headers).

The ledger credits min(minutes, planned minutes) / 45 per session, so minutes are what
matters. A report is applied whole or not at all; people it cannot match wait in the
AttendanceImport for a trainer to map them. Every change of an existing mark is audited
with its old and new values, whoever (or whatever file) made it."""
from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.core.models import User
from lms.core.services import audit
from lms.core.services.errors import Conflict, NotFound, ServiceError, about
from lms.core.services.tabular import _norm, decode, read_csv
from lms.courses.models import (
    ATTENDANCE_STATUSES, Attendance, AttendanceImport, Cohort, Enrolment, WebinarSession,
)
from lms.courses.services import cohorts as cohort_service
from lms.courses.services import ledger
from lms.db import db, utcnow
from lms.signals import attendance_changed

#: a manual mark may not claim more than this many times the session's planned minutes
MAX_MINUTES_FACTOR = 2
#: joining up to this long after the start still counts as on time
LATE_AFTER = timedelta(minutes=10)
MAX_REPORT_BYTES = 5 * 1024 * 1024
#: how many line errors a refused report lists before "and N more"
MAX_LISTED_ERRORS = 30


# --- manual marks -----------------------------------------------------------------------------

def _snapshot(a: Attendance) -> dict:
    return {"status": a.status, "minutes": a.minutes, "source": a.source}


def _describe(values: dict) -> str:
    return f"{values['status']} {values['minutes']} min"


def _cohort_enrolments(session: WebinarSession, ids=None) -> dict[int, Enrolment]:
    """The session's cohort's enrolments (with users), all or those with the given ids."""
    stmt = (select(Enrolment).where(Enrolment.cohort_id == session.cohort_id)
            .options(selectinload(Enrolment.user)))
    if ids is not None:
        stmt = stmt.where(Enrolment.id.in_(list(ids)))
    return {e.id: e for e in db.session.scalars(stmt)}


def _existing(session: WebinarSession, enrolment_ids=None) -> dict[int, Attendance]:
    stmt = select(Attendance).where(Attendance.session_id == session.id)
    if enrolment_ids is not None:
        stmt = stmt.where(Attendance.enrolment_id.in_(list(enrolment_ids)))
    return {a.enrolment_id: a for a in db.session.scalars(stmt)}


def _refuse_cancelled(session: WebinarSession) -> None:
    if session.status == "cancelled":
        raise ServiceError(_l("the session is cancelled; attendance of a cancelled session is not credited"),
                           field="session")


def _write(session: WebinarSession, enrolment: Enrolment, existing: Attendance | None, status: str,
           minutes: int, source: str, actor, why: str) -> Attendance | None:
    """Create or change one cell; None when nothing changes. Changing an existing value is
    audited with the old and new values."""
    new = {"status": status, "minutes": minutes, "source": source}
    actor_id = getattr(actor, "id", None)
    if existing is None:
        row = Attendance(session_id=session.id, enrolment_id=enrolment.id, status=status, minutes=minutes,
                         source=source, updated_by_id=actor_id)
        db.session.add(row)
        return row
    if existing.status == status and existing.minutes == minutes:
        return None
    old = _snapshot(existing)
    existing.status, existing.minutes, existing.source = status, minutes, source
    existing.updated_by_id = actor_id
    existing.updated_at = utcnow()
    audit.record(actor, "attendance_changed", existing,
                 f"{enrolment.user.full_name}, session {session.id}: {_describe(old)} -> {_describe(new)} ({why})",
                 session_id=session.id, enrolment_id=enrolment.id, participant=enrolment.user.email,
                 old=old, new=new, reason=why)
    return existing


def mark(session: WebinarSession, marks: dict[int, tuple[str, int | None]], actor) -> list[Attendance]:
    """Set the trainer's marks for one session: {enrolment id: (status, minutes or None)}.

    All or nothing: every mark is checked first and the first refusal names the participant.
    Minutes default to the session's planned minutes for present and late, and are 0 for
    absent and excused. Only cells whose value changes are written; returns them."""
    _refuse_cancelled(session)
    limit = MAX_MINUTES_FACTOR * session.minutes
    enrolments = _cohort_enrolments(session, marks.keys()) if marks else {}
    planned: dict[int, tuple[str, int]] = {}
    for enrolment_id, (status, minutes) in marks.items():
        enrolment = enrolments.get(enrolment_id)
        if enrolment is None:
            raise ServiceError(_l("enrolment %(id)s is not in this session's cohort", id=enrolment_id), field="marks")
        who = f"{enrolment.user.full_name} ({enrolment.user.email})"
        if status not in ATTENDANCE_STATUSES:
            raise ServiceError(about(who, _l("unknown attendance status %(value)s", value=repr(status))), field="marks")
        if minutes is not None:
            if isinstance(minutes, bool) or not isinstance(minutes, int):
                raise ServiceError(about(who, _l("minutes must be a whole number")), field="marks")
            if minutes < 0:
                raise ServiceError(about(who, _l("minutes cannot be negative")), field="marks")
            if minutes > limit:
                raise ServiceError(about(who, _l("%(minutes)s minutes is more than twice the session's %(length)s"
                                                 " minutes", minutes=minutes, length=session.minutes)),
                                   field="marks")
        if status in ("absent", "excused"):
            minutes = 0
        elif minutes is None:
            minutes = session.minutes
        planned[enrolment_id] = (status, minutes)
    existing = _existing(session, planned.keys()) if planned else {}
    changed = []
    for enrolment_id, (status, minutes) in planned.items():
        row = _write(session, enrolments[enrolment_id], existing.get(enrolment_id), status, minutes,
                     "manual", actor, "marked by hand")
        if row is not None:
            changed.append(row)
    if changed:
        db.session.flush()
        added = [a.enrolment_id for a in changed if a.enrolment_id not in existing]
        if added:
            audit.record(actor, "attendance_marked", session, f"session {session.id}: {len(added)} new marks",
                         enrolment_ids=added)
        attendance_changed.send(session, enrolment_ids=[a.enrolment_id for a in changed], actor=actor,
                                source="manual")
    return changed


def session_sheet(session: WebinarSession) -> list[tuple[Enrolment, Attendance | None]]:
    """The marking sheet: the cohort's current participants in name order with their marks,
    plus anyone withdrawn who already has a mark (two statements)."""
    existing = _existing(session)
    stmt = (select(Enrolment).join(User).where(Enrolment.cohort_id == session.cohort_id)
            .options(selectinload(Enrolment.user)).order_by(User.sort_key, Enrolment.id))
    return [(e, existing.get(e.id)) for e in db.session.scalars(stmt)
            if e.status != "withdrawn" or e.id in existing]


# --- provider reports: reading ------------------------------------------------------------

#: canonical column -> header spellings of Zoom, Teams, Google Meet, and Kazakh/Russian sheets
REPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("Name (Original Name)", "Name", "Full Name", "Display Name", "Participant", "Participant Name",
             "User Name", "Аты-жөні", "Аты жөні", "Толық аты-жөні", "Қатысушы", "Имя", "ФИО", "Полное имя",
             "Участник", "Имя участника"),
    "first_name": ("First Name", "Given Name", "Аты"),
    "last_name": ("Last Name", "Surname", "Family Name", "Тегі", "Фамилия"),
    "email": ("User Email", "Email", "E-mail", "Email Address", "E-mail address", "Attendee Email",
              "Эл. пошта", "Эл.пошта", "Электрондық пошта", "Почта", "Эл. почта", "Электронная почта"),
    "upn": ("Participant ID (UPN)", "UPN", "User Principal Name"),
    "join": ("Join Time", "Time Joined", "Joined", "Join", "Joined At", "Кірген уақыт", "Кірген уақыты",
             "Қосылған уақыт", "Время входа", "Время подключения", "Вход"),
    "first_join": ("First Join", "First Join Time", "First Seen", "Первый вход", "Алғаш кірген уақыт"),
    "leave": ("Leave Time", "Time Exited", "Left", "Exited", "Leave", "Left At", "Шыққан уақыт",
              "Шыққан уақыты", "Время выхода", "Время отключения", "Выход"),
    "last_leave": ("Last Leave", "Last Leave Time", "Last Seen", "Последний выход", "Соңғы шыққан уақыт"),
    "duration": ("Duration (Minutes)", "Duration", "In-Meeting Duration", "Attendance Duration",
                 "Time in Call", "Duration (min)", "Ұзақтығы", "Ұзақтығы (мин)", "Ұзақтығы (минут)",
                 "Длительность", "Длительность (мин)", "Длительность (минуты)", "Продолжительность"),
}
_LOOKUP = {_norm(s): canon for canon, spellings in REPORT_COLUMNS.items() for s in (canon, *spellings)}
_WHO = {"name", "first_name", "last_name"}
_WHEN = {"join", "first_join", "leave", "last_leave", "duration"}


def _decode_report(data: bytes) -> str:
    """Teams writes UTF-16 with a byte-order mark; everything else goes to tabular.decode."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return decode(data)[0]


def _cells(line: str) -> list[str]:
    best: list[str] = [line]
    for delimiter in (",", ";", "\t"):
        try:
            cells = next(csv.reader([line], delimiter=delimiter))
        except (csv.Error, StopIteration):
            continue
        if len(cells) > len(best):
            best = cells
    return best


def _header_kind(line: str) -> int:
    """2: a participant table's header (who + when), 1: e-mail + when only, 0: not a header."""
    columns = {_LOOKUP.get(_norm(c)) for c in _cells(line.rstrip("\r"))}
    if columns & _WHEN:
        if columns & _WHO:
            return 2
        if "email" in columns:
            return 1
    return 0


_SECTION_TITLE = re.compile(r"^\s*\d+\.\s+\S")


def _participant_table(text: str) -> tuple[str, int]:
    """The participant table of a report and the number of lines before it: Zoom puts a
    meeting summary above it, Teams a summary above and an activity log below."""
    lines = text.split("\n")
    head = lines[:60]
    kinds = [_header_kind(line) for line in head]
    start = next((i for i, k in enumerate(kinds) if k == 2), None)
    if start is None:
        start = next((i for i, k in enumerate(kinds) if k == 1), 0)
    def blank(line: str) -> bool:
        return not line.strip(" \t\r,;")

    end, i = len(lines), start + 1
    while i < len(lines):  # the table ends at a blank line before a new section or table
        if not blank(lines[i]):
            i += 1
            continue
        j = i + 1
        while j < len(lines) and blank(lines[j]):
            j += 1
        if j < len(lines) and (_SECTION_TITLE.match(lines[j]) or _header_kind(lines[j])):
            end = i
            break
        i = j
    return "\n".join(lines[start:end]), start


_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_TZ_SUFFIX = re.compile(r"\s*(?:\(?(?:UTC|GMT)\)?|Z)$", re.IGNORECASE)
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d.%m.%Y", "%d.%m.%y")
_TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p")
_TIME_ONLY = re.compile(r"^\s*\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?[Mm]\.?)?\s*$")


def parse_time(value: str, zone: ZoneInfo, day: date) -> datetime:
    """A report timestamp as aware UTC. Accepted: ISO ("2026-11-23 14:05:10", with or
    without seconds, "T" and an offset), US ("11/23/2026 02:05:10 PM", "11/23/26, 2:05 PM"),
    dotted ("23.11.2026 14:05"), or a time of day alone (taken on `day`). Times without a
    zone are in `zone`; a trailing "UTC"/"GMT"/"Z" means UTC. Raises ValueError."""
    text = _SPACES.sub(" ", value).strip()
    if not text:
        raise ValueError("empty")
    if ":" not in text:
        raise ValueError(value)  # a date alone is not a time
    tz = zone
    bare = _TZ_SUFFIX.sub("", text)
    if bare != text:
        tz, text = timezone.utc, bare.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None:
        text = text.replace(", ", " ").replace(",", " ")
        for date_format in (*_DATE_FORMATS, ""):
            for time_format in _TIME_FORMATS:
                pattern = f"{date_format} {time_format}".strip()
                try:
                    moment = datetime.strptime(text.upper(), pattern)
                except ValueError:
                    continue
                if not date_format:
                    moment = datetime.combine(day, moment.time())
                break
            if moment is not None:
                break
    if moment is None:
        raise ValueError(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(timezone.utc)


_DURATION_PART = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(h|hr|hrs|hour|hours|ч|час|часа|часов|сағ|сағат|"
    r"m|min|mins|minute|minutes|мин|минут|минута|минуты|"
    r"s|sec|secs|second|seconds|с|сек|секунд|секунда|секунды)\.?(?=[\s\d,]|$)", re.IGNORECASE)


def _unit_seconds(unit: str) -> int:
    unit = unit.lower()
    if unit.startswith(("h", "ч", "са")):
        return 3600
    if unit.startswith(("m", "мин")):
        return 60
    return 1


def parse_duration(value: str) -> int:
    """Seconds of a report duration: "50" and "50.5" (minutes), "50 min", "1:05:00"
    (h:mm:ss), "1:05" (h:mm), "1 h 5 min", "1h 5m 3s", "1 сағ 5 мин", "1 ч 5 мин".
    Raises ValueError."""
    text = _SPACES.sub(" ", value).strip().lower()
    if not text:
        raise ValueError("empty")
    if re.fullmatch(r"\d+(?:[.,]\d+)?", text):
        return round(float(text.replace(",", ".")) * 60)
    match = re.fullmatch(r"(\d+):(\d{1,2})(?::(\d{1,2}))?", text)
    if match:
        h, m, s = int(match[1]), int(match[2]), int(match[3] or 0)
        if m > 59 or s > 59:
            raise ValueError(value)
        return h * 3600 + m * 60 + s
    parts = list(_DURATION_PART.finditer(text))
    if not parts or _DURATION_PART.sub("", text).strip(" ,") != "":
        raise ValueError(value)
    return round(sum(float(p[1].replace(",", ".")) * _unit_seconds(p[2]) for p in parts))


def normalize_name(name: str) -> str:
    """Names compare NFC-normalized, case-folded, with runs of spaces as one."""
    return " ".join(unicodedata.normalize("NFC", name or "").casefold().split())


_PAREN = re.compile(r"^(.*?)\s*\((.+)\)\s*$")


def _name_variants(name: str) -> list[str]:
    """Zoom shows a renamed participant as "New name (Original Name)": try both."""
    out = [normalize_name(name)]
    match = _PAREN.match(name or "")
    if match:
        out += [normalize_name(match[1]), normalize_name(match[2])]
    return [n for n in out if n]


@dataclass
class ReportPerson:
    """The rows of one person in a report, merged."""

    key: str
    name: str = ""
    email: str = ""
    intervals: list[tuple[datetime, datetime]] = field(default_factory=list)
    extra_seconds: int = 0  # rows that give only a duration
    first_join: datetime | None = None
    lines: list[int] = field(default_factory=list)

    def absorb(self, other: "ReportPerson") -> None:
        self.intervals += other.intervals
        self.extra_seconds += other.extra_seconds
        self.lines += other.lines
        if other.first_join and (self.first_join is None or other.first_join < self.first_join):
            self.first_join = other.first_join
        self.name = self.name or other.name
        self.email = self.email or other.email

    @property
    def seconds(self) -> int:
        """The union of the [join, leave) intervals (overlaps once) plus duration-only rows."""
        total, end = 0.0, None
        for start, stop in sorted(self.intervals):
            if end is None or start > end:
                total += (stop - start).total_seconds()
                end = stop
            elif stop > end:
                total += (stop - end).total_seconds()
                end = stop
        return int(total) + self.extra_seconds

    @property
    def minutes(self) -> int:
        return math.floor(self.seconds / 60 + 0.5)

    def status(self, session: WebinarSession) -> str:
        if self.minutes == 0:
            return "absent"
        if self.first_join is not None and self.first_join > session.starts_at + LATE_AFTER:
            return "late"
        return "present"


class ReportError(ServiceError):
    """A refused report; `errors` lists every problem by line."""

    def __init__(self, filename: str, errors: list[str]):
        self.summary = f"{filename}: the report was not imported (nothing was changed)"
        listed = errors[:MAX_LISTED_ERRORS]
        more = f"; and {len(errors) - len(listed)} more" if len(errors) > len(listed) else ""
        super().__init__(f"{self.summary}: " + "; ".join(listed) + more, field="report")
        self.errors = errors


def read_report(data: bytes, filename: str, session: WebinarSession, zone: ZoneInfo) -> list[ReportPerson]:
    """The people of a provider report with their merged attendance, in file order.
    Raises ReportError listing every bad line."""
    name = filename or "report.csv"
    text, offset = _participant_table(_decode_report(data))
    table = read_csv(text.encode("utf-8"), REPORT_COLUMNS, filename=name)
    columns = set(table.columns)
    if not columns & {"name", "first_name", "last_name", "email", "upn"}:
        raise ReportError(name, [f"line {offset + 1}: no column with the participant's name or e-mail"
                                 ' (e.g. "Name", "Email", "Аты-жөні", "Почта")'])
    if not columns & _WHEN:
        raise ReportError(name, [f"line {offset + 1}: no join/leave time or duration column"
                                 ' (e.g. "Join Time", "Duration", "Кірген уақыт", "Длительность")'])
    day = session.starts_at.astimezone(zone).date()
    errors: list[str] = []
    people: dict[str, ReportPerson] = {}
    for line, row in table.rows:
        line += offset
        who = row.get("name") or " ".join(x for x in (row.get("first_name"), row.get("last_name")) if x)
        email = (row.get("email") or "").strip()
        if not email and "@" in (row.get("upn") or ""):
            email = row["upn"].strip()
        if not who and not email:
            errors.append(f"line {line}: neither a name nor an e-mail")
            continue
        times: dict[str, datetime | None] = {}
        bad = False
        for column in ("join", "first_join", "leave", "last_leave"):
            raw = row.get(column) or ""
            times[column] = None
            if raw:
                try:
                    times[column] = parse_time(raw, zone, day)
                except ValueError:
                    errors.append(f"line {line}: cannot read the time {raw!r} in the {column.replace('_', ' ')}"
                                  " column (e.g. 2026-11-23 14:05:10, 11/23/2026 02:05 PM, 23.11.2026 14:05)")
                    bad = True
        seconds = None
        if row.get("duration"):
            try:
                seconds = parse_duration(row["duration"])
            except ValueError:
                errors.append(f"line {line}: cannot read the duration {row['duration']!r} (e.g. 50, 50 min,"
                              " 1:05:00, 1 h 5 min)")
                bad = True
        if bad:
            continue
        join, leave = times["join"], times["leave"]
        first, last = times["first_join"], times["last_leave"]
        if join and leave and leave < join and _TIME_ONLY.match(row["leave"]):
            leave += timedelta(days=1)  # times of day alone, past midnight
        interval = None
        extra = 0
        if join and leave:
            interval = (join, leave)
        elif join and seconds is not None:
            interval = (join, join + timedelta(seconds=seconds))
        elif leave and seconds is not None:
            interval = (leave - timedelta(seconds=seconds), leave)
        elif seconds is not None:
            extra = seconds  # Teams' first join and last leave bound the time in, not measure it
        elif first and last:
            interval = (first, last)
        else:
            errors.append(f"line {line}: no join and leave times and no duration")
            continue
        if interval and interval[1] < interval[0]:
            errors.append(f"line {line}: the leave time is before the join time")
            continue
        key = email.casefold() if email else "name:" + normalize_name(who)
        person = people.setdefault(key, ReportPerson(key))
        person.absorb(ReportPerson(key, who, email, [interval] if interval else [], extra,
                                   min((t for t in (join, first, interval and interval[0]) if t), default=None),
                                   [line]))
    if errors:
        raise ReportError(name, errors)
    if not people:
        raise ReportError(name, ["the report lists nobody"])
    return list(people.values())


# --- provider reports: applying -------------------------------------------------------------

def _zone(cohort: Cohort) -> ZoneInfo:
    return ZoneInfo(cohort.timezone or "Asia/Almaty")


def _match(people: list[ReportPerson], enrolments: list[Enrolment]) -> tuple[dict[int, ReportPerson],
                                                                               list[ReportPerson]]:
    """By e-mail (case-insensitive), else by the full name when exactly one participant
    has it. Several people of the report matching one participant are merged."""
    by_email = {e.user.email.casefold(): e for e in enrolments}
    by_name: dict[str, list[Enrolment]] = defaultdict(list)
    for e in enrolments:
        by_name[normalize_name(e.user.full_name)].append(e)
    matched: dict[int, ReportPerson] = {}
    unmatched: list[ReportPerson] = []
    for person in people:
        enrolment = by_email.get(person.email.casefold()) if person.email else None
        if enrolment is None:
            for variant in _name_variants(person.name):
                candidates = by_name.get(variant, [])
                if len(candidates) == 1:
                    enrolment = candidates[0]
                    break
        if enrolment is None:
            unmatched.append(person)
        elif enrolment.id in matched:
            matched[enrolment.id].absorb(person)
        else:
            matched[enrolment.id] = ReportPerson(person.key)
            matched[enrolment.id].absorb(person)
    return matched, unmatched


def import_report(session: WebinarSession, data: bytes, filename: str, actor) -> AttendanceImport:
    """Apply a meeting provider's participant report to one session.

    Matched participants get the minutes the report shows (source "report"): present when
    they joined within 10 minutes of the start, late after that, absent at 0 minutes. The
    report's minutes replace an earlier mark (up or down); each replaced value is audited
    with its old and new values. People it cannot match wait in the import for mapping.
    A file with any bad line is refused whole, listing every line."""
    _refuse_cancelled(session)
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip() or "report.csv"
    if not name.lower().endswith(".csv"):
        raise ServiceError(about(name, _l("upload the report as a .csv file (Zoom, Teams and Google Meet all export"
                                       " one)")), field="report")
    if not data:
        raise ServiceError(about(name, _l("the file is empty")), field="report")
    if len(data) > MAX_REPORT_BYTES:
        raise ServiceError(about(name, _l("the file is %(size)s MB; the limit is %(limit)s MB",
                                       size=f"{len(data) / 1048576:.1f}", limit=MAX_REPORT_BYTES // 1048576)),
                           field="report")
    cohort = session.cohort
    people = read_report(data, name, session, _zone(cohort))
    current = cohort_service.enrolments(cohort)
    matched, unmatched = _match(people, current)
    enrolments = {e.id: e for e in current}
    existing = _existing(session, matched.keys()) if matched else {}
    changed = []
    for enrolment_id, person in matched.items():
        row = _write(session, enrolments[enrolment_id], existing.get(enrolment_id), person.status(session),
                     person.minutes, "report", actor, f"report {name}")
        if row is not None:
            changed.append(row)
    record = AttendanceImport(
        session_id=session.id, filename=name[:255], uploaded_by_id=getattr(actor, "id", None),
        matched=len(matched),
        unmatched=[{"key": p.key, "name": p.name, "email": p.email, "minutes": p.minutes,
                    "status": p.status(session), "lines": p.lines, "mapped_enrolment_id": None}
                   for p in unmatched])
    db.session.add(record)
    db.session.flush()
    audit.record(actor, "attendance_report_imported", record,
                 f"session {session.id}: {name}, {len(matched)} matched, {len(unmatched)} unmatched",
                 session_id=session.id, matched=len(matched), unmatched=len(unmatched),
                 changed=[a.enrolment_id for a in changed])
    if changed:
        attendance_changed.send(session, enrolment_ids=[a.enrolment_id for a in changed], actor=actor,
                                source="report")
    return record


def get_import(cohort: Cohort, import_id: int) -> AttendanceImport:
    """An import of one of the cohort's sessions (NotFound otherwise)."""
    record = db.session.scalar(select(AttendanceImport).join(WebinarSession).where(
        AttendanceImport.id == import_id, WebinarSession.cohort_id == cohort.id))
    if record is None:
        raise NotFound(_l("no attendance import %(id)s in cohort %(cohort)s", id=import_id, cohort=cohort.code))
    return record


def _entry(record: AttendanceImport, key: str) -> dict:
    entry = next((u for u in record.unmatched if u.get("key") == key), None)
    if entry is None:
        raise NotFound(_l("%(file)s has no unmatched person %(key)s", file=record.filename, key=repr(key)), field="key")
    if entry.get("mapped_enrolment_id") or entry.get("ignored"):
        raise Conflict(_l("%(name)s has already been dealt with", name=entry.get("name") or entry.get("email")),
                       field="key")
    return entry


def _replace_entry(record: AttendanceImport, key: str, **changes) -> None:
    # the JSON column is not mutation-tracked: assign a new list
    record.unmatched = [{**u, **changes} if u.get("key") == key else dict(u) for u in record.unmatched]


_RANK = {"present": 3, "late": 2, "excused": 1, "absent": 0}


def map_unmatched(record: AttendanceImport, key: str, enrolment: Enrolment, actor) -> Attendance:
    """Credit an unmatched person's minutes to a participant (source "mapped").

    If the participant already has minutes from a report (another device, another
    report), they keep the larger of the two: a second connection may overlap the first,
    and crediting both would count the overlap twice. A manual mark is replaced (audited)."""
    session = record.session
    _refuse_cancelled(session)
    entry = _entry(record, key)
    if enrolment.cohort_id != session.cohort_id:
        raise ServiceError(_l("that participant is not in this session's cohort"), field="enrolment")
    existing = _existing(session, [enrolment.id]).get(enrolment.id)
    minutes, status = int(entry.get("minutes") or 0), entry.get("status") or "present"
    if minutes == 0:
        status = "absent"
    if existing is not None and existing.source in ("report", "mapped"):
        minutes = max(minutes, existing.minutes)
        status = max(status, existing.status, key=lambda s: _RANK.get(s, 0))
    row = _write(session, enrolment, existing, status, minutes, "mapped", actor,
                 f"mapped from {record.filename}: {entry.get('name') or ''} {entry.get('email') or ''}".strip())
    _replace_entry(record, key, mapped_enrolment_id=enrolment.id)
    db.session.flush()
    audit.record(actor, "attendance_mapped", record,
                 f"{entry.get('name') or entry.get('email')} -> {enrolment.user.full_name} ({minutes} min)",
                 session_id=session.id, key=key, enrolment_id=enrolment.id, minutes=minutes)
    attendance_changed.send(session, enrolment_ids=[enrolment.id], actor=actor, source="mapped")
    return row or existing


def dismiss_unmatched(record: AttendanceImport, key: str, actor) -> None:
    """Someone who is not a participant (the trainer, a guest): no longer waits for mapping."""
    entry = _entry(record, key)
    _replace_entry(record, key, ignored=True)
    db.session.flush()
    audit.record(actor, "attendance_unmatched_dismissed", record,
                 f"{entry.get('name') or ''} {entry.get('email') or ''}".strip(), session_id=record.session_id,
                 key=key)


def pending(record: AttendanceImport) -> list[dict]:
    return [u for u in record.unmatched if not u.get("mapped_enrolment_id") and not u.get("ignored")]


def unmatched_pending(cohort: Cohort) -> list[tuple[AttendanceImport, dict]]:
    """Report rows of the cohort's sessions that still wait for mapping, newest import
    first (one statement)."""
    records = db.session.scalars(
        select(AttendanceImport).join(WebinarSession).where(WebinarSession.cohort_id == cohort.id)
        .options(selectinload(AttendanceImport.session))
        .order_by(AttendanceImport.created_at.desc(), AttendanceImport.id.desc()))
    return [(r, u) for r in records for u in pending(r)]


def imports_of(session: WebinarSession) -> list[AttendanceImport]:
    return list(db.session.scalars(select(AttendanceImport).where(AttendanceImport.session_id == session.id)
                                   .order_by(AttendanceImport.created_at.desc(), AttendanceImport.id.desc())))


# --- the cohort grid ----------------------------------------------------------------------------

SESSIONS_PER_PAGE = 10
PARTICIPANTS_PER_PAGE = 50


@dataclass
class GridRow:
    enrolment: Enrolment
    cells: list[Attendance | None]
    ledger: ledger.Ledger


@dataclass
class Grid:
    """One page of the participants x sessions grid: a window of sessions (columns) and
    a page of participants (rows)."""

    data: ledger.CohortData
    sessions: list[WebinarSession]
    rows: list[GridRow]
    start: int  # index of the first session shown
    page: int
    pages: int
    marked: dict[int, int]  # session id -> participants marked present or late

    @property
    def total_sessions(self) -> int:
        return len(self.data.sessions)

    @property
    def prev_start(self) -> int | None:
        return max(0, self.start - SESSIONS_PER_PAGE) if self.start > 0 else None

    @property
    def next_start(self) -> int | None:
        nxt = self.start + SESSIONS_PER_PAGE
        return nxt if nxt < self.total_sessions else None

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def default_start(sessions: list[WebinarSession], now: datetime | None = None) -> int:
    """The window holding the most recent session that has begun."""
    now = now or utcnow()
    begun = [i for i, s in enumerate(sessions) if s.starts_at <= now]
    last = begun[-1] if begun else 0
    return (last // SESSIONS_PER_PAGE) * SESSIONS_PER_PAGE


def grid(cohort: Cohort, start: int | None = None, page: int = 1, now: datetime | None = None) -> Grid:
    """Bulk-loaded through ledger.load: the same handful of statements for 5 or 500
    participants, whichever window is shown."""
    data = ledger.load(cohort)
    if start is None:
        start = default_start(data.sessions, now)
    start = max(0, min(start, max(0, len(data.sessions) - 1)))
    window = data.sessions[start:start + SESSIONS_PER_PAGE]
    pages = max(1, math.ceil(len(data.enrolments) / PARTICIPANTS_PER_PAGE))
    page = max(1, min(page, pages))
    shown = data.enrolments[(page - 1) * PARTICIPANTS_PER_PAGE:page * PARTICIPANTS_PER_PAGE]
    rows = [GridRow(e, [data.attendance.get((s.id, e.id)) for s in window], ledger.ledger_of(data, e))
            for e in shown]
    marked = {s.id: sum(1 for e in data.enrolments
                        if (a := data.attendance.get((s.id, e.id))) is not None and a.status in ("present", "late"))
              for s in window}
    return Grid(data, window, rows, start, page, pages, marked)
