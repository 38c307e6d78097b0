"""The post-course plugin's scheduled task (core/tasks.py): the daily reminders, shared by
`lms postcourse remind` (cron) and the RQ worker."""
from __future__ import annotations

from lms.core.services import mail
from lms.db import db

DELIVER_BATCH = 50


def deliver_all() -> int:
    """Send everything waiting, committing after each batch (a crash re-sends at most one batch)."""
    total = 0
    while True:
        sent = mail.deliver(DELIVER_BATCH)
        db.session.commit()
        total += sent
        if sent < DELIVER_BATCH:
            return total


def remind() -> str:
    """Queue reminders of activities due soon or overdue (once per activity and kind) with a
    summary to each cohort's trainer or curator, commit, then deliver the outbox."""
    from lms.postcourse.services import reminders

    report = reminders.remind()
    db.session.commit()
    sent = deliver_all()
    return (f"queued {report.graduates} reminder(s) to graduates and {report.staff} summary(ies) to staff;"
            f" delivered {sent} message(s)")
