"""A whole site in one file: `lms backup` writes every table of the database and every stored
file into one ZIP; `lms restore` puts them into an empty database, SQLite or PostgreSQL,
whichever engine made the backup.

Why not pg_dump or a copy of the SQLite file: a centre starts on the embedded SQLite and moves
to PostgreSQL when it grows (DESIGN §5), and a dump ties the copy to one engine. Moodle backs
up courses (.mbz) and leaves the site to the database's own tools; here the unit is the site,
because a centre's grades, certificates and support years must survive a lost server together.

The archive:
- `manifest.json`: format and version, when and on which engine it was made, the schema's
  Alembic revisions, each table's columns (name and kind) with its row count and SHA-256, the
  stored files, and a check value of the secret key (not the key).
- `tables/<table>.jsonl`: one JSON array per row, in primary key order. Datetimes in ISO 8601,
  UTC; JSON columns as their text, so that an SQL NULL and a JSON null stay apart.
- `files/<sha256>`: the stored files' bytes (the store keeps uploads by their SHA-256).

The tables are the core's and every installed plugin's (by their prefix; a disabled plugin's
too); another application's table in the same database is left out and named.

A backup reads one snapshot (REPEATABLE READ on PostgreSQL, one read transaction on SQLite),
so a save committed during it is either wholly in or wholly out. A restore checks the whole
archive before it writes anything (each member's checksum and row count, each file's hash,
revisions this code knows), then, in one transaction, builds the schema at the backup's
revisions, loads the rows and migrates to the newest revision: it succeeds or changes nothing.
It refuses a database that already holds data."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation
from itertools import islice
from pathlib import Path
from typing import Callable, Iterator

from alembic import command
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from sqlalchemy import (JSON, Date, DateTime, Float, Integer, LargeBinary, MetaData, Numeric, Text, Time, bindparam,
                        cast, func, insert, inspect, select, text)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from lms.core.migrate import alembic_config
from lms.core.services import audit
from lms.core.services.errors import ServiceError
from lms.core.services.files import files_dir as app_files_dir
from lms.core.services.files import path_in
from lms.db import db, foreign_key_violations, sqlite_foreign_keys_off, utcnow, write_intent
from lms.plugins import installed_plugins

FORMAT = "ustaz-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VERSION_TABLE = "alembic_version"
#: rows read, written and inserted at a time: memory stays flat whatever the site's size
BATCH = 1000
#: a directory given as the destination gets files named so (sortable, so `keep` prunes the oldest)
NAME_PATTERN = "ustaz-backup-{:%Y%m%d-%H%M%S}.zip"
#: reasons listed per archive member before "and N more"
SHOWN_PER_MEMBER = 5

#: (table, rows just done, rows in all) after each batch: the CLI draws its progress bar from it
Progress = Callable[[str, int, int], None]


class BackupRefused(ServiceError):
    """A backup or restore that did not happen; `reasons` names each problem (an archive
    member and its line, a table, a revision)."""

    code = "refused"

    def __init__(self, subject: str, reasons: list[str]):
        self.subject, self.reasons = subject, reasons
        super().__init__(f"{subject}: {len(reasons)} problem{'s' if len(reasons) != 1 else ''}; nothing was changed",
                         field="file")

    def lines(self) -> list[str]:
        return [f"{self.subject}: {reason}" for reason in self.reasons]


@dataclass
class BackupReport:
    path: Path
    revisions: list[str]
    tables: dict[str, int]
    files: int
    file_bytes: int
    #: stored files the database names but the store lacks (or holds damaged): not in the archive
    missing_files: list[str] = field(default_factory=list)
    pruned: list[Path] = field(default_factory=list)
    #: tables of the database that belong to no installed plugin: not backed up
    foreign_tables: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@dataclass
class RestoreReport:
    made_at: str
    made_on: str
    revisions: list[str]
    #: the schema's revisions after the restore (newer than the backup's when the code is)
    upgraded_to: list[str]
    tables: dict[str, int]
    files_written: int
    files_present: int
    #: False: this instance's secret key is not the one that made the backup (see `KEY_ADVICE`)
    same_secret_key: bool
    #: stored files the backed-up site had already lost: their rows are restored, their bytes are not
    missing_files: list[str] = field(default_factory=list)
    #: a trial's finding: accounts the ledger of erased accounts names that the backup holds
    #: unerased (a restore erases them again: core/services/erasure.py)
    erased_again: list[int] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


KEY_ADVICE = ("this instance's secret key is not the one that made the backup: Open Badges published before"
              " will not verify and sign-in links sent before will not work; to keep them, set LMS_SECRET_KEY"
              " (or instance/secret_key) to the old instance's key")


# --- values in and out ---------------------------------------------------------------------------

def _kind(coltype) -> str:
    """What a column's values are in the archive (reflected types: the same on both engines)."""
    if isinstance(coltype, JSON):
        return "json"
    if isinstance(coltype, DateTime):
        return "datetime"
    if isinstance(coltype, Date):
        return "date"
    if isinstance(coltype, Time):
        return "time"
    if isinstance(coltype, LargeBinary):
        return "bytes"
    if isinstance(coltype, Numeric) and not isinstance(coltype, Float):
        return "decimal"
    return "plain"


def _utc_iso(value: datetime) -> str:
    # SQLite hands back the naive UTC it stored (lms.db.UTCDateTime)
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat()


def _aware(text_value: str) -> datetime:
    value = datetime.fromisoformat(text_value)
    if value.tzinfo is None:
        raise ValueError(f"{text_value!r} has no time zone")
    return value.astimezone(timezone.utc)


_ENCODE = {
    "datetime": _utc_iso,
    "date": date.isoformat,
    "time": time.isoformat,
    "decimal": str,
    "bytes": lambda v: base64.b64encode(v).decode("ascii"),
}


def _check_text(value) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, found {type(value).__name__}")
    return value


def _json_text(value) -> str:
    json.loads(_check_text(value))  # a JSON column's text must itself be JSON
    return value


_DECODE = {
    "datetime": lambda v: _aware(_check_text(v)),
    "date": lambda v: date.fromisoformat(_check_text(v)),
    "time": lambda v: time.fromisoformat(_check_text(v)),
    "decimal": lambda v: Decimal(_check_text(v)),
    "bytes": lambda v: base64.b64decode(_check_text(v), validate=True),
    "json": _json_text,
}
_KINDS = frozenset(_DECODE) | {"plain"}


def _codec(kinds: list[str], table: dict) -> list[Callable]:
    identity = lambda v: v  # noqa: E731
    return [identity if k == "plain" else table[k] if k in table else identity for k in kinds]


def _decode_row(values: list, decoders: list[Callable]) -> list:
    return [None if v is None else d(v) for v, d in zip(values, decoders)]


def key_check(secret_key: str) -> str:
    """A value that tells whether two instances share a secret key without revealing it."""
    return hmac.new(secret_key.encode(), b"ustaz-backup-key-check", hashlib.sha256).hexdigest()[:16]


# --- backup ---------------------------------------------------------------------------------

def destination(target: Path, now: datetime | None = None) -> Path:
    """A directory gets a new dated file; a file name is taken as given (it must not exist)."""
    target = Path(target)
    if target.is_dir():
        return target / NAME_PATTERN.format(now or utcnow())
    return target


def backup(target: Path, *, connection: Connection | None = None, engine: Engine | None = None,
           keep: int | None = None, progress: Progress | None = None, app=None) -> BackupReport:
    """Write the site to `target` (a file that does not exist yet, or a directory: see
    `destination`); with `keep`, the oldest dated backups beyond that many in the directory are
    removed afterwards. `connection` reads inside the caller's transaction (the tests');
    otherwise a snapshot is taken on a connection of its own, of the app's database or `engine`'s."""
    app = app or current_app
    path = destination(target)
    if path.exists():
        raise BackupRefused(str(path), ["the file exists already: give a new name or a directory"])
    if path.suffix.lower() != ".zip":
        raise BackupRefused(str(path), ["no such directory; a backup file's name ends in .zip"])
    if not path.parent.is_dir():
        raise BackupRefused(str(path), [f"no directory {path.parent}"])
    try:
        if connection is not None:
            report = _write(path, connection, app, progress)
        else:
            with _snapshot(engine or db.engine) as conn:
                report = _write(path, conn, app, progress)
    except OSError as exc:  # a full disk, a directory not writable: the partial file is gone
        raise BackupRefused(str(path), [f"cannot write the backup: {exc.strerror or exc}"]) from None
    if keep is not None and Path(target).is_dir():
        report.pruned = _prune(Path(target), keep)
    return report


class _snapshot:
    """One connection reading one consistent state of every table."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def __enter__(self) -> Connection:
        # a read: on SQLite a plain BEGIN even inside a POST (an IMMEDIATE one would hold the
        # write lock, and every participant's save, for the whole backup)
        self.token = write_intent.set(False)
        self.conn = self.engine.connect()
        if self.conn.dialect.name == "postgresql":
            self.conn = self.conn.execution_options(isolation_level="REPEATABLE READ")
            self.conn.begin()
            self.conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        else:
            self.conn.begin()  # SQLite in WAL mode: a read transaction sees one snapshot
        return self.conn

    def __exit__(self, *exc):
        self.conn.rollback()
        self.conn.close()
        write_intent.reset(self.token)


def _write(path: Path, conn: Connection, app, progress: Progress | None) -> BackupReport:
    meta = MetaData()
    meta.reflect(bind=conn)
    names = inspect(conn).get_table_names()
    if VERSION_TABLE not in names:
        raise BackupRefused(str(conn.engine.url.render_as_string(hide_password=True)),
                            ["the database has no schema yet: run `lms db upgrade` first"])
    revisions = sorted(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
    prefixes = tuple(f"{name}_" for name in ("core", *installed_plugins()))
    tables = [t for t in meta.sorted_tables if t.name.startswith(prefixes)]
    total = sum(conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables) if progress else 0
    part = path.with_name(path.name + ".part")
    manifest = {"format": FORMAT, "version": FORMAT_VERSION, "made_at": _utc_iso(utcnow()),
                "made_on": conn.dialect.name, "revisions": revisions,
                "key_check": key_check(app.config["SECRET_KEY"]), "tables": {}, "files": {}}
    # a table of no Ustaz plugin (a DBA's, a benchmark's) shares the database but not the site
    report = BackupReport(path, revisions, {}, 0, 0, foreign_tables=sorted(
        t.name for t in meta.sorted_tables if t not in tables and t.name != VERSION_TABLE))
    try:
        with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for table in tables:
                manifest["tables"][table.name] = _write_table(archive, conn, table, progress, total)
                report.tables[table.name] = manifest["tables"][table.name]["rows"]
            if "core_files" in meta.tables:
                _write_files(archive, conn, meta.tables["core_files"], manifest, report, Path(app_files_dir()))
            archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return report


def _write_table(archive: zipfile.ZipFile, conn: Connection, table, progress: Progress | None, total: int) -> dict:
    kinds = [_kind(c.type) for c in table.columns]
    encoders = _codec(kinds, _ENCODE)
    columns = [cast(c, Text).label(c.name) if k == "json" else c for c, k in zip(table.columns, kinds)]
    order = list(table.primary_key.columns) or list(table.columns)
    digest, rows = hashlib.sha256(), 0
    result = conn.execute(select(*columns).order_by(*order).execution_options(yield_per=BATCH))
    with archive.open(f"tables/{table.name}.jsonl", "w", force_zip64=True) as out:
        for batch in result.partitions():
            lines = "".join(json.dumps([None if v is None else e(v) for v, e in zip(row, encoders)],
                                       ensure_ascii=False, separators=(",", ":")) + "\n" for row in batch)
            data = lines.encode("utf-8")
            digest.update(data)
            out.write(data)
            rows += len(batch)
            if progress:
                progress(table.name, len(batch), total)
    return {"columns": [[c.name, k] for c, k in zip(table.columns, kinds)], "rows": rows,
            "sha256": digest.hexdigest()}


def _write_files(archive, conn, files_table, manifest, report: BackupReport, store: Path) -> None:
    for sha in sorted(set(conn.execute(select(files_table.c.sha256)).scalars())):
        source = path_in(store, sha)
        if not source.is_file():
            report.missing_files.append(sha)
            continue
        digest, size = hashlib.sha256(), 0
        with source.open("rb") as src, archive.open(f"files/{sha}", "w", force_zip64=True) as out:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        if digest.hexdigest() != sha:  # damaged on disk: left out of the manifest, so never restored
            report.missing_files.append(sha)
            continue
        manifest["files"][sha] = size
        report.files += 1
        report.file_bytes += size
    manifest["missing_files"] = report.missing_files


def _prune(directory: Path, keep: int) -> list[Path]:
    dated = sorted(p for p in directory.glob("ustaz-backup-*.zip") if p.is_file())
    old = dated[:-keep] if keep > 0 else dated
    for path in old:
        path.unlink()
    return old


# --- the site's own backups (LMS_BACKUP_DIR) ----------------------------------------------

def backup_dir(app=None) -> Path:
    app = app or current_app
    return Path(app.config["LMS"].backup_dir or Path(app.instance_path) / "backups")


def back_up_site(target: Path | None = None, *, keep: int | None = None, actor=None,
                 progress: Progress | None = None) -> BackupReport:
    """What the CLI, the nightly task and an administrator's button run: a backup (into the
    site's backup directory unless `target` is given, keeping its newest LMS_BACKUP_KEEP), and an
    audit entry naming it: a copy of everyone's data leaves a trace. The caller commits."""
    config = current_app.config["LMS"]
    if target is None:
        target = backup_dir()
        target.mkdir(parents=True, exist_ok=True)
        keep = keep or config.backup_keep
    report = backup(target, keep=keep, progress=progress)
    audit.record(actor, "site_backed_up", ("Site", None), f"backup written to {report.path.name}",
                 file=report.path.name, rows=report.rows, files=report.files,
                 missing_files=len(report.missing_files))
    return report


def nightly() -> str:
    """The scheduled task (`lms scheduler`; cron can run `lms backup` instead)."""
    report = back_up_site()
    missing = f"; {len(report.missing_files)} stored file(s) missing from the store" if report.missing_files else ""
    return f"{report.path.name}: {report.rows} rows, {report.files} files{missing}"


@dataclass
class BackupFile:
    """A backup in the site's directory, as the administrators' page lists it."""

    name: str
    size: int
    made_at: datetime | None
    made_on: str | None = None
    tables: int = 0
    rows: int = 0
    files: int = 0
    #: why its manifest could not be read (the file is then not a sound backup)
    problem: str | None = None


def listed(directory: Path | None = None) -> list[BackupFile]:
    """The ZIP files in the backup directory, newest first, each described by its manifest
    (one small member: listing does not read the data)."""
    directory = Path(directory or backup_dir())
    found = []
    for path in directory.glob("*.zip") if directory.is_dir() else ():
        stat = path.stat()
        entry = BackupFile(path.name, stat.st_size, datetime.fromtimestamp(stat.st_mtime, timezone.utc))
        try:
            opened = _Archive(path)
        except BackupRefused as exc:
            entry.problem = exc.reasons[0]
        else:
            manifest = opened.manifest
            opened.close()
            entry.made_at = _aware(manifest["made_at"])
            entry.made_on = manifest.get("made_on")
            entry.tables = len(manifest["tables"])
            entry.rows = sum(spec["rows"] for spec in manifest["tables"].values())
            entry.files = len(manifest["files"])
        found.append(entry)
    return sorted(found, key=lambda f: f.made_at, reverse=True)


def find(name: str, directory: Path | None = None) -> Path | None:
    """A backup of the directory by its file name, or None: only a name the listing gives (no
    path, no other file) can be downloaded or checked."""
    directory = Path(directory or backup_dir())
    if "/" in name or "\\" in name or not name.endswith(".zip") or name.startswith("."):
        return None
    path = directory / name
    return path if path.is_file() else None


# --- checking an archive --------------------------------------------------------------------

class _Archive:
    """An opened backup whose manifest and members have been checked (`check`)."""

    def __init__(self, path: Path):
        self.path, self.name = Path(path), Path(path).name
        try:
            self.zip = zipfile.ZipFile(self.path)
        except FileNotFoundError:
            raise BackupRefused(self.name, ["no such file"]) from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise BackupRefused(self.name, [f"not a ZIP archive ({exc})"]) from None
        self.manifest = self._manifest()

    def close(self):
        self.zip.close()

    def _manifest(self) -> dict:
        try:
            manifest = json.loads(self.zip.read(MANIFEST))
        except KeyError:
            raise BackupRefused(self.name, [f"no {MANIFEST}: not an Ustaz backup"]) from None
        except (ValueError, zipfile.BadZipFile, zlib.error) as exc:
            raise BackupRefused(self.name, [f"{MANIFEST}: unreadable ({exc})"]) from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupRefused(self.name, [f"{MANIFEST}: not an Ustaz backup (format {manifest.get('format')!r})"
                                            if isinstance(manifest, dict) else f"{MANIFEST}: not an object"])
        if not isinstance(manifest.get("version"), int) or manifest["version"] > FORMAT_VERSION:
            raise BackupRefused(self.name, [f"{MANIFEST}: format version {manifest.get('version')!r}; this Ustaz"
                                            f" reads up to {FORMAT_VERSION}: restore with a newer version"])
        problems = []
        for key, kind in (("revisions", list), ("tables", dict), ("files", dict), ("made_at", str)):
            if not isinstance(manifest.get(key), kind):
                problems.append(f"{MANIFEST}: '{key}' is missing or not a {kind.__name__}")
        for name, spec in (manifest.get("tables") or {}).items():
            try:
                assert all(k in _KINDS for _c, k in spec["columns"]) and isinstance(spec["rows"], int)
                assert isinstance(spec["sha256"], str)
            except (AssertionError, KeyError, TypeError, ValueError):
                problems.append(f"{MANIFEST}: table {name}: columns, rows or sha256 missing or malformed")
        if problems:
            raise BackupRefused(self.name, problems)
        return manifest

    def rows(self, table: str) -> Iterator[tuple[int, list]]:
        """(line number, decoded values) of one table's member."""
        spec = self.manifest["tables"][table]
        decoders = _codec([k for _c, k in spec["columns"]], _DECODE)
        with self.zip.open(f"tables/{table}.jsonl") as member:
            for number, line in enumerate(member, start=1):
                yield number, _decode_row(json.loads(line), decoders)

    def check(self) -> None:
        """Read every member once: row counts, checksums, every value's form, every file's hash."""
        problems: list[str] = []
        for table, spec in self.manifest["tables"].items():
            problems += self._check_table(table, spec)
        for sha, size in self.manifest["files"].items():
            problems += self._check_file(sha, size)
        if problems:
            raise BackupRefused(self.name, problems)

    def _check_table(self, table: str, spec: dict) -> list[str]:
        member, width = f"tables/{table}.jsonl", len(spec["columns"])
        decoders = _codec([k for _c, k in spec["columns"]], _DECODE)
        problems, digest, rows = [], hashlib.sha256(), 0
        try:
            with self.zip.open(member) as data:
                for rows, line in enumerate(data, start=1):
                    digest.update(line)
                    try:
                        values = json.loads(line)
                        if not isinstance(values, list) or len(values) != width:
                            raise ValueError(f"expected {width} values, found "
                                             f"{len(values) if isinstance(values, list) else 'no list'}")
                        _decode_row(values, decoders)
                    except (ValueError, TypeError, InvalidOperation) as exc:
                        problems.append(f"{member}:{rows}: {exc}")
        except KeyError:
            return [f"{member}: missing"]
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            return [f"{member}: damaged ({exc})"]
        if rows != spec["rows"]:
            problems.append(f"{member}: {rows} rows, the manifest says {spec['rows']}")
        elif digest.hexdigest() != spec["sha256"]:
            problems.append(f"{member}: its content differs from the manifest's checksum")
        if len(problems) > SHOWN_PER_MEMBER:
            problems = problems[:SHOWN_PER_MEMBER] + [f"{member}: and {len(problems) - SHOWN_PER_MEMBER} more"]
        return problems

    def _check_file(self, sha: str, size) -> list[str]:
        member, digest, length = f"files/{sha}", hashlib.sha256(), 0
        try:
            with self.zip.open(member) as data:
                while chunk := data.read(1 << 20):
                    digest.update(chunk)
                    length += len(chunk)
        except KeyError:
            return [f"{member}: missing"]
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            return [f"{member}: damaged ({exc})"]
        if digest.hexdigest() != sha or length != size:
            return [f"{member}: its content does not match its name"]
        return []


def check(archive: Path) -> dict:
    """Check a backup without restoring it; returns its manifest."""
    opened = _Archive(archive)
    try:
        opened.check()
        return opened.manifest
    finally:
        opened.close()


# --- restore ---------------------------------------------------------------------------------

def restore(archive: Path, *, engine: Engine | None = None, files_dir: Path | None = None,
            progress: Progress | None = None, app=None) -> RestoreReport:
    """Put a backup into an empty database (the app's, or `engine`'s) and its files into the
    store; all or nothing. Refusals (BackupRefused) name every problem."""
    app = app or current_app
    engine = engine or db.engine
    store = Path(files_dir or app_files_dir())
    opened = _Archive(archive)
    try:
        opened.check()
        manifest = opened.manifest
        _check_revisions(opened.name, manifest["revisions"], app)
        written: list[Path] = []
        token = write_intent.set(True)  # SQLite: take the write lock at BEGIN
        try:
            # SQLite: foreign keys off so that a migration rebuilding a table cannot cascade;
            # each table's references are checked once it is loaded, and all after the upgrade
            with engine.connect() as conn, sqlite_foreign_keys_off(conn), conn.begin():
                _check_empty(conn, opened.name, manifest["revisions"])
                for revision in manifest["revisions"]:
                    command.upgrade(alembic_config(app, conn), revision)
                files_present = _put_files(opened, store, written)  # undone below if the rows fail
                tables = _load(conn, opened, progress)
                upgraded = _upgrade_to_heads(conn, app, opened.name)
                conn.execute(insert(_audit_table()).values(
                    at=utcnow(), action="site_restored", object_type="Site", details={
                        "archive": opened.name, "made_at": manifest["made_at"], "made_on": manifest.get("made_on"),
                        "revisions": manifest["revisions"], "rows": sum(tables.values())},
                    summary=f"restored from {opened.name}, made {manifest['made_at']}"))
        except BaseException as exc:
            for path in written:
                path.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise BackupRefused(opened.name, [f"cannot write the file store {store}: {exc.strerror or exc}"]) \
                    from None
            raise
        finally:
            write_intent.reset(token)
    finally:
        opened.close()
    return RestoreReport(manifest["made_at"], manifest.get("made_on", "?"), manifest["revisions"], upgraded, tables,
                         len(written), files_present,
                         hmac.compare_digest(manifest.get("key_check", ""), key_check(app.config["SECRET_KEY"])),
                         list(manifest.get("missing_files") or []))


def trial(archive: Path, *, app=None, progress: Progress | None = None) -> RestoreReport:
    """Restore a backup into a throwaway SQLite database and file store, then delete them: a
    backup is proven only by restoring it (every row through the schema's keys and checks, every
    migration since it was made), and this proves it without touching the site."""
    import tempfile

    from lms.db import make_engine

    with tempfile.TemporaryDirectory(prefix="ustaz-trial-") as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'trial.sqlite3'}")
        try:
            report = restore(archive, engine=engine, files_dir=Path(scratch) / "files", progress=progress, app=app)
            report.erased_again = _erased_again_in(engine, archive)
            return report
        finally:
            engine.dispose()


def _erased_again_in(engine: Engine, archive: Path) -> list[int]:
    from lms.core.models import User
    from lms.core.services import erasure

    entries = erasure.read_ledger(*erasure.ledgers_for(archive))
    if not entries:
        return []
    with engine.connect() as conn:
        accounts = conn.execute(select(User.id, User.created_at, User.erased_at)
                                .where(User.id.in_(list(entries)))).all()
    return erasure.to_erase_again(entries, accounts)[0]


def _audit_table():
    from lms.core.models import AuditEntry

    return AuditEntry.__table__


def _check_revisions(name: str, revisions: list[str], app) -> None:
    script = ScriptDirectory.from_config(alembic_config(app))
    unknown = []
    for revision in revisions:
        try:
            if script.get_revision(revision) is None:
                unknown.append(revision)
        except CommandError:
            unknown.append(revision)
    if unknown or not revisions:
        raise BackupRefused(name, [f"schema revision {r} is not known here: the backup was made by a newer Ustaz,"
                                   " or with a plugin that is not enabled here (LMS_PLUGINS)" for r in unknown]
                            or ["the backup names no schema revision"])


def _check_empty(conn: Connection, name: str, revisions: list[str]) -> None:
    names = inspect(conn).get_table_names()
    holding = []
    for table in names:
        if table != VERSION_TABLE:
            count = conn.execute(select(func.count()).select_from(text(conn.dialect.identifier_preparer.quote(table))))
            if (rows := count.scalar_one()) > 0:
                holding.append(f"{table} ({rows} row{'s' if rows != 1 else ''})")
    url = conn.engine.url.render_as_string(hide_password=True)
    if holding:
        shown = ", ".join(holding[:6]) + (f" and {len(holding) - 6} more tables" if len(holding) > 6 else "")
        raise BackupRefused(name, [f"the database {url} already holds data: {shown}. Restore into an empty"
                                   " database: a new SQLite file (move instance/lms.sqlite3 aside) or a new"
                                   " PostgreSQL database"])
    if names and VERSION_TABLE not in names:
        raise BackupRefused(name, [f"the database {url} has tables that are not Ustaz's ({', '.join(names[:6])})"])
    if VERSION_TABLE in names:
        present = sorted(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
        if present and present != sorted(revisions):
            raise BackupRefused(name, [f"the database {url} is empty but its schema is at revision(s)"
                                       f" {', '.join(present)} and the backup's at {', '.join(sorted(revisions))}:"
                                       " restore into a database with no tables"])


def _load(conn: Connection, opened: _Archive, progress: Progress | None) -> dict[str, int]:
    meta = MetaData()
    meta.reflect(bind=conn)
    specs = opened.manifest["tables"]
    problems = [f"table {t}: not in the schema at the backup's revision" for t in specs if t not in meta.tables]
    for name, spec in specs.items():
        if name in meta.tables:
            here = {c.name for c in meta.tables[name].columns}
            there = {c for c, _k in spec["columns"]}
            if here != there:
                problems.append(f"table {name}: columns differ from the schema at the backup's revision"
                                f" (only in the backup: {sorted(there - here)}; only here: {sorted(here - there)})")
    if problems:
        raise BackupRefused(opened.name, problems)
    loaded, total = {}, sum(spec["rows"] for spec in specs.values())
    for table in meta.sorted_tables:
        if table.name in specs:
            loaded[table.name] = _load_table(conn, table, specs[table.name], opened,
                                             (lambda t, n: progress(t, n, total)) if progress else None)
    if conn.dialect.name == "postgresql":
        _reset_sequences(conn, meta)
    return loaded


def _load_table(conn: Connection, table, spec: dict, opened: _Archive, progress) -> int:
    values = {}
    for i, (name, kind) in enumerate(spec["columns"]):
        column = table.c[name]
        if kind == "json":  # the column's own text, cast where the engine has a JSON type
            param = bindparam(f"v{i}", type_=Text())
            values[name] = cast(param, column.type) if conn.dialect.name == "postgresql" else param
        else:
            values[name] = bindparam(f"v{i}", type_=column.type)
    statement = insert(table).values(values)
    done = 0
    #: SQLite loads with foreign keys off (see restore): the rowid each line gave, to name the
    #: lines of a row whose reference is missing
    pk = [c.name for c in table.primary_key.columns]
    key_at = [name for name, _kind in spec["columns"]].index(pk[0]) if len(pk) == 1 else None
    line_of: dict = {}
    rows = (row for _number, row in opened.rows(table.name))
    while batch := list(islice(rows, BATCH)):
        try:
            conn.execute(statement, [{f"v{i}": v for i, v in enumerate(row)} for row in batch])
        except DBAPIError as exc:  # a row the schema refuses (a foreign key, a check): name where
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise _refused_lines(opened.name, table.name, done + 1, done + len(batch), reason) from None
        if key_at is not None:
            line_of.update((row[key_at], done + n) for n, row in enumerate(batch, start=1))
        done += len(batch)
        if progress:
            progress(table.name, len(batch))
    broken = foreign_key_violations(conn, table.name)
    if broken:
        line = min((line_of.get(rowid, 1) for _t, rowid, _p, _k in broken), default=1)
        first = (line - 1) // BATCH * BATCH + 1
        raise _refused_lines(opened.name, table.name, first, min(first + BATCH - 1, done),
                             f"FOREIGN KEY constraint failed (a row refers to a missing row of {broken[0][2]})")
    return done


def _refused_lines(name: str, table: str, first: int, last: int, reason: str) -> "BackupRefused":
    return BackupRefused(name, [f"tables/{table}.jsonl, lines {first}-{last}: the database refused a row: {reason}"])


def _reset_sequences(conn: Connection, meta: MetaData) -> None:
    """Rows came with their ids: the next id a sequence gives must come after them."""
    quote = conn.dialect.identifier_preparer.quote
    for table in meta.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer):
            continue
        sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                {"t": table.name, "c": pk[0].name}).scalar()
        if sequence:
            conn.execute(text(f"SELECT setval(:s, COALESCE((SELECT MAX({quote(pk[0].name)}) FROM"
                              f" {quote(table.name)}), 0) + 1, false)"), {"s": sequence})


def _upgrade_to_heads(conn: Connection, app, name: str) -> list[str]:
    command.upgrade(alembic_config(app, conn), "heads")
    broken = foreign_key_violations(conn)
    if broken:  # a migration that rebuilt a table must keep what refers to it
        raise BackupRefused(name, [f"upgrading the schema after the load left {len(broken)} row(s) referring to"
                                   f" missing rows (first: {broken[0][0]} row {broken[0][1]} -> {broken[0][2]})"])
    return sorted(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def _put_files(opened: _Archive, store: Path, written: list[Path]) -> int:
    """Write the archive's files the store lacks (`written` lists them, to undo); returns how
    many were there already (the store is shared by content, so they are the same bytes)."""
    present = 0
    for sha in opened.manifest["files"]:
        path = path_in(store, sha)
        if path.exists():
            present += 1
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(".part")
        with opened.zip.open(f"files/{sha}") as src, part.open("wb") as out:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        part.replace(path)
        written.append(path)
    return present
