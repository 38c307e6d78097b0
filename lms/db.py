"""The SQLAlchemy 2.0 engine, the request-scoped session and the declarative base.

Services flush, never commit; the view, API handler or CLI command commits once.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict: JSON, list: JSON}


#: JSON for a column of rows that queries may read with DISTINCT: PostgreSQL's `json` has no
#: equality (SELECT DISTINCT fails), its `jsonb` has
JSON_COMPARABLE = JSON().with_variant(JSONB(), "postgresql")

#: ids, versions and counts are 32-bit integers in the database (PostgreSQL's integer)
MAX_INT = 2**31 - 1


def db_int(value) -> int:
    """An integer the database can hold, for `request.args.get(..., type=db_int)`: a larger
    number raises ValueError, so `.get` gives its default (no such id) instead of the query
    failing with an overflow (a 500)."""
    number = int(value)
    if not -MAX_INT - 1 <= number <= MAX_INT:
        raise ValueError(f"{value!r} is beyond the database's integers")
    return number


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out, on SQLite (which stores naive text) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Database:
    """Holds the engine and a scoped session; bound to one app by `init_app`."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session = scoped_session(sessionmaker(expire_on_commit=False))

    def init_app(self, app, url: str) -> None:
        self.engine = make_engine(url)
        self.session.configure(bind=self.engine)
        app.extensions["lms_db"] = self

        @app.teardown_appcontext
        def _remove_session(exc):
            self.session.remove()


def make_engine(url: str) -> Engine:
    """An engine with this project's settings (the app's, or a second database's: a restore)."""
    kwargs = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs.update(pool_pre_ping=True, pool_size=8, max_overflow=4)
        if url.startswith("postgresql"):
            # short OLTP statements: JIT compiling a large plan costs more than it saves
            # (~30 ms on the curator dashboard, docs/performance.md)
            kwargs["connect_args"] = {"options": "-c jit=off"}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _sqlite_pragmas(dbapi_conn, _record):
    # let SQLAlchemy, not pysqlite, open transactions, so SAVEPOINTs work (SQLAlchemy docs,
    # "Serializable isolation / Savepoints / Transactional DDL" for pysqlite)
    dbapi_conn.isolation_level = None
    # SQLite's own lower() folds only ASCII: a search for «әсел» missed «Әсел» (and ILIKE is
    # lower() LIKE lower() here); Python's folds every letter, as PostgreSQL's does
    dbapi_conn.create_function("lower", 1, _lower, deterministic=True)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


@contextmanager
def sqlite_foreign_keys_off(conn: Connection) -> Iterator[None]:
    """Foreign keys off on a SQLite connection for what runs inside, back on after: Alembic's
    batch mode rebuilds a SQLite table by copying it and dropping the old one, and with foreign
    keys on that DROP deletes every row referring to it (ON DELETE CASCADE: a cohort's table
    rebuilt took every enrolment with it). Alembic's batch documentation asks for the pragma off;
    SQLite changes it only outside a transaction, so wrap the connection before it begins and
    check `foreign_key_violations` before committing. Other engines: nothing to do."""
    if conn.dialect.name != "sqlite":
        yield
        return
    if conn.in_transaction():
        raise RuntimeError("foreign keys can be switched off only before the transaction begins")
    raw = conn.connection.driver_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def foreign_key_violations(conn: Connection, table: str | None = None) -> list[tuple]:
    """SQLite's (table, rowid, parent table, key) for each row referring to a missing row, of
    one table or of all; empty elsewhere (PostgreSQL never lets such a row in)."""
    if conn.dialect.name != "sqlite":
        return []
    quoted = f"({conn.dialect.identifier_preparer.quote(table)})" if table else ""
    return [tuple(row) for row in conn.exec_driver_sql(f"PRAGMA foreign_key_check{quoted}")]


#: set for a request that writes (POST, PUT, PATCH, DELETE; by core's before_request hook and
#: the API lane): on SQLite its transaction begins IMMEDIATE, taking the write lock first and
#: waiting for it (busy_timeout) instead of failing at its first write because another writer
#: committed after it read ("database is locked", SQLITE_BUSY_SNAPSHOT in WAL mode)
write_intent: ContextVar[bool] = ContextVar("lms_write_intent", default=False)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _sqlite_begin(conn):
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


db = Database()
