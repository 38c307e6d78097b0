"""The `lms` command: core commands plus every enabled plugin's CLI group."""
from __future__ import annotations

import os

import click
from flask.cli import FlaskGroup

from lms import create_app
from lms.config import Config
from lms.core.cli import db_group, demo_command, users_group


def _app(*_args, **_kwargs):
    return create_app()


@click.group(cls=FlaskGroup, create_app=_app, add_default_commands=True, add_version_option=False,
             load_dotenv=False, set_debug_flag=False)
def main():
    """Ustaz LMS."""


main.add_command(db_group)
main.add_command(demo_command)
main.add_command(users_group)


def _add_plugin_commands() -> None:
    from lms.plugins import enabled_plugins

    plugins_env = os.environ.get("LMS_PLUGINS")
    wanted = None if plugins_env is None else Config.from_env().plugins
    for plugin in enabled_plugins(wanted):
        if plugin.cli is not None:
            main.add_command(plugin.cli)


_add_plugin_commands()
