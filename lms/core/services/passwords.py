"""Passwords set by the account holder: by a link sent by e-mail (the invitation of an account
an import created without a password, and the reset of a forgotten one) or on the profile page.

A link carries a signed, timed token (itsdangerous, as Flask's own session cookie) naming the
account and its credential stamp (`User.credential_stamp`, a digest of the password hash).
Setting a password changes the stamp, so each link works once and every earlier link, and
every session signed in before, stops working. Nothing is stored but the outbox's message.
Moodle's reset links last 30 minutes; ours give 2 hours, since a rural line's mail can be
slow, and an invitation 14 days."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash

from lms.core.i18n import language_of
from lms.core.models import OutboxMessage, User
from lms.core.services import audit, mail
from lms.core.services import users as user_service
from lms.core.services.errors import ServiceError
from lms.db import db, utcnow

#: how long a link works
LIFETIME = {"reset": timedelta(hours=2), "invite": timedelta(days=14)}
#: a reset mail to one account at most this often, however often the form is sent
RESET_INTERVAL = timedelta(minutes=10)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="lms.password-link")


def token_for(user: User, kind: str) -> str:
    if kind not in LIFETIME:
        raise ValueError(f"unknown link kind {kind!r}")
    return _serializer().dumps([user.id, user.credential_stamp, kind])


def link_for(user: User, kind: str) -> str:
    return mail.link(f"/password/set/{token_for(user, kind)}")  # no request in the CLI: the path as written


def user_for(token: str) -> tuple[User, str]:
    """The account a link sets the password of, and the link's kind; a ServiceError says
    why a link does not work (expired, used, or not ours)."""
    try:
        (user_id, stamp, kind), issued = _serializer().loads(
            token, max_age=int(max(LIFETIME.values()).total_seconds()), return_timestamp=True)
    except SignatureExpired:
        raise ServiceError(_l("this link has expired; ask for a new one")) from None
    except (BadSignature, ValueError, TypeError):
        raise ServiceError(_l("this link is not valid; check that it was copied whole")) from None
    if kind not in LIFETIME or not isinstance(user_id, int):
        raise ServiceError(_l("this link is not valid; check that it was copied whole"))
    if utcnow() - issued > LIFETIME[kind]:
        raise ServiceError(_l("this link has expired; ask for a new one"))
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        raise ServiceError(_l("this link is not valid; check that it was copied whole"))
    if user.credential_stamp != stamp:
        raise ServiceError(_l("this link has been used already, or the password was changed since; ask for a new"
                              " one if you need it"))
    return user, kind


def set_by_link(token: str, password: str) -> User:
    user, kind = user_for(token)
    user_service.set_password(user, password, actor=user, how=f"by an e-mailed link ({kind})")
    return user


def change(user: User, current: str, password: str) -> None:
    if not user.password_hash or not check_password_hash(user.password_hash, current or ""):
        raise ServiceError(_l("the current password is not right"), field="current_password")
    if current == password:
        raise ServiceError(_l("the new password is the same as the current one"), field="password")
    user_service.set_password(user, password, actor=user, how="on the profile page")


def request_reset(email: str, now: datetime | None = None) -> OutboxMessage | None:
    """Queue a reset link to an active account with this e-mail. The caller answers the same
    whatever this returns, so the form tells nobody which addresses have accounts."""
    user = user_service.get_by_email(email)
    if user is None or not user.is_active:
        return None
    return _queue_reset(user, now or utcnow())


def _queue_reset(user: User, now: datetime) -> OutboxMessage | None:
    window = int(now.timestamp() // RESET_INTERVAL.total_seconds())
    subject, body = _message(user, "reset")
    return mail.queue(f"core:password-reset:{user.id}:{window}", user.email, subject, body)


def _queue_invite(user: User, now: datetime) -> OutboxMessage | None:
    subject, body = _message(user, "invite")
    return mail.queue(f"core:password-invite:{user.id}:{now.date().isoformat()}", user.email, subject, body)


def send_link(user: User, actor, now: datetime | None = None) -> OutboxMessage | None:
    """An administrator's "send a sign-in link" (someone phoned: no password, or forgotten):
    an invitation to an account without a password, else a reset link. None when the same
    link went out a moment ago (the reset's 10 minutes, the invitation's day)."""
    if not user.is_active:
        raise ServiceError(_l("this account is disabled; enable it before sending it a link"))
    user_service.check_may_change(user, actor)
    now = now or utcnow()
    message = _queue_reset(user, now) if user.password_hash else _queue_invite(user, now)
    if message is not None:
        audit.record(actor, "password_link_sent", user, "reset" if user.password_hash else "invite")
    return message


def invite(users: list[User], actor, about, now: datetime | None = None) -> list[User]:
    """Queue an invitation (a link to set a first password) to each active account that has no
    password yet; at most one a day per account. Returns those queued now; the audit entry
    names `about` (e.g. the cohort they were invited to)."""
    now = now or utcnow()
    queued = []
    for user in users:
        if user.password_hash or not user.is_active:
            continue
        if _queue_invite(user, now) is not None:
            queued.append(user)
    if queued:
        audit.record(actor, "password_invitations_queued", about, f"{len(queued)} invitation(s)",
                     to=[u.email for u in queued])
    return queued


def _message(user: User, kind: str) -> tuple[str, str]:
    link = link_for(user, kind)
    with force_locale(language_of(user)):
        if kind == "invite":
            subject = _("Your account on Ustaz")
            lead = [_("An account on Ustaz has been opened for you, for your course: %(email)s.", email=user.email),
                    _("Choose your password here (the link works for 14 days, once):") + "\n" + link]
        else:
            subject = _("A new password for Ustaz")
            lead = [_("Someone, most likely you, asked to set a new password for %(email)s.", email=user.email),
                    _("Choose a new password here (the link works for 2 hours, once):") + "\n" + link,
                    _("If you did not ask, ignore this message: your password stays as it is.")]
        body = mail.letter(user, *lead,
                           _("Then sign in with your e-mail and that password: %(url)s", url=mail.link("/login")))
    return subject, body
