"""`lms certificates ...`: issue a cohort's certificates from the command line."""
from __future__ import annotations

import click


@click.group("certificates")
def certificates_group():
    """Certificates: issue, revoke, verify."""
