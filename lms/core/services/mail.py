"""The mail outbox: a message is queued once per key (OutboxMessage.key is unique), so a job
that queues the same reminder twice sends it once; `deliver` sends what waits, over SMTP
when LMS_SMTP_HOST is set, else as .eml files in <instance>/outbox (the default, so a
fresh install never needs a mail server).

Both functions only change rows and flush; the caller commits (a CLI command commits after
each `deliver` batch, so a crash re-sends at most one batch)."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.core.models import OutboxMessage
from lms.core.permissions import has_capability_anywhere
from lms.core.services import clock
from lms.core.services.errors import ServiceError
from lms.db import db

MAX_ATTEMPTS = 5
SMTP_TIMEOUT = 30


def queue(key: str, to: str, subject: str, body: str) -> OutboxMessage | None:
    """The new message, or None when `key` was queued before (then nothing changes)."""
    key, to = (key or "").strip(), (to or "").strip()
    if not key or len(key) > 200:
        raise ServiceError("a message key is 1 to 200 characters", field="key")
    if "@" not in to or any(c in to for c in "\r\n,;"):
        raise ServiceError(f"{to!r} is not one e-mail address", field="to")
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)) is not None:
        return None
    message = OutboxMessage(key=key, to_email=to[:254], subject=" ".join(subject.split())[:300], body=body,
                            created_at=clock.now())
    try:
        with db.session.begin_nested():  # a concurrent run queued the same key a moment ago
            db.session.add(message)
            db.session.flush()
    except IntegrityError:
        return None
    return message


def letter(user, *paragraphs: str) -> str:
    """A message's body: the greeting, the paragraphs (each may hold its own line breaks), and
    the signature, blank lines between. Call it in the reader's language (force_locale)."""
    from flask_babel import gettext as _

    return "\n\n".join([_("Hello, %(name)s.", name=user.full_name), *(p for p in paragraphs if p), "Ustaz"])


def notice_kinds() -> dict[str, object]:
    """The enabled plugins' kinds of notice a reader may turn off, code -> words."""
    return current_app.extensions["lms_notice_kinds"]


def notice_kinds_for(user) -> dict[str, object]:
    """The kinds the profile offers `user`: those whose readers' capability they hold somewhere
    (a participant is not offered the supporters' summaries, nor a curator a test reminder)."""
    audience = current_app.extensions["lms_notice_audience"]
    return {code: words for code, words in notice_kinds().items()
            if audience.get(code) is None or has_capability_anywhere(user, audience[code])}


def wants(user, kind: str) -> bool:
    """Whether `user` takes notices of `kind` by e-mail: course news on, and that kind not turned
    off. Sign-in links are not a kind: they always go."""
    if kind not in notice_kinds():
        raise KeyError(f"unknown notice kind {kind!r}; a plugin declares it in Plugin.notice_kinds")
    return bool(user.email_notices) and kind not in (user.notices_off or ())


def queued(prefix: str, since=None) -> int:
    """How many messages with keys starting `prefix` were queued (from `since` on): a page says
    how many it told."""
    stmt = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.key.startswith(prefix))
    if since is not None:
        stmt = stmt.where(OutboxMessage.created_at >= since)
    return db.session.scalar(stmt)


def link(path: str) -> str:
    """An address in a message: the site's public address (LMS_PUBLIC_URL) and `path`."""
    return f"{_config().public_url.rstrip('/')}/{path.lstrip('/')}"


def pending(limit: int = 100) -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.id).limit(limit)))


def _config():
    return current_app.config["LMS"]


def outbox_dir() -> Path:
    return Path(_config().outbox_dir or Path(current_app.instance_path) / "outbox")


def as_email(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_email
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=sender.rpartition("@")[2] or None)
    email.set_content(message.body)
    return email


def _smtp(config) -> smtplib.SMTP:
    if config.smtp_port == 465:
        server: smtplib.SMTP = smtplib.SMTP_SSL(config.smtp_host, config.smtp_port, timeout=SMTP_TIMEOUT)
    else:
        server = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=SMTP_TIMEOUT)
        server.ehlo()
        if server.has_extn("starttls"):
            server.starttls()
            server.ehlo()
    if config.smtp_user:
        server.login(config.smtp_user, config.smtp_password or "")
    return server


def deliver(limit: int = 100, messages: list[OutboxMessage] | None = None) -> int:
    """Send up to `limit` waiting messages, oldest first (or just `messages`); returns how many
    went. A message that fails keeps its error and is tried again on the next run (up to
    MAX_ATTEMPTS times)."""
    messages = pending(limit) if messages is None else [m for m in messages if m.sent_at is None]
    if not messages:
        return 0
    config = _config()
    sent = 0
    if config.smtp_host:
        try:
            server = _smtp(config)
        except (OSError, smtplib.SMTPException) as exc:
            for m in messages:
                m.attempts += 1
                m.last_error = f"cannot reach {config.smtp_host}:{config.smtp_port}: {exc}"[:2000]
            db.session.flush()
            return 0
        try:
            for m in messages:
                m.attempts += 1
                try:
                    server.send_message(as_email(m, config.smtp_sender))
                except smtplib.SMTPException as exc:
                    m.last_error = str(exc)[:2000]
                    continue
                m.sent_at, m.last_error = clock.now(), None
                sent += 1
        finally:
            try:
                server.quit()
            except (OSError, smtplib.SMTPException):
                pass
    else:
        directory = outbox_dir()
        directory.mkdir(parents=True, exist_ok=True)
        for m in messages:
            m.attempts += 1
            path = directory / f"{m.id}.eml"
            tmp = path.with_suffix(".part")
            tmp.write_bytes(bytes(as_email(m, config.smtp_sender)))
            tmp.replace(path)
            m.sent_at, m.last_error = clock.now(), None
            sent += 1
    db.session.flush()
    return sent


def send_now(message: OutboxMessage) -> bool:
    """Send one message just queued and committed (a password link: its reader is waiting),
    leaving the rest of the outbox to the daily tasks; commits. False when the mail server
    has not taken it (it is tried again later)."""
    sent = deliver(messages=[message]) == 1
    db.session.commit()
    return sent


def send_after_response(response, message: OutboxMessage | None = None):
    """Send a just-committed message (or, without one, everything waiting) once `response` has
    gone out. For the forgotten-password page: an SMTP round trip inside the request would make
    the answer for an address with an account slower than for one without, and so tell who has
    an account (Moodle has that leak). For a trainer's change that tells a cohort: thirty SMTP
    round trips would hold the trainer's page."""
    app, message_id = current_app._get_current_object(), getattr(message, "id", None)

    def send() -> None:
        with app.app_context():
            try:
                if message_id is None:
                    deliver_all()
                    return
                queued = db.session.get(OutboxMessage, message_id)
                if queued is not None and queued.sent_at is None:
                    send_now(queued)
            except Exception:  # noqa: BLE001 - the reader has their answer; the outbox task sends it later
                db.session.rollback()
                app.logger.exception("outbox: not sent after the response (message %s)", message_id or "all")

    response.call_on_close(send)
    return response


#: messages sent between two commits by `deliver_all`
DELIVER_BATCH = 50


def deliver_all() -> int:
    """Send everything waiting, committing after each batch (a crash re-sends at most one
    batch): for the daily tasks that queue reminders and then send them."""
    total = 0
    while True:
        sent = deliver(DELIVER_BATCH)
        db.session.commit()
        total += sent
        if sent < DELIVER_BATCH:
            return total
