"""Opt-in statement counting for the benchmark servers.

With BENCH_COUNT_SQL=1 every response carries `X-SQL-Statements` (statements SQLAlchemy sent
to the database while the request ran, plus one per COMMIT) and `X-Bench-Pid` (the worker
that answered); BENCH_SQL_LOG=1 also prints each request's statements to stderr. Without the
variable nothing is installed: no listener, no header, no cost. Only the bench's WSGI entry
points call `install`; the application's own wsgi.py never does.

Not counted: the BEGIN psycopg sends before a transaction's first statement and the
`SELECT 1` of the pool's pre-ping (both below SQLAlchemy's cursor events); they cost every
route the same round trips, the baseline too."""
from __future__ import annotations

import os
import sys

from flask import g, has_app_context
from sqlalchemy import event

HEADER, PID_HEADER = "X-SQL-Statements", "X-Bench-Pid"


def enabled() -> bool:
    return os.environ.get("BENCH_COUNT_SQL", "") not in ("", "0")


def install(app, engine) -> None:
    log = os.environ.get("BENCH_SQL_LOG", "") not in ("", "0")
    pid = str(os.getpid())

    def note(text: str) -> None:
        if has_app_context():
            seen = g.setdefault("bench_sql", [])
            seen.append(text)

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn, cursor, statement, parameters, context, executemany):
        note(statement)

    @event.listens_for(engine, "commit")
    def _commit(conn):
        note("COMMIT")

    def header(response):
        seen = g.get("bench_sql", [])
        response.headers[HEADER] = str(len(seen))
        response.headers[PID_HEADER] = pid
        if log:
            from flask import has_request_context, request

            where = f"{request.method} {request.path}" if has_request_context() else "api lane"
            print(f"[sql] {where}: {len(seen)}\n  " +
                  "\n  ".join(" ".join(s.split())[:300] for s in seen), file=sys.stderr, flush=True)
        return response

    app.after_request(header)
    lane = app.extensions.get("lms_api_lane")
    if lane is not None:  # the API's express lane answers without Flask's after_request hooks
        lane.response_hooks.append(header)
