"""The audit log: one row per grade change, deletion or privileged act."""
from __future__ import annotations

from sqlalchemy import select

from lms.core.models import AuditEntry
from lms.db import db


def record(actor, action: str, obj, summary: str | None = None, **details) -> AuditEntry:
    """`obj` is a mapped object (its class name and id are stored) or a (type, id) pair."""
    if isinstance(obj, tuple):
        object_type, object_id = obj
    else:
        object_type, object_id = type(obj).__name__, getattr(obj, "id", None)
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        summary=summary,
        details=details,
    )
    db.session.add(entry)
    return entry


def entries_for(obj, action: str | None = None) -> list[AuditEntry]:
    """What the log holds about one object (oldest first), of one action when given."""
    object_type, object_id = obj if isinstance(obj, tuple) else (type(obj).__name__, getattr(obj, "id", None))
    stmt = select(AuditEntry).where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.session.scalars(stmt.order_by(AuditEntry.id)))
