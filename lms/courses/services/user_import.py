"""Participant lists for a cohort, as regional education departments send them: CSV in
UTF-8 (with or without BOM) or Windows-1251, with Kazakh, Russian or English headers.

All or nothing: every row is checked first and every problem is reported with its file
line, so whoever fixes the spreadsheet can fix it in one pass; nothing is written while
any row is wrong."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.core.models import School, User
from lms.core.services import audit
from lms.core.services import tabular
from lms.core.services import users as user_service
from lms.core.services.errors import FileRefused, ServiceError
from lms.courses.models import Cohort, Enrolment
from lms.courses.services import cohorts as cohort_service
from lms.db import db

#: the upload limit of the web form (a cohort list of a few hundred rows is ~50 KB)
MAX_IMPORT_BYTES = 2 * 1024 * 1024

#: canonical column -> header spellings accepted (compared case-, space-, '-', '_'-insensitively)
COLUMNS: dict[str, tuple[str, ...]] = {
    "full_name": ("name", "full name", "participant", "фио", "ф.и.о.", "ф. и. о.", "фамилия имя отчество",
                  "аты-жөні", "аты жөні", "толық аты-жөні", "т.а.ә.", "т.а.ә", "тәа", "т. а. ә."),
    "email": ("e-mail", "email address", "e-mail address", "mail", "эл. пошта", "эл.пошта", "электрондық пошта",
              "электронды пошта", "электронная почта", "эл. почта", "эл.почта", "почта", "e-mail адрес",
              "адрес электронной почты"),
    "school": ("school code", "school name", "мектеп", "мектеп коды", "мектеп атауы", "білім беру ұйымы",
               "школа", "код школы", "название школы", "организация образования", "организация"),
    "role": ("position", "лауазымы", "лауазым", "қызметі", "рөлі", "должность", "роль"),
    "mini_group": ("mini group", "minigroup", "group", "шағын топ", "топ", "мини группа", "минигруппа", "группа"),
}
REQUIRED = ("full_name", "email", "school", "role")
COLUMN_LABELS = {"full_name": _l("full name"), "email": _l("e-mail"), "school": _l("School"), "role": _l("role"),
                 "mini_group": _l("mini-group")}

POSITIONS = ("director", "deputy", "teacher", "methodologist")
#: exact spellings (after normalising case and spaces) of each position
POSITION_NAMES: dict[str, str] = {
    name: position
    for position, names in {
        "director": ("director", "head", "headteacher", "principal", "school director", "директор",
                     "мектеп директоры", "директор школы"),
        "deputy": ("deputy", "deputy director", "deputy head", "орынбасар", "директордың орынбасары",
                   "директор орынбасары", "заместитель директора", "заместитель", "зам. директора",
                   "зам директора", "завуч"),
        "teacher": ("teacher", "мұғалім", "педагог", "учитель", "преподаватель", "пән мұғалімі"),
        "methodologist": ("methodologist", "әдіскер", "методист"),
    }.items()
    for name in names
}
#: word stems that decide the longer titles ("заместитель директора по УВР",
#: "директордың оқу ісі жөніндегі орынбасары", "учитель начальных классов"); checked in
#: this order because a deputy's title also names the director
POSITION_STEMS = (
    ("deputy", ("орынбасар", "заместител", "завуч", "зам.", "deputy")),
    ("methodologist", ("әдіскер", "методист", "methodolog")),
    ("teacher", ("мұғалім", "мұғалiм", "педагог", "учител", "преподават", "teacher")),
    ("director", ("директор", "director")),
)


class ParticipantImportError(FileRefused):
    """The participant list is refused: every problem by line."""


@dataclass
class ImportReport:
    filename: str
    rows: int = 0
    #: accounts created by this import (e-mails, in file order)
    created: list[str] = field(default_factory=list)
    #: rows that matched an existing account by e-mail
    matched: int = 0
    #: newly enrolled (or re-activated after a withdrawal)
    enrolled: int = 0
    already_enrolled: int = 0
    #: empty fields filled in from the file: an existing account's school or position,
    #: an existing enrolment's mini-group
    filled: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.enrolled or self.filled)

    def summary(self) -> str:
        return (f"{self.rows} row(s): {len(self.created)} account(s) created, {self.matched} matched,"
                f" {self.enrolled} enrolled, {self.already_enrolled} already enrolled")


@dataclass
class _Row:
    line: int
    email: str
    full_name: str
    school_id: int
    position: str
    mini_group: int | None


def _key(text: str) -> str:
    """How names are compared: NFC, case-folded, single spaces, ё as е."""
    text = unicodedata.normalize("NFC", text or "").casefold().replace("ё", "е")
    return " ".join(text.split())


def parse_position(value: str) -> str | None:
    """director, deputy, teacher or methodologist from an English, Kazakh or Russian title."""
    key = _key(value)
    if not key:
        return None
    if key in POSITION_NAMES:
        return POSITION_NAMES[key]
    for position, stems in POSITION_STEMS:
        if any(stem in key for stem in stems):
            return position
    return None


def _school_index() -> tuple[dict[str, int], dict[str, set[int]]]:
    """Codes and Kazakh/Russian names of every school, keyed case-insensitively. Loaded
    whole (a few thousand short rows) because SQLite's lower() leaves Cyrillic alone."""
    codes: dict[str, int] = {}
    names: dict[str, set[int]] = {}
    for school_id, code, name_kk, name_ru in db.session.execute(
            select(School.id, School.code, School.name_kk, School.name_ru)):
        codes[_key(code)] = school_id
        for name in (name_kk, name_ru):
            if name:
                names.setdefault(_key(name), set()).add(school_id)
    return codes, names


def _users_by_email(emails: list[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for start in range(0, len(emails), 500):
        chunk = emails[start:start + 500]
        for user in db.session.scalars(select(User).where(func.lower(User.email).in_(chunk))):
            found[user_service.normalize_email(user.email)] = user
    return found


def _read(data: bytes, filename: str) -> tabular.Table:
    return tabular.read_table(data, COLUMNS, REQUIRED, filename, _l("participants"), ParticipantImportError,
                              COLUMN_LABELS.get)


def import_participants(cohort: Cohort, data: bytes, filename: str, actor) -> ImportReport:
    """Create the accounts that do not exist yet (without a password yet),
    match the others by e-mail, and enrol everyone in `cohort`. Existing accounts are not
    changed, except that an empty school or position is filled in; an existing enrolment
    gets the file's mini-group only when it has none. Importing the same file again
    changes nothing."""
    if cohort.status in ("finished", "cancelled"):
        raise ServiceError(_l("cohort %(code)s is finished; participants can no longer be imported", code=cohort.code)
                           if cohort.status == "finished" else
                           _l("cohort %(code)s is cancelled; participants can no longer be imported", code=cohort.code),
                           field="file")
    table = _read(data, filename)
    emails = sorted({user_service.normalize_email(row.get("email", "")) for _, row in table.rows} - {""})
    existing = _users_by_email(emails)
    codes, names = _school_index()
    enrolments = {e.user_id: e for e in db.session.scalars(
        select(Enrolment).where(Enrolment.cohort_id == cohort.id))}

    rows: list[_Row] = []
    errors: list[tuple[int, str]] = []
    first_line: dict[str, int] = {}
    for line, raw in table.rows:
        problems = _check_row(cohort, raw, line, first_line, codes, names)
        errors.extend((line, p) for p in problems)
        if not problems:
            rows.append(_Row(line, user_service.normalize_email(raw["email"]),
                             user_service.normalize_name(raw["full_name"]), _school_of(raw["school"], codes, names),
                             parse_position(raw["role"]), int(raw["mini_group"]) if raw.get("mini_group") else None))

    if cohort.capacity is not None:
        # counted over every distinct valid e-mail, so the capacity error shows up together
        # with the others instead of after they are fixed
        taken = sum(1 for e in enrolments.values() if e.status != "withdrawn")
        for email, line in first_line.items():
            user = existing.get(email)
            enrolment = enrolments.get(user.id) if user is not None else None
            if enrolment is not None and enrolment.status != "withdrawn":
                continue
            taken += 1
            if taken > cohort.capacity:
                errors.append((line, _l("cohort %(code)s is full: it has %(n)s places; this row and the new"
                                        " participants after it do not fit", code=cohort.code, n=cohort.capacity)))
                break
    if errors:
        raise ParticipantImportError(filename, errors)
    return _write(cohort, rows, existing, enrolments, filename, actor)


def _school_of(value: str, codes: dict[str, int], names: dict[str, set[int]]) -> int | None:
    key = _key(value)
    if key in codes:
        return codes[key]
    if len(names.get(key, ())) == 1:
        return next(iter(names[key]))
    return None


def _check_row(cohort: Cohort, raw: dict[str, str], line: int, first_line: dict[str, int],
               codes: dict[str, int], names: dict[str, set[int]]) -> list:
    """Every problem of one row (not just the first), in column order, each read in the
    language of whoever is shown it (the page's; English in the CLI)."""
    problems: list = []
    email = user_service.normalize_email(raw.get("email", ""))
    if not email:
        problems.append(_l("the e-mail is missing"))
    elif len(email) > 254 or not user_service.EMAIL_RE.match(email):
        problems.append(_l("'%(value)s' is not a valid e-mail address", value=raw["email"]))
    elif email in first_line:
        problems.append(_l("e-mail %(email)s is also on line %(line)s", email=email, line=first_line[email]))
    else:
        first_line[email] = line

    full_name = user_service.normalize_name(raw.get("full_name", ""))
    if not full_name:
        problems.append(_l("the full name is missing"))
    elif len(full_name) > 200:
        problems.append(_l("the full name is longer than 200 characters"))

    school = raw.get("school", "")
    if not school:
        problems.append(_l("the school is missing"))
    elif _school_of(school, codes, names) is None:
        count = len(names.get(_key(school), ()))
        if count > 1:
            problems.append(_l("school '%(value)s' names %(n)s schools; give its code instead", value=school, n=count))
        else:
            problems.append(_l("unknown school '%(value)s' (give its code or its exact Kazakh or Russian name)",
                               value=school))

    role = raw.get("role", "")
    if not role:
        problems.append(_l("the role is missing"))
    elif parse_position(role) is None:
        problems.append(_l("unknown role '%(value)s' (director, deputy, teacher or methodologist)", value=role))

    group = raw.get("mini_group", "")
    if group:
        if cohort.mini_groups < 1:
            problems.append(_l("mini-group '%(value)s' given, but cohort %(code)s has no mini-groups", value=group,
                               code=cohort.code))
        elif not (group.isascii() and group.isdigit()) or not 1 <= int(group) <= cohort.mini_groups:
            problems.append(_l("mini-group '%(value)s' is not a number from 1 to %(n)s", value=group,
                               n=cohort.mini_groups))
    return problems


def _write(cohort: Cohort, rows: list[_Row], existing: dict[str, User], enrolments: dict[int, Enrolment],
           filename: str, actor) -> ImportReport:
    report = ImportReport(filename=filename, rows=len(rows))
    for row in rows:
        user = existing.get(row.email)
        if user is None:
            user = user_service.create_user(row.email, row.full_name, None, actor=actor,
                                            school_id=row.school_id, position=row.position)
            report.created.append(user.email)
        else:
            report.matched += 1
            filled = {}
            if user.school_id is None:
                user.school_id = row.school_id
                filled["school_id"] = row.school_id
            if not user.position:
                user.position = row.position
                filled["position"] = row.position
            if filled:
                report.filled += 1
                audit.record(actor, "user_profile_filled", user, f"from {filename} line {row.line}", **filled)
        enrolment = enrolments.get(user.id)
        if enrolment is not None and enrolment.status != "withdrawn":
            report.already_enrolled += 1
        else:
            enrolment = cohort_service.enrol(cohort, user, actor, mini_group=row.mini_group)
            report.enrolled += 1
        if row.mini_group is not None and enrolment.mini_group is None:
            enrolment.mini_group = row.mini_group
            report.filled += 1
            audit.record(actor, "mini_group_set", enrolment, f"{user.email}: mini-group {row.mini_group}")
    if report.changed:
        db.session.flush()
        audit.record(actor, "participants_imported", cohort, f"{filename}: {report.summary()}",
                     created=len(report.created), matched=report.matched, enrolled=report.enrolled,
                     already_enrolled=report.already_enrolled)
    return report
