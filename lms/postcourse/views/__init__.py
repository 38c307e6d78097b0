"""HTML pages of the postcourse plugin, one module per area, on one blueprint."""
from lms.postcourse.views.common import bp

from lms.postcourse.views import dashboard, plans, reports  # noqa: E402,F401  (routes)

__all__ = ["bp"]
