"""Forms of a support plan: agreeing, activities, consultations, observations, evidence,
group events. Choices that depend on the plan (its menu, its activities) are set by the view."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from lms.postcourse.models import (
    CHANNELS, EVENT_KINDS, EVIDENCE_KINDS, EVIDENCE_LEVELS, OBSERVATION_KINDS, STAGES,
)
from lms.postcourse.services.plans import STAGE_LABELS  # noqa: F401 - the forms' and pages' stage names

CHANNEL_LABELS = {"email": _l("E-mail"), "phone": _l("Phone"), "whatsapp": "WhatsApp", "telegram": "Telegram",
                  "zoom": "Zoom", "teams": "Microsoft Teams", "meet": "Google Meet", "in_person": _l("In person")}
EVENT_LABELS = {"seminar": _l("Seminar"), "webinar": _l("Webinar"), "master_class": _l("Master class"),
                "round_table": _l("Round table"), "forum": _l("Forum"), "conference": _l("Conference"),
                "final_event": _l("Final event (reflection)")}
OBSERVATION_LABELS = {"lesson_video": _l("Lesson video"), "plan_analysis": _l("Lesson plan analysis"),
                      "lesson_visit": _l("Lesson visit")}
EVIDENCE_LABELS = {"publication": _l("Publication"), "talk": _l("Talk"), "contest": _l("Contest"),
                   "development_programme": _l("Development programme"),
                   "master_class_collection": _l("Collection of master classes"),
                   "recommendations": _l("Recommendations"), "other": _l("Other")}
LEVEL_LABELS = {"school": _l("school"), "district": _l("district"), "regional": _l("regional"),
                "republican": _l("republican"), "international": _l("international")}
PLAN_STATUS_LABELS = {"draft": _l("draft"), "agreed": _l("agreed, waiting for the graduate"),
                      "accepted": _l("accepted"), "closed": _l("closed")}
ACTIVITY_STATE_LABELS = {"planned": _l("planned"), "due_soon": _l("due soon"), "overdue": _l("overdue"),
                         "done": _l("done"), "cancelled": _l("cancelled")}
VERSION_LABELS = {"opened": _l("opened"), "agreed": _l("agreed"), "accepted": _l("accepted"),
                  "adjusted": _l("adjusted"), "closed": _l("closed")}
ACTIVITY_ACTIONS = ("done", "cancel", "reopen", "change", "remove")
NO_ACTIVITY = 0


def _choices(codes, labels):
    return [SelectChoice(c, labels[c]) for c in codes]


class _Prefixed(FlaskForm):
    """Several forms share the plan page: a prefix keeps their field names and ids apart."""

    prefix_name = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", self.prefix_name)
        super().__init__(*args, **kwargs)


class AgreeForm(FlaskForm):
    needs_note = TextAreaField(_l("Needs found together (what the year should work on)"),
                               validators=[Length(max=5000)])
    note = TextAreaField(_l("Note on this version"), validators=[Length(max=5000)])


class ActivityForm(_Prefixed):
    prefix_name = "activity"
    activity_type = SelectField(_l("Activity from the menu"), validators=[InputRequired()])
    due_on = DateField(_l("Due date (empty: the menu's month)"), validators=[Optional()])
    title = StringField(_l("Own title (optional)"), validators=[Optional(), Length(max=300)])
    note = TextAreaField(_l("Note"), validators=[Length(max=5000)])


class ActivityActionForm(FlaskForm):
    action = StringField(validators=[AnyOf(ACTIVITY_ACTIONS)])
    due_on = DateField(_l("New due date"), validators=[Optional()])
    done_on = DateField(_l("Done on"), validators=[Optional()])
    note = StringField(_l("Why (kept with the version)"), validators=[Optional(), Length(max=5000)])


class ContactForm(FlaskForm):
    happened_at = DateTimeLocalField(_l("When"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                     validators=[InputRequired()])
    channel = SelectField(_l("Channel"), choices=_choices(CHANNELS, CHANNEL_LABELS), validators=[InputRequired()])
    topic = StringField(_l("Topic"), validators=[DataRequired(), Length(max=300)])
    outcome = TextAreaField(_l("Outcome"), validators=[Length(max=5000)])
    group = BooleanField(_l("Group consultation"))
    activity_id = SelectField(_l("For the planned activity"), coerce=int, default=NO_ACTIVITY)
    request_id = SelectField(_l("In answer to the graduate's request"), coerce=int, default=NO_ACTIVITY)


class RequestForm(_Prefixed):
    """The graduate asks for a consultation."""

    prefix_name = "request"
    topic = StringField(_l("What about"), validators=[DataRequired(), Length(max=300)])
    channel = SelectField(_l("How (if it matters)"), choices=[SelectChoice("", _l("any way"))]
                          + [SelectChoice(c, CHANNEL_LABELS[c]) for c in CHANNELS], default="")
    note = TextAreaField(_l("When suits you, or anything else"), validators=[Length(max=5000)])


class ObservationForm(_Prefixed):
    prefix_name = "observation"
    kind = SelectField(_l("Type"), choices=_choices(OBSERVATION_KINDS, OBSERVATION_LABELS),
                       validators=[InputRequired()])
    observed_on = DateField(_l("Date"), validators=[InputRequired()])
    url = StringField(_l("Video or document link (http:// or https://)"), validators=[Optional(), Length(max=2000)])
    file = FileField(_l("Or the lesson plan (PDF, Office, image or ZIP; up to 10 MB)"))
    feedback = TextAreaField(_l("Feedback"), validators=[Length(max=5000)])
    activity_id = SelectField(_l("For the planned activity"), coerce=int, default=NO_ACTIVITY)


class EvidenceForm(_Prefixed):
    prefix_name = "evidence"
    kind = SelectField(_l("Type"), choices=_choices(EVIDENCE_KINDS, EVIDENCE_LABELS), validators=[InputRequired()])
    level = SelectField(_l("Level"), choices=_choices(EVIDENCE_LEVELS, LEVEL_LABELS), default="school",
                        validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    happened_on = DateField(_l("Date"), validators=[InputRequired()])
    url = StringField(_l("Link (http:// or https://)"), validators=[Optional(), Length(max=2000)])
    file = FileField(_l("Or a file (PDF, Office, image or ZIP; up to 10 MB)"))
    activity_id = SelectField(_l("For the planned activity"), coerce=int, default=NO_ACTIVITY)


class CloseForm(_Prefixed):
    prefix_name = "close"
    note = StringField(_l("Why"), validators=[Optional(), Length(max=5000)])


class EventForm(FlaskForm):
    kind = SelectField(_l("Type"), choices=_choices(EVENT_KINDS, EVENT_LABELS), validators=[InputRequired()])
    stage = SelectField(_l("Stage"), choices=_choices(STAGES, STAGE_LABELS), default="implementation",
                        validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    starts_at = DateTimeLocalField(_l("Starts (local time)"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                   validators=[InputRequired()])
    meeting_url = StringField(_l("Meeting link (optional)"), validators=[Optional(), Length(max=2000)])
