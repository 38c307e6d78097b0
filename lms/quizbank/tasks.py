"""The quizbank plugin's scheduled task (core/tasks.py): the sweep of overdue attempts, shared
by `lms quiz sweep` (cron) and the RQ worker."""
from __future__ import annotations


def sweep() -> str:
    """Finish and grade every attempt in progress past its deadline plus grace (each is graded
    once, by whoever finishes it: a participant's submit, the next page load or this)."""
    from lms.quizbank.services.attempts import finish_overdue

    return f"{finish_overdue()} overdue attempt(s) finished and graded"
