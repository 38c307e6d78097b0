"""Capability checks: a role grants a capability in a context (system > programme > cohort).

Views and API endpoints state their capability with `requires`; a test walks the url_map
and fails on any route that neither requires one nor is marked `public`.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable, NamedTuple

from flask import abort, current_app, g, has_app_context, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from lms.core.capabilities import Capability


class Context(NamedTuple):
    level: str
    id: int | None = None


SYSTEM = Context("system", None)


class CapabilityRegistry:
    """All declared capabilities and the default role grants, for one app."""

    def __init__(self) -> None:
        self.capabilities: dict[str, Capability] = {}
        self.grants: dict[str, set[str]] = {}
        #: level -> function(id) giving the parent Context (a plugin registers "cohort")
        self.parents: dict[str, Callable[[int], Context | None]] = {}
        #: level -> function(ids) giving {id: (name, url or None)} of those contexts, for the
        #: pages that list where someone holds a role (a plugin registers "cohort", "programme")
        self.namers: dict[str, Callable[[list[int]], dict[int, tuple[str, str | None]]]] = {}

    def names(self, contexts: list[Context]) -> dict[Context, tuple[str, str | None]]:
        """What each context is called and where it is, one call per level; a context no plugin
        names is shown by its level and id."""
        out: dict[Context, tuple[str, str | None]] = {}
        for level in {c.level for c in contexts if c.level != "system"}:
            ids = sorted({c.id for c in contexts if c.level == level})
            named = self.namers[level](ids) if level in self.namers else {}
            for i in ids:
                out[Context(level, i)] = named.get(i, (f"{level} {i}", None))
        return out

    def register(self, caps: list[Capability], owner: str) -> None:
        for cap in caps:
            if not cap.name.startswith(owner + ":"):
                raise ValueError(f"{owner} may only declare '{owner}:' capabilities, not {cap.name!r}")
            if cap.name in self.capabilities:
                raise ValueError(f"capability {cap.name!r} declared twice")
            self.capabilities[cap.name] = cap
            for role in cap.roles:
                self.grants.setdefault(role, set()).add(cap.name)

    def chain(self, ctx: Context) -> list[Context]:
        """The context and all its parents, innermost first (a parent told by
        `remember_parent` is not looked up again)."""
        known = _known_parents()
        out = [ctx]
        while ctx.level != "system":
            if ctx in known:
                parent = known[ctx]
            else:
                find = self.parents.get(ctx.level)
                parent = find(ctx.id) if find else None
            ctx = parent or SYSTEM
            out.append(ctx)
        return out


def _known_parents() -> dict:
    return g.get("lms_context_parents", {}) if has_app_context() else {}


def remember_parent(ctx: Context, parent: Context | None) -> None:
    """Tell the capability check a context's parent that a loader read along with its object
    (an answer save reads its cohort's programme in the same SELECT), sparing it a query.
    Kept in `g`, so for the current request only."""
    g.setdefault("lms_context_parents", {})[ctx] = parent


def registry() -> CapabilityRegistry:
    return current_app.extensions["lms_capabilities"]


def roles_in(user, ctx: Context = SYSTEM) -> set[str]:
    """The roles a user holds in a context or any of its parents."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    chain = set(registry().chain(ctx))
    roles = {"user"}
    for ra in user.role_assignments:
        if Context(ra.context_level, ra.context_id) in chain:
            roles.add(ra.role)
    return roles


def has_capability(user, capability: str, ctx: Context = SYSTEM) -> bool:
    reg = registry()
    if capability not in reg.capabilities:
        raise KeyError(f"unknown capability {capability!r}")
    return any(capability in reg.grants.get(role, ()) for role in roles_in(user, ctx))


def contexts_with(user, capability: str) -> dict[str, set[int | None]]:
    """Where the user's own assignments grant `capability`, by context level (a grant in a
    context holds inside it too): {"system": {None}} means everywhere. For list pages, which
    filter in SQL instead of checking each row."""
    reg = registry()
    if capability not in reg.capabilities:
        raise KeyError(f"unknown capability {capability!r}")
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    if capability in reg.grants.get("user", ()):
        return {"system": {None}}
    out: dict[str, set[int | None]] = {}
    for ra in user.role_assignments:
        if capability in reg.grants.get(ra.role, ()):
            out.setdefault(ra.context_level, set()).add(ra.context_id)
    return out


def capability_holders(capability: str, ctx: Context) -> list:
    """The active accounts holding `capability` in `ctx` by a role there or in a context around
    it, in the alphabet's order: whom to tell of something that waits for them. One statement."""
    from sqlalchemy import and_, or_, select

    from lms.core.models import RoleAssignment, User
    from lms.db import db

    reg = registry()
    if capability not in reg.capabilities:
        raise KeyError(f"unknown capability {capability!r}")
    roles = sorted(role for role, caps in reg.grants.items() if capability in caps and role != "user")
    where = [and_(RoleAssignment.context_level == c.level,
                  RoleAssignment.context_id.is_(None) if c.id is None else RoleAssignment.context_id == c.id)
             for c in reg.chain(ctx)]
    return list(db.session.scalars(
        select(User).where(User.is_active_account, User.id.in_(
            select(RoleAssignment.user_id).where(RoleAssignment.role.in_(roles), or_(*where))))
        .order_by(User.sort_key, User.id)))


def has_capability_anywhere(user, capability: str) -> bool:
    """True if any of the user's assignments, in any context, grants it (menus use this)."""
    return bool(contexts_with(user, capability))


def wants_json() -> bool:
    """A page's script asking (an answer's autosave): it reads JSON, not a page or a redirect."""
    return request.accept_mimetypes.best == "application/json"


def signed_out_json():
    """For a script whose session ended: it must learn it was signed out, not follow a redirect
    to the sign-in page and read that as a dropped line."""
    return jsonify(error="signed_out", message=_("You are signed out: sign in again to go on.")), 401


def expired_json():
    """For a script whose page's form token no longer holds: reloading the page gives a new one."""
    return jsonify(error="csrf", message=_("The page has expired; reload it to go on.")), 400


def requires(capability: str, context: Callable[..., Context] | None = None, *, anywhere: bool = False):
    """Load (404) -> check (403) -> act. `context` receives the view's URL arguments,
    loads what they name (aborting 404 when missing) and returns the Context to check in.
    `anywhere=True` is for list pages: the capability held in any context admits, and the
    view shows only what the user may see."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return signed_out_json() if wants_json() else current_app.login_manager.unauthorized()
            if anywhere:
                if not has_capability_anywhere(current_user, capability):
                    abort(403)
                ctx = SYSTEM
            else:
                ctx = context(**kwargs) if context else SYSTEM
                if not has_capability(current_user, capability, ctx):
                    abort(403)
            g.lms_context = ctx
            return view(*args, **kwargs)

        wrapped.required_capability = capability
        return wrapped

    return decorator


def public(view):
    """Marks a route that anyone, signed in or not, may open."""
    view.is_public = True
    return view
