"""A reminder to the participants who have not finished a test open to them, or not answered an
open exit survey (Moodle has none built in for quizzes; its feedback module reminds
non-respondents; a qualification centre sends one before a final test or survey closes). One e-mail per
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
from lms.quizbank.models import SURVEY_KINDS, Attempt, SurveyResponse, Test
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
    if test_service.state(test, now) == "draft":
        raise Conflict(_l("reminders are for published tests and surveys, not drafts"), field="test")
    survey = test.kind in SURVEY_KINDS
    cohort = db.session.get(Cohort, test.cohort_id)
    people = db.session.execute(
        select(Enrolment, User).join(User, User.id == Enrolment.user_id)
        .where(Enrolment.cohort_id == cohort.id, Enrolment.status.in_(REMINDED))
        .order_by(User.sort_key)).all()
    if survey:  # a survey is open to all at once (no personal times), and answered once
        finished = set(db.session.scalars(select(SurveyResponse.enrolment_id).where(SurveyResponse.test_id == test.id)))
        open_now = test_service.state(test, now) == "open"
    else:
        finished = set(db.session.scalars(select(Attempt.enrolment_id).where(
            Attempt.test_id == test.id, Attempt.status == "finished")))
        grants = attempt_service.granted_many([test.id], [e.id for e, _u in people])
    queued = []
    for enrolment, user in people:
        if enrolment.id in finished or not mail.wants(user, "quizbank:reminder"):
            continue
        if survey:
            closes_at = test.closes_at
            if not open_now:
                continue
        else:
            terms = attempt_service.terms_for(test, grants.get((test.id, enrolment.id), attempt_service.NO_GRANT), now)
            if terms.state != "open":
                continue
            closes_at = terms.closes_at
        subject, body = _message(test, cohort, user, closes_at)
        if mail.queue(f"quizbank:remind:{test.id}:{enrolment.id}:{now.date().isoformat()}", user.email,
                      subject, body) is not None:
            queued.append(user)
    if queued:
        # an anonymous survey's log keeps no names: who had not answered at each reminder, set
        # beside the answers' order, could name a respondent
        names = {} if survey and test.anonymous else {"to": [u.email for u in queued]}
        audit.record(actor, "test_reminders_queued", test, f"{test.title}: {len(queued)} reminder(s)",
                     count=len(queued), **names)
    return queued


def remind_closing(now: datetime | None = None, within: timedelta = CLOSING_SOON) -> int:
    """The daily reminder: every published test or survey that closes within `within` reminds
    those who have not finished or answered it (`remind_unfinished`, so nobody twice a day). Returns how many."""
    now = now or utcnow()
    closing = db.session.scalars(select(Test).where(
        Test.status == "published", Test.closes_at > now, Test.closes_at <= now + within)
        .order_by(Test.closes_at, Test.id))
    return sum(len(remind_unfinished(test, None, now)) for test in closing)


def _message(test: Test, cohort: Cohort, user: User, closes_at: datetime | None) -> tuple[str, str]:
    survey = test.kind in SURVEY_KINDS
    with force_locale(language_of(user)):
        if closes_at is not None:
            until = localtime(closes_at, cohort.timezone, "d MMMM, HH:mm")
            subject = _("%(test)s: open until %(time)s", test=test.title, time=until)
            lead = (_("The survey \"%(test)s\" of %(cohort)s is open until %(time)s, and you have not answered it"
                      " yet.", test=test.title, cohort=cohort.code, time=until) if survey else
                    _("The test \"%(test)s\" of %(cohort)s is open until %(time)s, and you have not finished it yet.",
                      test=test.title, cohort=cohort.code, time=until))
        else:
            subject = _("%(test)s is waiting for you", test=test.title)
            lead = (_("The survey \"%(test)s\" of %(cohort)s is open, and you have not answered it yet.",
                      test=test.title, cohort=cohort.code) if survey else
                    _("The test \"%(test)s\" of %(cohort)s is open, and you have not finished it yet.",
                      test=test.title, cohort=cohort.code))
        if survey:
            after = [_("It takes a few minutes. Your answers help the centre improve the course.")]
            if test.anonymous:
                after.append(_("Your answers are anonymous: trainers read them without your name."))
        else:
            after = [_("Every answer is saved as you give it. If the line drops, sign in again: you continue where"
                       " you stopped.")]
        body = mail.letter(user, lead, _("Your tests: %(url)s", url=mail.link(f"/cohorts/{cohort.code}/me/tests")),
                           *after)
    return subject, body
