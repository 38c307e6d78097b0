"""The application as the benchmark serves it: `gunicorn bench.app_wsgi:app`, configured by
the LMS_* variables like wsgi.py, plus the opt-in statement counter (bench/sqlcount.py)."""
from lms import create_app
from lms.db import db

from bench import sqlcount

app = create_app()
if sqlcount.enabled():
    sqlcount.install(app, db.engine)
