"""Bearer tokens for the API and calendar feeds: random, shown once, stored as SHA-256."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from lms.core.models import ApiToken
from lms.core.services import audit
from lms.core.services.errors import ServiceError
from lms.db import db, utcnow

SCOPES = ("api", "calendar")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user, name: str = "", scope: str = "api", actor=None) -> tuple[ApiToken, str]:
    if scope not in SCOPES:
        raise ServiceError(f"unknown token scope {scope!r}", field="scope")
    plain = f"lms_{secrets.token_urlsafe(32)}"
    token = ApiToken(user_id=user.id, name=name[:100], scope=scope, token_hash=_hash(plain), prefix=plain[:12])
    db.session.add(token)
    db.session.flush()
    audit.record(actor or user, "token_created", token, f"{scope} token for {user.email}")
    return token, plain


def user_for(plain: str, scope: str = "api"):
    """The active user a token belongs to, or None; records when it was last used."""
    if not plain:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(plain)))
    if token is None or token.scope != scope or token.revoked_at is not None or not token.user.is_active:
        return None
    token.last_used_at = utcnow()
    return token.user


def calendar_token(user) -> str:
    """The user's calendar feed token: a fresh one replaces any earlier (revoking it),
    since only hashes are kept."""
    for old in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.scope == "calendar",
                                                         ApiToken.revoked_at.is_(None))):
        old.revoked_at = utcnow()
    return create_token(user, "calendar", "calendar")[1]


def revoke(token: ApiToken, actor) -> None:
    token.revoked_at = utcnow()
    audit.record(actor, "token_revoked", token, token.prefix)
