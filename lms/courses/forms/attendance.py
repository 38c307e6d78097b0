"""Forms of the attendance pages. The marking sheet has one select and one minutes input
per participant (name="status-<enrolment id>", "minutes-<enrolment id>"), so it is a plain
CSRF-only form whose fields are read with `read_marks`."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired

from lms.courses.models import Enrolment


def status_labels() -> dict[str, str]:
    return {"present": _("present"), "late": _("late"), "absent": _("absent"), "excused": _("excused")}


def status_initials() -> dict[str, str]:
    """One letter per status for the grid (translators: the first letter of each status)."""
    return {"present": _("P"), "late": _("L"), "absent": _("A"), "excused": _("E")}


class MarkForm(FlaskForm):
    """The marking sheet (fields are read by `read_marks`)."""


class ReportForm(FlaskForm):
    report = FileField(_l("Participant report from Zoom, Teams or Google Meet (CSV, up to 5 MB)"),
                       validators=[FileRequired(_l("Choose the report file.")),
                                   FileAllowed(["csv"], _l("Upload the report as a .csv file."))])


class MapForm(FlaskForm):
    key = HiddenField(validators=[DataRequired()])
    #: an enrolment id, or "ignore" for someone who is not a participant
    enrolment = SelectField(_l("Participant"), validators=[DataRequired(_l("Choose a participant."))],
                            validate_choice=True)


def was_value(attendance) -> str:
    """The hidden "was-<id>" value: the mark as the sheet showed it."""
    return f"{attendance.status}:{attendance.minutes}" if attendance is not None else ""


def read_marks(formdata, enrolments: list[Enrolment]) -> tuple[dict[int, tuple[str, int | None]], list[str]]:
    """{enrolment id: (status, minutes or None)} for the rows the trainer changed, and the
    problems found. A row left at "—" is not marked. Each row carries the mark it showed
    ("was-<id>"): a row left as shown is skipped, and minutes left as shown while the
    status changed mean "the new status's default" (so present -> absent does not keep 90
    minutes, and absent -> present does not keep 0)."""
    marks: dict[int, tuple[str, int | None]] = {}
    errors: list[str] = []
    for e in enrolments:
        status = (formdata.get(f"status-{e.id}") or "").strip()
        if not status:
            continue
        raw = (formdata.get(f"minutes-{e.id}") or "").strip()
        was_status, _sep, was_minutes = (formdata.get(f"was-{e.id}") or "").partition(":")
        if was_status and raw == was_minutes:
            if status == was_status:
                continue
            raw = ""
        minutes = None
        if raw:
            try:
                minutes = int(raw)
            except ValueError:
                errors.append(_("%(name)s: minutes must be a whole number, not %(value)s",
                                name=e.user.full_name, value=raw))
                continue
        marks[e.id] = (status, minutes)
    return marks, errors
