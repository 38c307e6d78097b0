"""Forms of self-study: a task (trainer), a hand-in (participant), a review (trainer)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (DateField, DecimalField, SelectField, SelectMultipleField, StringField, SubmitField,
                     TextAreaField, widgets)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


class TaskForm(FlaskForm):
    topic_id = SelectField(_l("Topic"), coerce=int, validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    instructions = TextAreaField(_l("Instructions (Markdown)"), validators=[Length(max=20_000)])
    hours = DecimalField(_l("Hours"), places=2, validators=[InputRequired(), NumberRange(0, 80)])
    due_date = DateField(_l("Due date"), validators=[Optional()])
    #: text, so "7,5" reaches the service, which names the field in its refusal
    max_points = StringField(_l("Marked out of (points; empty: feedback only, no mark)"),
                             validators=[Length(max=20)])
    descriptors = TextAreaField(_l("Success criteria: descriptors, one per line (participants tick those their work"
                                   " meets, and so do you when you review)"), validators=[Length(max=5_000)])
    self_check = TextAreaField(_l("Self-check reference (Markdown: a model answer or key, shown to participants once"
                                  " they hand in)"), validators=[Length(max=20_000)])
    peer_reviews = SelectField(_l("Peer review: each participant comments on"), coerce=int, default=0, choices=[
        SelectChoice(0, _l("nobody's work")), SelectChoice(1, _l("one classmate's hand-in")),
        SelectChoice(2, _l("two classmates' hand-ins")), SelectChoice(3, _l("three classmates' hand-ins"))])


class SubmissionForm(FlaskForm):
    text = TextAreaField(_l("Your answer"), validators=[Length(max=20_000)])
    link = StringField(_l("Link (http:// or https://)"), validators=[Optional(), Length(max=1000)])
    file = FileField(_l("File (PDF, Office, image or ZIP; up to 10 MB)"))
    self_assessment = TextAreaField(_l("How do you assess your own work? (optional: what worked, what you would"
                                       " do differently)"), validators=[Length(max=20_000)])
    #: the task's descriptors the participant finds their work meets (choices set by the view)
    self_met = SelectMultipleField(_l("Check your work: which descriptors does it meet?"), coerce=int, choices=[],
                                   widget=widgets.ListWidget(prefix_label=False),
                                   option_widget=widgets.CheckboxInput(), validate_choice=False)


class PeerReviewForm(FlaskForm):
    comment = TextAreaField(_l("Your comment: what is strong in this work, and one thing to improve"),
                            validators=[DataRequired(), Length(max=20_000)])


class ReviewForm(FlaskForm):
    #: the hand-in's descriptors the work meets (choices set by the view)
    met = SelectMultipleField(_l("Descriptors the work meets"), coerce=int, choices=[],
                              widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput(),
                              validate_choice=False)
    feedback = TextAreaField(_l("Feedback"), validators=[Length(max=20_000)])
    #: the mark, on a marked task (the view drops the field on others)
    points = StringField(_l("Mark"), validators=[Length(max=20)])
    accept = SubmitField(_l("Accept"))
    send_back = SubmitField(_l("Return for rework"))
    save_mark = SubmitField(_l("Save the mark"))
