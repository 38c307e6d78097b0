"""`lms postcourse ...`: reminders (run from cron or RQ) and support models."""
from __future__ import annotations

import click


@click.group("postcourse")
def postcourse_group():
    """Post-course support: reminders, support models."""
