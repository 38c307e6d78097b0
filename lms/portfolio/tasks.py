"""The portfolio plugin's scheduled tasks (core/tasks.py): telling holders their next course falls
due, and issuers of a certificate that no longer meets the rules; shared by `lms certificates
remind-due` and `lms certificates notify-lapsed` (cron) and the RQ worker."""
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


def notify_lapsed() -> str:
    """Queue the issuers' notices of certificates that no longer meet the rules (each set once),
    commit, then deliver the outbox."""
    from lms.portfolio.services import lapses

    queued = lapses.notify_issuers()
    db.session.commit()
    sent = mail.deliver_all()
    return f"queued {len(queued)} notice(s) of lapsed certificates; delivered {sent} message(s)"
