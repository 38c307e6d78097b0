"""xapi: what participants do, as xAPI statements for the centre's Learning Record Store
(Moodle's logstore_xapi, Open edX's event-routing-backends). Set LMS_XAPI_ENDPOINT to turn it
on; without it nothing is queued."""
import os
from pathlib import Path

from flask_babel import lazy_gettext as _l

from lms.core.tasks import ScheduledTask
from lms.plugins import Plugin
from lms.signals import attempt_finished, attendance_changed, certificate_issued, defense_released, \
    enrolment_completed, support_contact_logged


def _capabilities():
    from lms.xapi.capabilities import CAPABILITIES

    return CAPABILITIES


def _views_bp():
    from lms.xapi.views import bp

    return bp


def _cli():
    from lms.xapi.cli import xapi_group

    return xapi_group


def _setup(app):
    for key in ("ENDPOINT", "USERNAME", "PASSWORD"):
        app.config.setdefault(f"XAPI_{key}", os.environ.get(f"LMS_XAPI_{key}") or None)


def _listener(name):
    def receive(sender, **kw):
        from lms.xapi.services import statements

        getattr(statements, name)(sender, **kw)

    receive.__name__ = name
    return receive


def _send():
    from lms.xapi.services import statements

    return statements.send_task()


plugin = Plugin(
    name="xapi",
    version="2026113001",
    title="xAPI statements",
    models="lms.xapi.models",
    blueprints=[_views_bp],
    capabilities=_capabilities(),
    menu=[("xapi.status", _l("Learning records"), "xapi:manage")],
    migrations=Path(__file__).resolve().parent / "migrations",
    cli=_cli,
    requires=["courses"],
    setup=_setup,
    privacy="lms.xapi.privacy",
    audit_actions="lms.xapi.audit_actions",
    listeners=[(attempt_finished, _listener("on_attempt_finished")),
               (enrolment_completed, _listener("on_enrolment_completed")),
               (certificate_issued, _listener("on_certificate_issued")),
               (attendance_changed, _listener("on_attendance_changed")),
               (defense_released, _listener("on_defense_released")),
               (support_contact_logged, _listener("on_contact_logged"))],
    tasks=[ScheduledTask("xapi-send", _send, cron="*/10 * * * *")],
)
