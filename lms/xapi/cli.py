"""`lms xapi ...`: send the statements that wait for the Learning Record Store, and say how many
wait (cron or the RQ worker's scheduled task send them every ten minutes)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("xapi")
def xapi_group():
    """xAPI statements for the centre's Learning Record Store (LMS_XAPI_ENDPOINT)."""


@xapi_group.command("send")
@with_appcontext
def send_command():
    """Send what waits and is due; a refusal keeps the statements for a later try. Exits 1 when
    the LRS did not take them."""
    from lms.xapi.services import statements

    if not statements.endpoint():
        click.echo(statements.send_task())
        return
    done = statements.send_due()
    click.echo(statements.said(done))
    if done.error:
        raise SystemExit(1)


@xapi_group.command("status")
@with_appcontext
def status_command():
    """How many statements wait and have been sent, and the LRS's last refusal."""
    from lms.xapi.services import statements

    state = statements.status()
    where = statements.endpoint() or "not set (LMS_XAPI_ENDPOINT): nothing is queued"
    click.echo(f"LRS: {where}")
    click.echo(f"waiting {state.waiting} (tried and refused {state.failing}), sent {state.sent}")
    if state.oldest_waiting:
        click.echo(f"oldest waiting since {state.oldest_waiting:%Y-%m-%d %H:%M} UTC")
    if state.last_error:
        click.echo(f"last refusal: {state.last_error}")
