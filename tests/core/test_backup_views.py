"""The administrators' Backups page: whether the nightly backup runs, a backup made now, each
one downloaded (audited) or checked; nobody else may open it."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from lms.core import tasks
from lms.core.models import AuditEntry
from lms.core.services import backup
from lms.db import utcnow


@pytest.fixture
def backups(app, tmp_path, monkeypatch):
    """The site's backup directory, empty, for this test."""
    monkeypatch.setattr(app.config["LMS"], "backup_dir", str(tmp_path / "backups"))
    return tmp_path / "backups"


@pytest.fixture
def admin(make, auth):
    user = make.user("admin", email="admin@centre.kz", language="en")  # the page read in English here
    auth.login("admin@centre.kz")
    return user


def _actions(db_session, action):
    return db_session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_an_admin_makes_a_backup_now_downloads_it_and_the_log_names_both(client, admin, backups, db_session):
    page = client.get("/admin/backups").get_data(as_text=True)
    assert "No backup has been made yet." in page and "No backups in this directory yet." in page

    made = client.post("/admin/backups/new", follow_redirects=True).get_data(as_text=True)
    (archive,) = backups.glob("ustaz-backup-*.zip")
    assert f"Backup {archive.name} made:" in made
    assert "The newest backup was made" in made and "more than a day and a half ago" not in made
    assert f'href="/admin/backups/{archive.name}"' in made
    (entry,) = _actions(db_session, "site_backed_up")
    assert entry.actor_id == admin.id and entry.details["file"] == archive.name

    download = client.get(f"/admin/backups/{archive.name}")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert f'filename={archive.name}' in download.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(download.data)) as z:
        assert json.loads(z.read("manifest.json"))["format"] == "ustaz-backup"
    download.close()  # the file handle send_file opened
    (taken,) = _actions(db_session, "site_backup_downloaded")
    assert taken.actor_id == admin.id and taken.summary == archive.name

    checked = client.post(f"/admin/backups/{archive.name}/check", follow_redirects=True).get_data(as_text=True)
    assert f"{archive.name} is sound" in checked


def test_a_damaged_or_old_backup_is_shown_as_such(client, admin, backups, app):
    backups.mkdir()
    with app.app_context():
        made = backup.backup(backups)
    # three days old, by its manifest: the nightly backup has stopped
    with zipfile.ZipFile(made.path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest["made_at"] = (utcnow() - timedelta(days=3)).isoformat()
    members["manifest.json"] = json.dumps(manifest).encode()
    made.path.unlink()
    old = backups / "ustaz-backup-20250101-000000.zip"
    with zipfile.ZipFile(old, "w") as z:
        for name, data in members.items():
            z.writestr(name, data if not name.startswith("tables/core_users") else data + b"[1]\n")
    (backups / "copied-by-hand.zip").write_bytes(b"not a zip at all")

    page = client.get("/admin/backups").get_data(as_text=True)
    assert "more than a day and a half ago" in page
    assert "not a sound backup: not a ZIP archive" in page
    checked = client.post(f"/admin/backups/{old.name}/check", follow_redirects=True).get_data(as_text=True)
    assert f"{old.name} is not sound; it cannot be restored:" in checked and "tables/core_users.jsonl" in checked


def test_only_files_of_the_backup_directory_can_be_downloaded(client, admin, backups):
    backups.mkdir()
    (backups.parent / "secret.zip").write_bytes(b"PK not yours")
    for name in ("..%2Fsecret.zip", "secret.zip", "missing.zip", ".hidden.zip", "notes.txt"):
        assert client.get(f"/admin/backups/{name}").status_code == 404, name
        assert client.post(f"/admin/backups/{name}/check").status_code == 404, name


@pytest.mark.parametrize("role", ["methodologist", "trainer", "curator"])
def test_nobody_but_an_administrator_sees_the_backups(client, make, auth, backups, role):
    make.user(role, email=f"{role}@centre.kz")
    auth.login(f"{role}@centre.kz")
    backups.mkdir()
    (backups / "ustaz-backup-20250101-000000.zip").write_bytes(b"x")
    assert "/admin/backups" not in client.get("/profile").get_data(as_text=True)
    for response in (client.get("/admin/backups"), client.get("/admin/backups/ustaz-backup-20250101-000000.zip"),
                     client.post("/admin/backups/new")):
        assert response.status_code == 403
    assert list(backups.iterdir()) == [backups / "ustaz-backup-20250101-000000.zip"]


def test_with_redis_the_worker_makes_the_backup(client, admin, backups, app, monkeypatch, db_session):
    url = "redis://127.0.0.1:6379/15"
    redis = Redis.from_url(url)
    redis.flushdb()
    monkeypatch.setattr(app.config["LMS"], "redis_url", url)
    try:
        queued = client.post("/admin/backups/new", follow_redirects=True).get_data(as_text=True)
        assert "The backup is queued" in queued and not backups.exists()
        assert [job.args for job in Queue(tasks.QUEUE, connection=redis).get_jobs()] == [("site-backup",)]
        with app.app_context():
            tasks.worker(redis).work(burst=True)
        (archive,) = backups.glob("ustaz-backup-*.zip")
        (entry,) = _actions(db_session, "site_backed_up")
        assert entry.actor_id is None and entry.details["file"] == archive.name
    finally:
        redis.flushdb()


def test_the_page_says_how_many_erased_accounts_a_restore_erases_again(client, admin, backups, db_session):
    from lms.core.services import erasure

    page = client.get("/admin/backups").get_data(as_text=True)
    assert 'id="erased-ledger"' not in page  # nobody erased yet: nothing to say
    backups.mkdir(parents=True, exist_ok=True)
    ledger = backups / erasure.LEDGER
    ledger.write_text('{"account": 7, "created": "2026-01-05T10:00:00Z", "erased": "2026-11-30T10:00:00Z"}\n')
    page = client.get("/admin/backups").get_data(as_text=True)
    assert f"1 account erased on request is noted in {ledger}: a restore erases it again." in page
    ledger.write_text(ledger.read_text() + "not an entry\n")
    page = client.get("/admin/backups").get_data(as_text=True)
    assert f"{ledger}, line 2: not an entry of the ledger of erased accounts" in page
