"""A person's own data, gathered from the core and every plugin into one ZIP (Moodle's privacy
API, "Export all of my personal data"): the RK Law on Personal Data gives a person the right to
know what is held about them (seed 002 §5).

Each plugin names in `Plugin.privacy` a module whose `export(user)` returns a `PersonalData`:
what it holds about that person and nobody else (work another wrote about them without their
name: a peer's review, say, goes in without the peer's name). The core writes each plugin's
records as JSON in a folder of its own, with the files the person handed in beside them.
"""
from __future__ import annotations

import importlib
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Callable

from flask import current_app
from sqlalchemy import or_, select

from lms.core.models import ApiToken, AuditEntry, ErasureRequest, OutboxMessage, StoredFile, User
from lms.core.services import audit, files, policies
from lms.db import db

FORMAT_VERSION = 1


@dataclass
class PersonalData:
    #: section name -> rows (plain JSON values; dates and datetimes are written as ISO 8601)
    records: dict[str, list[dict]] = field(default_factory=dict)
    #: (name inside the plugin's files/ folder, the stored file)
    files: list[tuple[str, StoredFile]] = field(default_factory=list)

    def add_file(self, folder: str, stored: StoredFile | None) -> str | None:
        """Adds a file under `folder` (its id keeps two files of one name apart) and returns the
        name the records may cite; None when there is no file."""
        if stored is None:
            return None
        name = f"{folder}/{stored.id}-{safe_name(stored.original_name)}"
        self.files.append((name, stored))
        return f"files/{name}"


def safe_name(name: str) -> str:
    """A file or folder name that unpacks the same on Windows, macOS and Linux."""
    cleaned = "".join("_" if c in '<>:"/\\|?*' or ord(c) < 32 else c for c in name).strip(" .")
    return cleaned[:120] or "_"


def exporters() -> list[tuple[str, Callable[[User], PersonalData]]]:
    """(folder, export) for the core and each enabled plugin that declares one, in load order."""
    found = [("core", export_core)]
    for name, module in current_app.extensions["lms_privacy"].items():
        found.append((name, importlib.import_module(module).export))
    return found


def _json_value(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not written in a personal data export")


def export_zip(user: User, out, actor: User | None = None) -> dict[str, int]:
    """Writes the ZIP into `out` and records in the audit log who took it (`actor`; None: the
    command line); returns how many rows each folder holds. The caller commits (the audit entry)."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for folder, export in exporters():
            data = export(user)
            counts[folder] = sum(len(rows) for rows in data.records.values())
            archive.writestr(f"{folder}/data.json",
                             json.dumps(data.records, ensure_ascii=False, indent=2, default=_json_value))
            for name, stored in data.files:
                path = files.path_of(stored)
                if path.exists():
                    archive.write(path, str(PurePosixPath(folder, "files", name)))
        archive.writestr("export.json", json.dumps({
            "format": FORMAT_VERSION, "user_id": user.id, "email": user.email,
            "exported_at": datetime.now().astimezone().isoformat(timespec="seconds"),
            "rows": counts,
        }, ensure_ascii=False, indent=2))
    audit.record(actor, "personal_data_exported", user, rows=sum(counts.values()))
    return counts


def export_core(user: User) -> PersonalData:
    """The account, its roles, API tokens (never the token), the files it uploaded, the e-mails
    sent to it, its requests to erase its data, and the audit log's entries of its own acts and
    of acts on its account."""
    from lms.core.permissions import Context, registry

    data = PersonalData()
    school = user.school
    data.records["account"] = [{
        "email": user.email, "full_name": user.full_name, "language": user.language,
        "school": school.name_kk if school else None, "position": user.position,
        "active": user.is_active_account, "email_notices": user.email_notices,
        "notices_off": list(user.notices_off or []), "created_at": user.created_at,
        "last_login_at": user.last_login_at,
    }]
    names = registry().names([Context(ra.context_level, ra.context_id) for ra in user.role_assignments])
    data.records["roles"] = [
        {"role": ra.role, "context": ra.context_level,
         "where": (names.get(Context(ra.context_level, ra.context_id)) or (None,))[0]}
        for ra in user.role_assignments]
    data.records["policies_accepted"] = [
        {"policy": a.policy.kind, "version": a.policy.version, "title": a.policy.title_kk, "accepted_at": a.accepted_at}
        for a in policies.acceptances_of(user)]
    data.records["api_tokens"] = [
        {"name": t.name, "scope": t.scope, "begins_with": t.prefix, "created_at": t.created_at,
         "last_used_at": t.last_used_at, "revoked_at": t.revoked_at}
        for t in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))]
    data.records["uploaded_files"] = [
        {"name": f.original_name, "size": f.size, "type": f.mime_type, "uploaded_at": f.created_at}
        for f in db.session.scalars(select(StoredFile).where(StoredFile.uploaded_by_id == user.id)
                                    .order_by(StoredFile.id))]
    data.records["emails"] = [
        {"subject": m.subject, "body": m.body, "queued_at": m.created_at, "sent_at": m.sent_at}
        for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_email == user.email)
                                    .order_by(OutboxMessage.id))]
    # who answered is not on the person's profile: the answer is
    data.records["erasure_requests"] = [
        {"asked_at": r.asked_at, "note": r.note, "status": r.status, "decided_at": r.decided_at, "answer": r.answer}
        for r in db.session.scalars(select(ErasureRequest).where(ErasureRequest.user_id == user.id)
                                    .order_by(ErasureRequest.asked_at, ErasureRequest.id))]
    # the acts only: a summary names the other people an act touched
    data.records["audit_log"] = [
        {"at": e.at, "by_me": e.actor_id == user.id, "action": e.action, "object_type": e.object_type,
         "object_id": e.object_id}
        for e in db.session.scalars(select(AuditEntry).where(or_(
            AuditEntry.actor_id == user.id,
            (AuditEntry.object_type == "User") & (AuditEntry.object_id == str(user.id)))).order_by(AuditEntry.id))]
    return data
