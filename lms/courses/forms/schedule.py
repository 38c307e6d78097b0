"""Forms of the webinar schedule. Ranges are checked by the service (one place for the
rules); the forms only parse what the browser sends."""
from datetime import time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, IntegerField, SelectMultipleField, StringField, TimeField, \
    widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

WEEKDAY_CHOICES = [SelectChoice(0, _l("Mon")), SelectChoice(1, _l("Tue")), SelectChoice(2, _l("Wed")),
                   SelectChoice(3, _l("Thu")), SelectChoice(4, _l("Fri")), SelectChoice(5, _l("Sat")),
                   SelectChoice(6, _l("Sun"))]


class GenerateForm(FlaskForm):
    start_date = DateField(_l("First day"), validators=[InputRequired()])
    weekdays = SelectMultipleField(_l("Teaching days"), choices=WEEKDAY_CHOICES, coerce=int, default=[0, 2, 4],
                                   widget=widgets.ListWidget(prefix_label=False),
                                   option_widget=widgets.CheckboxInput())
    start_time = TimeField(_l("Start time (local)"), default=time(14, 0), validators=[InputRequired()])
    hours_per_day = DecimalField(_l("Academic hours a day (45 min each)"), default=2, places=2,
                                 validators=[InputRequired()])
    break_minutes = IntegerField(_l("Break between sessions, minutes"), default=0, validators=[Optional()])
    replace = BooleanField(_l("Replace the existing sessions (only while no attendance is marked)"))


class MoveForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired()])
    starts_at = TimeField(_l("Start time (local)"), validators=[InputRequired()])


class SplitForm(FlaskForm):
    first_hours = DecimalField(_l("Hours of the first part"), places=2, validators=[InputRequired()])


class CancelForm(FlaskForm):
    note = StringField(_l("Reason (shown to participants)"), validators=[Optional(), Length(max=500)])


class LinkForm(FlaskForm):
    meeting_url = StringField(_l("Meeting link (Zoom, Teams, Meet); empty: the cohort's default"),
                              validators=[Optional(), Length(max=500)])
