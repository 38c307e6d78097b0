"""`lms content check|load|export` and `lms users import` (added to the core's `users` group)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms.core.cli import exit_refused
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


@click.command("import")
@click.argument("csv_file", metavar="CSV", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--cohort", "cohort_code", required=True, help="cohort code, e.g. SKO-LDR-2027-01")
@with_appcontext
def import_command(csv_file, cohort_code):
    """Import a participant list into a cohort: create missing accounts, match existing ones
    by e-mail, enrol everyone. Any bad row: every error as FILE:LINE: reason, nothing written."""
    from lms.courses.services import cohorts, user_import

    try:
        cohort = cohorts.get_cohort(cohort_code.strip().upper())
        report = user_import.import_participants(cohort, csv_file.read_bytes(), str(csv_file), None)
    except user_import.ParticipantImportError as exc:
        exit_refused(exc)
    except ServiceError as exc:
        db.session.rollback()
        click.echo(f"{csv_file}: {exc.message}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"{cohort.code}: {report.rows} row(s); created: {len(report.created)}; matched: {report.matched};"
               f" enrolled: {report.enrolled}; already enrolled: {report.already_enrolled}")


@click.command("invite")
@click.option("--cohort", "cohort_code", required=True, help="cohort code, e.g. SKO-LDR-2027-01")
@with_appcontext
def invite_command(cohort_code):
    """E-mail each participant of a cohort whose account has no password yet a link to choose
    one (it works 14 days, once); nobody twice a day. Then sends the outbox."""
    from lms.core.services import mail
    from lms.courses.services import cohorts

    try:
        invited = cohorts.invite_participants(cohorts.get_cohort(cohort_code.strip().upper()), None)
    except ServiceError as exc:
        db.session.rollback()
        click.echo(f"{cohort_code}: {exc.message}", err=True)
        sys.exit(1)
    db.session.commit()
    sent = mail.deliver_all()
    click.echo(f"{cohort_code.strip().upper()}: {len(invited)} invitation(s) queued"
               + "".join(f"\n  {u.email}" for u in invited) + f"\n{sent} message(s) sent")


@click.command("staff")
@click.argument("email")
@click.option("--cohort", "cohort_code", help="cohort code, e.g. SKO-LDR-2027-01")
@click.option("--programme", "programme_code", help="programme code, e.g. LDR-DT: the role holds in all its cohorts")
@click.option("--version", type=int, help="with --programme: this version (default: the newest approved)")
@click.option("--role", type=click.Choice(["trainer", "curator", "assessor"]), required=True)
@click.option("--remove", is_flag=True, help="take the role away instead")
@with_appcontext
def staff_command(email, cohort_code, programme_code, version, role, remove):
    """Give an existing account a staff role in a cohort or a programme (or take it away with
    --remove)."""
    from lms.core.services import users
    from lms.courses import services
    from lms.courses.services import cohorts, programmes

    if bool(cohort_code) == bool(programme_code):
        raise click.UsageError("give either --cohort or --programme")
    where = (cohort_code or programme_code).strip().upper()
    try:
        if cohort_code:
            place, module = cohorts.get_cohort(where), cohorts
        else:
            place, module = services.get_programme(where, version), programmes
        user = users.get_by_email(email)
        if user is None:
            raise ServiceError(f"no account has the e-mail {email}; create it with lms users create")
        changed = (module.remove_staff if remove else module.assign_staff)(place, user, role, None)
    except ServiceError as exc:
        db.session.rollback()
        click.echo(f"{where}: {exc.message}", err=True)
        sys.exit(1)
    db.session.commit()
    name = place.code if cohort_code else f"{place.code} v{place.version}"
    if remove:
        click.echo(f"{name}: {user.email} {'is no longer' if changed else 'was not'} {role}")
    else:
        click.echo(f"{name}: {user.email} is {role}")


def register_user_import(app) -> None:
    """Adds `import`, `invite` and `staff` to the core's `lms users` group, and the `lms selfstudy`
    group (the plugin's setup hook calls this). Idempotent: adding the same commands again
    replaces them."""
    users = app.cli.commands.get("users")
    if isinstance(users, click.Group):
        for command in (import_command, invite_command, staff_command):
            users.add_command(command)
    app.cli.add_command(selfstudy_group)


@click.group("selfstudy")
def selfstudy_group():
    """Self-study: the trainers' reminder of hand-ins waiting for review."""


@selfstudy_group.command("remind")
@with_appcontext
def selfstudy_remind_command():
    """E-mail each trainer of a planned or running cohort how many self-study hand-ins wait for
    their review, once a day, then deliver the outbox (cron, daily)."""
    from lms.courses import tasks

    click.echo(tasks.remind_reviewers())
