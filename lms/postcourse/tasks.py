"""The post-course plugin's scheduled task (core/tasks.py): the daily reminders, shared by
`lms postcourse remind` (cron) and the RQ worker."""
from __future__ import annotations

from lms.core.services import mail
from lms.db import db


def remind() -> str:
    """Queue reminders of activities due soon or overdue (once per activity and kind) with a
    summary to each cohort's trainer or curator, commit, then deliver the outbox."""
    from lms.postcourse.services import reminders

    report = reminders.remind()
    db.session.commit()
    sent = mail.deliver_all()
    return (f"queued {report.graduates} reminder(s) to graduates and {report.staff} summary(ies) to staff;"
            f" delivered {sent} message(s)")
