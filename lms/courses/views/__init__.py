"""HTML blueprints of the courses plugin: `courses` (programmes) and `cohorts`."""
from lms.courses.views.programmes import bp  # noqa: F401
