"""JSON API of the portfolio plugin (in /api/v1/openapi.json): defense scores, the
gradebook, public certificate verification. One module per area on one blueprint."""
from lms.core.api import api_blueprint

bp = api_blueprint("portfolio_api")

from lms.portfolio.api import certificates, defenses, gradebook  # noqa: E402,F401  (endpoints)

__all__ = ["bp"]
