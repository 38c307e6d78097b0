"""`lms quiz sweep`: finish and grade attempts whose time is up (run it from cron or RQ);
`lms quiz remind`: the daily reminders of tests about to close;
`lms quiz regrade`: the results page's regrade, for a script or a test with many cohorts."""
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
    from lms.quizbank import tasks

    report = tasks.sweep()
    db.session.commit()
    click.echo(report)


@quiz_group.command("remind")
@with_appcontext
def remind_command():
    """Remind those who have not finished a test that closes within a day (once a day each),
    then send the outbox. Run it daily from cron, or let `lms scheduler` do it."""
    from lms.quizbank import tasks

    click.echo(tasks.remind())


@quiz_group.command("regrade")
@click.argument("test_id", type=int)
@click.option("--dry-run", is_flag=True, help="list what would change and write nothing")
@with_appcontext
def regrade_command(test_id, dry_run):
    """Move a test's attempts to the corrected versions of its items where they read the same,
    and score finished attempts again (as the regrade page does)."""
    from lms.quizbank.models import Test
    from lms.quizbank.services import regrade

    test = db.session.get(Test, test_id)
    if test is None:
        raise click.ClickException(f"no test {test_id}")
    done = regrade.plan(test) if dry_run else regrade.regrade(test, None)
    for item in done.items:
        versions = ", ".join(f"v{n}" for n in item.shown)
        click.echo(f"{item.code}: {versions} -> v{item.latest} in {item.slots} question(s)"
                   + (f"; not used: {item.refused}" if item.refused else ""))
    for c in done.changes:
        click.echo(f"attempt {c.attempt_id} ({c.participant}, #{c.number}): {c.old.score:g} -> {c.new.score:g}"
                   f" of {c.new.max_score:g}, passed {c.old.passed} -> {c.new.passed}")
    if dry_run:
        db.session.rollback()
        click.echo(f"dry run: {done.attempts} attempt(s) would move, {len(done.changes)} result(s) would change")
    else:
        db.session.commit()
        click.echo(f"{done.attempts} attempt(s) moved, {len(done.changes)} result(s) changed")
