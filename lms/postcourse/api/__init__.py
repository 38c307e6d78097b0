"""JSON API of the postcourse plugin (in /api/v1/openapi.json): plans, contacts, a cohort's summary."""
from lms.core.api import api_blueprint

bp = api_blueprint("postcourse_api")

from lms.postcourse.api import plans  # noqa: E402,F401  (endpoints)

__all__ = ["bp"]
