"""HTML pages of the portfolio plugin, one module per area, on one blueprint."""
from lms.portfolio.views.common import bp

from lms.portfolio.views import artefacts, certificates, defenses, gradebook, projects, recertification  # noqa: E402,F401,E501

__all__ = ["bp"]
