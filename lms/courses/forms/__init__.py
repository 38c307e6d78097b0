"""Forms of the courses plugin, one module per area (programmes, cohorts, ...)."""
from lms.courses.forms.programmes import (  # noqa: F401
    AUDIENCE_CHOICES, COHORT_STATUS_CHOICES, FORMAT_CHOICES, LANGUAGE_CHOICES, AnnouncementForm, CohortForm,
    CohortSettingsForm, ConfirmForm, EnrolForm, MaterialForm, ModuleForm, ProgrammeForm, StaffForm, TopicForm,
)
