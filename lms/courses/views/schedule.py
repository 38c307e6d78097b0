"""Cohort views: schedule."""
from lms.courses.views.common import cohorts_bp  # noqa: F401
