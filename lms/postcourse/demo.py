"""The support year for `lms demo`: DEMO-LDR-DT-2025, an LDR-DT cohort that finished about five
months ago, 20 graduates (graduate01-20@demo.test, password 'demo') whose plans opened at
completion and were agreed twelve days later. The seminar of month 4 and the consultation of
month 5 are done for everyone but one graduate, whose consultation is overdue (the curator's
grid shows it); two graduates have their lesson observation due within days; a few logged
publications and talks; each took the course's diagnostic and final tests, so their plans show
their competences. trainer@demo.test and curator@demo.test support the cohort.
Idempotent: an existing cohort is left as it is."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lms.core.demo import DEMO_PASSWORD, FIRST, LAST
from lms.core.models import School
from lms.core.services import clock
from lms.core.services import users as user_service
from lms.courses.models import Cohort
from lms.db import db

COHORT = "DEMO-LDR-DT-2025"
GRADUATES = 20
#: the graduate (by number) whose month-5 consultation is overdue
OVERDUE = 4
#: graduates whose lesson observation was moved to within the next days
DUE_SOON = (9, 15)
TZ = ZoneInfo("Asia/Almaty")
CHANNELS = ("telegram", "whatsapp", "zoom", "phone", "telegram", "email", "meet", "in_person")
TOPICS = ["Цифрлық құралдарды сабақта қолдану", "Педагогтердің кәсіби қоғамдастығын ұйымдастыру",
          "Мектептің даму жоспарын түзету", "Сабақты бейнеге түсіріп талдау"]


def graduate_email(n: int) -> str:
    return f"graduate{n:02d}@demo.test"


def _at(day: date, hour: int = 11) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=TZ)


def create_demo_support(summary: list[str]) -> None:
    from lms.courses import services
    from lms.courses.services import cohorts as cohort_service
    from lms.postcourse.services import activities as activity_service
    from lms.postcourse.services import plans as plan_service
    from lms.quizbank.demo import take_past_tests

    if db.session.scalar(select(Cohort.id).where(Cohort.code == COHORT)):
        summary.append(f"cohort {COHORT}: exists, left as it is")
        return
    trainer = user_service.get_by_email("trainer@demo.test")
    curator = user_service.get_by_email("curator@demo.test")
    today = clock.today()
    # about five months ago, so that today falls ten days into month 6 of the support year
    completed_on = plan_service.add_months(today, -5) - timedelta(days=10)
    start = completed_on - timedelta(days=55)
    cohort = cohort_service.create_cohort(services.get_programme("LDR-DT"), {
        "code": COHORT, "format_code": "blended", "language": "kk", "start_date": start, "end_date": completed_on,
        "capacity": 30, "status": "finished"}, None)
    cohort_service.assign_staff(cohort, trainer, "trainer", None)
    cohort_service.assign_staff(cohort, curator, "curator", None)
    schools = list(db.session.scalars(select(School).where(School.code.like("SKO-%")).order_by(School.code)))
    created = 0
    enrolments = []
    for n in range(1, GRADUATES + 1):
        user = user_service.get_by_email(graduate_email(n))
        if user is None:
            name = f"{LAST[(n + 4) % len(LAST)]} {FIRST[(2 * n + 1 + n // len(LAST)) % len(FIRST)]}"
            user = user_service.create_user(graduate_email(n), name, DEMO_PASSWORD,
                                            school=schools[n % len(schools)] if schools else None,
                                            position="director" if n % 3 else "deputy")
            created += 1
        enrolments.append(cohort_service.enrol(cohort, user, None))
    # the tests they took, so that their plans show their competences at the end of the course
    attempts = take_past_tests(cohort, enrolments, _at(start, 9), _at(completed_on, 18), trainer)
    with clock.frozen(_at(completed_on, 17)):
        for e in enrolments:
            cohort_service.set_status(e, "completed", trainer)
        plan_service.open_plans(cohort, None)  # those the completion's listener has not opened
    plans = {plan_service.owner_id(p): p for p in plan_service.plans_of(cohort)}

    agreed_on = completed_on + timedelta(days=12)
    done = contacts = evidence = 0
    for n, e in enumerate(enrolments, start=1):
        plan, user = plans[e.user_id], e.user
        with clock.frozen(_at(agreed_on)):
            plan_service.adjust(plan, {"add": [{"activity_type": code} for code in
                                               ("seminar", "consultation", "observation", "adjustment")]}, trainer)
            plan_service.agree(plan, trainer, needs_note="Цифрлық құралдар және кәсіби қоғамдастық")
            if n % 4:
                plan_service.accept(plan, user)
        by_type = {a.activity_type: a for a in plan.activities}
        seminar = by_type["seminar"]
        plan_service.mark_activity(plan, seminar, "done", trainer, on=seminar.due_on - timedelta(days=6))
        done += 1
        consultation = by_type["consultation"]
        if n != OVERDUE:
            day = consultation.due_on - timedelta(days=3 + n % 5)
            activity_service.log_contact(plan, {
                "happened_at": _at(day, 15), "channel": CHANNELS[n % len(CHANNELS)], "topic": TOPICS[n % len(TOPICS)],
                "outcome": "Келесі қадамдар келісілді.", "activity_id": consultation.id}, curator)
            contacts += 1
            done += 1
        if n in DUE_SOON:
            plan_service.change_activity(plan, by_type["observation"], {"due_on": today + timedelta(days=4 + n % 3)},
                                         trainer, "Сабақ кестесі өзгерді")
        if n % 5 == 0:
            activity_service.add_evidence(plan, {
                "kind": "publication" if n % 10 else "talk", "level": "district" if n % 10 else "regional",
                "title": "Шағын жинақты мектепте цифрлық шешімдер: тәжірибе", "url": "https://orleu.edu.kz/",
                "happened_on": completed_on + timedelta(days=60 + n)}, user)
            evidence += 1
    db.session.flush()
    summary.append(f"cohort {COHORT}: {len(enrolments)} graduates ({created} accounts created, graduate01-"
                   f"{GRADUATES:02d}@demo.test) in month 6 of their support year; {done} activities done,"
                   f" {contacts} consultations, {evidence} evidence; {graduate_email(OVERDUE)}'s consultation is"
                   f" overdue; {attempts} attempts at the course's diagnostic and final tests")


def on_demo_requested(_sender, summary: list[str], **_kw) -> None:
    create_demo_support(summary)
