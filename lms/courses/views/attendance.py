"""Cohort views: attendance."""
from lms.courses.views.common import cohorts_bp  # noqa: F401
