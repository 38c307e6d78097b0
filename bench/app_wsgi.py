"""The application as the benchmark serves it: `gunicorn bench.app_wsgi:app`, the production
entry point (wsgi.py, configured by the LMS_* variables) plus the opt-in statement counter
(bench/sqlcount.py)."""
from lms.db import db
from wsgi import app

from bench import sqlcount

if sqlcount.enabled():
    sqlcount.install(app, db.engine)
