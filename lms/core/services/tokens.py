"""Bearer tokens for the API and calendar feeds: random, shown once, stored as SHA-256."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import make_transient_to_detached

from lms.core.models import ApiToken, RoleAssignment, User
from lms.core.services import audit
from lms.core.services.errors import ServiceError
from lms.db import db, utcnow

SCOPES = ("api", "calendar")
#: `last_used_at` is written at most this often per token: it tells a person whether a token
#: is still in use, and writing it on every request would double the writes of an answer save
LAST_USED_EVERY = timedelta(minutes=1)


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


class Assignment(NamedTuple):
    """A role assignment as the capability check reads it (see permissions.roles_in)."""

    role: str
    context_level: str
    context_id: int | None


class TokenUser:
    """Who a valid token speaks for, as one SELECT read it: the user's columns and role
    assignments, plain values rather than mapped objects (an API request, an answer save
    above all, pays for every object the ORM builds). It passes where the capability check
    wants a user (`id`, `is_authenticated`, `role_assignments`); `user()` gives the mapped
    User, made from the same row without another query, for code that needs one."""

    is_authenticated = True

    def __init__(self, token_id: int, last_used_at, columns: dict, role_assignments: list[Assignment]):
        self.token_id, self.last_used_at = token_id, last_used_at
        self.columns, self.role_assignments = columns, role_assignments
        self.id: int = columns["id"]
        self.language: str = columns["language"]
        #: the values of an endpoint's read joined to the authenticating SELECT, if any
        self.joined: tuple | None = None
        self._user: User | None = None

    def user(self) -> User:
        if self._user is None:
            key = db.session.identity_key(User, self.id)
            self._user = db.session.identity_map.get(key)
            if self._user is None and len(self.columns) < len(_USER_KEYS):
                self._user = db.session.get(User, self.id)  # a hot path's lean read: load it
            elif self._user is None:
                # a detached instance holding the row's values, added as if loaded (no SELECT);
                # its relationships, role_assignments included, load lazily when touched
                user = User(**self.columns)
                make_transient_to_detached(user)
                db.session.add(user)
                self._user = user
        return self._user


_T, _U, _R = ApiToken.__table__.c, User.__table__.c, RoleAssignment.__table__.c
_USER_KEYS = tuple(c.key for c in User.__table__.c)
#: what a hot path reads of the user: every column the database describes costs the driver
#: an object per request (about 5 % of an answer save)
_LEAN_USER_KEYS = ("id", "language", "is_active_account")


class AuthenticatingSelect(NamedTuple):
    statement: Select
    user_keys: tuple[str, ...]


def authenticating_select(joined: tuple | None = None) -> AuthenticatingSelect:
    """The SELECT that authenticates a token: the token, its user and the user's role
    assignments (one row per assignment). `joined` = (tables, columns, condition) adds an
    endpoint's own read, LEFT JOINed on its condition (NULLs when nothing matches), so that
    request reads once; its bind parameters take the values of the same names the caller
    passes, and it reads only the user's id, language and state (`TokenUser.user()` then
    loads the rest if asked). Build it once and reuse it: SQLAlchemy memoizes a statement
    object's cache key."""
    keys = _USER_KEYS if joined is None else _LEAN_USER_KEYS
    tables = (ApiToken.__table__.join(User.__table__, _U.id == _T.user_id)
              .outerjoin(RoleAssignment.__table__, _R.user_id == _U.id))
    columns = [_T.id, _T.scope, _T.revoked_at, _T.last_used_at, _R.role, _R.context_level, _R.context_id,
               *(_U[k] for k in keys)]
    if joined is not None:
        tables = tables.outerjoin(joined[0], joined[2])
        columns += joined[1]
    return AuthenticatingSelect(select(*columns).select_from(tables).where(_T.token_hash == bindparam("token_hash")),
                                keys)


_BY_HASH = authenticating_select()


def token_user(plain: str, scope: str = "api", auth: AuthenticatingSelect | None = None,
               params: dict | None = None) -> TokenUser | None:
    """Who the token speaks for, if it is of `scope`, not revoked and its user active; else
    None. One SELECT reads the token, its user and the user's role assignments; with `auth`
    from `authenticating_select(joined)`, the joined read's values are in `TokenUser.joined`."""
    if not plain:
        return None
    if auth is None:
        auth, params = _BY_HASH, None
    rows = db.session.execute(auth.statement, {**(params or {}), "token_hash": _hash(plain)}).all()
    if not rows:
        return None
    token_id, scope_of, revoked_at, last_used_at = rows[0][:4]
    own = 7 + len(auth.user_keys)  # the SELECT's own columns; a joined read's follow
    columns = dict(zip(auth.user_keys, rows[0][7:own]))
    if scope_of != scope or revoked_at is not None or not columns["is_active_account"]:
        return None
    who = TokenUser(token_id, last_used_at, columns, [Assignment(*r[4:7]) for r in rows if r[4] is not None])
    who.joined = tuple(rows[0][own:]) if auth is not _BY_HASH else None
    return who


def record_use(who: TokenUser, now=None) -> bool:
    """Write the token's use when the last one written is older than LAST_USED_EVERY; True
    if it did (the caller then has a change to commit)."""
    now = now or utcnow()
    if who.last_used_at is not None and now - who.last_used_at < LAST_USED_EVERY:
        return False
    db.session.execute(update(ApiToken.__table__).where(_T.id == who.token_id).values(last_used_at=now))
    who.last_used_at = now
    return True


def user_for(plain: str, scope: str = "api"):
    """The active user (a mapped User) a token belongs to, or None; notes the token's use."""
    who = token_user(plain, scope)
    if who is None:
        return None
    record_use(who)
    return who.user()


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
