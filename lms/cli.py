"""The `lms` command. Its subcommands are the app's own: create_app registers the core
commands and every enabled plugin's CLI group on `app.cli`."""
from __future__ import annotations

import click
from flask.cli import FlaskGroup

from lms import create_app


def _app(*_args, **_kwargs):
    return create_app()


@click.group(cls=FlaskGroup, create_app=_app, add_default_commands=True, add_version_option=False,
             load_dotenv=False, set_debug_flag=False)
def main():
    """Ustaz LMS."""
