"""courses: programmes, modules, topics, hour plans and materials (later: cohorts,
enrolments, webinars, attendance, self-study and the hour ledger)."""
from pathlib import Path

from flask_babel import lazy_gettext as _l

from lms.plugins import Plugin


def _blueprints():
    from lms.courses.views import bp

    return bp


def _cli():
    from lms.courses.cli import content_group

    return content_group


def _capabilities():
    from lms.courses.capabilities import CAPABILITIES

    return CAPABILITIES


plugin = Plugin(
    name="courses",
    version="2026112301",
    title="Courses",
    models="lms.courses.models",
    blueprints=[_blueprints],
    capabilities=_capabilities(),
    cli=_cli,
    migrations=Path(__file__).resolve().parent / "migrations",
    menu=[("courses.catalogue", _l("Programmes"), None)],
)
