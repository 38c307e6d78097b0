"""A reminder to the participants who have not finished a test open to them (Moodle has none
built in; a qualification centre sends one before a final test closes). One e-mail per
participant and day through the outbox, so pressing the button twice sends nothing twice; the
button then sends the outbox at once. The daily task (`lms quiz remind`, 03:00 UTC) does the
same for every test that closes within a day, and retries what the mail server refused."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.core.i18n import language_of, localtime
from lms.core.models import User
from lms.core.services import audit, mail
from lms.core.services.errors import Conflict
from lms.courses.models import Cohort, Enrolment
from lms.db import db, utcnow
from lms.quizbank.models import Attempt, Test
from lms.quizbank.services import attempts as attempt_service
from lms.quizbank.services import tests as test_service

#: who is still expected to take a test (a completed or withdrawn participant is not reminded)
REMINDED = ("enrolled", "active")
#: the daily task reminds of the tests that close within this time
CLOSING_SOON = timedelta(days=1)


def remind_unfinished(test: Test, actor, now: datetime | None = None) -> list[User]:
    """Queue a reminder to each participant with no finished attempt for whom the test is open
    now (their own opening and closing times count); returns those queued now (not the ones
    already reminded today)."""
    now = now or utcnow()
    if test.kind == "exit_survey" or test_service.state(test, now) == "draft":
        raise Conflict(_l("reminders are for published tests, not drafts or surveys"), field="test")
    cohort = db.session.get(Cohort, test.cohort_id)
    people = db.session.execute(
        select(Enrolment, User).join(User, User.id == Enrolment.user_id)
        .where(Enrolment.cohort_id == cohort.id, Enrolment.status.in_(REMINDED))
        .order_by(User.sort_key)).all()
    finished = set(db.session.scalars(select(Attempt.enrolment_id).where(
        Attempt.test_id == test.id, Attempt.status == "finished")))
    grants = attempt_service.granted_many([test.id], [e.id for e, _u in people])
    queued = []
    for enrolment, user in people:
        if enrolment.id in finished:
            continue
        terms = attempt_service.terms_for(test, grants.get((test.id, enrolment.id), attempt_service.NO_GRANT), now)
        if terms.state != "open":
            continue
        subject, body = _message(test, cohort, user, terms.closes_at)
        if mail.queue(f"quizbank:remind:{test.id}:{enrolment.id}:{now.date().isoformat()}", user.email,
                      subject, body) is not None:
            queued.append(user)
    if queued:
        audit.record(actor, "test_reminders_queued", test, f"{test.title}: {len(queued)} reminder(s)",
                     to=[u.email for u in queued])
    return queued


def remind_closing(now: datetime | None = None, within: timedelta = CLOSING_SOON) -> int:
    """The daily reminder: every published test that closes within `within` reminds those who
    have not finished it (`remind_unfinished`, so nobody twice a day). Returns how many."""
    now = now or utcnow()
    closing = db.session.scalars(select(Test).where(
        Test.status == "published", Test.kind != "exit_survey", Test.closes_at > now, Test.closes_at <= now + within)
        .order_by(Test.closes_at, Test.id))
    return sum(len(remind_unfinished(test, None, now)) for test in closing)


def _message(test: Test, cohort: Cohort, user: User, closes_at: datetime | None) -> tuple[str, str]:
    with force_locale(language_of(user)):
        if closes_at is not None:
            until = localtime(closes_at, cohort.timezone, "d MMMM, HH:mm")
            subject = _("%(test)s: open until %(time)s", test=test.title, time=until)
            lead = _("The test \"%(test)s\" of %(cohort)s is open until %(time)s, and you have not finished it yet.",
                     test=test.title, cohort=cohort.code, time=until)
        else:
            subject = _("%(test)s is waiting for you", test=test.title)
            lead = _("The test \"%(test)s\" of %(cohort)s is open, and you have not finished it yet.",
                     test=test.title, cohort=cohort.code)
        lines = [_("Hello, %(name)s.", name=user.full_name), "", lead, "",
                 _("Your tests: %(url)s", url=mail.link(f"/cohorts/{cohort.code}/me/tests")), "",
                 _("Every answer is saved as you give it. If the line drops, sign in again: you continue where you"
                   " stopped."), "", "Ustaz"]
    return subject, "\n".join(lines)
