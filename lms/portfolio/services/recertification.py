"""Who is due for their next upskilling course: every holder of a valid certificate whose latest
course ended `cycle_years` ago or will have within `within_months` (seed 001: teachers retrained
"once every 3 years, not every 5 years as now"). The centre plans its next cohorts, and invites,
from this list, by region; a holder already enrolled in a cohort that has not ended says so.
Moodle's certificates answer "who holds one", not "who needs the next one".

A fixed number of statements for the page, however many holders: the latest certificate per
holder, their people and schools, their live enrolments."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload

from lms.core.i18n import language_of, localized
from lms.core.models import District, School, User
from lms.core.services import clock, mail
from lms.core.services.errors import ServiceError
from lms.courses.models import Cohort, Enrolment, Programme
from lms.courses.services.programmes import newest
from lms.db import db
from lms.portfolio.models import Certificate

#: seed 001 (the 2021 Address): retraining once every 3 years
DEFAULT_CYCLE_YEARS = 3
DEFAULT_WITHIN_MONTHS = 6
#: a holder is told this many months before their next course falls due, and again once it has
REMIND_MONTHS = 6
#: completion dates are the centre's (Kazakhstan's) calendar days
TZ = ZoneInfo("Asia/Almaty")


@dataclass(frozen=True)
class Due:
    user: User
    programme_code: str
    programme_title: str
    completed_on: date
    due_on: date
    #: the code of a planned or running cohort the holder is enrolled in, if any
    enrolled_in: str | None
    #: due before the day the list was made for
    overdue: bool


def checked(cycle_years, within_months) -> tuple[int, int]:
    """The two figures of the page's form, refused with the field's name when out of range."""
    problems = []
    if not isinstance(cycle_years, int) or not 1 <= cycle_years <= 10:
        problems.append(("cycle", _l("the cycle is 1 to 10 years")))
    if not isinstance(within_months, int) or not 0 <= within_months <= 24:
        problems.append(("within", _l("look ahead 0 to 24 months")))
    if problems:
        raise ServiceError.listing(problems)
    return cycle_years, within_months


def due(*, cycle_years: int = DEFAULT_CYCLE_YEARS, within_months: int = DEFAULT_WITHIN_MONTHS,
        region_id: int | None = None, audience: str | None = None, today: date | None = None) -> list[Due]:
    """Holders due by `today` + `within_months`, the longest overdue first; narrowed to the
    schools of a region and to the audience (leaders, teachers) of their latest programme."""
    cycle_years, within_months = checked(cycle_years, within_months)
    today = today or clock.today()
    # due by the horizon <=> the latest course ended on or before horizon - cycle
    ended_by = clock.add_months(clock.add_months(today, within_months), -12 * cycle_years)
    holder = Enrolment.user_id.label("user_id")
    latest = (select(holder, func.max(Certificate.completed_on).label("completed_on"))
              .join(Enrolment, Enrolment.id == Certificate.enrolment_id)
              .where(Certificate.revoked_at.is_(None)).group_by(Enrolment.user_id).subquery())
    stmt = (select(latest.c.user_id, latest.c.completed_on, Certificate.programme_code, Certificate.programme_title)
            .join(Enrolment, Enrolment.user_id == latest.c.user_id)
            .join(Certificate, (Certificate.enrolment_id == Enrolment.id)
                  & (Certificate.completed_on == latest.c.completed_on) & Certificate.revoked_at.is_(None))
            .join(User, User.id == latest.c.user_id)
            .where(User.is_active_account.is_(True),
                   latest.c.completed_on < datetime.combine(ended_by + timedelta(days=1), time(), TZ)))
    if region_id is not None:
        stmt = (stmt.join(School, School.id == User.school_id).join(District, District.id == School.district_id)
                .where(District.region_id == region_id))
    if audience:
        stmt = stmt.where(Certificate.programme_code.in_(
            select(Programme.code).where(Programme.audience == audience)))
    rows = {}
    for user_id, completed_at, code, title in db.session.execute(
            stmt.order_by(latest.c.user_id, Certificate.programme_code)):
        # one row per holder (two certificates completed the same day: the first by code)
        rows.setdefault(user_id, (completed_at.astimezone(TZ).date(), code, title))
    if not rows:
        return []
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_(rows)).options(joinedload(User.school)))}
    live = dict(db.session.execute(
        select(Enrolment.user_id, Cohort.code).join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(Enrolment.user_id.in_(rows), Cohort.status.in_(("planned", "running")),
               Enrolment.status != "withdrawn",
               # the course that gave a valid certificate is not a next one, though its cohort stays open
               ~exists(select(Certificate.id).where(Certificate.enrolment_id == Enrolment.id,
                                                    Certificate.revoked_at.is_(None))))).all())
    out = []
    for uid, (completed_on, code, title) in rows.items():
        due_on = clock.add_months(completed_on, 12 * cycle_years)
        out.append(Due(users[uid], code, title, completed_on, due_on, live.get(uid), overdue=due_on < today))
    out.sort(key=lambda d: (d.due_on, d.user.sort_key))
    return out


def remind(today: date | None = None) -> list[str]:
    """Tell each holder, in their language, that their next course falls due: once when it is
    `REMIND_MONTHS` away and once when it is due (the outbox's keys carry the due day and the
    stage, so a daily run tells nobody twice). A holder enrolled again in a planned or running
    cohort is not told. Returns the keys queued; the caller commits and delivers."""
    today = today or clock.today()
    queued = []
    programmes = {}
    for row in due(within_months=REMIND_MONTHS, today=today):
        if row.enrolled_in or not mail.wants(row.user, "portfolio:due"):
            continue  # the centre's list still shows them
        stage = "due" if row.due_on <= today else "soon"
        key = f"portfolio:due:{row.user.id}:{row.due_on.isoformat()}:{stage}"
        if row.programme_code not in programmes:
            programmes[row.programme_code] = newest(row.programme_code)
        programme = programmes[row.programme_code]
        # in the holder's language, not the certificate's (a Russian certificate, a Kazakh reader);
        # a programme no longer on this site: the certificate's words
        title = localized(programme, "title", language_of(row.user)) if programme else row.programme_title
        with force_locale(language_of(row.user)):
            subject = (_("Your next upskilling course is due") if stage == "due" else
                       _("Your next upskilling course is due on %(date)s", date=row.due_on.isoformat()))
            body = mail.letter(
                row.user,
                _("You completed the course \"%(title)s\" on %(date)s. Teachers and school leaders take an"
                  " upskilling course once every %(years)s years, so your next one is due on %(due)s.",
                  title=title, date=row.completed_on.isoformat(), years=DEFAULT_CYCLE_YEARS,
                  due=row.due_on.isoformat()),
                _("Ask your qualification centre about its next cohorts; the programmes are here: %(url)s",
                  url=mail.link("/programmes/")))
        if mail.queue(key, row.user.email, subject, body) is not None:
            queued.append(key)
    return queued
