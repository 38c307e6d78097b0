"""HTML pages of the quizbank plugin, one module per area; all on one blueprint.

Cohort pages live under /cohorts/<code>/... and add their tabs to the cohort's tab bar
(courses' COHORT_TABS); bank pages live under /banks/<code>/...."""
from lms.quizbank.views.common import bp

from lms.quizbank.views import attempts, banks, grading, statistics, survey, tests  # noqa: E402,F401  (routes)

__all__ = ["bp"]
