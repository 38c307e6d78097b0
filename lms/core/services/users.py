"""Accounts, passwords, roles and the remembered language."""
from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from lms.core.capabilities import ASSIGNABLE_ROLES, CONTEXT_LEVELS, SYSTEM_ROLES
from lms.core.permissions import has_capability
from lms.core.models import LANGUAGES, RoleAssignment, User
from lms.core.services import audit
from lms.core.services.errors import Conflict, ServiceError
from lms.db import db, utcnow

#: werkzeug's default (scrypt); tests lower the cost to stay fast
PASSWORD_METHOD = "scrypt"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# a hash of nothing, so unknown e-mails cost as much time as wrong passwords
_DUMMY_HASH = generate_password_hash("not-a-password")


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def normalize_name(name: str) -> str:
    """NFC, so a name typed on any keyboard matches and prints the same (й, ё decompose)."""
    return " ".join(unicodedata.normalize("NFC", name or "").split())


def get_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def _checked(email: str, full_name: str, language: str, user: User | None = None) -> tuple[str, str]:
    """The normalized e-mail and name, or a refusal naming the field."""
    email = normalize_email(email)
    if not EMAIL_RE.match(email):
        raise ServiceError(_l("not a valid e-mail address: %(value)s", value=repr(email)), field="email")
    full_name = normalize_name(full_name)
    if not full_name:
        raise ServiceError(_l("the full name is empty"), field="full_name")
    if language not in LANGUAGES:
        raise ServiceError(_l("unknown language %(value)s", value=repr(language)), field="language")
    other = get_by_email(email)
    if other is not None and other is not user:
        raise Conflict(_l("a user with e-mail %(email)s already exists", email=email), field="email")
    return email, full_name


def create_user(email: str, full_name: str, password: str | None = None, *, language: str = "kk",
                actor=None, **fields) -> User:
    email, full_name = _checked(email, full_name, language)
    user = User(email=email, full_name=full_name, language=language, **fields)
    if password:
        user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user_created", user, email)
    return user


#: a chosen password's length: long enough to resist guessing over the login's rate limit
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 200


def check_password_rules(user: User, password: str) -> None:
    """What a chosen password must be: long enough, and not the e-mail address (what a
    colleague who knows the list of participants would try first)."""
    password = password or ""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise ServiceError(_l("the password needs at least %(n)d characters", n=PASSWORD_MIN_LENGTH),
                           field="password")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise ServiceError(_l("the password can have at most %(n)d characters", n=PASSWORD_MAX_LENGTH),
                           field="password")
    if password.strip().lower() in (user.email.lower(), user.email.split("@")[0].lower()):
        raise ServiceError(_l("the password must not be your e-mail address"), field="password")


def set_password(user: User, password: str, actor=None, how: str = "") -> None:
    """Sets a new password; the account's credential stamp changes with it, so its earlier
    sessions and password links stop working."""
    check_password_rules(user, password)
    user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    audit.record(actor, "password_set", user, how)


def authenticate(email: str, password: str) -> User | None:
    user = get_by_email(email)
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.is_active:
        return None
    user.last_login_at = utcnow()
    if not user.policies_agreed:  # settled in the sign-in's own write, not on the first page
        from lms.core.services import policies

        policies.settle(user)
    return user


def _is_admin(user: User) -> bool:
    return any(ra.role == "admin" and ra.context_level == "system" for ra in user.role_assignments)


def check_may_change(user: User, actor) -> None:
    """A methodologist manages the centre's accounts, but only an administrator changes an
    administrator's (an e-mail changed and a sign-in link sent would hand the account over).
    The CLI (no actor) may. An erased account (core/services/erasure.py) changes no more: a new
    name or e-mail would put a person back on what was kept of it."""
    if user.erased_at is not None:
        raise Conflict(_l("this account's personal data was erased: the account cannot be changed"))
    if actor is not None and _is_admin(user) and not has_capability(actor, "core:manage_admins"):
        raise Conflict(_l("only an administrator changes an administrator's account"))


def _check_may_give(role: str, actor) -> None:
    if role == "admin" and actor is not None and not has_capability(actor, "core:manage_admins"):
        raise Conflict(_l("only an administrator gives or takes the administrator role"), field="roles")


def update_user(user: User, email: str, full_name: str, language: str, actor) -> list[str]:
    """An administrator's correction of a name, an e-mail or a language; returns what changed.
    A certificate already issued keeps the name it was issued to."""
    check_may_change(user, actor)
    email, full_name = _checked(email, full_name, language, user)
    changed = [f"{name}: {old} -> {new}" for name, old, new in (
        ("email", user.email, email), ("full_name", user.full_name, full_name), ("language", user.language, language))
        if old != new]
    if changed:
        user.email, user.full_name, user.language = email, full_name, language
        audit.record(actor, "user_updated", user, "; ".join(changed))
    return changed


def set_system_roles(user: User, roles: set[str], actor) -> None:
    """The roles held in the whole system (cohort and programme roles are set where they
    apply). An administrator cannot take their own administrator role away."""
    unknown = roles - set(SYSTEM_ROLES)
    if unknown:
        raise ServiceError(_l("unknown role %(value)s", value=repr(sorted(unknown)[0])), field="roles")
    held = {ra.role for ra in user.role_assignments if ra.context_level == "system"}
    if actor is not None and getattr(actor, "id", None) == user.id and "admin" in held - roles:
        raise Conflict(_l("you cannot take away your own administrator role"), field="roles")
    for role in sorted(roles - held):
        assign_role(user, role, actor=actor)
    for role in sorted(held - roles):
        remove_role(user, role, actor=actor)


def set_active(user: User, active: bool, actor) -> bool:
    """Disable an account (someone left the centre) or enable it again; nothing they did is
    touched. A disabled account cannot sign in, its sessions and API tokens stop working.
    Returns whether anything changed."""
    if not active and actor is not None and getattr(actor, "id", None) == user.id:
        raise Conflict(_l("you cannot disable your own account"))
    check_may_change(user, actor)
    if user.is_active_account == active:
        return False
    user.is_active_account = active
    audit.record(actor, "account_enabled" if active else "account_disabled", user, user.email)
    return True


def set_email_notices(user: User, on: bool, kinds_on: list[str] | None = None) -> bool:
    """The holder's own choice (their profile): course news by e-mail at all, and, given
    `kinds_on`, which of the kinds offered to them (`mail.notice_kinds_for`) stay on (the other
    offered ones are turned off). Returns whether it changed."""
    from lms.core.services.mail import notice_kinds_for

    if not isinstance(on, bool):
        raise ServiceError(_l("true or false (got %(value)s)", value=repr(on)), field="email_notices")
    off = user.notices_off
    if kinds_on is not None:
        offered = notice_kinds_for(user)
        unknown = sorted(set(kinds_on) - set(offered))
        if unknown:
            raise ServiceError(_l("unknown kind of notice: %(kinds)s", kinds=", ".join(unknown)), field="kinds")
        # a kind not offered now (a disabled plugin's, or one for a role not held) stays as it was
        off = sorted((set(user.notices_off or ()) - set(offered)) | (set(offered) - set(kinds_on))) or None
    if user.email_notices == on and (user.notices_off or None) == off:
        return False
    user.email_notices, user.notices_off = on, off
    return True


def set_language(user: User, language: str) -> None:
    if language not in LANGUAGES:
        raise ServiceError(_l("unknown language %(value)s", value=repr(language)), field="language")
    user.language = language


def assign_role(user: User, role: str, context_level: str = "system", context_id: int | None = None,
                actor=None) -> RoleAssignment:
    """Idempotent: assigning a role the user already holds returns the existing row."""
    _check_may_give(role, actor)
    if role not in ASSIGNABLE_ROLES:
        raise ServiceError(_l("unknown role %(value)s", value=repr(role)), field="role")
    if context_level not in CONTEXT_LEVELS:
        raise ServiceError(_l("unknown context %(value)s", value=repr(context_level)), field="context_level")
    if (context_level == "system") != (context_id is None):
        raise ServiceError(_l("a system role takes no context id; other contexts need one"), field="context_id")
    for ra in user.role_assignments:
        if (ra.role, ra.context_level, ra.context_id) == (role, context_level, context_id):
            return ra
    ra = RoleAssignment(user=user, role=role, context_level=context_level, context_id=context_id)
    db.session.add(ra)
    db.session.flush()
    audit.record(actor, "role_assigned", user, f"{role} @ {context_level}:{context_id or ''}",
                 role=role, context_level=context_level, context_id=context_id)
    return ra


def holders(context_level: str, context_id: int, roles: tuple[str, ...]) -> dict[str, list[User]]:
    """The users holding each of `roles` in one context itself (not inherited), by name; one
    statement: a cohort's or a programme's staff."""
    out: dict[str, list[User]] = {role: [] for role in roles}
    for role, user in db.session.execute(
            select(RoleAssignment.role, User).join(User, User.id == RoleAssignment.user_id)
            .where(RoleAssignment.role.in_(roles), RoleAssignment.context_level == context_level,
                   RoleAssignment.context_id == context_id).order_by(User.sort_key)):
        out[role].append(user)
    return out


def check_staff(user: User, role: str, roles: tuple[str, ...], *, giving: bool = True) -> None:
    """What a staff role anywhere asks: a role of `roles`, and, to give it, an account in use
    (a disabled account's role can still be taken away)."""
    if role not in roles:
        raise ServiceError(_l("%(role)s is not a staff role here (%(roles)s)", role=repr(role),
                              roles=", ".join(roles)), field="role")
    if giving and not user.is_active:
        raise ServiceError(_l("the account of %(email)s is disabled", email=user.email), field="email")


def remove_role(user: User, role: str, context_level: str = "system", context_id: int | None = None,
                actor=None) -> bool:
    """Idempotent: removing a role the user does not hold changes nothing (returns False)."""
    _check_may_give(role, actor)
    for ra in list(user.role_assignments):
        if (ra.role, ra.context_level, ra.context_id) == (role, context_level, context_id):
            user.role_assignments.remove(ra)
            db.session.flush()
            audit.record(actor, "role_removed", user, f"{role} @ {context_level}:{context_id or ''}",
                         role=role, context_level=context_level, context_id=context_id)
            return True
    return False
