"""Ustaz LMS: the application factory."""
from __future__ import annotations

from flask import Flask

from lms.config import Config


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    app = Flask(__name__, static_folder="core/static", template_folder="core/templates")
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
    for make_blueprint in plugin.blueprints:
        app.register_blueprint(make_blueprint())
    if plugin.cli is not None:
        app.cli.add_command(plugin.cli())
    for signal, receiver in plugin.listeners:
        signal.connect(receiver, weak=False)
    if plugin.setup:
        plugin.setup(app)
