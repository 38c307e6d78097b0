"""courses: programmes, modules, topics, hour plans and materials (later: cohorts,
enrolments, webinars, attendance, self-study and the hour ledger)."""
from pathlib import Path

from flask_babel import lazy_gettext as _l

from lms.core.tasks import ScheduledTask
from lms.courses.tasks import remind_reviewers
from lms.plugins import Plugin
from lms.signals import cohort_updated, demo_requested, selfstudy_reviewed, session_changed


def _programmes_bp():
    from lms.courses.views import bp

    return bp


def _cohorts_bp():
    from lms.courses.views import cohorts_bp

    return cohorts_bp


def _api_bp():
    from lms.courses.api import bp

    return bp


def _setup(app):
    from lms.courses.services.cohorts import cohort_parent
    from lms.courses.views.common import cohort_names, programme_names

    registry = app.extensions["lms_capabilities"]
    registry.parents["cohort"] = cohort_parent
    registry.namers.update(cohort=cohort_names, programme=programme_names)

    from lms.courses.cli import register_user_import

    register_user_import(app)


def _on_session_changed(sender, **kw):
    from lms.courses.services.notices import on_session_changed

    on_session_changed(sender, **kw)


def _on_cohort_updated(sender, **kw):
    from lms.courses.services.notices import on_cohort_updated

    on_cohort_updated(sender, **kw)


def _on_selfstudy_reviewed(sender, **kw):
    from lms.courses.services.notices import on_selfstudy_reviewed

    on_selfstudy_reviewed(sender, **kw)


def _on_demo(sender, **kw):
    from lms.courses.demo import on_demo_requested

    on_demo_requested(sender, **kw)


def _cli():
    from lms.courses.cli import content_group

    return content_group


def _capabilities():
    from lms.courses.capabilities import CAPABILITIES

    return CAPABILITIES


plugin = Plugin(
    name="courses",
    version="2026113003",
    title="Courses",
    models="lms.courses.models",
    blueprints=[_programmes_bp, _cohorts_bp, _api_bp],
    setup=_setup,
    listeners=[(demo_requested, _on_demo), (session_changed, _on_session_changed),
               (cohort_updated, _on_cohort_updated), (selfstudy_reviewed, _on_selfstudy_reviewed)],
    capabilities=_capabilities(),
    audit_actions="lms.courses.audit_actions",
    privacy="lms.courses.privacy",
    cli=_cli,
    migrations=Path(__file__).resolve().parent / "migrations",
    notice_kinds=[("courses:schedule", _l("A session moved, cancelled or given a new link")),
                  ("courses:returned", _l("Self-study returned for rework"), "courses:participate"),
                  ("courses:announcement", _l("Announcements the trainers send by e-mail"),
                   "courses:read_announcements"),
                  ("courses:waiting", _l("Trainers: self-study hand-ins waiting for my review (each morning)"),
                   "courses:teach")],
    menu=[("courses.catalogue", _l("Programmes"), None),
          ("cohorts.index", _l("Cohorts"), "courses:view_cohort"),
          ("cohorts.mine", _l("My courses"), "courses:participate"),
          ("cohorts.report", _l("Courses held"), "courses:view_reports")],
    # 03:00 UTC is 08:00 in Kazakhstan (UTC+5), with the other plugins' morning notices
    tasks=[ScheduledTask("selfstudy-remind", remind_reviewers, cron="0 3 * * *")],
)
