"""The community plugin's scheduled task (core/tasks.py): the daily digests, shared by
`lms community digest` (cron) and the RQ worker."""
from __future__ import annotations

from lms.core.services import mail
from lms.db import db


def digest() -> str:
    """Queue the day's digests of answers for the readers who chose them, commit, deliver."""
    from lms.community.services import digests

    queued = digests.send_digests()
    db.session.commit()
    sent = mail.deliver_all()
    return f"queued {queued} digest(s) of discussion answers; delivered {sent} message(s)"
