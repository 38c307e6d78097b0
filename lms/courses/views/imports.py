"""Cohort views: imports."""
from lms.courses.views.common import cohorts_bp  # noqa: F401
