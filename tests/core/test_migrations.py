"""`lms db upgrade` from an empty database gives exactly the models' schema."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from alembic.script import ScriptDirectory

from lms.core.migrate import alembic_config, owned_by_enabled, table_prefixes, upgrade
from lms.db import Base, db


def test_migrated_schema_equals_models(app):
    # the session database was built from nothing by the migrations alone
    with app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                     "include_object": owned_by_enabled(app)})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_every_model_table_exists_and_upgrade_is_idempotent(app):
    with app.app_context():
        upgrade(app)  # a second run changes nothing and does not fail
        with db.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            heads = {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    assert {t for t in Base.metadata.tables if t.startswith(table_prefixes(app))} <= tables
    script = ScriptDirectory.from_config(alembic_config(app))
    applied = {rev.revision for rev in script.revision_map.iterate_revisions(tuple(heads), "base")}
    # every enabled plugin's branch head is applied (a plugin head also stands for core)
    assert set(script.get_heads()) <= applied
