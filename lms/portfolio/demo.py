"""Demo defense for `lms demo`: in DEMO-LDR-SUS, a panoramic defense session scored by the
leaders' rubric, assessor1-3@demo.test on the panel (given the assessor role in the cohort)
and the trainer as chair, one 7-minute slot per mini-group (5), tomorrow at 10:00 local time.
Nobody has scored yet. The shipped rubrics are loaded first (idempotent). A cohort that has a
defense session is left as it is."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lms.core.services import users as user_service
from lms.db import db
from lms.portfolio.models import DefenseSession

COHORT, RUBRIC = "DEMO-LDR-SUS", "LDR-SUS-DEFENSE"
TITLE = "Мектепті дамыту бағдарламасының үзіндісін панорамалық қорғау"
ASSESSORS = ("assessor1@demo.test", "assessor2@demo.test", "assessor3@demo.test")


def create_demo_defenses(summary: list[str]) -> None:
    from lms.courses.services import cohorts as cohort_service
    from lms.portfolio.services import defenses, rubrics

    try:
        cohort = cohort_service.get_cohort(COHORT)
    except Exception:  # noqa: BLE001 - the courses demo did not make it (core-only runs)
        return
    rubrics.load_rubrics(rubrics.CONTENT_DIR)
    if db.session.scalar(select(DefenseSession.id).where(DefenseSession.cohort_id == cohort.id).limit(1)):
        summary.append(f"defenses of {COHORT}: a session exists, left as it is")
        return
    trainer = user_service.get_by_email("trainer@demo.test")
    assessors = [user_service.get_by_email(e) for e in ASSESSORS]
    for user in assessors:
        cohort_service.assign_staff(cohort, user, "assessor", None)
    zone = ZoneInfo(cohort.timezone or "Asia/Almaty")
    tomorrow = datetime.now(zone).date() + timedelta(days=1)
    starts = datetime.combine(tomorrow, time(10, 0), tzinfo=zone).astimezone(ZoneInfo("UTC"))
    session = defenses.create_session(cohort, {
        "title": TITLE, "rubric": rubrics.current_rubric(RUBRIC), "aggregation": "mean", "spread_threshold": 3,
        "starts_at": starts, "meeting_url": cohort.meeting_url}, None)
    defenses.set_panel(session, assessors, trainer, None)
    slots = defenses.generate_slots(session, None, mode="group", minutes=7)
    summary.append(f"defenses of {COHORT}: a session with {len(slots)} mini-group slots, assessor1-3@demo.test"
                   f" score and trainer@demo.test chairs (nobody has scored yet)")


def on_demo_requested(_sender, summary: list[str], **_kw) -> None:
    create_demo_defenses(summary)
