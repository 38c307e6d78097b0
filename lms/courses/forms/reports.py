"""The courses-held report's scope: a GET form (period, programme, region), and the report's
column words shared by the page and the CSV/XLSX rows."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, Form, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from lms.courses.forms.programmes import COHORT_STATUS_CHOICES

ANY = [SelectChoice("", _l("any"))]


class CoursesReportForm(Form):
    start = DateField(_l("Ended from"), validators=[Optional()])
    end = DateField(_l("Ended by"), validators=[Optional()])
    programme = SelectField(_l("Programme"), choices=ANY, default="")
    region = SelectField(_l("Region of the school"), choices=ANY, default="")
    cancelled = BooleanField(_l("Include cancelled cohorts"))


def report_labels(measures: dict) -> dict:
    """Lazy texts, read in the reader's language where used."""
    return {
        "cohort": _l("Cohort"), "programme": _l("Programme"), "format": _l("Format"), "start": _l("Start date"),
        "end": _l("End date"), "status": _l("Status"), "participants": _l("participants"),
        "completed": _l("completed"), "withdrawn": _l("withdrawn"), "sessions_held": _l("sessions held"),
        "hours_held": _l("hours held"), "total": _l("Total"), "cohorts": _l("cohorts"),
        **{m.key: m.label for m in measures.values()},
        **{c.value: c.label for c in COHORT_STATUS_CHOICES},
    }
