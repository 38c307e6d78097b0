"""Forms of the exit survey. The answer sheet has one radio group or textarea per question
(name="q-<question id>"), so it is a CSRF-only form whose fields `read_answers` reads."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length


class AnswerForm(FlaskForm):
    """The answer sheet (fields are read by `read_answers`)."""


class QuestionsForm(FlaskForm):
    questions = TextAreaField(_l("Questions, one a line"), validators=[Length(max=60_000)])
    anonymous = BooleanField(_l("Anonymous: trainers see the answers without names"))


def field_name(question) -> str:
    return f"q-{question.id}"


def read_answers(formdata, questions) -> dict[int, str]:
    """{question id: the value sent} for every question of the survey (others are ignored)."""
    return {q.id: formdata.get(field_name(q), "") for q in questions}
