"""`lms quiz sweep`: finish and grade attempts whose time is up (run it from cron or RQ)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from lms.db import db


@click.group("quiz")
def quiz_group():
    """Tests and attempts."""


@quiz_group.command("sweep")
@with_appcontext
def sweep_command():
    """Finish every attempt in progress past its deadline plus grace, and grade it. Safe to
    run while participants submit: each attempt is graded once, by whoever finishes it."""
    from lms.quizbank.services.attempts import finish_overdue

    count = finish_overdue()
    db.session.commit()
    click.echo(f"{count} overdue attempt(s) finished and graded")
