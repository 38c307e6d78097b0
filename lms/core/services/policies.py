"""The site's policies and who accepted them (Moodle's tool_policy): a notice on personal data
that everyone accepts, and a confidentiality obligation that the centre's staff accept (seed 002
§5: staff are told of their duty and accept its restrictions voluntarily; the RK Law on Personal
Data asks for consent). Pages ask for what waits before anything else is shown."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import and_, exists, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import contains_eager

from lms.core.i18n import localized
from lms.core.models import POLICY_KINDS, Policy, PolicyAcceptance, RoleAssignment, User
from lms.core.services import audit
from lms.core.services.errors import Conflict, ServiceError
from lms.core.services.markup import render_markdown
from lms.db import db, utcnow

KIND_NAMES = {"privacy": _l("Personal data notice (everyone)"),
              "confidentiality": _l("Confidentiality obligation (the centre's staff)")}
#: who is asked to accept each kind: everyone, or those holding a role other than participant
STAFF_KINDS = {"confidentiality"}
MAX_TEXT = 50_000


def html(policy: Policy) -> Markup:
    """The text in the reader's language, rendered and sanitized."""
    return Markup(render_markdown(localized(policy, "text")))


def current() -> list[Policy]:
    """The newest version of each kind that has one, in POLICY_KINDS order."""
    newest = select(Policy.kind, func.max(Policy.version).label("version")).group_by(Policy.kind).subquery()
    found = db.session.scalars(select(Policy).join(newest, (Policy.kind == newest.c.kind)
                                                    & (Policy.version == newest.c.version))).all()
    return sorted(found, key=lambda p: POLICY_KINDS.index(p.kind))


def _is_staff(user: User) -> bool:
    return any(ra.role != "participant" for ra in user.role_assignments)


def applies_to(policy: Policy, user: User) -> bool:
    return policy.kind not in STAFF_KINDS or _is_staff(user)


def pending_for(user: User) -> list[Policy]:
    """The current versions that `user` is asked to accept and has not."""
    policies = [p for p in current() if applies_to(p, user)]
    if not policies:
        return []
    accepted = set(db.session.scalars(select(PolicyAcceptance.policy_id).where(
        PolicyAcceptance.user_id == user.id, PolicyAcceptance.policy_id.in_([p.id for p in policies]))))
    return [p for p in policies if p.id not in accepted]


def settle(user: User) -> list[Policy]:
    """What waits for `user`; when nothing does, marks them agreed so pages stop asking. The
    caller commits."""
    waiting = pending_for(user)
    if not waiting:
        user.policies_agreed = True
    return waiting


def still_asks(user: User) -> bool:
    """Whether a current policy waits for `user` (the pages' and the API's gate). When nothing
    does, they are marked agreed and that is committed at once, the only write of the read that
    asked; another writer holding SQLite only means being asked again next time."""
    if settle(user):
        return True
    try:
        db.session.commit()
    except OperationalError:
        db.session.rollback()
    return False


def accept(user: User, policy_ids: set[int]) -> None:
    """Records the acceptance of every pending version; refuses unless all of them are ticked
    (a page is not shown until they are)."""
    waiting = pending_for(user)
    missing = [p for p in waiting if p.id not in policy_ids]
    if missing:
        raise ServiceError(_l("tick each policy to accept it: %(titles)s",
                              titles="; ".join(localized(p, "title") for p in missing)), field="accepted")
    now = utcnow()
    for policy in waiting:
        db.session.add(PolicyAcceptance(policy_id=policy.id, user_id=user.id, accepted_at=now))
    user.policies_agreed = True
    db.session.flush()


def publish(kind: str, fields: dict, actor) -> Policy:
    """A new version of `kind`: from now on everyone it applies to is asked to accept it, on
    their next page."""
    if kind not in POLICY_KINDS:
        raise ServiceError(_l("unknown kind of policy: %(kind)s", kind=kind), field="kind")
    cleaned = {}
    for name, limit in (("title_kk", 200), ("title_ru", 200), ("text_kk", MAX_TEXT), ("text_ru", MAX_TEXT)):
        value = (fields.get(name) or "").strip()
        if not value:
            raise ServiceError(_l("this field is required"), field=name)
        if len(value) > limit:
            raise ServiceError(_l("at most %(count)s characters", count=limit), field=name)
        cleaned[name] = value
    version = (db.session.scalar(select(func.max(Policy.version)).where(Policy.kind == kind)) or 0) + 1
    policy = Policy(kind=kind, version=version, published_by_id=getattr(actor, "id", None), **cleaned)
    try:
        with db.session.begin_nested():
            db.session.add(policy)
            db.session.flush()
    except IntegrityError:  # another administrator's version took the number first
        raise Conflict(_l("another version was published a moment ago: reload the page and check it"),
                       field="kind") from None
    db.session.execute(update(User).where(_asked(kind)).values(policies_agreed=False)
                       .execution_options(synchronize_session="fetch"))  # the accounts loaded see it
    audit.record(actor, "policy_published", policy, f"{kind} v{version}: {policy.title_kk}")
    return policy


def versions() -> list[tuple[Policy, int]]:
    """Every version, newest first, with how many accepted it."""
    counts = (select(PolicyAcceptance.policy_id, func.count().label("n"))
              .group_by(PolicyAcceptance.policy_id).subquery())
    rows = db.session.execute(select(Policy, func.coalesce(counts.c.n, 0))
                              .outerjoin(counts, counts.c.policy_id == Policy.id)
                              .order_by(Policy.kind, Policy.version.desc())).all()
    return [(p, n) for p, n in rows]


def _asked(kind: str):
    """The accounts a policy of `kind` applies to, as a condition on User (`applies_to` in SQL)."""
    if kind in STAFF_KINDS:
        return exists().where(RoleAssignment.user_id == User.id, RoleAssignment.role != "participant")
    return true()


def asked_count(policy: Policy) -> int:
    """How many active accounts the version applies to (the denominator of its acceptances)."""
    return db.session.scalar(select(func.count()).select_from(User).where(User.is_active_account, _asked(policy.kind)))


def acceptance_rows(policy: Policy, current: bool) -> list[tuple[User, datetime | None]]:
    """Who accepted the version and when; for a current version, also every active account it
    applies to that has not yet (None), so the centre knows whom to remind. In the alphabet's
    order."""
    accepted = (select(PolicyAcceptance.user_id, PolicyAcceptance.accepted_at)
                .where(PolicyAcceptance.policy_id == policy.id).subquery())
    whom = accepted.c.user_id.is_not(None)
    if current:
        whom = or_(whom, and_(User.is_active_account, _asked(policy.kind)))
    return [(user, at) for user, at in db.session.execute(
        select(User, accepted.c.accepted_at).outerjoin(accepted, accepted.c.user_id == User.id)
        .where(whom).order_by(User.sort_key, User.id))]


def acceptances_of(user: User) -> list[PolicyAcceptance]:
    return list(db.session.scalars(select(PolicyAcceptance).join(PolicyAcceptance.policy)
                                   .options(contains_eager(PolicyAcceptance.policy))
                                   .where(PolicyAcceptance.user_id == user.id).order_by(PolicyAcceptance.id)))
