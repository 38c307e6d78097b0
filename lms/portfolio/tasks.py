"""The portfolio plugin's scheduled task (core/tasks.py): telling holders their next course falls
due, shared by `lms certificates remind-due` (cron) and the RQ worker."""
from __future__ import annotations

from lms.core.services import mail
from lms.db import db


def remind_due() -> str:
    """Queue the holders' notices of a course falling due (each once per stage), commit, then
    deliver the outbox."""
    from lms.portfolio.services import recertification

    queued = recertification.remind()
    db.session.commit()
    sent = mail.deliver_all()
    return f"queued {len(queued)} notice(s) of a course falling due; delivered {sent} message(s)"
