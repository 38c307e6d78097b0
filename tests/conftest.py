"""Fixtures: `app`, `client`, `runner`, `auth`, a rolled-back `db`, factories, query counting.

The suite runs on a real database: a temporary SQLite file by default, or PostgreSQL when
LMS_TEST_DATABASE_URL is set (the schema there is dropped and rebuilt by the migrations).
"""
from __future__ import annotations

import io
import os
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text

from lms import create_app
from lms.config import Config
from lms.core.migrate import upgrade
from lms.core.services import users as user_service
from lms.db import db

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"

# scrypt at full cost makes every test user take ~50 ms; the mechanism is the same
user_service.PASSWORD_METHOD = "pbkdf2:sha256:1000"


def reset_database(url: str) -> None:
    """An empty database: the migrations then build everything from nothing."""
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()


FILES_DIR = BACKUP_DIR = None


def make_config(url: str, **extra) -> Config:
    """The suite's configuration: its file store and backup directory (where the ledger of
    erased accounts goes) are temporary, never the checkout's instance folder."""
    import tempfile

    global FILES_DIR, BACKUP_DIR
    FILES_DIR = FILES_DIR or tempfile.mkdtemp(prefix="lms-test-files-")
    BACKUP_DIR = BACKUP_DIR or tempfile.mkdtemp(prefix="lms-test-backups-")
    plugins = os.environ.get("LMS_PLUGINS")
    return Config(
        database_url=url,
        files_dir=FILES_DIR,
        backup_dir=BACKUP_DIR,
        plugins=None if plugins is None else [p for p in plugins.split(",") if p.strip()],
        secret_key="test-secret",
        testing=True,
        extra={"WTF_CSRF_ENABLED": False, **extra},
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("LMS_TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    reset_database(url)
    return url


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app(make_config(database_url))
    with app.app_context():
        upgrade(app)
        if "courses" in app.extensions["lms_plugins"]:
            from lms.courses.services import load_content

            load_content(CONTENT)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def own_site(app, tmp_path):
    """`own_site(name)`: an app of its own on a SQLite file under tmp_path (a migration test
    takes it up and down, whatever the suite's database); the suite's engine is bound again
    afterwards, since the `db` object is the process's one."""
    saved = db.engine
    yield lambda name: create_app(make_config(f"sqlite:///{tmp_path / name}"))
    db.session.remove()
    db.engine.dispose()
    db.engine = saved
    db.session.configure(bind=saved)


@pytest.fixture
def db_session(app):
    """Each test runs inside a transaction that is rolled back afterwards; the code under
    test may commit (that only releases a savepoint). No app context stays pushed, so every
    request gets a fresh one (and a fresh `g`), as in production."""
    db.session.remove()
    conn = db.engine.connect()
    trans = conn.begin()
    db.session.configure(bind=conn, join_transaction_mode="create_savepoint")
    try:
        yield db.session
    finally:
        db.session.remove()
        trans.rollback()
        conn.close()
        db.session.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")


@pytest.fixture
def client(app, db_session):
    from lms.core.extensions import limiter

    limiter.reset()  # the login limit counts per test, not across the suite
    return app.test_client()


@pytest.fixture
def runner(app, db_session):
    return app.test_cli_runner()


class Factory:
    """Creates rows with sensible defaults (Moodle's data generator)."""

    def __init__(self):
        self.n = 0

    def user(self, role: str | None = None, *, email=None, password="secret", context=("system", None), **kw):
        self.n += 1
        user = user_service.create_user(email or f"user{self.n}@test.kz", kw.pop("full_name", f"Тест Қолданушы {self.n}"),
                                        password, **kw)
        if role:
            user_service.assign_role(user, role, *context)
        db.session.commit()  # committed before any request, as a real account would be
        return user


    def cohort(self, code="TEST-COHORT", programme="LDR-SUS", format_code="online", participants=3, *,
               start=None, days=30, trainer=None, **fields):
        """An approved programme's cohort with `participants` enrolled participants
        (e-mails <code>-pNN@test.kz, password "secret"); returns the Cohort."""
        from datetime import date, timedelta

        from lms.courses import services
        from lms.courses.services import cohorts

        start = start or date.today()
        cohort = cohorts.create_cohort(services.get_programme(programme), {
            "code": code, "format_code": format_code, "start_date": start,
            "end_date": start + timedelta(days=days), **fields}, None)
        for i in range(1, participants + 1):
            user = self.user(email=f"{code.lower()}-p{i:02d}@test.kz", full_name=f"Қатысушы {i:02d}")
            cohorts.enrol(cohort, user, None)
        if trainer is not None:
            cohorts.assign_staff(cohort, trainer, "trainer", None)
        db.session.commit()
        return cohort


    def session(self, cohort, topic_code=None, *, starts_at=None, hours=2.0, module_number=None, kind="webinar",
                status="scheduled", meeting_url=None):
        """A WebinarSession of `cohort` for a topic (or a whole variative module)."""
        from datetime import datetime, timedelta, timezone

        from lms.courses.models import WebinarSession

        topic = next((t for t in cohort.programme.topics if t.code == topic_code), None) if topic_code else None
        module = topic.module if topic else next(m for m in cohort.programme.modules if m.number == module_number)
        starts_at = starts_at or datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)
        s = WebinarSession(cohort=cohort, module=module, topic=topic, kind=kind, starts_at=starts_at,
                           academic_hours=hours, status=status, meeting_url=meeting_url)
        db.session.add(s)
        db.session.commit()
        return s


@pytest.fixture
def make(db_session):
    return Factory()


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, email, password="secret"):
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as q: ...` then `len(q)` is the number of SQL statements."""

    @contextmanager
    def counter():
        statements: list[str] = []

        def before(conn, cursor, statement, *args):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counter


@pytest.fixture
def outbox(app, tmp_path, monkeypatch):
    """`outbox()` reads the messages the mail outbox wrote as .eml files, oldest first."""
    from email import message_from_bytes, policy

    directory = tmp_path / "outbox"
    monkeypatch.setattr(app.config["LMS"], "outbox_dir", str(directory))

    def read():
        if not directory.exists():
            return []
        files = sorted(directory.glob("*.eml"), key=lambda p: int(p.stem))
        return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]

    return read


def password_link(message) -> str:
    """The path of the password link in a message of lms.core.services.passwords."""
    import re

    body = message.get_body(preferencelist=("plain",)).get_content()
    return "/password/set/" + re.search(r"http://\S+/password/set/(\S+)", body).group(1)


def personal_data(response) -> zipfile.ZipFile:
    """The ZIP a personal data export answered (read whole; the response is closed, and with it
    the temporary file the ZIP was spooled to)."""
    with response:
        assert response.status_code == 200, response.status_code
        assert response.mimetype == "application/zip"
        assert "no-store" in response.headers["Cache-Control"]  # nobody's cache keeps a person's data
        return zipfile.ZipFile(io.BytesIO(response.get_data()))


def zip_text(archive: zipfile.ZipFile, folder: str = "") -> str:
    """Every member under `folder` as text, one string: to assert that a name is nowhere in it."""
    return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if n.startswith(folder))
