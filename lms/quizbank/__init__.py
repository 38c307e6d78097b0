"""quizbank: codified banks, item versions, blueprints, randomized tests and attempts."""
from pathlib import Path

from flask_babel import lazy_gettext as _l

from lms.core.tasks import ScheduledTask
from lms.plugins import Plugin
from lms.quizbank.tasks import remind, sweep
from lms.signals import demo_requested


def _capabilities():
    from lms.quizbank.capabilities import CAPABILITIES

    return CAPABILITIES


def _views_bp():
    from lms.quizbank.views import bp

    return bp


def _api_bp():
    from lms.quizbank.api import bp

    return bp


def _setup(app):
    from lms.quizbank.cli_quiz import quiz_group
    from lms.quizbank.models import SURVEY_KINDS

    app.cli.add_command(quiz_group)
    app.jinja_env.globals["survey_kinds"] = SURVEY_KINDS  # the templates tell a survey from a test


def _on_demo(sender, **kw):
    from lms.quizbank.demo import on_demo_requested

    on_demo_requested(sender, **kw)


def _cli():
    from lms.quizbank.cli import bank_group

    return bank_group


plugin = Plugin(
    name="quizbank",
    version="2026112301",
    title="Test banks",
    models="lms.quizbank.models",
    blueprints=[_views_bp, _api_bp],
    capabilities=_capabilities(),
    audit_actions="lms.quizbank.audit_actions",
    privacy="lms.quizbank.privacy",
    cli=_cli,
    setup=_setup,
    listeners=[(demo_requested, _on_demo)],
    migrations=Path(__file__).resolve().parent / "migrations",
    requires=["courses"],
    notice_kinds=[("quizbank:reminder", _l("A test or survey I have not finished closes soon"),
                   "quizbank:attempt")],
    menu=[("quizbank.banks", _l("Test banks"), "quizbank:manage")],
    # 03:00 UTC is 08:00 in Kazakhstan: the morning's reminders of tests closing within a day
    tasks=[ScheduledTask("quiz-sweep", sweep, interval=60), ScheduledTask("quiz-remind", remind, cron="0 3 * * *")],
)
