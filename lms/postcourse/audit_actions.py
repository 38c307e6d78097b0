"""The postcourse plugin's audited acts, in the reader's language (the log stores the code)."""
from flask_babel import lazy_gettext as _l

ACTIONS = {
    "support_activity_done": _l("Support activity done"),
    "support_activity_status": _l("Support activity changed"),
    "support_attendance_recorded": _l("Event attendance recorded"),
    "support_consultation_requested": _l("Consultation requested"),
    "support_contact_logged": _l("Consultation logged"),
    "support_event_created": _l("Group event created"),
    "support_evidence_added": _l("Evidence added"),
    "support_observation_added": _l("Lesson observation added"),
    "support_plan_accepted": _l("Support plan accepted by the graduate"),
    "support_plan_agreed": _l("Support plan agreed"),
    "support_plan_closed": _l("Support plan closed"),
    "support_plan_edited": _l("Support plan changed"),
    "support_plan_opened": _l("Support plan opened"),
}

#: the object types the log names (model classes), in the reader's language
OBJECT_TYPES = {
    "SupportPlan": _l("Support plan"),
    "PlanVersion": _l("Plan version"),
    "PlanActivity": _l("Support activity"),
    "GroupEvent": _l("Group event"),
    "EventAttendance": _l("Event attendance"),
    "Contact": _l("Consultation"),
    "ConsultationRequest": _l("Consultation request"),
    "Observation": _l("Lesson observation"),
    "Evidence": _l("Evidence of results"),
}
