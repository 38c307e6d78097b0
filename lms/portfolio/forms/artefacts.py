"""Forms of the portfolio: an artefact, a share link. The service checks what a value means
(a topic of the programme, a live link's length); the forms parse what the browser sends."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from lms.portfolio.services.artefacts import SHARE_DAYS_DEFAULT, SHARE_DAYS_MAX

KIND_CHOICES = [SelectChoice("file", _l("A file")), SelectChoice("link", _l("A link")),
                SelectChoice("text", _l("A text"))]
CATEGORY_LABELS = {
    "normative_acts": _l("Normative legal acts"),
    "practical_resources": _l("Practical resources"),
    "teaching_aids": _l("Teaching aids"),
    "articles": _l("Articles"),
}
SECTION_LABELS = {"infoteka": _l("Infoteka"), "work": _l("My work"), "submission": _l("Handed-in portfolio")}


class ArtefactForm(FlaskForm):
    kind = SelectField(_l("What is it"), choices=KIND_CHOICES, default="text", validate_choice=False)
    title = StringField(_l("Title"), validators=[Length(max=300)])
    category = SelectField(_l("Infoteka category"), choices=[SelectChoice(k, v) for k, v in CATEGORY_LABELS.items()],
                           validate_choice=False)
    module_number = SelectField(_l("Module"), choices=[], validate_choice=False)
    topic_code = SelectField(_l("Topic"), choices=[], validate_choice=False)
    link = StringField(_l("Link (http:// or https://)"), validators=[Optional(), Length(max=1000)])
    text = TextAreaField(_l("Text or note"), validators=[Length(max=20_000)])
    file = FileField(_l("File (PDF, Office, image or ZIP; up to 10 MB)"))


class ShareForm(FlaskForm):
    days = IntegerField(_l("Valid for, days"), default=SHARE_DAYS_DEFAULT,
                        validators=[Optional(), NumberRange(min=1, max=SHARE_DAYS_MAX)])
