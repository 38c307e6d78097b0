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
demo_built = _signals.signal(
    "demo_built",
    doc="Sender: None. Payload: summary (as demo_requested). Sent once every plugin's demo_requested receivers"
        " ran, for a plugin that adds to the cohorts the others made (discussions in each demo cohort).",
)
cohort_created = _signals.signal("cohort_created", doc="Sender: the Cohort. Payload: actor (User or None).")
cohort_updated = _signals.signal(
    "cohort_updated",
    doc="Sender: the Cohort. Payload: actor (User or None), changed ({setting: (old, new)}).",
)
session_changed = _signals.signal(
    "session_changed",
    doc="Sender: the WebinarSession. Payload: actor (User or None), change ('moved', 'cancelled', 'restored',"
        " 'link'), before (the old start of a moved session, the old link of a new one; else None).",
)
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
certificate_issued = _signals.signal(
    "certificate_issued",
    doc="Sender: the Certificate, its PDF stored. Payload: actor (User or None).",
)
defense_scored = _signals.signal(
    "defense_scored",
    doc="Sender: the Assessment, just submitted by its assessor (locked from now on). Payload: actor (User).",
)
defense_decided = _signals.signal(
    "defense_decided",
    doc="Sender: the Defense, decided: points, grade and passed set, by the panel's aggregate or the chair's"
        " reconciliation (not yet released to the participants). Payload: actor (User or None),"
        " reconciled (bool).",
)
defense_released = _signals.signal(
    "defense_released",
    doc="Sender: the Defense, just released: its participants (one, or a mini-group) see its points, grade and"
        " comments from now on. Payload: actor (User or None).",
)
support_plan_opened = _signals.signal(
    "support_plan_opened",
    doc="Sender: the SupportPlan, just opened for a graduate (needs and the model's required activities"
        " filled in). Payload: actor (User or None).",
)
support_plan_versioned = _signals.signal(
    "support_plan_versioned",
    doc="Sender: the SupportPlan, after a new PlanVersion was kept. Payload: action (\"agreed\", \"accepted\","
        " \"adjusted\" or \"closed\"), version (PlanVersion), actor (User or None).",
)
support_activity_done = _signals.signal(
    "support_activity_done",
    doc="Sender: the PlanActivity, just marked done (by hand, or by a consultation, observation, evidence"
        " or event attendance linked to it). Payload: actor (User or None), source (str).",
)
support_contact_logged = _signals.signal(
    "support_contact_logged",
    doc="Sender: the Contact, a consultation just logged. Payload: plan (SupportPlan), actor (User or None).",
)
discussion_post_written = _signals.signal(
    "discussion_post_written",
    doc="Sender: the Post, just written (a thread's opening post or a reply). Payload: thread (Thread), actor (User),"
        " opening (bool: the post opens its thread).",
)
