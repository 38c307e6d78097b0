"""Builders shared by the support-plan tests: graduates with module-test, final-test and
exit-survey results, completed on a frozen date (the plan opens on completion)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lms.core.services import clock
from lms.courses.models import Enrolment
from lms.courses.services import cohorts
from lms.db import db
from lms.postcourse.models import SupportPlan
from lms.quizbank.models import Bank, Item, ItemVersion
from lms.quizbank.qtypes import QUESTION_TYPES
from lms.quizbank.services import attempts, survey, tests

ALMATY = ZoneInfo("Asia/Almaty")


def at(day: date, hour: int = 10) -> datetime:
    """`day` at `hour` o'clock in Almaty, as an aware datetime (for clock.frozen)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=ALMATY)


def items(programme: str = "LDR-DT", modules: int = 8, per_module: int = 2, code: str = "PCT") -> dict[int, list]:
    """{module: [item versions]}: true/false items whose right answer is True."""
    bank = Bank(code=code, programme_code=programme, title=f"{code} bank")
    db.session.add(bank)
    for m in range(1, modules + 1):
        for k in range(1, per_module + 1):
            bank.items.append(Item(code=f"{code}-{m}.1-K-{k:03d}", topic_code=f"{m}.1", module_number=m, level="K",
                                   status="ready", versions=[ItemVersion(qtype="truefalse", text=f"M{m} Q{k}",
                                                                         data={"correct": True})]))
    db.session.flush()
    out: dict[int, list] = {}
    for item in bank.items:
        out.setdefault(item.module_number, []).append(item.versions[-1])
    return out


def published_test(cohort, kind: str, module: int | None = None, title: str | None = None):
    test = tests.create_test(cohort, {"kind": kind, "title": title or f"{kind} {module or ''}".strip(),
                                      "module_number": module}, None)
    test.status = "published"
    db.session.flush()
    return test


def take(test, enrolment, versions, right: int, when: datetime):
    """An attempt with the first `right` answers right and the rest wrong, submitted."""
    user = enrolment.user
    attempt = attempts.start_attempt(test, enrolment, user, versions=versions, now=when)
    for n, s in enumerate(attempt.slots):
        shown = QUESTION_TYPES["truefalse"].to_shown(s.version.data, s.option_order, {"value": n < right})
        attempts.save_answer(attempt.id, s.slot, shown, user, when + timedelta(minutes=1))
    return attempts.submit(attempt.id, user, when + timedelta(minutes=2))


def exit_survey(cohort, anonymous: bool = True):
    test = tests.create_test(cohort, {"kind": "exit_survey", "title": "Exit survey"}, None)
    survey.add_default_questions(test, None)
    test.status, test.anonymous = "published", anonymous
    db.session.flush()
    return test


def answer_survey(test, enrolment, *, low: int | None = None, need: str = "", when=None):
    """Agree (4) with every statement, except the methodological-support one (`low`, when given);
    `need` answers the open question about support."""
    answers = {}
    for q in survey.questions_of(test):
        if q.kind == "likert":
            answers[q.id] = low if (low is not None and "support" in q.text.get("en", "")) else 4
        else:
            answers[q.id] = need if "support" in q.text.get("en", "") else ""
    return survey.submit(test, enrolment, answers, enrolment.user, when)


def enrolments(cohort) -> list[Enrolment]:
    return list(db.session.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort.id).order_by(Enrolment.id)))


def complete_all(cohort, day: date, actor=None) -> list[SupportPlan]:
    """Every enrolment completed on `day` (10:00 Almaty); returns the plans that opened."""
    with clock.frozen(at(day)):
        for e in enrolments(cohort):
            cohorts.set_status(e, "completed", actor)
    db.session.commit()
    return plans_of(cohort)


def plans_of(cohort) -> list[SupportPlan]:
    return list(db.session.scalars(
        select(SupportPlan).join(Enrolment, Enrolment.id == SupportPlan.enrolment_id)
        .where(Enrolment.cohort_id == cohort.id).order_by(Enrolment.id)))


def utc(day: date, hour: int = 10) -> datetime:
    return at(day, hour).astimezone(timezone.utc)
