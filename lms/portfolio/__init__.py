"""portfolio: portfolios, project defenses scored by rubric panels, the gradebook and
verifiable certificates."""
from pathlib import Path

from flask_babel import lazy_gettext as _l

from lms.core.tasks import ScheduledTask
from lms.plugins import Plugin
from lms.portfolio.tasks import notify_lapsed, remind_due
from lms.signals import certificate_issued, cohort_created, demo_requested


def _capabilities():
    from lms.portfolio.capabilities import CAPABILITIES

    return CAPABILITIES


def _views_bp():
    from lms.portfolio.views import bp

    return bp


def _api_bp():
    from lms.portfolio.api import bp

    return bp


def _cli():
    from lms.portfolio.cli import rubrics_group

    return rubrics_group


def _setup(app):
    from lms.courses.services import reports
    from lms.portfolio.cli_certificates import certificates_group
    from lms.portfolio.services.certificates import certified_enrolments
    from lms.portfolio.services.defenses import STATUS_LABELS

    app.cli.add_command(certificates_group)
    reports.register(app, reports.Measure("certified", _l("certified"), certified_enrolments))
    app.jinja_env.globals["defense_status_labels"] = STATUS_LABELS  # the badges' words, the refusals' too


def _on_cohort_created(sender, actor=None, **_kw):
    from lms.portfolio.services.schemes import take

    take(sender, actor)


def _on_certificate_issued(sender, **kw):
    from lms.portfolio.services.notices import on_certificate_issued

    on_certificate_issued(sender, **kw)


def _on_demo_defenses(sender, **kw):
    from lms.portfolio.demo import on_demo_requested

    on_demo_requested(sender, **kw)


plugin = Plugin(
    name="portfolio",
    version="2026113001",
    title="Portfolio, defenses and certificates",
    models="lms.portfolio.models",
    blueprints=[_views_bp, _api_bp],
    capabilities=_capabilities(),
    audit_actions="lms.portfolio.audit_actions",
    cli=_cli,
    setup=_setup,
    migrations=Path(__file__).resolve().parent / "migrations",
    requires=["courses", "quizbank"],
    privacy="lms.portfolio.privacy",
    listeners=[(demo_requested, _on_demo_defenses), (cohort_created, _on_cohort_created),
               (certificate_issued, _on_certificate_issued)],
    notice_kinds=[("portfolio:certificate", _l("My certificate is issued"), "portfolio:keep"),
                  ("portfolio:due", _l("My next upskilling course falls due"), "portfolio:keep"),
                  ("portfolio:lapsed", _l("A certificate I may revoke no longer meets the rules"),
                   "portfolio:issue_certificates")],
    menu=[("portfolio.panels", _l("My panels"), "portfolio:assess"),
          ("portfolio.due", _l("Due for a course"), "courses:view_reports"),
          ("portfolio.rubrics", _l("Rubrics"), "portfolio:manage_defenses")],
    # 03:00 UTC is 08:00 in Kazakhstan (UTC+5), with the other plugins' morning notices
    tasks=[ScheduledTask("portfolio-remind-due", remind_due, cron="0 3 * * *"),
           ScheduledTask("portfolio-notify-lapsed", notify_lapsed, cron="0 3 * * *")],
)
