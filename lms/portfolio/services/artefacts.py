"""A participant's portfolio: artefacts (a file, a link or a text) attached to a module or
topic, the seed 000 «инфотека» of links in four categories, the portfolio handed in (seed
004, module 8), and read-only share links that expire.

Only the enrolment's owner changes it; staff read it; anyone else reads it only through a
live share link, whose token is shown once and stored as its SHA-256 (as API tokens are)."""
from __future__ import annotations

import hashlib
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.core.services import audit, files
from lms.core.services.errors import Conflict, NotFound, ServiceError
from lms.courses.models import Cohort, Enrolment, Module, Programme, Topic
from lms.courses.services import cohorts as cohort_service
from lms.courses.services.selfstudy import MAX_TEXT, _check_link
from lms.db import db, utcnow
from lms.portfolio.models import ARTEFACT_KINDS, ARTEFACT_SECTIONS, Artefact, ShareLink

#: the seed 000 infoteka: normative legal acts, practical resources, teaching aids, articles
INFOTEKA_CATEGORIES = ("normative_acts", "practical_resources", "teaching_aids", "articles")
MAX_TITLE = 300
SHARE_DAYS_DEFAULT = 14
SHARE_DAYS_MAX = 90
#: live links one portfolio may have at once (each is a door; a few are plenty)
MAX_LIVE_LINKS = 10


class ShareLinkGone(ServiceError):
    """The link existed but is expired or revoked (a 410 page, not a 404)."""

    code = "gone"

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason  # "revoked" or "expired"


# --- reading --------------------------------------------------------------------------------

@dataclass
class Portfolio:
    enrolment: Enrolment
    #: category -> links, in INFOTEKA_CATEGORIES order (empty categories included)
    infoteka: dict[str, list[Artefact]]
    #: work in programme order (module, topic), unattached last
    work: list[Artefact]
    #: hand-ins, newest first
    submissions: list[Artefact]
    modules: dict[int, Module] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.infoteka.values()) + len(self.work) + len(self.submissions)

    @property
    def handed_in(self) -> Artefact | None:
        return self.submissions[0] if self.submissions else None


def programme_parts(programme_id: int) -> tuple[dict[int, Module], dict[str, Topic]]:
    programme = db.session.scalar(select(Programme).where(Programme.id == programme_id).options(
        selectinload(Programme.modules), selectinload(Programme.topics)))
    return {m.number: m for m in programme.modules}, {t.code: t for t in programme.topics}


def portfolio(enrolment: Enrolment) -> Portfolio:
    """Everything in one participant's portfolio, grouped for the page (four statements)."""
    modules, topics = programme_parts(enrolment.cohort.programme_id)
    rows = list(db.session.scalars(select(Artefact).where(Artefact.enrolment_id == enrolment.id)
                                   .options(selectinload(Artefact.file))
                                   .order_by(Artefact.created_at, Artefact.id)))
    infoteka: dict[str, list[Artefact]] = {c: [] for c in INFOTEKA_CATEGORIES}
    work, submissions = [], []
    order = {code: n for n, code in enumerate(topics)}
    for a in rows:
        if a.section == "infoteka":
            infoteka.setdefault(a.category or "articles", []).append(a)
        elif a.section == "submission":
            submissions.append(a)
        else:
            work.append(a)
    work.sort(key=lambda a: (a.module_number is None, a.module_number or 0,
                             order.get(a.topic_code, len(order)), a.created_at, a.id))
    submissions.reverse()
    return Portfolio(enrolment, infoteka, work, submissions, modules, topics)


def get_artefact(enrolment: Enrolment, artefact_id: int) -> Artefact:
    """An artefact of this enrolment; any other id (another participant's too) is not found."""
    artefact = db.session.get(Artefact, artefact_id)
    if artefact is None or artefact.enrolment_id != enrolment.id:
        raise NotFound(_l("no artefact %(id)s in this portfolio", id=artefact_id))
    return artefact


def get_enrolment(cohort: Cohort, enrolment_id: int) -> Enrolment:
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.cohort_id != cohort.id:
        raise NotFound(_l("no participant %(id)s in cohort %(cohort)s", id=enrolment_id, cohort=cohort.code))
    return enrolment


@dataclass
class PortfolioSummary:
    enrolment: Enrolment
    counts: dict[str, int]
    updated_at: datetime | None
    handed_in_at: datetime | None


def cohort_portfolios(cohort: Cohort) -> list[PortfolioSummary]:
    """Every participant with how much their portfolio holds, per section (two statements)."""
    enrolments = cohort_service.enrolments(cohort)
    counts: dict[int, Counter] = defaultdict(Counter)
    updated: dict[int, datetime] = {}
    handed: dict[int, datetime] = {}
    for enrolment_id, section, n, last in db.session.execute(
            select(Artefact.enrolment_id, Artefact.section, func.count(), func.max(Artefact.updated_at))
            .join(Enrolment, Enrolment.id == Artefact.enrolment_id)
            .where(Enrolment.cohort_id == cohort.id).group_by(Artefact.enrolment_id, Artefact.section)):
        counts[enrolment_id][section] = n
        updated[enrolment_id] = max(last, updated.get(enrolment_id, last))
        if section == "submission":
            handed[enrolment_id] = last
    return [PortfolioSummary(e, {s: counts[e.id][s] for s in ARTEFACT_SECTIONS}, updated.get(e.id),
                             handed.get(e.id)) for e in enrolments]


def submitted_enrolments(cohort_id: int) -> set[int]:
    """Enrolments of the cohort that have handed their portfolio in (one statement)."""
    return set(db.session.scalars(
        select(Artefact.enrolment_id).join(Enrolment, Enrolment.id == Artefact.enrolment_id)
        .where(Enrolment.cohort_id == cohort_id, Artefact.section == "submission").distinct()))


# --- changing -------------------------------------------------------------------------------

def _int_or_none(value, name: str, field_name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ServiceError(f"{name} must be a whole number", field=field_name) from None


def _placement(enrolment: Enrolment, module_value, topic_value) -> tuple[int | None, str | None]:
    """The module and topic an artefact is attached to, checked against the programme; a
    topic alone implies its module."""
    number = _int_or_none(module_value, "the module", "module_number")
    topic_code = (topic_value or "").strip() or None
    if number is None and topic_code is None:
        return None, None
    modules, topics = programme_parts(enrolment.cohort.programme_id)
    if number is not None and number not in modules:
        raise ServiceError(_l("the programme has no module %(n)s", n=number), field="module_number")
    if topic_code is not None:
        topic = topics.get(topic_code)
        if topic is None or topic.module_id is None:
            raise ServiceError(_l("the programme has no topic %(code)s", code=topic_code), field="topic_code")
        topic_module = next(n for n, m in modules.items() if m.id == topic.module_id)
        if number is not None and number != topic_module:
            raise ServiceError(_l("topic %(code)s belongs to module %(module)s, not %(n)s", code=topic_code,
                                  module=topic_module, n=number),
                               field="topic_code")
        number = topic_module
    return number, topic_code


def _refuse_withdrawn(enrolment: Enrolment) -> None:
    if enrolment.status == "withdrawn":
        raise ServiceError(_l("you have withdrawn from this cohort; the portfolio is read-only"))


def _upload(upload) -> tuple[bytes, str] | None:
    if upload is not None and not (upload[0] or (upload[1] or "").strip()):
        return None  # an empty file input
    return upload


def save_artefact(enrolment: Enrolment, fields: dict, upload: tuple[bytes, str] | None, actor,
                  artefact: Artefact | None = None) -> Artefact:
    """Add (artefact=None) or edit an artefact of the participant's own portfolio. Section and
    kind are fixed once made. Every check runs before a file is stored, so a refusal leaves
    nothing behind. A hand-in (section "submission") is never edited: hand in again."""
    _refuse_withdrawn(enrolment)
    if artefact is not None:
        if artefact.enrolment_id != enrolment.id:
            raise NotFound(_l("no artefact %(id)s in this portfolio", id=artefact.id))
        if artefact.section == "submission":
            raise Conflict(_l("a handed-in portfolio is kept as it was handed in; hand it in again instead"))
        section, kind = artefact.section, artefact.kind
    else:
        section = fields.get("section") or "work"
        kind = "link" if section == "infoteka" else (fields.get("kind") or "")
    if section not in ARTEFACT_SECTIONS:
        raise ServiceError(_l("unknown section %(section)s", section=repr(section)), field="section")
    if kind not in ARTEFACT_KINDS:
        raise ServiceError(_l("choose what it is: a file, a link or a text"), field="kind")
    title = (fields.get("title") or "").strip()
    if not title:
        raise ServiceError(_l("give it a title"), field="title")
    if len(title) > MAX_TITLE:
        raise ServiceError(_l("the title is longer than %(most)s characters", most=MAX_TITLE), field="title")
    category = (fields.get("category") or "").strip() or None
    if section == "infoteka":
        if category not in INFOTEKA_CATEGORIES:
            raise ServiceError(_l("choose the infoteka category"), field="category")
    else:
        category = None
    module_number, topic_code = _placement(enrolment, fields.get("module_number"), fields.get("topic_code"))
    text = (fields.get("text") or "").strip()
    link = (fields.get("link") or "").strip()
    if len(text) > MAX_TEXT:
        raise ServiceError(_l("the text is %(got)s characters long; the limit is %(most)s", got=f"{len(text):,}",
                              most=f"{MAX_TEXT:,}"), field="text")
    upload = _upload(upload)
    if kind == "link":
        if not link:
            raise ServiceError(_l("give the web address"), field="link")
        _check_link(link)
    elif kind == "text" and not text:
        raise ServiceError(_l("write the text"), field="text")
    elif kind == "file" and upload is None and (artefact is None or artefact.file_id is None):
        raise ServiceError(_l("attach the file"), field="file")
    if kind != "file":
        upload = None
    stored = files.store(upload[0], upload[1], actor, field="file") if upload is not None else None

    before = None
    if artefact is None:
        artefact = Artefact(enrolment_id=enrolment.id, section=section, kind=kind)
        db.session.add(artefact)
    else:
        before = {"title": artefact.title, "category": artefact.category, "module_number": artefact.module_number,
                  "topic_code": artefact.topic_code, "url": artefact.url, "file_id": artefact.file_id}
    artefact.title, artefact.category = title, category
    artefact.module_number, artefact.topic_code = module_number, topic_code
    artefact.url = link if kind == "link" else None
    # a file or link may carry a note; a text artefact is its text
    artefact.text = text or None
    if stored is not None:
        artefact.file = stored
    db.session.flush()
    if before is None:
        action = "portfolio_handed_in" if section == "submission" else "artefact_added"
        audit.record(actor, action, artefact, f"{section}/{kind}: {title}", enrolment_id=enrolment.id,
                     file_id=artefact.file_id)
    else:
        audit.record(actor, "artefact_changed", artefact, title, enrolment_id=enrolment.id, old=before,
                     new={"title": title, "category": category, "module_number": module_number,
                          "topic_code": topic_code, "url": artefact.url, "file_id": artefact.file_id})
    return artefact


def delete_artefact(artefact: Artefact, enrolment: Enrolment, actor) -> None:
    """The owner deletes an artefact (the stored file stays in the file store, where other rows
    may share it by content). A hand-in is not deleted: staff may already have read it."""
    if artefact.enrolment_id != enrolment.id:
        raise NotFound(_l("no artefact %(id)s in this portfolio", id=artefact.id))
    _refuse_withdrawn(enrolment)
    if artefact.section == "submission":
        raise Conflict(_l("a handed-in portfolio cannot be deleted"))
    audit.record(actor, "artefact_deleted", artefact, artefact.title, enrolment_id=enrolment.id,
                 section=artefact.section, kind=artefact.kind, file_id=artefact.file_id, url=artefact.url)
    db.session.delete(artefact)
    db.session.flush()


# --- share links ----------------------------------------------------------------------------

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def share_links(enrolment: Enrolment) -> list[ShareLink]:
    """Newest first, revoked and expired ones included (the owner sees what was handed out)."""
    return list(db.session.scalars(select(ShareLink).where(ShareLink.enrolment_id == enrolment.id)
                                   .order_by(ShareLink.created_at.desc(), ShareLink.id.desc())))


def is_live(link: ShareLink, now: datetime | None = None) -> bool:
    return link.revoked_at is None and (now or utcnow()) < link.expires_at


def create_share_link(enrolment: Enrolment, days, actor, now: datetime | None = None) -> tuple[ShareLink, str]:
    """A new read-only link valid for `days`; returns it and the token, which is never
    stored and cannot be shown again."""
    _refuse_withdrawn(enrolment)
    days = _int_or_none(days, "the number of days", "days")
    days = SHARE_DAYS_DEFAULT if days is None else days
    if not 1 <= days <= SHARE_DAYS_MAX:
        raise ServiceError(_l("a link lasts from 1 to %(most)s days", most=SHARE_DAYS_MAX), field="days")
    now = now or utcnow()
    live = [link for link in share_links(enrolment) if is_live(link, now)]
    if len(live) >= MAX_LIVE_LINKS:
        raise Conflict(_l("you have %(n)s live links; revoke one first", n=len(live)), field="days")
    plain = secrets.token_urlsafe(32)
    link = ShareLink(enrolment_id=enrolment.id, token_hash=_hash(plain), expires_at=now + timedelta(days=days),
                     created_at=now)
    db.session.add(link)
    db.session.flush()
    audit.record(actor, "share_link_created", link, f"portfolio of enrolment {enrolment.id} for {days} days",
                 enrolment_id=enrolment.id, expires_at=link.expires_at.isoformat())
    return link, plain


def get_share_link(enrolment: Enrolment, link_id: int) -> ShareLink:
    link = db.session.get(ShareLink, link_id)
    if link is None or link.enrolment_id != enrolment.id:
        raise NotFound(_l("no share link %(id)s", id=link_id))
    return link


def revoke_share_link(link: ShareLink, actor) -> ShareLink:
    if link.revoked_at is not None:
        raise Conflict(_l("this link is already revoked"))
    link.revoked_at = utcnow()
    audit.record(actor, "share_link_revoked", link, f"portfolio of enrolment {link.enrolment_id}",
                 enrolment_id=link.enrolment_id)
    db.session.flush()
    return link


def live_share(token: str, now: datetime | None = None) -> ShareLink:
    """The link a token opens: NotFound for a token that never existed, ShareLinkGone for one
    expired or revoked."""
    token = (token or "").strip()
    link = db.session.scalar(select(ShareLink).where(ShareLink.token_hash == _hash(token))) if token else None
    if link is None:
        raise NotFound(_l("no such link"))
    if link.revoked_at is not None:
        raise ShareLinkGone("the owner has revoked this link", "revoked")
    if not is_live(link, now):
        raise ShareLinkGone("this link has expired", "expired")
    return link
