"""Cohort views: selfstudy."""
from lms.courses.views.common import cohorts_bp  # noqa: F401
