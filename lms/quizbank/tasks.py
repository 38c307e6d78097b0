"""The quizbank plugin's scheduled tasks (core/tasks.py): the sweep of overdue attempts and the
daily reminders of tests about to close, shared by `lms quiz sweep` / `lms quiz remind` (cron)
and the RQ worker."""
from __future__ import annotations


def sweep() -> str:
    """Finish and grade every attempt in progress past its deadline plus grace (each is graded
    once, by whoever finishes it: a participant's submit, the next page load or this)."""
    from lms.quizbank.services.attempts import finish_overdue

    return f"{finish_overdue()} overdue attempt(s) finished and graded"


def remind() -> str:
    """Remind those who have not finished a test that closes within a day (the button's
    reminder, once a day each), commit, then deliver the outbox."""
    from lms.core.services import mail
    from lms.db import db
    from lms.quizbank.services.reminders import remind_closing

    reminded = remind_closing()
    db.session.commit()
    return f"queued {reminded} reminder(s) of tests closing within a day; delivered {mail.deliver_all()} message(s)"
