"""The dashboard's filters: a GET form (no CSRF) read from the query string. The choices
come from the view (what the user may see); a value outside them shows everything."""
from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectField
from wtforms.fields.choices import SelectChoice

ANY = [SelectChoice("", _l("any"))]
STATE_LABELS = {"overdue": _l("overdue"), "due_soon": _l("due soon"), "done": _l("done"),
                "on_track": _l("on track"), "empty": _l("nothing due")}


class DashboardFilterForm(Form):
    region = SelectField(_l("Region"), choices=ANY, default="")
    district = SelectField(_l("District"), choices=ANY, default="")
    school = SelectField(_l("School"), choices=ANY, default="")
    programme = SelectField(_l("Programme"), choices=ANY, default="")
    cohort = SelectField(_l("Cohort"), choices=ANY, default="")
    state = SelectField(_l("State"), choices=ANY + [SelectChoice(k, v) for k, v in STATE_LABELS.items()
                                                      if k != "empty"], default="")
