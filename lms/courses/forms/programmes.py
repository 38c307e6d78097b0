from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField, URLField,
                     widgets)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.core.forms import ConfirmForm  # noqa: F401  (the plugins import it from courses.forms)

AUDIENCE_CHOICES = [SelectChoice("leaders", _l("School leaders")), SelectChoice("teachers", _l("Teachers"))]
FORMAT_CHOICES = [SelectChoice("online", _l("Online")), SelectChoice("full_time", _l("Full-time")), SelectChoice("blended", _l("Blended"))]
#: a finished or cancelled cohort takes no imported lists and sends no invitations
COHORT_STATUS_CHOICES = [SelectChoice("planned", _l("planned")), SelectChoice("running", _l("running")),
                         SelectChoice("finished", _l("finished")), SelectChoice("cancelled", _l("cancelled"))]
LANGUAGE_CHOICES = [SelectChoice("kk", "Қазақша"), SelectChoice("ru", "Русский"), SelectChoice("en", "English")]


class TitlesMixin:
    title_kk = StringField(_l("Title (Kazakh)"), validators=[DataRequired(), Length(max=500)])
    title_ru = StringField(_l("Title (Russian)"), validators=[Optional(), Length(max=500)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=500)])


class ProgrammeForm(TitlesMixin, FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    audience = SelectField(_l("Audience"), choices=AUDIENCE_CHOICES)
    nominal_hours = IntegerField(_l("Length, academic hours"), default=80,
                                 validators=[DataRequired(), NumberRange(1, 2000)])
    formats = SelectMultipleField(_l("Formats"), choices=FORMAT_CHOICES, default=["online"],
                                  widget=widgets.ListWidget(prefix_label=False),
                                  option_widget=widgets.CheckboxInput())
    goal_kk = TextAreaField(_l("Goal (Kazakh)"), validators=[Optional(), Length(max=5000)])
    goal_ru = TextAreaField(_l("Goal (Russian)"), validators=[Optional(), Length(max=5000)])
    goal_en = TextAreaField(_l("Goal (English)"), validators=[Optional(), Length(max=5000)])


class ModuleForm(TitlesMixin, FlaskForm):
    number = IntegerField(_l("Number"), validators=[DataRequired(), NumberRange(1, 99)])
    choose = IntegerField(_l("Variative: topics a participant chooses"), validators=[Optional(), NumberRange(1, 50)])


class TopicForm(TitlesMixin, FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=16)])
    title_kk = TextAreaField(_l("Title (Kazakh)"), validators=[DataRequired(), Length(max=1000)])
    title_ru = TextAreaField(_l("Title (Russian)"), validators=[Optional(), Length(max=1000)])
    title_en = TextAreaField(_l("Title (English)"), validators=[Optional(), Length(max=1000)])


class MaterialForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    body = TextAreaField(_l("Text (Markdown)"), validators=[Length(max=200_000)])
    audience = SelectField(_l("Who reads it"), choices=[
        SelectChoice("all", _l("everyone who reads the topic")),
        SelectChoice("staff", _l("the programme's trainers only (a trainer's guide, a lesson scenario)"))],
        default="all")
    file = FileField(_l("Attached file (a presentation, a lesson plan: PDF, Word, PowerPoint, Excel, images)"))
    remove_file = BooleanField(_l("Take the attached file off"))


class CohortForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    programme = SelectField(_l("Programme"), validators=[DataRequired()])
    format_code = SelectField(_l("Format"), choices=FORMAT_CHOICES)
    short_run = BooleanField(_l("One-week run: the plan's hours halved"), description=_l(
        "Only where the programme's plan allows it: the programme's page says so under that plan. The ledger, the "
        "schedule and the certificate then count half the hours."))
    language = SelectField(_l("Language of instruction"),
                           choices=[SelectChoice("kk", "Қазақша"), SelectChoice("ru", "Русский"),
                                    SelectChoice("mixed", _l("Kazakh and Russian"))])
    start_date = DateField(_l("Start date"), validators=[DataRequired()])
    end_date = DateField(_l("End date"), validators=[DataRequired()])
    capacity = IntegerField(_l("Capacity"), validators=[Optional(), NumberRange(1, 5000)])
    mini_groups = IntegerField(_l("Mini-groups"), default=0, validators=[Optional(), NumberRange(0, 50)])
    meeting_url = URLField(_l("Default meeting link (Zoom, Teams, Meet)"), validators=[Optional(), Length(max=500)])


class CohortSettingsForm(CohortForm):
    """The settings of an existing cohort: its code and programme version stay as created."""

    code = None
    programme = None
    status = SelectField(_l("Status"), choices=COHORT_STATUS_CHOICES, description=_l(
        "A finished or cancelled cohort takes no imported participant lists and sends no invitations; one "
        "person can still be enrolled by hand to correct its records."))
    move_links = BooleanField(_l("Give the new link to sessions not yet held that carry the old one"),
                              default=True)


class AnnouncementForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[DataRequired(), Length(max=20_000)])
    email = BooleanField(_l("Also e-mail it to every participant"), default=True)


class StaffForm(FlaskForm):
    email = StringField(_l("E-mail of an existing account"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice("trainer", _l("trainer")), SelectChoice("curator", _l("curator")),
                                            SelectChoice("assessor", _l("assessor"))])


class EnrolForm(FlaskForm):
    email = StringField(_l("E-mail of an existing account"), validators=[DataRequired(), Length(max=254)])
