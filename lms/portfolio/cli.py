"""`lms rubrics ...`: rubrics as content (content/rubrics/)."""
from __future__ import annotations

import click


@click.group("rubrics")
def rubrics_group():
    """Defense rubrics: load them from content/rubrics/."""
