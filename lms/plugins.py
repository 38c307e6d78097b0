"""The plugin registry: plugins are found through the `lms.plugins` entry-point group
and enabled by LMS_PLUGINS (default: all installed).

Like a Moodle plugin, each one declares itself: name, version, blueprints, capabilities,
a CLI group, its migrations folder, the events it listens to and its scheduled tasks. Plugins never import
each other's models; they call each other's services or react to signals.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Callable

import click
from flask import Blueprint

from lms.core.capabilities import Capability
from lms.core.tasks import ScheduledTask

ENTRY_POINT_GROUP = "lms.plugins"


@dataclass
class Plugin:
    name: str
    version: str
    title: str
    #: module path of the plugin's models, imported when the plugin is enabled
    models: str | None = None
    blueprints: list[Callable[[], Blueprint]] = field(default_factory=list)
    capabilities: list[Capability] = field(default_factory=list)
    #: a function returning the plugin's click group (imported only when enabled)
    cli: Callable[[], click.Group] | None = None
    #: signal -> receiver, connected when the plugin is enabled
    listeners: list[tuple[object, Callable]] = field(default_factory=list)
    #: Alembic version folder of this plugin's own tables
    migrations: Path | None = None
    #: other plugins this one needs enabled (courses, for most)
    requires: list[str] = field(default_factory=list)
    #: called with the app after the rest is registered (context parents, menu items)
    setup: Callable | None = None
    #: entries for the main menu: (endpoint, label, capability)
    menu: list[tuple[str, object, str]] = field(default_factory=list)
    #: recurring work the RQ worker runs (core/tasks.py), as Moodle's db/tasks.php
    tasks: list[ScheduledTask] = field(default_factory=list)
    #: module path of the plugin's ACTIONS: audit action code -> its words (the audit log's page)
    audit_actions: str | None = None
    #: the kinds of e-mail notice it sends that a reader may turn off: (code, words) or (code,
    #: words, capability), code "<plugin>:<kind>" (Moodle's message providers); with a capability
    #: the profile offers the kind only to those who hold it somewhere (its readers);
    #: `mail.wants(user, code)` asks before queueing
    notice_kinds: list[tuple] = field(default_factory=list)
    #: module path of the plugin's personal data export: `export(user) -> PersonalData`
    #: (lms/core/services/privacy.py; Moodle's privacy provider)
    privacy: str | None = None


class PluginError(RuntimeError):
    pass


def installed_plugins() -> dict[str, Plugin]:
    found: dict[str, Plugin] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        plugin = ep.load()
        if not isinstance(plugin, Plugin):
            raise PluginError(f"entry point {ep.name!r} does not point at a Plugin")
        if plugin.name != ep.name:
            raise PluginError(f"entry point {ep.name!r} declares plugin {plugin.name!r}")
        found[plugin.name] = plugin
    return found


def enabled_plugins(wanted: list[str] | None) -> list[Plugin]:
    """The plugins to load, in dependency order; unknown names and missing
    dependencies are errors, not silent omissions."""
    available = installed_plugins()
    names = list(available) if wanted is None else wanted
    unknown = [n for n in names if n not in available]
    if unknown:
        raise PluginError(
            f"LMS_PLUGINS names plugins that are not installed: {', '.join(unknown)}"
            f" (installed: {', '.join(sorted(available)) or 'none'})"
        )
    ordered: list[Plugin] = []

    def visit(name: str, chain: tuple[str, ...]) -> None:
        plugin = available[name]
        if plugin in ordered:
            return
        for dep in plugin.requires:
            if dep not in names:
                raise PluginError(f"plugin {name!r} requires plugin {dep!r}, which is not enabled")
            if dep in chain:
                raise PluginError(f"plugin dependency cycle: {' -> '.join(chain + (dep,))}")
            visit(dep, chain + (dep,))
        ordered.append(plugin)

    for name in names:
        visit(name, (name,))
    return ordered
