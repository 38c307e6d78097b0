from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from lms.community.services.discussions import MAX_BODY, MAX_TITLE


class ThreadForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=MAX_TITLE)])
    body = TextAreaField(_l("Text (Markdown)"), validators=[DataRequired(), Length(max=MAX_BODY)])
    file = FileField(_l("A file to share (optional: PDF, Word, PowerPoint, Excel, images; at most 10 MB)"))


class PostForm(FlaskForm):
    body = TextAreaField(_l("Your answer (Markdown)"), validators=[DataRequired(), Length(max=MAX_BODY)])
    file = FileField(_l("A file to share (optional: PDF, Word, PowerPoint, Excel, images; at most 10 MB)"))


class EditForm(FlaskForm):
    body = TextAreaField(_l("Text (Markdown)"), validators=[DataRequired(), Length(max=MAX_BODY)])


class MailModeForm(FlaskForm):
    mode = RadioField(_l("Answers in the discussions I follow come by e-mail"), default="each",
                      choices=[SelectChoice("each", _l("each as it is written")),
                               SelectChoice("daily", _l("together, in one e-mail a day (in the morning)"))])
