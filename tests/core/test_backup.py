"""`lms backup` and `lms restore`: a whole site into one ZIP and back, on either engine, all or
nothing. Targets are real empty databases: a new SQLite file always, and a new PostgreSQL
database when the suite runs on PostgreSQL (so that run restores PostgreSQL into both)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from werkzeug.security import check_password_hash
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, MetaData, Text, cast, create_engine, inspect, insert, select, text
from sqlalchemy.orm import Session

from lms.core.migrate import alembic_config
from lms.core.models import AuditEntry, Region, StoredFile, User
from lms.core.services import audit, backup, files
from lms.db import make_engine

ROOT = Path(__file__).resolve().parents[2]


def _targets() -> list[str]:
    url = os.environ.get("LMS_TEST_DATABASE_URL", "")
    return ["sqlite", "postgresql"] if url.startswith("postgresql") else ["sqlite"]


@pytest.fixture(params=_targets())
def empty_engine(request, tmp_path):
    """A database with no tables at all, as a centre creates one to restore into."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
        yield engine
        engine.dispose()
        return
    base = os.environ["LMS_TEST_DATABASE_URL"]
    name = base.rsplit("/", 1)[1] + "_restore"
    admin = create_engine(base.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = make_engine(base.rsplit("/", 1)[0] + "/" + name)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    admin.dispose()


@pytest.fixture(autouse=True)
def app_context(app):
    """These tests call services, never pages: one application context for each."""
    with app.app_context():
        yield


def _site(db_session, make):
    """Rows a site holds that are easy to get wrong: Kazakh text, a password hash, aware
    datetimes, JSON with nesting, a stored file, an explicit JSON null beside an SQL NULL."""
    user = make.user(email="әсел@demo.test", full_name="Әсел Құрманғазықызы", password="құпия-сөз-1")
    stored = files.store("Жоба жоспары: ә ғ қ ң ө ұ ү һ і\n".encode(), "жоспар.txt", user)
    audit.record(user, "grade_changed", ("Attempt", 7), "65 → 70", before={"score": [6.5, None]}, after={"ok": True})
    db_session.flush()
    return user, stored


def _rows(conn, table) -> list:
    """Every row as the database returns it, JSON as its text, ordered by primary key."""
    cols = [cast(c, Text).label(c.name) if isinstance(c.type, JSON) else c for c in table.columns]
    rows = conn.execute(select(*cols).order_by(*(table.primary_key.columns or table.columns))).all()
    return [tuple(_same(v) for v in row) for row in rows]


def _same(value):
    if isinstance(value, datetime):  # SQLite hands back the naive UTC it stored
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)  # PostgreSQL's json text keeps its spacing, SQLite's its own
        except ValueError:
            return value
    return value


def test_a_site_restores_row_for_row_with_its_files(app, db_session, make, empty_engine, tmp_path):
    user, stored = _site(db_session, make)
    source = db_session.connection()
    made = backup.backup(tmp_path, connection=source)
    store = tmp_path / "store"
    report = backup.restore(made.path, engine=empty_engine, files_dir=store)

    assert made.path.name.startswith("ustaz-backup-") and made.files >= 1 and made.missing_files == []
    assert report.tables == made.tables and report.same_secret_key
    assert report.upgraded_to == report.revisions  # made by this code: nothing to migrate
    source_meta, target_meta = MetaData(), MetaData()
    source_meta.reflect(bind=source)
    with empty_engine.connect() as target:
        target_meta.reflect(bind=target)
        for name, table in source_meta.tables.items():
            if name in ("alembic_version", "core_audit_log"):
                continue
            assert _rows(target, target_meta.tables[name]) == _rows(source, table), name
        # the audit log has every row it had, and one more: the restore itself
        log = _rows(target, target_meta.tables["core_audit_log"])
        assert log[:-1] == _rows(source, source_meta.tables["core_audit_log"])
        assert log[-1][2:5] == (None, "site_restored", "Site")
        assert sorted(target.execute(text("SELECT version_num FROM alembic_version")).scalars()) == made.revisions

    # the restored site, read through the models: the same person, password and file
    with Session(empty_engine) as s:
        again = s.get(User, user.id)
        assert again.full_name == "Әсел Құрманғазықызы" and check_password_hash(again.password_hash, "құпия-сөз-1")
        assert again.created_at == user.created_at and again.created_at.tzinfo is not None
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "grade_changed")).one()
        assert entry.details == {"before": {"score": [6.5, None]}, "after": {"ok": True}}
        copy = s.get(StoredFile, stored.id)
        assert files.path_in(store, copy.sha256).read_bytes().decode().startswith("Жоба жоспары")
        # ids given by the restored database come after the restored ones (PostgreSQL's sequences)
        s.add(User(email="next@demo.test", full_name="Next", language="kk"))
        s.flush()
        assert s.scalar(select(User.id).where(User.email == "next@demo.test")) > user.id
        s.rollback()


def test_a_restore_into_a_database_that_holds_data_is_refused_and_changes_nothing(app, db_session, make,
                                                                                 empty_engine, tmp_path):
    made = backup.backup(tmp_path / "site.zip", connection=db_session.connection())
    with empty_engine.begin() as conn:  # a site in use: migrated, one account
        alembic_command_upgrade(app, conn, "heads")
        conn.execute(insert(User.__table__).values(email="in-use@demo.test", full_name="In use", language="kk",
                                                   sort_key="in use", is_active_account=True, created_at=_NOW))
    with pytest.raises(backup.BackupRefused) as refused:
        backup.restore(made.path, engine=empty_engine, files_dir=tmp_path / "store")
    (reason,) = refused.value.reasons
    assert "already holds data: core_users (1 row)." in reason and "Restore into an empty database" in reason
    with empty_engine.connect() as conn:
        assert conn.execute(select(User.email)).scalars().all() == ["in-use@demo.test"]
        assert conn.execute(select(AuditEntry.id)).scalars().all() == []
    assert not (tmp_path / "store").exists()


_NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def _rewrite(path: Path, change) -> Path:
    """A copy of a backup with `change(members)` applied: members maps name to bytes."""
    with zipfile.ZipFile(path) as old:
        members = {name: old.read(name) for name in old.namelist()}
    change(members)
    out = path.with_name("changed-" + path.name)
    with zipfile.ZipFile(out, "w") as new:
        for name, data in members.items():
            new.writestr(name, data)
    return out


def _resealed(members, table, lines):
    """Replace a table's rows and update the manifest to match: an archive that checks out."""
    import hashlib

    data = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()
    members[f"tables/{table}.jsonl"] = data
    manifest = json.loads(members[backup.MANIFEST])
    manifest["tables"][table].update(rows=len(lines), sha256=hashlib.sha256(data).hexdigest())
    members[backup.MANIFEST] = json.dumps(manifest).encode()


def test_a_damaged_archive_is_refused_whole_naming_member_and_line(app, db_session, make, empty_engine, tmp_path):
    _site(db_session, make)
    made = backup.backup(tmp_path / "site.zip", connection=db_session.connection())

    def damage(members):
        users = members["tables/core_users.jsonl"].decode().splitlines()
        users[0] = json.dumps(json.loads(users[0])[:-1])  # a value short
        members["tables/core_users.jsonl"] = ("\n".join(users) + "\n").encode()
        del members[next(n for n in members if n.startswith("files/"))]

    damaged = _rewrite(made.path, damage)
    with pytest.raises(backup.BackupRefused) as refused:
        backup.restore(damaged, engine=empty_engine, files_dir=tmp_path / "store")
    reasons = refused.value.reasons
    assert any(r.startswith("tables/core_users.jsonl:1: expected") for r in reasons), reasons
    assert any(r.startswith("tables/core_users.jsonl: its content differs") for r in reasons), reasons
    assert any(r.startswith("files/") and r.endswith("missing") for r in reasons), reasons
    assert inspect(empty_engine).get_table_names() == [] and not (tmp_path / "store").exists()
    assert "core_users.jsonl:1" in "\n".join(refused.value.lines())

    for archive, expected in ((tmp_path / "nothing.zip", "no such file"),
                              (_write(tmp_path / "text.zip", b"not a zip"), "not a ZIP archive"),
                              (_zip(tmp_path / "other.zip", {"a.txt": b"x"}), "no manifest.json")):
        with pytest.raises(backup.BackupRefused) as refused:
            backup.check(archive)
        assert expected in refused.value.reasons[0]


def _write(path, data):
    path.write_bytes(data)
    return path


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_a_restore_that_fails_while_loading_leaves_no_table_and_no_file(app, db_session, make, empty_engine, tmp_path):
    user, _stored = _site(db_session, make)
    made = backup.backup(tmp_path / "site.zip", connection=db_session.connection())
    # a sound archive whose audit entry names a person who is not in it: the database refuses
    # that row (a foreign key) half-way through the load
    def orphan(members):
        log = [json.loads(line) for line in members["tables/core_audit_log.jsonl"].decode().splitlines()]
        columns = [c for c, _k in json.loads(members[backup.MANIFEST])["tables"]["core_audit_log"]["columns"]]
        log[-1][columns.index("actor_id")] = 999999
        _resealed(members, "core_audit_log", log)

    broken = _rewrite(made.path, orphan)
    backup.check(broken)  # nothing wrong with the archive itself
    with pytest.raises(backup.BackupRefused) as refused:
        backup.restore(broken, engine=empty_engine, files_dir=tmp_path / "store")
    (reason,) = refused.value.reasons
    assert reason.startswith("tables/core_audit_log.jsonl, lines 1-") and "foreign key" in reason.lower()
    assert inspect(empty_engine).get_table_names() == []
    assert [p for p in (tmp_path / "store").rglob("*") if p.is_file()] == []

    # a trial restore tells the same without a database of one's own, and proves a sound one
    with pytest.raises(backup.BackupRefused) as refused:
        backup.trial(broken)
    assert "foreign key" in refused.value.reasons[0].lower()
    proven = backup.trial(made.path)
    assert proven.tables == made.tables and proven.files_written == made.files


def test_an_older_backup_is_migrated_to_the_newest_schema(app, empty_engine, tmp_path):
    """A backup from before the newest migration of a branch: restored at its own revision,
    then upgraded, as `lms db upgrade` would have upgraded the old site."""
    script = ScriptDirectory.from_config(alembic_config(app))
    heads = script.get_heads()
    newest = max(heads, key=lambda h: len(list(script.iterate_revisions(h, "base"))))
    older = [script.get_revision(newest).down_revision if h == newest else h for h in heads]
    old_site = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with old_site.begin() as conn:
        for revision in older:
            alembic_command_upgrade(app, conn, revision)
        users = MetaData()
        users.reflect(bind=conn, only=["core_users"])
        row = dict(email="old@demo.test", full_name="Ескі", language="kk", is_active_account=True, sort_key="ескі",
                   created_at=_NOW)  # sort_key: only where the older schema has it (core's newest adds it)
        conn.execute(insert(users.tables["core_users"]).values(
            {k: v for k, v in row.items() if k in users.tables["core_users"].c}))
        # another application's table in the same database: not the site's, left out and named
        conn.exec_driver_sql("CREATE TABLE other_app_notes (id INTEGER PRIMARY KEY, note TEXT)")
        conn.exec_driver_sql("INSERT INTO other_app_notes (note) VALUES ('not ours')")
    with old_site.connect() as conn, conn.begin():
        made = backup.backup(tmp_path / "old.zip", connection=conn)
    old_site.dispose()
    assert made.foreign_tables == ["other_app_notes"] and "other_app_notes" not in made.tables
    report = backup.restore(made.path, engine=empty_engine, files_dir=tmp_path / "store")
    assert newest not in report.revisions and newest in report.upgraded_to
    with Session(empty_engine) as s:
        old = s.scalars(select(User).where(User.email == "old@demo.test")).one()
        assert old.full_name == "Ескі" and old.created_at == _NOW


def alembic_command_upgrade(app, conn, revision):
    from alembic import command

    command.upgrade(alembic_config(app, conn), revision)


def test_a_backup_from_an_unknown_schema_is_refused_naming_the_revision(app, db_session, tmp_path, empty_engine):
    made = backup.backup(tmp_path / "site.zip", connection=db_session.connection())

    def newer(members):
        manifest = json.loads(members[backup.MANIFEST])
        manifest["revisions"].append("feedfacecafe")
        members[backup.MANIFEST] = json.dumps(manifest).encode()

    with pytest.raises(backup.BackupRefused) as refused:
        backup.restore(_rewrite(made.path, newer), engine=empty_engine, files_dir=tmp_path / "store")
    assert refused.value.reasons == ["schema revision feedfacecafe is not known here: the backup was made by a"
                                     " newer Ustaz, or with a plugin that is not enabled here (LMS_PLUGINS)"]
    assert inspect(empty_engine).get_table_names() == []


def test_a_directory_keeps_the_newest_backups(app, db_session, tmp_path):
    for stamp in ("20250101-010101", "20250102-010101", "20250103-010101"):
        (tmp_path / f"ustaz-backup-{stamp}.zip").write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("not a backup")
    made = backup.backup(tmp_path, keep=2)  # a snapshot on a connection of its own, of what is committed
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == ["notes.txt", "ustaz-backup-20250103-010101.zip", made.path.name]
    assert [p.name for p in made.pruned] == ["ustaz-backup-20250101-010101.zip", "ustaz-backup-20250102-010101.zip"]
    with pytest.raises(backup.BackupRefused) as refused:
        backup.backup(made.path, connection=db_session.connection())
    assert refused.value.reasons == ["the file exists already: give a new name or a directory"]
    with pytest.raises(backup.BackupRefused) as refused:
        backup.backup(tmp_path / "nightly", connection=db_session.connection())  # meant a directory, not made
    assert refused.value.reasons == ["no such directory; a backup file's name ends in .zip"]


def test_a_file_the_store_has_lost_is_named_not_hidden(app, db_session, make, empty_engine, tmp_path):
    _user, stored = _site(db_session, make)
    lost = files.store(b"lost on disk", "lost.txt")
    db_session.flush()
    files.path_in(files.files_dir(), lost.sha256).unlink()
    made = backup.backup(tmp_path / "site.zip", connection=db_session.connection())
    assert made.missing_files == [lost.sha256] and made.files >= 1
    report = backup.restore(made.path, engine=empty_engine, files_dir=tmp_path / "store")
    assert report.missing_files == [lost.sha256]
    assert files.path_in(tmp_path / "store", stored.sha256).is_file()
    assert not files.path_in(tmp_path / "store", lost.sha256).exists()


def _lms(*args, env):
    return subprocess.run([str(Path(sys.executable).parent / "lms"), *args], env=env, capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_the_commands_back_up_and_restore_a_site(tmp_path):
    """What a centre runs: `lms backup DIR` (here of a new site with one account), then
    `lms restore` into a new SQLite file, then again (refused)."""
    env = {**os.environ, "LMS_DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}",
           "LMS_INSTANCE_DIR": str(tmp_path / "old"), "LMS_SECRET_KEY": "old-key",
           "LMS_FILES_DIR": str(tmp_path / "old-files")}
    for command in (["db", "upgrade"], ["users", "create", "admin@centre.kz", "Әкімші", "--password", "құпия-сөз-1",
                                        "--role", "admin"]):
        assert _lms(*command, env=env).returncode == 0
    made = _lms("backup", str(tmp_path), env=env)
    assert made.returncode == 0, made.stderr
    (archive,) = tmp_path.glob("ustaz-backup-*.zip")
    assert f"{archive}: " in made.stdout and " rows, " in made.stdout

    new = {**env, "LMS_DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}", "LMS_INSTANCE_DIR": str(tmp_path / "new"),
           "LMS_SECRET_KEY": "new-key", "LMS_FILES_DIR": str(tmp_path / "new-files")}
    checked = _lms("restore", "--check", str(archive), env=new)
    assert checked.returncode == 0 and "sound" in checked.stdout, checked.stderr
    tried = _lms("restore", "--trial", str(archive), env=new)
    assert tried.returncode == 0 and "restores whole" in tried.stdout, tried.stderr
    assert not (tmp_path / "new.sqlite3").exists()  # the trial touched no database of the site
    restored = _lms("restore", str(archive), env=new)
    assert restored.returncode == 0, restored.stderr
    assert "restored" in restored.stdout and "secret key is not the one" in restored.stderr
    again = _lms("restore", str(archive), env=new)
    assert again.returncode == 1 and "already holds data" in again.stderr and "nothing was changed" in again.stderr
    engine = make_engine(new["LMS_DATABASE_URL"])
    with engine.connect() as conn:
        actions = conn.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()
        admin = conn.execute(select(User.full_name).where(User.email == "admin@centre.kz")).scalar_one()
    engine.dispose()
    assert admin == "Әкімші" and actions[-1] == "site_restored"


def test_a_restore_erases_again_whom_the_site_erased_after_the_backup(tmp_path):
    """A backup made the night before a person's data is erased still holds them; restored, the
    site erases them again, whether it reads the ledger in its own backup directory or, on a
    new machine, the one the archive was copied with."""
    backups = tmp_path / "backups"
    env = {**os.environ, "LMS_DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}",
           "LMS_INSTANCE_DIR": str(tmp_path / "old"), "LMS_SECRET_KEY": "key", "LMS_BACKUP_DIR": str(backups),
           "LMS_FILES_DIR": str(tmp_path / "files")}
    for command in (["db", "upgrade"],
                    ["users", "create", "admin@centre.kz", "Әкімші", "--password", "құпия-сөз-1", "--role", "admin"],
                    ["users", "create", "aigul@school.kz", "Айгүл Серікқызы", "--password", "құпия-сөз-2"],
                    ["backup"],
                    ["users", "erase", "aigul@school.kz", "--reason", "өтініші, 12.11.2026", "--yes"]):
        done = _lms(*command, env=env)
        assert done.returncode == 0, (command, done.stderr)
    (archive,) = backups.glob("ustaz-backup-*.zip")

    for name, backup_dir in (("same", backups), ("moved", tmp_path / "elsewhere")):
        new = {**env, "LMS_DATABASE_URL": f"sqlite:///{tmp_path / name}.sqlite3", "LMS_BACKUP_DIR": str(backup_dir)}
        if name == "same":  # a trial says so beforehand
            tried = _lms("restore", "--trial", str(archive), env=new)
            assert "a restore would then erase again 1 account(s) erased since the backup was made (#2)" \
                in tried.stdout, tried.stderr
        restored = _lms("restore", str(archive), env=new)
        assert restored.returncode == 0, restored.stderr
        assert "erased again, as the ledger of erased accounts asks: 1 account(s) (#2)" in restored.stdout
        engine = make_engine(new["LMS_DATABASE_URL"])
        with engine.connect() as conn:
            people = conn.execute(select(User.full_name, User.email, User.password_hash).order_by(User.id)).all()
            last = conn.execute(select(AuditEntry.action, AuditEntry.summary).order_by(AuditEntry.id.desc())).first()
        engine.dispose()
        assert people[0][0] == "Әкімші"
        assert tuple(people[1]) == ("Өшірілген / Удалён №2", "erased-2@erased.invalid", None)
        assert last.action == "personal_data_erased" and "again after a restore of a backup made" in last.summary
        assert (backup_dir / "erased-accounts.jsonl").read_text().count('"account": 2') == 1  # kept from now on
    again = _lms("users", "erase-again", env=new)
    assert again.returncode == 0 and "no erased account to erase again" in again.stdout


def test_a_backup_reads_one_snapshot_while_the_site_goes_on_writing(app, empty_engine, tmp_path):
    """A save committed while the backup runs neither waits for it nor half-appears in it."""
    with empty_engine.begin() as conn:
        alembic_command_upgrade(app, conn, "heads")
        conn.execute(insert(AuditEntry.__table__).values(at=_NOW, action="before", object_type="Site", details={}))
        conn.execute(insert(Region.__table__).values(code="AKM", name_kk="Ақмола облысы"))  # read before the log
    written = []

    def progress(table, _done, _total):
        if not written:  # after the first table: another request commits, on its own connection
            with empty_engine.begin() as other:
                other.execute(insert(AuditEntry.__table__).values(at=_NOW, action="during", object_type="Site",
                                                                  details={}))
            written.append(table)

    made = backup.backup(tmp_path / "busy.zip", engine=empty_engine, progress=progress)
    assert written and written[0] != "core_audit_log"  # the log was read after the write committed
    with zipfile.ZipFile(made.path) as z:
        manifest = json.loads(z.read("manifest.json"))
        action = [c for c, _k in manifest["tables"]["core_audit_log"]["columns"]].index("action")
        in_backup = [json.loads(line)[action] for line in z.read("tables/core_audit_log.jsonl").splitlines()]
    assert in_backup == ["before"]
    with empty_engine.connect() as conn:
        assert conn.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all() == ["before", "during"]


def test_a_store_or_directory_that_cannot_be_written_is_named_and_nothing_changes(app, db_session, make, empty_engine,
                                                                                 tmp_path):
    _site(db_session, make)  # with a stored file, so the restore writes to the store
    made = backup.backup(tmp_path / "site.zip", connection=db_session.connection())
    (tmp_path / "a-file").write_text("not a directory")
    with pytest.raises(backup.BackupRefused) as refused:
        backup.restore(made.path, engine=empty_engine, files_dir=tmp_path / "a-file" / "store")
    assert refused.value.reasons[0].startswith(f"cannot write the file store {tmp_path / 'a-file' / 'store'}:")
    assert inspect(empty_engine).get_table_names() == []
    with pytest.raises(backup.BackupRefused) as refused:  # a directory no file can be made in, even by root
        backup.backup(Path("/proc/ustaz-backup-test.zip"), connection=db_session.connection())
    assert refused.value.reasons[0].startswith("cannot write the backup:")
