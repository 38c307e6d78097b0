"""Ustaz LMS: the application factory."""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from lms.config import Config
from lms.db import MAX_INT


class IdConverter(IntegerConverter):
    """Ids, versions and slot numbers are 32-bit integers in the database: a larger number in a
    URL matches no route (404) instead of reaching the database (an overflow, a 500)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's own parameter name
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    app = Flask(__name__, static_folder="core/static", template_folder="core/templates")
    app.url_map.converters["int"] = IdConverter  # before any route is added: every <int:...> is bounded
    app.config.from_mapping(config.flask_settings())
    app.config["LMS"] = config

    from lms.core import init_core

    init_core(app, config)

    from lms.plugins import enabled_plugins

    plugins = enabled_plugins(config.plugins)
    app.extensions["lms_plugins"] = {p.name: p for p in plugins}
    for plugin in plugins:
        _load_plugin(app, plugin)
    return app


def _load_plugin(app: Flask, plugin) -> None:
    import importlib

    if plugin.models:
        importlib.import_module(plugin.models)
    app.extensions["lms_capabilities"].register(plugin.capabilities, plugin.name)
    if plugin.audit_actions:
        words = importlib.import_module(plugin.audit_actions)
        app.extensions["lms_audit_actions"].update(words.ACTIONS)
        app.extensions["lms_audit_types"].update(getattr(words, "OBJECT_TYPES", {}))
    for code, words, *audience in plugin.notice_kinds:
        if not code.startswith(plugin.name + ":"):
            raise ValueError(f"{plugin.name} may only declare '{plugin.name}:' notice kinds, not {code!r}")
        app.extensions["lms_notice_kinds"][code] = words
        app.extensions["lms_notice_audience"][code] = audience[0] if audience else None
    if plugin.privacy:
        app.extensions["lms_privacy"][plugin.name] = plugin.privacy
    for make_blueprint in plugin.blueprints:
        app.register_blueprint(make_blueprint())
    if plugin.cli is not None:
        app.cli.add_command(plugin.cli())
    for signal, receiver in plugin.listeners:
        signal.connect(receiver, weak=False)
    if plugin.setup:
        plugin.setup(app)
