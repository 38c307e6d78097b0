"""postcourse: a year of support after the course: support plans, activities, consultations,
events, evidence, curator dashboards, reminders and reports."""
from pathlib import Path

from flask_babel import lazy_gettext as _l

from lms.core.tasks import ScheduledTask
from lms.plugins import Plugin
from lms.postcourse.tasks import remind
from lms.signals import demo_requested, enrolment_completed


def _capabilities():
    from lms.postcourse.capabilities import CAPABILITIES

    return CAPABILITIES


def _views_bp():
    from lms.postcourse.views import bp

    return bp


def _api_bp():
    from lms.postcourse.api import bp

    return bp


def _on_demo(sender, **kw):
    from lms.postcourse.demo import on_demo_requested

    on_demo_requested(sender, **kw)


def _cli():
    from lms.postcourse.cli import postcourse_group

    return postcourse_group


def _on_enrolment_completed(sender, **kw):
    from lms.postcourse.services.plans import on_enrolment_completed

    on_enrolment_completed(sender, **kw)


plugin = Plugin(
    name="postcourse",
    version="2026112901",
    title="Post-course support",
    models="lms.postcourse.models",
    blueprints=[_views_bp, _api_bp],
    cli=_cli,
    capabilities=_capabilities(),
    audit_actions="lms.postcourse.audit_actions",
    migrations=Path(__file__).resolve().parent / "migrations",
    requires=["courses", "quizbank"],
    privacy="lms.postcourse.privacy",
    listeners=[(demo_requested, _on_demo), (enrolment_completed, _on_enrolment_completed)],
    notice_kinds=[("postcourse:reminder", _l("An activity of my support plan is due soon or overdue"),
                   "postcourse:follow_plan"),
                  ("postcourse:summary", _l("Supporters: graduates' activities due soon or overdue"),
                   "postcourse:support"),
                  ("postcourse:request", _l("Supporters: a graduate asks for a consultation"),
                   "postcourse:support")],
    menu=[("postcourse.dashboard", _l("Post-course support"), "postcourse:view_cohort")],
    # 03:00 UTC is 08:00 in Kazakhstan (UTC+5): the morning's reminders
    tasks=[ScheduledTask("postcourse-remind", remind, cron="0 3 * * *")],
)
