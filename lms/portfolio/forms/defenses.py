"""Forms of defense sessions, scoring, reconciliation and release. The services check the
rules (one place for them); the forms parse what the browser sends. Times are entered in the
cohort's local time."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateTimeLocalField, DecimalField, IntegerField, RadioField, SelectField,
                     SelectMultipleField, StringField, SubmitField, TextAreaField, widgets)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from lms.portfolio.services.defenses import MAX_COMMENT

AGGREGATION_CHOICES = [SelectChoice("mean", _l("the mean of the assessors' totals")),
                       SelectChoice("median", _l("the median of the assessors' totals"))]
MODE_CHOICES = [SelectChoice("group", _l("one slot per mini-group")),
                SelectChoice("individual", _l("one slot per participant"))]


class SessionDetailsForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=300)])
    rubric_id = SelectField(_l("Rubric"), choices=[], validate_choice=False)
    project_id = SelectField(_l("Project (optional: it says whether groups or individuals defend)"), choices=[],
                             validate_choice=False)
    aggregation = SelectField(_l("The panel's points are"), choices=AGGREGATION_CHOICES, default="mean")
    spread_threshold = DecimalField(_l("The chair decides when the highest and lowest totals differ by more than"
                                       " (points)"), places=1, default=3, validators=[InputRequired()])
    starts_at = DateTimeLocalField(_l("Starts (local time)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    meeting_url = StringField(_l("Meeting link"), validators=[Optional(), Length(max=2000)])


class PanelForm(FlaskForm):
    members = SelectMultipleField(_l("Assessors (each scores alone)"), choices=[], coerce=int, validate_choice=False,
                                  widget=widgets.ListWidget(prefix_label=False),
                                  option_widget=widgets.CheckboxInput())
    chair = SelectField(_l("Chair (reconciles and releases; does not score)"), choices=[], coerce=int,
                        validate_choice=False)


class SlotsForm(FlaskForm):
    mode = SelectField(_l("Slots"), choices=MODE_CHOICES, default="group")
    minutes = IntegerField(_l("Minutes per slot"), default=7, validators=[InputRequired(), NumberRange(1, 240)])
    gap = IntegerField(_l("Pause between slots, minutes"), default=0, validators=[Optional(), NumberRange(0, 120)])


class SessionForm(SessionDetailsForm, PanelForm, SlotsForm):
    """A new session with its panel and, if asked, its slots, in one go."""

    generate = BooleanField(_l("Make the slots now"), default=True)


def score_form_class(rubric, language: str):
    """A form with a radio group (the criterion's levels) and a comment for each criterion."""
    from lms.core.i18n import localized

    class ScoreForm(FlaskForm):
        save = SubmitField(_l("Save draft"))
        finish = SubmitField(_l("Submit my scores"))

    for criterion in rubric.criteria:
        code = criterion["code"]
        choices = [SelectChoice(f"{level['points']:g}",
                                f"{level['points']:g} · {localized(level.get('title'), lang=language)}")
                   for level in criterion["levels"]]
        setattr(ScoreForm, f"points_{code}", RadioField(localized(criterion["title"], lang=language),
                                                        choices=choices, validators=[Optional()]))
        setattr(ScoreForm, f"comment_{code}", TextAreaField(_l("Comment"),
                                                            validators=[Optional(), Length(max=MAX_COMMENT)]))
    return ScoreForm


class ReconcileForm(FlaskForm):
    #: "a<assessment id>": take that assessor's total; "custom": the points below
    source = RadioField(_l("Final points"), choices=[], validate_choice=False, default="custom")
    points = DecimalField(_l("Points (whole points; a half rounds up)"), places=1, validators=[Optional()])
    note = TextAreaField(_l("Why (kept with the decision)"), validators=[InputRequired(), Length(max=MAX_COMMENT)])


class ReleaseForm(FlaskForm):
    feedback = TextAreaField(_l("Feedback to the participants (optional)"),
                             validators=[Optional(), Length(max=MAX_COMMENT)])
