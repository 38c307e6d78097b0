"""The gradebook's mark entry: one form around the table; each manual cell is an input named
m-<enrolment id>-<component code>, read by the view (the set of cells depends on the cohort)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

MARK_PREFIX = "m-"


class MarksForm(FlaskForm):
    note = StringField(_l("Note for the audit log (optional)"), validators=[Length(max=2000)])


def mark_name(enrolment_id: int, code: str) -> str:
    return f"{MARK_PREFIX}{enrolment_id}-{code}"


def parse_marks(formdata) -> dict[tuple[int, str], str]:
    """{(enrolment id, component): the text entered} from the submitted cells."""
    out = {}
    for name, value in formdata.items():
        if not name.startswith(MARK_PREFIX):
            continue
        eid, sep, code = name[len(MARK_PREFIX):].partition("-")
        if sep and eid.isdigit() and code:
            out[(int(eid), code)] = value
    return out
