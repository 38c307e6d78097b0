"""E-mails to a cohort's participants when a session not yet held changes: moved, cancelled,
restored, or given a new meeting link; and to a participant whose self-study hand-in is returned
for rework (what needs their action; an accepted one shows in their hours). Canvas tells students of changed dates; Moodle sends
nothing, and a participant on a slow rural line learns of a moved webinar too late. One message
per participant and change, in the participant's own language, through the outbox (sent after
the trainer's page has answered, and by the outbox task). The schedule service sends the
`session_changed` signal; this listens."""
from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from lms.core.i18n import language_of, localized, localtime, zone_city
from lms.core.models import User
from lms.core.services import clock, mail
from lms.courses.models import Cohort, Enrolment, WebinarSession
from lms.courses.services import selfstudy
from lms.courses.services.cohorts import staff
from lms.db import db

#: who is told: participants still taking the course
TOLD = ("enrolled", "active")
#: a cohort that has not ended; a finished or cancelled one is told nothing
LIVE = ("planned", "running")


def tellsparticipants(session: WebinarSession, before: datetime | None = None) -> bool:
    """Whether a change to the session concerns its participants: the cohort is live and the
    session (or, moved, its old time) is still to come."""
    now = clock.now()
    return session.cohort.status in LIVE and max(session.starts_at, before or session.starts_at) > now


def queued_since(about: WebinarSession | Cohort, since: datetime) -> int:
    """How many notices about the session (or the cohort's link) were queued from `since` on,
    for the page to say."""
    prefix = (f"courses:session:{about.id}:" if isinstance(about, WebinarSession) else
              f"courses:cohort-link:{about.id}:")
    return mail.queued(prefix, since)


def participants(cohort_id: int, kind: str) -> list[User]:
    """Those a cohort's news of `kind` goes to: its participants still taking the course who
    take that kind by e-mail (`mail.wants`)."""
    people = db.session.scalars(select(User).join(Enrolment, Enrolment.user_id == User.id).where(
        Enrolment.cohort_id == cohort_id, Enrolment.status.in_(TOLD), User.email_notices.is_(True))
        .order_by(User.sort_key))
    return [user for user in people if mail.wants(user, kind)]


def on_cohort_updated(cohort: Cohort, actor=None, changed: dict | None = None, **_kw) -> list[User]:
    """A new default meeting link of a live cohort with sessions still to come: its participants
    are told once (the sessions that carry it are listed in their schedule)."""
    if "meeting_url" not in (changed or {}) or cohort.status not in LIVE:
        return []
    now = clock.now()
    if not any(s.status == "scheduled" and s.starts_at > now for s in cohort.sessions):
        return []
    stamp = now.strftime("%Y%m%dT%H%M%S")
    queued = []
    for user in participants(cohort.id, "courses:schedule"):
        with force_locale(language_of(user)):
            url = cohort.meeting_url
            subject = _("New meeting link for %(cohort)s", cohort=cohort.code)
            lead = (_("The sessions of %(cohort)s now meet at a new link: %(url)s", cohort=cohort.code, url=url)
                    if url else _("The sessions of %(cohort)s no longer have a common meeting link: the schedule"
                                  " gives each session's own.", cohort=cohort.code))
            body = _letter(cohort, user, lead)
        if mail.queue(f"courses:cohort-link:{cohort.id}:{stamp}:{user.id}", user.email, subject, body):
            queued.append(user)
    return queued


def _letter(cohort: Cohort, user: User, lead: str) -> str:
    """The news with the schedule's link and time zone, in the language already chosen."""
    return mail.letter(user, lead,
                       _("Your schedule and calendar: %(url)s", url=mail.link(f"/cohorts/{cohort.code}/me/schedule")),
                       _("Times are in %(tz)s.", tz=zone_city(cohort.timezone)))


def on_session_changed(session: WebinarSession, actor=None, change: str = "", before=None, **_kw) -> list[User]:
    """Queue the notice of `change` ("moved": `before` is the old start; "cancelled",
    "restored", "link") to each participant; returns those queued."""
    if not tellsparticipants(session, before if change == "moved" else None):
        return []
    people = participants(session.cohort_id, "courses:schedule")
    stamp = clock.now().strftime("%Y%m%dT%H%M%S")
    queued = []
    for user in people:
        subject, body = _message(session, change, before, user)
        if mail.queue(f"courses:session:{session.id}:{change}:{stamp}:{user.id}", user.email, subject, body):
            queued.append(user)
    return queued


def _message(session: WebinarSession, change: str, before, user: User) -> tuple[str, str]:
    cohort = session.cohort
    with force_locale(language_of(user)):
        what = localized(session.topic, "title") if session.topic is not None else localized(session.module, "title")
        when = localtime(session.starts_at, cohort.timezone, "d MMMM, EEEE, HH:mm")
        if change == "moved":
            subject = _("Session moved: %(topic)s", topic=what)
            lead = _("The session \"%(topic)s\" of %(cohort)s planned for %(old)s is moved to %(new)s.", topic=what,
                     cohort=cohort.code, old=localtime(before, cohort.timezone, "d MMMM, HH:mm"), new=when)
        elif change == "cancelled":
            subject = _("Session cancelled: %(topic)s", topic=what)
            lead = _("The session \"%(topic)s\" of %(cohort)s on %(time)s is cancelled.", topic=what,
                     cohort=cohort.code, time=when)
            if session.note:
                lead += "\n" + _("The trainer's note: %(note)s", note=session.note)
        elif change == "restored":
            subject = _("Session back on the schedule: %(topic)s", topic=what)
            lead = _("The session \"%(topic)s\" of %(cohort)s on %(time)s takes place after all.", topic=what,
                     cohort=cohort.code, time=when)
        else:
            subject = _("New link for the session: %(topic)s", topic=what)
            link = session.meeting_url or cohort.meeting_url or ""
            lead = _("The session \"%(topic)s\" of %(cohort)s on %(time)s has a new meeting link: %(url)s",
                     topic=what, cohort=cohort.code, time=when, url=link)
        return subject, _letter(cohort, user, lead)


def on_selfstudy_reviewed(submission, actor=None, accepted: bool = True, **_kw) -> list[User]:
    """A hand-in returned for rework, while the cohort runs: its participant is told, with the
    trainer's feedback and the task's page."""
    enrolment = submission.enrolment
    cohort = enrolment.cohort
    user, task = enrolment.user, submission.task
    if accepted or cohort.status not in LIVE or enrolment.status not in TOLD or not mail.wants(user, "courses:returned"):
        return []
    with force_locale(language_of(user)):
        subject = _("Returned for rework: %(task)s", task=task.title)
        lead = _("Your work on \"%(task)s\" (%(cohort)s) is returned for rework.", task=task.title,
                 cohort=cohort.code)
        if submission.feedback:
            lead += "\n\n" + _("The trainer's feedback: %(text)s", text=submission.feedback)
        body = mail.letter(user, lead, _("Hand it in again here: %(url)s",
                                         url=mail.link(f"/cohorts/{cohort.code}/me/tasks/{task.id}")))
    stamp = clock.now().strftime("%Y%m%dT%H%M%S")
    return [user] if mail.queue(f"courses:returned:{submission.id}:{stamp}", user.email, subject, body) else []



def remind_reviewers(today=None) -> int:
    """Each morning, tell every trainer of a live cohort with hand-ins waiting for review how many
    wait and since when, with the review queue's address (Moodle tells graders of each
    submission; one message a day is kinder to a trainer's inbox). Once a day per trainer and
    cohort; returns how many were queued, the caller commits and delivers."""
    today = today or clock.today()
    waiting = selfstudy.waiting_in_live_cohorts()
    queued = 0
    for cohort in db.session.scalars(select(Cohort).where(Cohort.id.in_(waiting)).order_by(Cohort.code)) \
            if waiting else ():
        count, oldest = waiting[cohort.id]
        for trainer in staff(cohort, "trainer"):
            if not trainer.is_active or not mail.wants(trainer, "courses:waiting"):
                continue
            with force_locale(language_of(trainer)):
                subject = ngettext("%(cohort)s: %(num)s hand-in waits for your review",
                                   "%(cohort)s: %(num)s hand-ins wait for your review", count, cohort=cohort.code)
                body = mail.letter(
                    trainer,
                    ngettext("%(num)s self-study hand-in of %(cohort)s waits for your review; the oldest came on"
                             " %(date)s.", "%(num)s self-study hand-ins of %(cohort)s wait for your review; the"
                             " oldest came on %(date)s.", count, cohort=cohort.code,
                             date=localtime(oldest, cohort.timezone, "d MMMM")),
                    _("Review queue: %(url)s", url=mail.link(f"/cohorts/{cohort.code}/selfstudy/review")))
            if mail.queue(f"courses:waiting:{cohort.id}:{trainer.id}:{today.isoformat()}", trainer.email,
                          subject, body) is not None:
                queued += 1
    return queued
