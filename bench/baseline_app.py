"""The floor of this stack: Flask + SQLAlchemy + psycopg + gunicorn on the same database,
one route that parses a JSON body, runs one INSERT and COMMITs, and answers JSON.

The engine takes the same settings as lms/db.py (pool size, pre-ping) and the same
request-scoped session, so the ratio of an answer save to this route measures what the
application adds: authentication, capability check, the guarded write and its reads."""
from __future__ import annotations

import os

from flask import Flask, jsonify, request
from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, Table, create_engine, insert
from sqlalchemy.orm import scoped_session, sessionmaker

from bench import sqlcount
from lms.db import utcnow

metadata = MetaData()
rows = Table("bench_baseline", metadata,
             Column("id", Integer, primary_key=True),
             Column("created_at", DateTime(timezone=True), nullable=False),
             Column("payload", JSON))

engine = create_engine(os.environ["LMS_DATABASE_URL"], pool_pre_ping=True, pool_size=8, max_overflow=4)
session = scoped_session(sessionmaker(bind=engine, expire_on_commit=False))
app = Flask(__name__)


@app.teardown_appcontext
def _remove(exc):
    session.remove()


@app.route("/baseline", methods=["PUT", "POST"])
def baseline():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error="bad_request", message="a JSON object"), 400
    now = utcnow()
    session.execute(insert(rows).values(created_at=now, payload=body))
    session.commit()
    return jsonify(saved_at=now.isoformat())


if sqlcount.enabled():
    sqlcount.install(app, engine)
