"""postcourse: a year of support after the course: support plans, activities, consultations,
events, evidence, curator dashboards, reminders and reports."""
from pathlib import Path

from flask_babel import lazy_gettext as _l

from lms.plugins import Plugin


def _capabilities():
    from lms.postcourse.capabilities import CAPABILITIES

    return CAPABILITIES


def _views_bp():
    from lms.postcourse.views import bp

    return bp


def _api_bp():
    from lms.postcourse.api import bp

    return bp


def _cli():
    from lms.postcourse.cli import postcourse_group

    return postcourse_group


plugin = Plugin(
    name="postcourse",
    version="2026112901",
    title="Post-course support",
    models="lms.postcourse.models",
    blueprints=[_views_bp, _api_bp],
    cli=_cli,
    capabilities=_capabilities(),
    migrations=Path(__file__).resolve().parent / "migrations",
    requires=["courses", "quizbank"],
    menu=[],
)
