"""Forms of project work: the project (staff) and a version handed in (participant). Times
are entered in the cohort's local time."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

MODE_CHOICES = [SelectChoice("group", _l("Mini-groups (any member hands in for the group)")),
                SelectChoice("individual", _l("Individual (each participant hands in their own)"))]


class ProjectForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=300)])
    description = TextAreaField(_l("What to do"), validators=[Length(max=20_000)])
    mode = SelectField(_l("Done by"), choices=MODE_CHOICES, validate_choice=False)
    deadline = DateTimeLocalField(_l("Deadline (local time; empty: none)"), format="%Y-%m-%dT%H:%M",
                                  validators=[Optional()])


class VersionForm(FlaskForm):
    title = StringField(_l("Title of this version (optional)"), validators=[Length(max=300)])
    text = TextAreaField(_l("Text"), validators=[Length(max=20_000)])
    link = StringField(_l("Link (http:// or https://)"), validators=[Optional(), Length(max=1000)])
    file = FileField(_l("File (PDF, Office, image or ZIP; up to 10 MB)"))
