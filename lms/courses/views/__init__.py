"""HTML blueprints of the courses plugin: `courses` (programmes) and `cohorts`.

Each area has its own module; importing them registers their routes."""
from lms.courses.views.programmes import bp  # noqa: F401
from lms.courses.views.common import cohorts_bp  # noqa: F401
# in the order of the cohort's tabs
from lms.courses.views import cohorts, schedule, attendance, selfstudy, imports, reports  # noqa: F401,E402
from lms.courses.views import announcements  # noqa: F401,E402
