"""`lms certificates ...`: issue a cohort's certificates from the command line."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from lms.core.services.errors import ServiceError
from lms.db import db


@click.group("certificates")
def certificates_group():
    """Certificates: issue, check, revoke, verify, remind holders of their next course."""


@certificates_group.command("issue")
@click.option("--cohort", "cohort_code", required=True, help="cohort code, e.g. SKO-LDR-2027-01")
@click.option("--language", type=click.Choice(["kk", "ru"]), default=None,
              help="language of the certificates (default: the cohort's, or each participant's)")
@with_appcontext
def issue_command(cohort_code, language):
    """Issue a certificate to every eligible participant of the cohort who has none yet; print
    each one issued, and each participant refused with the reasons. Staff are never issued."""
    from lms.courses.services import cohorts
    from lms.portfolio.services import certificates

    try:
        cohort = cohorts.get_cohort(cohort_code.strip().upper())
        report = certificates.issue_cohort(cohort, language, None)
    except ServiceError as exc:
        db.session.rollback()
        click.echo(f"{cohort_code}: {exc.message}", err=True)
        sys.exit(1)
    db.session.commit()
    if report.issued:
        from lms.core.services import mail

        mail.deliver_all()  # each holder's e-mail (what the server refuses waits for the outbox task)
    for cert in report.issued:
        click.echo(f"issued {cert.number}: {cert.holder_name}")
    for enrolment, cert in report.already:
        click.echo(f"already holds {cert.number}: {enrolment.user.full_name}")
    for row in report.refused:
        click.echo(f"refused {row.enrolment.user.full_name} <{row.enrolment.user.email}>: "
                   + "; ".join(r.message for r in row.reasons))
    click.echo(f"{cohort.code}: {report.summary()}")


@certificates_group.command("remind-due")
@with_appcontext
def remind_due_command():
    """Tell each holder, once 6 months ahead and once on the day, that their next upskilling
    course falls due (3 years after their latest; holders enrolled again are not told), then
    deliver the outbox. Safe to run daily from cron: nobody is told twice."""
    from lms.portfolio import tasks

    click.echo(tasks.remind_due())


@certificates_group.command("notify-lapsed")
@with_appcontext
def notify_lapsed_command():
    """Tell those who issue each cohort's certificates of the valid ones whose holders no longer
    meet the rules (issued within the last year), then deliver the outbox. Safe to run daily from
    cron: the same lapses are told once."""
    from lms.portfolio import tasks

    click.echo(tasks.notify_lapsed())


@certificates_group.command("check")
@click.option("--cohort", "cohort_code", required=True, help="cohort code, e.g. SKO-LDR-2027-01")
@with_appcontext
def check_command(cohort_code):
    """List the cohort's valid certificates whose holders no longer meet the rules (a regrade,
    a defense or the hours changed after issue), with the reasons. Exits 1 when there are any,
    so cron can raise it; nothing is revoked."""
    from lms.courses.services import cohorts
    from lms.portfolio.services import certificates

    try:
        cohort = cohorts.get_cohort(cohort_code.strip().upper())
    except ServiceError as exc:
        click.echo(f"{cohort_code}: {exc.message}", err=True)
        sys.exit(1)
    rows = certificates.lapsed(cohort)
    for row in rows:
        click.echo(f"{row.certificate.number} {row.enrolment.user.full_name} <{row.enrolment.user.email}>: "
                   + "; ".join(r.message for r in row.reasons))
    click.echo(f"{cohort.code}: {len(rows)} valid certificate(s) whose holder no longer meets the rules")
    if rows:
        sys.exit(1)


@certificates_group.command("revoke")
@click.argument("number")
@click.option("--reason", required=True, help="why (shown on the public verification page)")
@with_appcontext
def revoke_command(number, reason):
    """Revoke a certificate by its number, with the reason."""
    from lms.portfolio.services import certificates

    try:
        cert = certificates.revoke(certificates.get_certificate(number), reason, None)
    except ServiceError as exc:
        db.session.rollback()
        click.echo(f"{number}: {exc.message}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"revoked {cert.number}: {cert.revoke_reason}")


@certificates_group.command("verify")
@click.argument("number")
@with_appcontext
def verify_command(number):
    """Print what the public verification page says about a number."""
    from lms.portfolio.services import certificates

    try:
        facts = certificates.verify(number)
    except ServiceError as exc:
        click.echo(f"{number}: {exc.message}", err=True)
        sys.exit(1)
    click.echo(f"{facts['number']}: {facts['status']}")
    for key in ("holder_name", "programme_title", "hours", "completed_on", "issued_on", "revoked_on",
                "revoke_reason"):
        if facts[key] is not None:
            click.echo(f"  {key}: {facts[key]}")


@certificates_group.command("scheme")
@click.option("--cohort", "cohort_code", required=True, help="cohort code, e.g. SKO-LDR-2027-01")
@click.option("--take", is_flag=True, help="give the cohort the programme file's current scheme (audited)")
@with_appcontext
def scheme_command(cohort_code, take):
    """Say which grading scheme the cohort is assessed by (the one kept when it was created, or
    the programme's file) and whether the file has changed since; with --take, replace it by the
    file's current one."""
    from lms.core.services.errors import ServiceError as Refused
    from lms.courses.services import cohorts
    from lms.db import db
    from lms.portfolio.services import schemes

    try:
        cohort = cohorts.get_cohort(cohort_code.strip().upper())
        if take:
            row = schemes.take(cohort, None)
            db.session.commit()
            click.echo(f"{cohort.code}: now assessed by {row.source or 'no scheme file'} as it reads today")
            return
    except Refused as exc:
        db.session.rollback()
        click.echo(f"{cohort_code}: {exc.message}", err=True)
        sys.exit(1)
    row = schemes.kept(cohort)
    if row is None:
        click.echo(f"{cohort.code}: follows the programme's file (no scheme kept; --take keeps today's)")
    elif schemes.differs_from_file(cohort, row):
        click.echo(f"{cohort.code}: keeps the scheme of {row.taken_at:%Y-%m-%d}; the file has changed since"
                   " (--take to apply it)")
    else:
        click.echo(f"{cohort.code}: keeps the scheme of {row.taken_at:%Y-%m-%d}, the same as the file")

