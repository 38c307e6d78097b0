"""Demo defenses for `lms demo`.

DEMO-LDR-SUS (running): a panoramic defense session scored by the leaders' rubric,
assessor1-3@demo.test on the panel (given the assessor role in the cohort) and the trainer as
chair, one 7-minute slot per mini-group (5), tomorrow at 10:00 local time. Nobody has scored yet.

DEMO-LDR-SUS-2025 (finished a few weeks ago): participant76-85@demo.test in two mini-groups,
every session held and attended in full, every self-study task accepted, the final test passed;
its defense session (same panel, one slot per mini-group, on the course's last day) is not
scored yet, so the only thing between them and their certificates is the panel's grade.

The shipped rubrics are loaded first (idempotent). A cohort that has a defense session, and a
finished cohort that exists, are left as they are."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lms.core.demo import participant_email
from lms.core.services import users as user_service
from lms.db import db
from lms.portfolio.models import DefenseSession

COHORT, RUBRIC = "DEMO-LDR-SUS", "LDR-SUS-DEFENSE"
TITLE = "Мектепті дамыту бағдарламасының үзіндісін панорамалық қорғау"
ASSESSORS = ("assessor1@demo.test", "assessor2@demo.test", "assessor3@demo.test")

FINISHED = "DEMO-LDR-SUS-2025"
FINISHED_PARTICIPANTS = range(76, 86)
FINISHED_GROUPS = 2
#: the course ended on the last Friday at least this many days ago (three to four weeks)
FINISHED_DAYS_AGO = 21
MEETING = "https://us02web.zoom.us/j/81234567890"


def _defense_session(cohort, starts_at: datetime) -> int:
    """The leaders' defense session for `cohort`: assessor1-3 score (given the assessor role
    in the cohort), the trainer chairs, one 7-minute slot per mini-group; returns the slots."""
    from lms.courses.services import cohorts as cohort_service
    from lms.portfolio.services import defenses, rubrics

    trainer = user_service.get_by_email("trainer@demo.test")
    assessors = [user_service.get_by_email(e) for e in ASSESSORS]
    for user in assessors:
        cohort_service.assign_staff(cohort, user, "assessor", None)
    session = defenses.create_session(cohort, {
        "title": TITLE, "rubric": rubrics.current_rubric(RUBRIC), "aggregation": "mean", "spread_threshold": 3,
        "starts_at": starts_at, "meeting_url": cohort.meeting_url}, None)
    defenses.set_panel(session, assessors, trainer, None)
    return len(defenses.generate_slots(session, None, mode="group", minutes=7))


def _local(cohort, day: date, at: time) -> datetime:
    zone = ZoneInfo(cohort.timezone or "Asia/Almaty")
    return datetime.combine(day, at, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def create_demo_defenses(summary: list[str]) -> None:
    from lms.courses.services import cohorts as cohort_service
    from lms.portfolio.services import rubrics

    try:
        cohort = cohort_service.get_cohort(COHORT)
    except Exception:  # noqa: BLE001 - the courses demo did not make it (core-only runs)
        return
    rubrics.load_rubrics(rubrics.CONTENT_DIR)
    if db.session.scalar(select(DefenseSession.id).where(DefenseSession.cohort_id == cohort.id).limit(1)):
        summary.append(f"defenses of {COHORT}: a session exists, left as it is")
        return
    zone = ZoneInfo(cohort.timezone or "Asia/Almaty")
    slots = _defense_session(cohort, _local(cohort, datetime.now(zone).date() + timedelta(days=1), time(10, 0)))
    summary.append(f"defenses of {COHORT}: a session with {slots} mini-group slots, assessor1-3@demo.test"
                   f" score and trainer@demo.test chairs (nobody has scored yet)")


def _chosen_topics(cohort, n: int) -> dict[int, list]:
    """{variative module id: the topics participant n takes}: odd numbers the module's first
    topics, even ones the next (the seed's two directions of LDR-SUS module 4)."""
    out = {}
    for module in cohort.programme.modules:
        if not module.choose:
            continue
        topics, k = list(module.topics), module.choose
        picked = topics[k:2 * k] if n % 2 == 0 and len(topics) >= 2 * k else topics[:k]
        out[module.id] = picked
    return out


def create_demo_finished_cohort(summary: list[str]) -> None:
    """DEMO-LDR-SUS-2025: everything done but the defense (see the module docstring)."""
    from lms.courses import services
    from lms.courses.models import Cohort
    from lms.courses.services import attendance, schedule, selfstudy
    from lms.courses.services import cohorts as cohort_service
    from lms.portfolio.services import rubrics
    from lms.quizbank.demo import _take
    from lms.quizbank.models import Bank, Blueprint
    from lms.quizbank.services import blueprints
    from lms.quizbank.services import tests as test_service

    if db.session.scalar(select(Cohort.id).where(Cohort.code == FINISHED)):
        summary.append(f"cohort {FINISHED}: exists, left as it is")
        return
    try:
        programme = services.get_programme("LDR-SUS")
    except Exception:  # noqa: BLE001 - content not loaded (core-only runs)
        return
    final_print = db.session.scalar(select(Blueprint).join(Bank, Bank.id == Blueprint.bank_id)
                                    .where(Bank.code == "LDR", Blueprint.code == "LDR-FINAL"))
    if final_print is None:
        summary.append(f"cohort {FINISHED}: not made, bank LDR is not loaded (run `lms bank load content/banks`)")
        return
    people = [user_service.get_by_email(participant_email(n)) for n in FINISHED_PARTICIPANTS]
    if None in people:
        summary.append(f"cohort {FINISHED}: not made, participant76-85@demo.test are missing")
        return
    rubrics.load_rubrics(rubrics.CONTENT_DIR)
    trainer = user_service.get_by_email("trainer@demo.test")
    curator = user_service.get_by_email("curator@demo.test")
    end = date.today() - timedelta(days=FINISHED_DAYS_AGO)
    end -= timedelta(days=(end.weekday() - 4) % 7)  # a Friday, the defense's day
    start = end - timedelta(days=55)
    start -= timedelta(days=start.weekday())  # a Monday
    cohort = cohort_service.create_cohort(programme, {
        "code": FINISHED, "format_code": "online", "language": "kk", "start_date": start, "end_date": end,
        "capacity": 30, "mini_groups": FINISHED_GROUPS, "status": "finished", "meeting_url": MEETING}, None)
    cohort_service.assign_staff(cohort, trainer, "trainer", None)
    cohort_service.assign_staff(cohort, curator, "curator", None)
    enrolments = []
    for k, (n, user) in enumerate(zip(FINISHED_PARTICIPANTS, people)):
        e = cohort_service.enrol(cohort, user, None, mini_group=k % FINISHED_GROUPS + 1)
        for topics in _chosen_topics(cohort, n).values():
            for topic in topics:
                cohort_service.choose_topic(e, topic, user)
        enrolments.append(e)

    sessions = schedule.generate(cohort, start, {0, 1, 2, 3, 4}, time(15, 0), 2, None)
    for s in sessions:  # all held, everybody there from start to end
        attendance.mark(s, {e.id: ("present", None) for e in enrolments}, trainer)

    tasks = selfstudy.create_default_tasks(cohort, None)
    for task in tasks:  # practical work is the marks on the tasks (content/certification/LDR-SUS.yaml)
        task.max_points = 10.0
    variative = {t.id for m in cohort.programme.modules if m.choose for t in m.topics}
    accepted = 0
    for n, e in zip(FINISHED_PARTICIPANTS, enrolments):
        chosen = {t.id for topics in _chosen_topics(cohort, n).values() for t in topics}
        for task in tasks:
            if task.topic_id in variative and task.topic_id not in chosen:
                continue
            sub = selfstudy.submit(task, e, "Тапсырма орындалды: мектепте талқыланды, қорытынды жазылды.",
                                   None, None, e.user)
            selfstudy.review(sub, True, "Жақсы жұмыс.", trainer, points=7 + (n + task.sort_order) % 4)
            accepted += 1

    last_day = _local(cohort, end, time(9, 0))
    final = test_service.create_test(cohort, {
        "kind": "final", "title": "Қорытынды тест", "blueprint": final_print,
        "opens_at": last_day - timedelta(days=3), "closes_at": last_day - timedelta(days=1),
        "time_limit_minutes": 40, "attempts_allowed": 2}, trainer)
    blueprints.publish(final, trainer)
    rng = random.Random(2025)
    for k, e in enumerate(enrolments):
        _take(final, e, e.user, 0.85 + 0.012 * k, rng, last_day - timedelta(days=2, minutes=-7 * k))

    slots = _defense_session(cohort, _local(cohort, end, time(10, 0)))
    db.session.flush()
    summary.append(f"cohort {FINISHED}: finished {end:%d.%m.%Y}, {len(enrolments)} participants"
                   f" (participant{FINISHED_PARTICIPANTS[0]}-{FINISHED_PARTICIPANTS[-1]}@demo.test) in"
                   f" {FINISHED_GROUPS} mini-groups, {len(sessions)} sessions attended in full, {accepted} self-study"
                   f" hand-ins accepted, the final test passed; its defense ({slots} mini-group slots, assessor1-3"
                   f" score, trainer@demo.test chairs) is not scored yet, so no certificate yet")


def on_demo_requested(_sender, summary: list[str], **_kw) -> None:
    create_demo_defenses(summary)
    create_demo_finished_cohort(summary)
