"""`lms content check|load|export`."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.core.services.errors import ServiceError
from lms.courses import content
from lms.courses import services
from lms.db import db


@click.group("content")
def content_group():
    """Programme content files (content/programmes/*.yaml)."""


@content_group.command("check")
@click.argument("root", type=click.Path(exists=True, path_type=Path))
def check(root):
    """Validate every file: errors (file:line) exit 1; seed discrepancies are warnings."""
    result = content.check(root)
    for finding in result.findings:
        click.echo(str(finding), err=finding.level == "error")
    click.echo(f"{len(result.programmes)} programme(s), {len(result.errors)} error(s),"
               f" {len(result.warnings)} warning(s)")
    sys.exit(1 if result.errors else 0)


@content_group.command("load")
@click.argument("root", type=click.Path(exists=True, path_type=Path))
@click.option("--quiet", is_flag=True, help="do not print the seed's discrepancies")
@with_appcontext
def load(root, quiet):
    """Load all files in one transaction; nothing is written if any file has an error."""
    try:
        report = services.load_content(root)
    except content.ContentError as exc:
        db.session.rollback()
        for finding in exc.findings:
            click.echo(str(finding), err=True)
        click.echo("nothing was loaded", err=True)
        sys.exit(1)
    db.session.commit()
    if not quiet:
        for finding in report.warnings:
            click.echo(str(finding))
    click.echo(f"created: {', '.join(report.created) or '-'}; updated: {', '.join(report.updated) or '-'};"
               f" unchanged: {', '.join(report.unchanged) or '-'}")


@content_group.command("export")
@click.option("--programme", "code", required=True, help="programme code, e.g. LDR-SUS")
@click.option("--version", type=int, default=None, help="default: the newest approved version")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def export(code, version, output):
    """Write a programme as YAML that loads back identical."""
    try:
        programme = services.get_programme(code, version)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    text = services.export_programme(programme)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)
