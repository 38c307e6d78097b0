"""`lms bank import|export`: test items in GIFT or Moodle XML."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.core.cli import exit_refused
from lms.core.services.errors import ServiceError
from lms.db import db


@click.group("bank")
def bank_group():
    """Test banks: import and export GIFT and Moodle XML."""


@bank_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bank", "bank_code", required=True, help="bank code, e.g. LDR (it starts every item code)")
@click.option("--programme", "programme_code", default=None,
              help="the programme the bank serves, e.g. LDR-SUS (needed to create the bank)")
@click.option("--title", default=None, help="title of a bank created by this import")
@with_appcontext
def import_command(file, bank_code, programme_code, title):
    """Import a GIFT or Moodle XML file (told apart by content) into a bank. Any problem:
    every one as FILE:LINE: reason, exit 1, nothing written."""
    from lms.quizbank.formats import ItemFileError, parse
    from lms.quizbank.services import banks

    try:
        bank = banks.get_or_create_bank(bank_code, programme_code, title, None)
        report = banks.import_items(bank, parse(file.read_bytes(), str(file)), None, str(file))
    except ItemFileError as exc:
        exit_refused(exc)
    except ServiceError as exc:
        db.session.rollback()
        click.echo(f"{file}: {exc.message}", err=True)
        sys.exit(1)
    db.session.commit()
    for line, code in report.generated:
        click.echo(f"{file}:{line}: code {code} given")
    for skipped in report.skipped:
        click.echo(f"{file}:{skipped.line}: skipped: {skipped.reason}")
    click.echo(report.summary())


@bank_group.command("load")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--quiet", is_flag=True, help="print only problems")
@with_appcontext
def load_command(directory, quiet):
    """Load the shipped banks: every <PROGRAMME>.gift named in DIRECTORY/blueprints.yaml and its
    blueprints. Safe to run again: unchanged items and blueprints stay as they are."""
    from lms.quizbank.formats import ItemFileError
    from lms.quizbank.services.content import load_banks

    try:
        report = load_banks(directory)
    except ItemFileError as exc:
        exit_refused(exc, "loaded")
    except ServiceError as exc:
        db.session.rollback()
        click.echo(exc.message, err=True)
        sys.exit(1)
    db.session.commit()
    if not quiet:
        for line in report.lines:
            click.echo(line)


@bank_group.command("export")
@click.option("--bank", "bank_code", required=True, help="bank code, e.g. LDR")
@click.option("--format", "fmt", type=click.Choice(["gift", "xml"]), default="gift", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def export_command(bank_code, fmt, output):
    """Write every non-retired item's current version; importing the file back gives the same items."""
    from lms.quizbank.services import banks

    try:
        text = banks.export_items(banks.get_bank(bank_code), fmt)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)
