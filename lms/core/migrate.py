"""Alembic, driven from code: one version folder per plugin (Moodle's db/upgrade.php per
plugin), each a branch; `lms db upgrade` applies every enabled plugin's head."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import current_app

CORE_VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"
SCRIPT_LOCATION = Path(__file__).resolve().parent.parent / "migrations"


def version_locations(app=None) -> dict[str, Path]:
    app = app or current_app
    locations = {"core": CORE_VERSIONS}
    for name, plugin in app.extensions.get("lms_plugins", {}).items():
        if plugin.migrations:
            locations[name] = Path(plugin.migrations)
    return locations


def alembic_config(app=None, connection=None) -> AlembicConfig:
    app = app or current_app
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    cfg.set_main_option("version_locations", " ".join(str(p) for p in version_locations(app).values()))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["app"] = app
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(app=None, connection=None) -> None:
    """Idempotent: a database already at every head is left as it is."""
    app = app or current_app
    command.upgrade(alembic_config(app, connection), "heads")


def revision(message: str, branch: str, app=None) -> None:
    app = app or current_app
    locations = version_locations(app)
    if branch not in locations:
        raise KeyError(f"unknown branch {branch!r}; known: {', '.join(locations)}")
    cfg = alembic_config(app)
    cfg.attributes["branch"] = branch
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(cfg)
    has_branch = any(branch in (rev.branch_labels or ()) for rev in script.walk_revisions())
    if has_branch:
        command.revision(cfg, message=message, autogenerate=True, head=f"{branch}@head",
                         version_path=str(locations[branch]))
    else:  # the first revision of a branch
        depends = None if branch == "core" else [r.revision for r in script.get_revisions("core@head")]
        command.revision(cfg, message=message, autogenerate=True, head="base", branch_label=branch,
                         version_path=str(locations[branch]), depends_on=depends)


def table_prefixes(app=None) -> tuple[str, ...]:
    """Tables belong to core or to an enabled plugin by their prefix."""
    app = app or current_app
    return tuple(f"{name}_" for name in version_locations(app))


def owned_by_enabled(app=None):
    """An Alembic include_object hook: compare only the enabled plugins' tables."""
    prefixes = table_prefixes(app)

    def include(obj, name, type_, reflected, compare_to):
        table = obj if type_ == "table" else getattr(obj, "table", None)
        table_name = name if type_ == "table" else getattr(table, "name", "")
        return table_name is None or str(table_name).startswith(prefixes)

    return include
