"""The audit log: one row per grade change, deletion or privileged act."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.core.models import AuditEntry, User
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


def search(action: str | None = None, who: str | None = None, object_type: str | None = None,
           object_id: str | None = None):
    """The log, newest first, narrowed as Moodle's log report is: by action, by whose act (a
    part of the e-mail or name), by object (type, and id). Each actor loaded with its page."""
    stmt = select(AuditEntry).options(selectinload(AuditEntry.actor)).order_by(AuditEntry.at.desc(),
                                                                                 AuditEntry.id.desc())
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEntry.object_id == str(object_id).strip())
    if who:
        like = f"%{who.strip().lower()}%"
        stmt = stmt.where(AuditEntry.actor_id.in_(select(User.id).where(
            (func.lower(User.email).like(like)) | (func.lower(User.full_name).like(like)))))
    return stmt


def choices() -> tuple[list[str], list[str]]:
    """The actions and object types the log holds, for the filters' lists."""
    actions = db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    types = db.session.scalars(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)).all()
    return list(actions), list(types)
