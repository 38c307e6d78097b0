"""Demo cohorts for `lms demo`: DEMO-LDR-SUS (online, a generated schedule, some attendance
and some accepted self-study, so a newcomer sees real progress bars), DEMO-TCH-SUS and
DEMO-LDR-DT, 25 participants each. Idempotent: an existing cohort is left as it is."""
from __future__ import annotations

import random
from datetime import date, time, timedelta

from sqlalchemy import select

from lms.core.demo import participant_email
from lms.core.services import users as user_service
from lms.courses import services
from lms.courses.models import Cohort
from lms.courses.services import cohorts as cohort_service
from lms.db import db, utcnow

DEMO_COHORTS = [
    # code, programme, format, participants (first, last), language, days started ago
    ("DEMO-LDR-SUS", "LDR-SUS", "online", (1, 25), "kk", 14),
    ("DEMO-TCH-SUS", "TCH-SUS", "online", (26, 50), "kk", 7),
    ("DEMO-LDR-DT", "LDR-DT", "blended", (51, 75), "mixed", 3),
]
MEETING = "https://us02web.zoom.us/j/81234567890"


def _monday_on_or_before(day: date) -> date:
    return day - timedelta(days=day.weekday())


def create_demo_cohorts(summary: list[str]) -> None:
    from lms.courses.services import attendance, schedule, selfstudy

    trainer = user_service.get_by_email("trainer@demo.test")
    curator = user_service.get_by_email("curator@demo.test")
    rng = random.Random(2026)
    for code, programme_code, fmt, (first, last), language, ago in DEMO_COHORTS:
        if db.session.scalar(select(Cohort.id).where(Cohort.code == code)):
            summary.append(f"cohort {code}: exists, left as it is")
            continue
        start = _monday_on_or_before(date.today() - timedelta(days=ago))
        cohort = cohort_service.create_cohort(services.get_programme(programme_code), {
            "code": code, "format_code": fmt, "language": language, "start_date": start,
            "end_date": start + timedelta(days=55), "capacity": 30,
            "mini_groups": 5 if programme_code == "LDR-SUS" else 0, "status": "running",
            "meeting_url": MEETING}, None)
        cohort_service.assign_staff(cohort, trainer, "trainer", None)
        cohort_service.assign_staff(cohort, curator, "curator", None)
        enrolments = []
        for n in range(first, last + 1):
            user = user_service.get_by_email(participant_email(n))
            group = (n - first) % 5 + 1 if cohort.mini_groups else None
            enrolments.append(cohort_service.enrol(cohort, user, None, mini_group=group))
        sessions = schedule.generate(cohort, start, {0, 1, 2, 3, 4}, time(15, 0), 2 if fmt == "online" else 4,
                                     None)
        tasks = selfstudy.create_default_tasks(cohort, None)
        now = utcnow()
        held = [s for s in sessions if s.ends_at <= now]
        for s in held:  # most people came to most sessions; a few left early
            marks = {}
            for e in enrolments:
                roll = rng.random()
                if roll < 0.78:
                    marks[e.id] = ("present", None)
                elif roll < 0.88:
                    marks[e.id] = ("late", max(15, s.minutes - rng.choice((20, 30, 40))))
                elif roll < 0.94:
                    marks[e.id] = ("excused", None)
                else:
                    marks[e.id] = ("absent", None)
            attendance.mark(s, marks, trainer)
        done_topics = {s.topic_id for s in held if s.topic_id}
        reviewable = [t for t in tasks if t.topic_id in done_topics]
        if reviewable:  # the first task asks each participant to comment on two classmates' work,
            # and is a formative task with descriptors and a self-check reference (seed 000)
            reviewable[0].peer_reviews = 2
            reviewable[0].max_points = 10.0  # marked: the seed 000 scale's practical work
            reviewable[0].descriptors = ["Мектептің қазіргі жағдайын деректермен сипаттайды",
                                         "Нақты, өлшенетін мақсат қояды",
                                         "Әр іс-шараға жауаптыны және мерзімді көрсетеді"]
            reviewable[0].self_check = ("**Өзіңізді тексеріңіз.** Мақсат SMART болуы керек: нақты, өлшенетін,"
                                        " қолжетімді, маңызды, мерзімі белгіленген. Мысалы: «2027 жылдың мамырына қарай 5–9 сынып"
                                        " оқушыларының 80 %-ы онлайн-тапсырмаларды өз бетінше орындайды».")
        for e in enrolments:
            for task in reviewable:
                roll = rng.random()
                if roll < 0.55:
                    sub = selfstudy.submit(task, e, "Тапсырма орындалды: мектепте талқыланды, қорытынды жазылды.",
                                           None, None, e.user, self_met=[0, 1] if task.descriptors else None)
                    selfstudy.review(sub, True, "Жақсы жұмыс.", trainer, [0, 1, 2] if task.descriptors else None,
                                     points=8 + rng.randrange(3) if task.max_points else None)
                elif roll < 0.7:
                    selfstudy.submit(task, e, "Жұмыс жобасы тіркелді.", None, None, e.user)
        db.session.flush()
        summary.append(f"cohort {code}: {len(enrolments)} participants, {len(sessions)} sessions"
                       f" ({sum(s.academic_hours for s in sessions):g} h, {len(held)} held), {len(tasks)} self-study tasks")


def on_demo_requested(_sender, summary: list[str], **_kw) -> None:
    create_demo_cohorts(summary)
