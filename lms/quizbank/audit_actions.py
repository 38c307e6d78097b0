"""The quizbank plugin's audited acts, in the reader's language (the log stores the code)."""
from flask_babel import lazy_gettext as _l

ACTIONS = {
    "attempt_graded": _l("Attempt graded"),
    "attempt_regraded": _l("Attempt regraded"),
    "bank_created": _l("Test bank created"),
    "bank_imported": _l("Questions imported into a bank"),
    "blueprint_created": _l("Test blueprint created"),
    "blueprint_updated": _l("Test blueprint changed"),
    "essay_graded": _l("Essay graded"),
    "essay_regraded": _l("Essay grade changed"),
    "item_revised": _l("Question revised (new version)"),
    "item_status_changed": _l("Question status changed"),
    "score_overridden": _l("Question's points overridden"),
    "score_restored": _l("Question's own points restored"),
    "survey_questions_set": _l("Survey questions set"),
    "test_closed": _l("Test closed"),
    "test_created": _l("Test created"),
    "test_extra_attempt": _l("Extra attempt granted"),
    "test_extra_attempt_withdrawn": _l("Extra attempt withdrawn"),
    "test_extra_minutes": _l("Extra time granted"),
    "test_personal_close": _l("Personal closing time set"),
    "test_personal_open": _l("Personal opening time set"),
    "test_published": _l("Test published"),
    "test_regraded": _l("Test regraded"),
    "test_reminders_queued": _l("Test reminders queued"),
    "test_updated": _l("Test changed"),
    "tests_copied": _l("Tests copied from another cohort"),
}

#: the object types the log names (model classes), in the reader's language
OBJECT_TYPES = {
    "Bank": _l("Test bank"),
    "Item": _l("Question"),
    "ItemVersion": _l("Question version"),
    "Blueprint": _l("Test blueprint"),
    "Test": _l("Test"),
    "ExtraAttempts": _l("Personal terms of a test"),
    "Attempt": _l("Attempt"),
    "AttemptSlot": _l("Question of an attempt"),
    "SurveyQuestion": _l("Survey question"),
    "SurveyResponse": _l("Survey response"),
    "SurveyAnswer": _l("Survey answer"),
}
