"""Forms of self-study: a task (trainer), a hand-in (participant), a review (trainer)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, DecimalField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


class TaskForm(FlaskForm):
    topic_id = SelectField(_l("Topic"), coerce=int, validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    instructions = TextAreaField(_l("Instructions (Markdown)"), validators=[Length(max=20_000)])
    hours = DecimalField(_l("Hours"), places=2, validators=[InputRequired(), NumberRange(0, 80)])
    due_date = DateField(_l("Due date"), validators=[Optional()])


class SubmissionForm(FlaskForm):
    text = TextAreaField(_l("Your answer"), validators=[Length(max=20_000)])
    link = StringField(_l("Link (http:// or https://)"), validators=[Optional(), Length(max=1000)])
    file = FileField(_l("File (PDF, Office, image or ZIP; up to 10 MB)"))


class ReviewForm(FlaskForm):
    feedback = TextAreaField(_l("Feedback"), validators=[Length(max=20_000)])
    accept = SubmitField(_l("Accept"))
    send_back = SubmitField(_l("Return for rework"))
