"""Forms of certificates: issue one, issue a cohort's, revoke with a reason; the scope of who is due."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

LANGUAGE_CHOICES = [SelectChoice("", _l("Cohort's language (or the participant's)")), SelectChoice("kk", "Қазақша"),
                    SelectChoice("ru", "Русский")]


class IssueForm(FlaskForm):
    enrolment_id = HiddenField(validators=[DataRequired()])
    language = SelectField(_l("Certificate language"), choices=LANGUAGE_CHOICES, validators=[Optional()])


class IssueAllForm(FlaskForm):
    language = SelectField(_l("Certificate language"), choices=LANGUAGE_CHOICES, validators=[Optional()])


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason (shown on the public verification page)"),
                           validators=[DataRequired(), Length(max=1000)])


class DueForm(Form):
    """The scope of "Due for the next course": a GET form, so the page's address repeats it."""
    cycle = IntegerField(_l("A course every (years)"), default=3, validators=[Optional()])
    within = IntegerField(_l("Looking ahead (months)"), default=6, validators=[Optional()])
    region = SelectField(_l("Region of the school"), choices=[], default="")
    audience = SelectField(_l("Audience"), choices=[], default="")
