"""`lms postcourse ...`: reminders (run from cron or RQ), opening plans, support models."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.core.services.errors import ServiceError
from lms.db import db


@click.group("postcourse")
def postcourse_group():
    """Post-course support: reminders, support models."""


@postcourse_group.command("check")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
def check(directory):
    """Validate the support models (content/postcourse/*.yaml): each problem names its file and field."""
    from lms.postcourse.services import models as model_service

    models, problems = model_service.check_models(directory or model_service.CONTENT_DIR)
    for problem in problems:
        for part in problem.split("; "):
            click.echo(part, err=True)
    click.echo(f"{len(models)} support model(s) valid: {', '.join(m.code for m in models) or '-'};"
               f" {len(problems)} file(s) with errors")
    sys.exit(1 if problems else 0)


@postcourse_group.command("open")
@click.option("--cohort", "cohort_code", required=True, help="cohort code, e.g. SKO-LDR-2027-01")
@with_appcontext
def open_command(cohort_code):
    """Open support plans for the cohort's completed enrolments that have none yet."""
    from lms.courses.services import cohorts as cohort_service
    from lms.postcourse.services import plans as plan_service

    try:
        opened = plan_service.open_plans(cohort_service.get_cohort(cohort_code))
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"{len(opened)} plan(s) opened in {cohort_code}")


@postcourse_group.command("remind")
@with_appcontext
def remind():
    """Queue reminders of activities due within 14 days (DUE_SOON_DAYS) or overdue (once per activity and kind),
    with a summary to each cohort's trainer or curator, then deliver the outbox."""
    from lms.postcourse import tasks

    click.echo(tasks.remind())
