"""The portfolio plugin's audited acts, in the reader's language (the log stores the code)."""
from flask_babel import lazy_gettext as _l

ACTIONS = {
    "artefact_added": _l("Portfolio item added"),
    "artefact_changed": _l("Portfolio item changed"),
    "artefact_deleted": _l("Portfolio item deleted"),
    "certificate_issued": _l("Certificate issued"),
    "certificate_revoked": _l("Certificate revoked"),
    "defense_decided": _l("Defense decided"),
    "defense_panel_set": _l("Defense panel set"),
    "defense_reconciled": _l("Defense scores reconciled by the chair"),
    "defense_released": _l("Defense grade released"),
    "defense_score_draft_saved": _l("Defense scores saved as a draft"),
    "defense_scored": _l("Defense scored"),
    "defense_sent_to_chair": _l("Defense sent to the chair"),
    "defense_session_created": _l("Defense day created"),
    "defense_session_updated": _l("Defense day changed"),
    "defense_slot_deleted": _l("Defense slot deleted"),
    "defense_slots_generated": _l("Defense slots generated"),
    "gradebook_mark_set": _l("Gradebook mark set"),
    "portfolio_handed_in": _l("Portfolio handed in"),
    "project_changed": _l("Project changed"),
    "project_created": _l("Project created"),
    "project_version_submitted": _l("Project version handed in"),
    "rubric_frozen": _l("Rubric frozen by its first use"),
    "rubric_loaded": _l("Rubric loaded"),
    "rubric_updated": _l("Rubric changed"),
    "rubric_versioned": _l("New rubric version"),
    "scheme_replaced": _l("Cohort's grading scheme replaced"),
    "share_link_created": _l("Portfolio share link created"),
    "share_link_revoked": _l("Portfolio share link revoked"),
}

#: the object types the log names (model classes), in the reader's language
OBJECT_TYPES = {
    "Artefact": _l("Portfolio item"),
    "ShareLink": _l("Portfolio share link"),
    "Rubric": _l("Rubric"),
    "ProjectWork": _l("Project"),
    "ProjectSubmission": _l("Project version"),
    "DefenseSession": _l("Defense day"),
    "PanelMember": _l("Panel member"),
    "Defense": _l("Defense"),
    "Assessment": _l("Assessor's scores"),
    "GradebookMark": _l("Gradebook mark"),
    "CohortScheme": _l("Cohort's grading scheme"),
    "Certificate": _l("Certificate"),
}
