"""`lms rubrics ...`: rubrics as content (content/rubrics/)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.core.services.errors import ServiceError
from lms.db import db


@click.group("rubrics")
def rubrics_group():
    """Defense rubrics: load them from content/rubrics/."""


def _fail(exc: ServiceError, what: str) -> None:
    for problem in exc.message.split("; "):
        click.echo(problem, err=True)
    click.echo(what, err=True)
    sys.exit(1)


@rubrics_group.command("check")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def check_command(directory):
    """Check every DIRECTORY/*.yaml rubric: each problem names its file and field; exit 1 on any."""
    from lms.portfolio.services.rubrics import check_directory

    try:
        rubrics = check_directory(directory)
    except ServiceError as exc:
        _fail(exc, "the rubrics have problems")
    for r in rubrics:
        click.echo(f"{r['code']}: {len(r['criteria'])} criteria, {r['max_points']:g} points,"
                   f" {len(r['conversion'])} conversion rows")


@rubrics_group.command("load")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="print only problems")
@with_appcontext
def load_command(directory, quiet):
    """Load every DIRECTORY/*.yaml rubric, all or none. Safe to run again: an unchanged file
    changes nothing; a changed one updates its rubric until an assessment has used it, and
    makes a new version after."""
    from lms.portfolio.services.rubrics import load_rubrics

    try:
        report = load_rubrics(directory)
    except ServiceError as exc:
        db.session.rollback()
        _fail(exc, "nothing was loaded")
    db.session.commit()
    if not quiet:
        for line in report.lines:
            click.echo(line)
