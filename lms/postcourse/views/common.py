"""What the postcourse views share: the blueprint (cohort pages add their tabs to the
cohort's tab bar, courses' COHORT_TABS), loaders for `requires`."""
from __future__ import annotations

from flask import Blueprint, g
from flask_login import current_user

from lms.core.permissions import has_capability
from lms.courses.views.common import cohort_context, cohort_template_helpers, my_enrolment, run_service  # noqa: F401

bp = Blueprint("postcourse", __name__, template_folder="../templates")
bp.context_processor(cohort_template_helpers)


def can_here(capability: str) -> bool:
    """Whether the signed-in user holds `capability` in the context the route was checked in."""
    return has_capability(current_user, capability, g.lms_context)
