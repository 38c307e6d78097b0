"""The courses plugin's scheduled task (core/tasks.py): the trainers' morning reminder of
hand-ins waiting for review, shared by `lms selfstudy remind` (cron) and the RQ worker."""
from __future__ import annotations

from lms.core.services import mail
from lms.db import db


def remind_reviewers() -> str:
    """Queue each trainer's count of hand-ins waiting in their live cohorts, commit, deliver."""
    from lms.courses.services import notices

    queued = notices.remind_reviewers()
    db.session.commit()
    sent = mail.deliver_all()
    return f"queued {queued} reminder(s) of hand-ins waiting for review; delivered {sent} message(s)"
