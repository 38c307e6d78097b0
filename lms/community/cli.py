"""`lms community ...`: the daily digest of discussion answers (run from cron or RQ)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("community")
def community_group():
    """Discussions: the daily digest."""


@community_group.command("digest")
@with_appcontext
def digest_command():
    """E-mail each reader who chose one e-mail a day the answers written since their last digest
    in the discussions they follow, then deliver the outbox (cron, daily; nothing twice)."""
    from lms.community import tasks

    click.echo(tasks.digest())
