"""community: a cohort's discussions, for the course and the support year after it (seed 000
§4: the virtual professional community on the LMS platform)."""
from pathlib import Path

from flask_babel import lazy_gettext as _l

from lms.community.tasks import digest
from lms.core.tasks import ScheduledTask
from lms.plugins import Plugin
from lms.signals import demo_built, discussion_post_written


def _capabilities():
    from lms.community.capabilities import CAPABILITIES

    return CAPABILITIES


def _views_bp():
    from lms.community.views import bp

    return bp


def _api_bp():
    from lms.community.api import bp

    return bp


def _cli():
    from lms.community.cli import community_group

    return community_group


def _on_demo(sender, **kw):
    from lms.community.demo import on_demo_built

    on_demo_built(sender, **kw)


def _on_post_written(sender, **kw):
    from lms.community.services.discussions import notify_followers

    notify_followers(sender, **kw)


plugin = Plugin(
    name="community",
    version="2026113002",
    title="Discussions",
    models="lms.community.models",
    blueprints=[_views_bp, _api_bp],
    capabilities=_capabilities(),
    audit_actions="lms.community.audit_actions",
    migrations=Path(__file__).resolve().parent / "migrations",
    cli=_cli,
    requires=["courses"],
    privacy="lms.community.privacy",
    notice_kinds=[("community:answer", _l("An answer in a discussion I follow"), "community:read")],
    menu=[("community.mine", _l("Discussions"), "community:read")],
    listeners=[(demo_built, _on_demo), (discussion_post_written, _on_post_written)],
    # 03:00 UTC is 08:00 in Kazakhstan (UTC+5), with the other plugins' morning notices
    tasks=[ScheduledTask("community-digest", digest, cron="0 3 * * *")],
)
