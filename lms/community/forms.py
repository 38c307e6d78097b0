from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
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
