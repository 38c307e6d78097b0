"""One e-mail a day with the answers in the discussions a reader follows (Moodle's forum digest),
for those who chose it: a busy cohort otherwise sends a rural teacher's inbox a message per
answer. The choice is the reader's own (`MailMode`); the digest covers what was written after
the previous one (`MailMode.since`) by others, shown, in cohorts and programme networks the
reader still reads."""
from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.community.models import MailMode, Post, Subscription, Thread
from lms.community.services.discussions import page_of, title_for
from lms.community.services.places import Place
from lms.core.i18n import language_of
from lms.core.models import User
from lms.core.services import clock, mail
from lms.courses.models import Cohort
from lms.db import db

#: a post's text in the digest is cut after this many characters (the link reads the rest)
EXCERPT = 600


def is_daily(user) -> bool:
    return bool(db.session.scalar(select(MailMode.daily).where(MailMode.user_id == user.id)))


def set_daily(user, daily: bool) -> bool:
    """The reader's choice; returns whether it changed. Choosing the digest starts it from now;
    going back to an e-mail per answer leaves what came meanwhile on the site, marked new."""
    if not isinstance(daily, bool):
        raise TypeError("daily is a bool")
    row = db.session.get(MailMode, user.id)
    if (row is not None and row.daily) == daily:
        return False
    if row is None:
        row = MailMode(user_id=user.id)
        db.session.add(row)
    row.daily, row.since = daily, clock.now()
    db.session.flush()
    return True


def excerpt(text: str) -> str:
    """A post's start as a digest quotes it."""
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT else text[:EXCERPT].rstrip() + " …"


def send_digests(now: datetime | None = None) -> int:
    """Queue each daily reader's digest of what came since their last; returns how many were
    queued. The outbox key carries the window's start, so a run repeated before its commit
    queues nothing twice; the caller commits and delivers."""
    now = now or clock.now()
    modes = {m.user_id: m for m in db.session.scalars(select(MailMode).where(MailMode.daily.is_(True)))}
    if not modes:
        return 0
    readers = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_(modes), User.is_active_account.is_(True))
        .options(selectinload(User.role_assignments)))}
    rows = db.session.execute(
        select(Subscription.user_id, Post).join(Post, Post.thread_id == Subscription.thread_id)
        .join(MailMode, MailMode.user_id == Subscription.user_id)
        .where(Subscription.user_id.in_(readers), Subscription.following.is_(True), MailMode.daily.is_(True),
               Post.created_at > MailMode.since, Post.created_at <= now, Post.hidden_at.is_(None),
               Post.author_id.is_distinct_from(Subscription.user_id))
        .options(selectinload(Post.author), selectinload(Post.thread))
        .order_by(Subscription.user_id, Post.thread_id, Post.created_at, Post.id)).all()
    by_reader: dict[int, dict[Thread, list[Post]]] = {}
    for user_id, post in rows:
        by_reader.setdefault(user_id, {}).setdefault(post.thread, []).append(post)
    cohort_ids = {t.cohort_id for threads in by_reader.values() for t in threads if t.cohort_id is not None}
    places = {c.id: Place(cohort=c) for c in db.session.scalars(select(Cohort).where(Cohort.id.in_(cohort_ids)))} \
        if cohort_ids else {}
    places.update({t.programme_code: Place(programme_code=t.programme_code)
                   for threads in by_reader.values() for t in threads if t.programme_code is not None})
    checks = {}
    pages = {}  # readers of one thread mostly start at the same answer: its page is counted once
    queued = 0
    for user_id, threads in by_reader.items():
        user, mode = readers[user_id], modes[user_id]
        if not mail.wants(user, "community:answer"):
            continue
        sections = []
        count = 0
        for thread, posts in threads.items():
            key = thread.cohort_id or thread.programme_code
            place = places[key]
            if place.read_only:
                continue
            if key not in checks:
                checks[key] = place.checker()
            access = checks[key](user)
            if not access.reads:
                continue
            sections.append((place, thread, posts, access.moderates))
            count += len(posts)
        if not sections:
            continue
        with force_locale(language_of(user)):
            subject = ngettext("Discussions: %(num)s new answer", "Discussions: %(num)s new answers", count)
            parts = [_("New answers in the discussions you follow:")]
            for place, thread, posts, moderator in sections:
                lines = [f"{place.code}: {title_for(thread, user, moderator)}"]
                lines += [f"— {p.author.full_name if p.author else '—'}: {excerpt(p.body)}" for p in posts]
                if posts[0].id not in pages:
                    pages[posts[0].id] = page_of(thread, posts[0])
                lines.append(_("Read and answer: %(url)s", url=mail.link(
                    f"{place.path(thread.id)}?page={pages[posts[0].id]}#post-{posts[0].id}")))
                parts.append("\n".join(lines))
            parts.append(_("You receive one e-mail a day because you chose it on the Discussions page; you can"
                           " choose an e-mail for each answer there instead."))
            body = mail.letter(user, *parts)
        if mail.queue(f"community:digest:{user.id}:{mode.since.isoformat()}", user.email, subject, body):
            queued += 1
    for mode in modes.values():
        mode.since = now
    db.session.flush()
    return queued
