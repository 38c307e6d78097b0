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

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from lms.core.models import District, School, User
from lms.core.services import clock
from lms.core.services.errors import ServiceError
from lms.courses.models import Cohort, Enrolment, Programme
from lms.db import db
from lms.portfolio.models import Certificate

#: seed 001 (the 2021 Address): retraining once every 3 years
DEFAULT_CYCLE_YEARS = 3
DEFAULT_WITHIN_MONTHS = 6
#: completion dates are the centre's (Kazakhstan's) calendar days
TZ = ZoneInfo("Asia/Almaty")


@dataclass(frozen=True)
class Due:
    user: User
    programme_code: str
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
    stmt = (select(latest.c.user_id, latest.c.completed_on, Certificate.programme_code)
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
    for user_id, completed_at, code in db.session.execute(stmt.order_by(latest.c.user_id, Certificate.programme_code)):
        # one row per holder (two certificates completed the same day: the first by code)
        rows.setdefault(user_id, (completed_at.astimezone(TZ).date(), code))
    if not rows:
        return []
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_(rows)).options(joinedload(User.school)))}
    live = dict(db.session.execute(
        select(Enrolment.user_id, Cohort.code).join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(Enrolment.user_id.in_(rows), Cohort.status.in_(("planned", "running")),
               Enrolment.status != "withdrawn")).all())
    out = []
    for uid, (completed_on, code) in rows.items():
        due_on = clock.add_months(completed_on, 12 * cycle_years)
        out.append(Due(users[uid], code, completed_on, due_on, live.get(uid), overdue=due_on < today))
    out.sort(key=lambda d: (d.due_on, d.user.sort_key))
    return out
