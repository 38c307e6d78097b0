"""Forms of the bank pages. The services check codes, topics, rules and item data (one place
for the rules); these forms only read what the browser sends."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import BooleanField, FieldList, Form, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lms.quizbank.qtypes import QUESTION_TYPES
from lms.quizbank.services.banks import MAX_TEXT

#: a 150-item bank is about 100 KB of GIFT; ten times the biggest seed bank is plenty
MAX_BANK_FILE_BYTES = 5 * 1024 * 1024
BANK_FILE_EXTENSIONS = ["gift", "txt", "xml"]

STATUS_CHOICES = [SelectChoice("draft", _l("draft")), SelectChoice("ready", _l("ready")),
                  SelectChoice("retired", _l("retired"))]
LEVEL_CHOICES = [SelectChoice("K", _l("K: knowledge")), SelectChoice("U", _l("U: understanding")),
                 SelectChoice("A", _l("A: application")), SelectChoice("H", _l("H: higher-order skills"))]
QTYPE_CHOICES = [SelectChoice(type_id, qt.label) for type_id, qt in QUESTION_TYPES.items()]
ANY = [SelectChoice("", _l("any"))]


class BankCreateForm(FlaskForm):
    code = StringField(_l("Code (starts every item code, e.g. LDR)"), validators=[DataRequired(), Length(max=20)])
    programme = SelectField(_l("Programme"), choices=[], validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)])


class BankImportForm(FlaskForm):
    file = FileField(_l("GIFT or Moodle XML file"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(BANK_FILE_EXTENSIONS, _l("Only .gift, .txt (GIFT) and .xml (Moodle XML) files are accepted.")),
        FileSize(MAX_BANK_FILE_BYTES, message=_l("The file is larger than 5 MB.")),
    ])


class ItemFilterForm(Form):
    """The filters of a bank's item table: a GET form (no CSRF), read from the query string."""

    topic = SelectField(_l("Topic"), choices=ANY, default="")
    level = SelectField(_l("Level"), choices=ANY + LEVEL_CHOICES, default="")
    status = SelectField(_l("Status"), choices=ANY + STATUS_CHOICES, default="")
    qtype = SelectField(_l("Type"), choices=ANY + QTYPE_CHOICES, default="")
    q = StringField(_l("Text or code contains"), validators=[Optional(), Length(max=200)])


class ItemStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)


class ItemRevisionForm(FlaskForm):
    """Title, text and feedback of an item; saving makes a new version."""

    base_version = HiddenField()
    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)])
    text = TextAreaField(_l("Question text (Markdown; HTML is cleaned)"),
                         validators=[DataRequired(), Length(max=MAX_TEXT)])
    general_feedback = TextAreaField(_l("General feedback (shown after the attempt)"),
                                     validators=[Optional(), Length(max=20_000)])
    #: one per option, answer or case the type gives feedback for (labels come from the view)
    feedback = FieldList(TextAreaField(validators=[Optional(), Length(max=20_000)]))


class ItemTextForm(FlaskForm):
    """One item written out in GIFT: everything of it, right answers included."""

    base_version = HiddenField()
    text = TextAreaField(_l("The question in GIFT"), validators=[DataRequired(), Length(max=MAX_TEXT)])


class ItemsWriteForm(FlaskForm):
    """New questions written on the page: where a question names no topic or level, these."""

    topic = SelectField(_l("Topic"), choices=[], validators=[DataRequired()])
    level = SelectField(_l("Level"), choices=LEVEL_CHOICES, default="K")
    draft = BooleanField(_l("Save as drafts (not drawn until they are ready)"), default=True)
    text = TextAreaField(_l("Questions in GIFT"), validators=[DataRequired(), Length(max=MAX_TEXT)])


class BlueprintForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    total = IntegerField(_l("Items in a test"), validators=[InputRequired(), NumberRange(min=1, max=500)])
    rules = TextAreaField(_l("Topics, one per line: topic: minimum-maximum (e.g. 2.3: 1-3; M2: 4-6 for a whole"
                             " module)"), validators=[DataRequired(), Length(max=5000)])
    level_quotas = StringField(_l("Level quotas (optional, e.g. K 8, U 8, A 6, H 2)"),
                               validators=[Optional(), Length(max=200)])
