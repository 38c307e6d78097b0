"""Announcements: news a cohort's trainers post to its participants (Moodle's announcements
forum; Canvas's announcements). Shown newest first on the participants' course page and on
the cohort's announcements page; e-mailed to every participant still taking the course when
the author asks, each in their language's frame (the text is the author's own)."""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.core.i18n import language_of
from lms.core.services import audit, clock, mail
from lms.core.services.errors import NotFound, ServiceError
from lms.courses.models import Announcement, Cohort
from lms.courses.services.notices import LIVE, participants
from lms.core.services.markup import render_markdown
from lms.db import db

MAX_TITLE, MAX_BODY = 200, 20_000


def post(cohort: Cohort, fields: dict, actor, *, email: bool = False) -> Announcement:
    """Every problem is named at once; nothing is saved on refusal. With `email`, a message
    per participant is queued (a finished or cancelled cohort is mailed nothing)."""
    title = " ".join((fields.get("title") or "").split())
    body = (fields.get("body") or "").strip()
    problems = []
    if not title:
        problems.append(("title", _l("give the announcement a title")))
    elif len(title) > MAX_TITLE:
        problems.append(("title", _l("the title takes at most %(count)s characters", count=MAX_TITLE)))
    if not body:
        problems.append(("body", _l("write the announcement's text")))
    elif len(body) > MAX_BODY:
        problems.append(("body", _l("the text takes at most %(count)s characters", count=f"{MAX_BODY:,}")))
    if problems:
        raise ServiceError.listing(problems)
    item = Announcement(cohort_id=cohort.id, author_id=getattr(actor, "id", None), title=title, body=body,
                        body_html=render_markdown(body), posted_at=clock.now())
    db.session.add(item)
    db.session.flush()
    told = _email(cohort, item) if email and cohort.status in LIVE else 0
    audit.record(actor, "announcement_posted", item, f"{cohort.code}: {title}", emailed=told)
    return item


def _email(cohort: Cohort, item: Announcement) -> int:
    told = 0
    for user in participants(cohort.id, "courses:announcement"):
        with force_locale(language_of(user)):
            subject = f"{cohort.code}: {item.title}"
            body = mail.letter(user, _("An announcement of %(cohort)s:", cohort=cohort.code), item.title, item.body,
                               _("On the course page: %(url)s", url=mail.link(f"/cohorts/{cohort.code}/announcements")))
        if mail.queue(f"courses:announcement:{item.id}:{user.id}", user.email, subject, body):
            told += 1
    item.emailed_at = clock.now() if told else None
    return told


def emailed(item: Announcement) -> int:
    """How many e-mails the announcement queued."""
    return mail.queued(f"courses:announcement:{item.id}:")


def get(cohort: Cohort, announcement_id: int) -> Announcement:
    item = db.session.get(Announcement, announcement_id)
    if item is None or item.cohort_id != cohort.id:
        raise NotFound(_l("no announcement %(id)s in %(code)s", id=announcement_id, code=cohort.code))
    return item


def delete(item: Announcement, actor) -> None:
    """Audited with its text, as every deletion is."""
    audit.record(actor, "announcement_deleted", item, item.title, title=item.title, body=item.body,
                 posted_at=item.posted_at.isoformat())
    db.session.delete(item)
    db.session.flush()


def of_cohort(cohort: Cohort):
    """Newest first, with their authors (a statement to paginate, or to limit)."""
    return (select(Announcement).where(Announcement.cohort_id == cohort.id)
            .options(selectinload(Announcement.author))
            .order_by(Announcement.posted_at.desc(), Announcement.id.desc()))


def latest(cohort: Cohort, count: int = 2) -> list[Announcement]:
    return list(db.session.scalars(of_cohort(cohort).limit(count)))
