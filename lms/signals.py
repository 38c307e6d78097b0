"""Events plugins send and listen to. Names are past tense; each docstring names
the sender and the keyword payload."""
from blinker import Namespace

_signals = Namespace()

user_logged_in = _signals.signal("user_logged_in", doc="Sender: the User. Payload: none.")
programme_created = _signals.signal(
    "programme_created", doc="Sender: the Programme. Payload: actor (User or None)."
)
programme_approved = _signals.signal(
    "programme_approved", doc="Sender: the Programme. Payload: actor (User)."
)
programme_versioned = _signals.signal(
    "programme_versioned",
    doc="Sender: the new draft Programme. Payload: previous (Programme), actor (User).",
)
content_loaded = _signals.signal(
    "content_loaded", doc="Sender: None. Payload: codes (list of programme codes loaded)."
)
demo_requested = _signals.signal(
    "demo_requested",
    doc="Sender: None. Payload: summary (list of lines `lms demo` prints; append to it). Receivers declared in"
        " a plugin's `listeners` are called in plugin dependency order.",
)
cohort_created = _signals.signal("cohort_created", doc="Sender: the Cohort. Payload: actor (User or None).")
participant_enrolled = _signals.signal(
    "participant_enrolled", doc="Sender: the Enrolment. Payload: actor (User or None)."
)
enrolment_completed = _signals.signal(
    "enrolment_completed", doc="Sender: the Enrolment. Payload: actor (User or None)."
)
attendance_changed = _signals.signal(
    "attendance_changed",
    doc="Sender: the WebinarSession. Payload: enrolment_ids (list of int), actor (User or None), source (str).",
)
selfstudy_reviewed = _signals.signal(
    "selfstudy_reviewed", doc="Sender: the Submission. Payload: actor (User), accepted (bool)."
)
attempt_finished = _signals.signal(
    "attempt_finished",
    doc="Sender: the Attempt, finished and graded (essays may still be pending). Payload: actor (User or None).",
)
