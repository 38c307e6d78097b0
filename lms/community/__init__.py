"""community: a cohort's discussions, for the course and the support year after it (seed 000
§4: the virtual professional community on the LMS platform)."""
from pathlib import Path

from flask_babel import lazy_gettext as _l

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


def _on_demo(sender, **kw):
    from lms.community.demo import on_demo_built

    on_demo_built(sender, **kw)


def _on_post_written(sender, **kw):
    from lms.community.services.discussions import notify_followers

    notify_followers(sender, **kw)


plugin = Plugin(
    name="community",
    version="2026113001",
    title="Discussions",
    models="lms.community.models",
    blueprints=[_views_bp, _api_bp],
    capabilities=_capabilities(),
    audit_actions="lms.community.audit_actions",
    migrations=Path(__file__).resolve().parent / "migrations",
    requires=["courses"],
    notice_kinds=[("community:answer", _l("An answer in a discussion I follow"), "community:post")],
    menu=[("community.mine", _l("Discussions"), "community:read")],
    listeners=[(demo_built, _on_demo), (discussion_post_written, _on_post_written)],
)
