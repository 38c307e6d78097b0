"""Forms of a cohort's tests. The service checks ranges and combinations (one place for the
rules); the forms parse what the browser sends. Times are entered in the cohort's local time."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, DecimalField, IntegerField, SelectField, StringField, \
    TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

KIND_CHOICES = [SelectChoice("diagnostic", _l("Diagnostic (entry) test")), SelectChoice("module", _l("Module test")),
                SelectChoice("final", _l("Final test")), SelectChoice("entry_survey", _l("Entry (needs) survey")),
                SelectChoice("exit_survey", _l("Exit survey"))]
REVIEW_WHEN_CHOICES = [SelectChoice("immediately", _l("as soon as the attempt is finished")),
                       SelectChoice("after_close", _l("after the test closes"))]


class TestForm(FlaskForm):
    __test__ = False  # not a pytest class

    kind = SelectField(_l("Test kind"), choices=KIND_CHOICES, validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=300)])
    module_number = IntegerField(_l("Module (for a module test)"), validators=[Optional(), NumberRange(min=1)])
    blueprint_id = SelectField(_l("Blueprint (how items are drawn)"), choices=[], validate_choice=False)
    opens_at = DateTimeLocalField(_l("Opens (local time)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    closes_at = DateTimeLocalField(_l("Closes (local time)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    time_limit_minutes = IntegerField(_l("Time limit, minutes (empty: none)"), validators=[Optional()])
    grace_seconds = IntegerField(_l("Grace after the time limit, seconds (slow lines)"), default=60,
                                 validators=[Optional()])
    attempts_allowed = IntegerField(_l("Attempts allowed"), default=1, validators=[Optional()])
    pass_percent = DecimalField(_l("Pass mark, % (empty: the programme's)"), places=1, validators=[Optional()])
    bands = TextAreaField(_l("Grade bands, one per line: lowest percent = label (empty: the programme's)"),
                          validators=[Optional(), Length(max=2000)])
    review_score = BooleanField(_l("Participants see their score and pass/fail"), default=True)
    review_band = BooleanField(_l("Participants see their band"), default=True)
    review_answers = BooleanField(_l("Participants see which answers were right, with feedback"))
    review_when = SelectField(_l("They see it"), choices=REVIEW_WHEN_CHOICES, default="immediately")


class CopyTestsForm(FlaskForm):
    """Which cohort's tests to set up here again (choices: the programme's other cohorts the
    user may read)."""

    source = SelectField(_l("Copy the tests of cohort"), choices=[], validate_choice=True)


class GradeForm(FlaskForm):
    score = DecimalField(_l("Points (0 to 1)"), places=2, validators=[InputRequired(), NumberRange(min=0, max=1)])
    feedback = TextAreaField(_l("Feedback to the participant"), validators=[Optional(), Length(max=5000)])
