"""Alembic environment: the app's engine, Base.metadata and batch mode for SQLite."""
from alembic import context

from lms.core.migrate import table_prefixes
from lms.db import Base, db, foreign_key_violations, sqlite_foreign_keys_off

config = context.config
app = config.attributes["app"]
prefixes = table_prefixes(app)
#: when writing one branch's revision, only that branch's tables are compared
if config.attributes.get("branch"):
    prefixes = (f"{config.attributes['branch']}_",)


def include_object(obj, name, type_, reflected, compare_to):
    if type_ == "table":
        return name.startswith(prefixes)
    return True


def run(connection):
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:  # the caller's transaction (a restore), and its own reference checks
    run(connection)
else:
    # SQLite: foreign keys off while tables are rebuilt (dropping one would cascade), and every
    # reference checked before the commit
    with app.app_context(), db.engine.connect() as conn, sqlite_foreign_keys_off(conn), conn.begin():
        run(conn)
        broken = foreign_key_violations(conn)
        if broken:
            raise RuntimeError(f"the migration left {len(broken)} row(s) referring to missing rows, e.g."
                               f" {broken[:3]}; nothing was changed")
