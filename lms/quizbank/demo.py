"""Demo tests for `lms demo`: each demo cohort gets its diagnostic, module (LDR-DT) and final
tests and the exit survey, published and open now; in DEMO-LDR-DT, participants 56-75 have
taken the module 1 test (answers as an able or a struggling participant would give), so
results, bands and item statistics have something to show. Participants 51-55 have not:
they can take it. Idempotent: a cohort that has tests is left as it is. `take_past_tests` gives a
finished cohort (postcourse's graduates) the diagnostic and final tests they took."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from lms.core.demo import participant_email
from lms.core.services import users as user_service
from lms.db import db, utcnow
from lms.quizbank.models import Bank, Blueprint, Test
from lms.quizbank.qtypes import qtype

#: cohort -> (bank, [(kind, module, blueprint code, title kk, minutes, attempts)])
DEMO_TESTS = {
    "DEMO-LDR-SUS": ("LDR", [("diagnostic", None, "LDR-FINAL", "Кіріс диагностикалық тест", 40, 1),
                             ("final", None, "LDR-FINAL", "Қорытынды тест", 40, 2)]),
    "DEMO-TCH-SUS": ("TCH", [("diagnostic", None, "TCH-FINAL", "Кіріс диагностикалық тест", 40, 1),
                             ("final", None, "TCH-FINAL", "Қорытынды тест", 40, 2)]),
    "DEMO-LDR-DT": ("LDT", [("diagnostic", None, "LDT-FINAL", "Кіріс диагностикалық тест", 30, 1)]
                    + [("module", n, f"LDT-M{n}", f"{n}-модуль бойынша тест", 20, 2) for n in range(1, 9)]
                    + [("final", None, "LDT-FINAL", "Қорытынды тест", 30, 1)]),
}
SURVEY_TITLE = "Курстың соңғы күнгі сауалнамасы"
TAKEN_MODULE_1 = range(56, 76)


def _answer(version, correct: bool, rng: random.Random):
    """A stored answer that is right (or wrong) for the item's own key."""
    data, kind = version.data or {}, version.qtype
    if kind in ("single", "multiple"):
        options = data.get("options") or []
        good = [i for i, o in enumerate(options) if float(o.get("fraction") or 0) > 0]
        bad = [i for i in range(len(options)) if i not in good] or [0]
        if kind == "single":
            best = max(range(len(options)), key=lambda i: float(options[i].get("fraction") or 0))
            return {"choice": best if correct else rng.choice(bad)}
        return {"choices": sorted(good) if correct else sorted({rng.choice(bad), rng.choice(good or bad)})}
    if kind == "truefalse":
        return {"value": bool(data.get("correct")) == correct}
    if kind == "matching":
        pairs = data.get("pairs") or []
        answers = [p["answer"] for p in pairs]
        if not correct:
            answers = answers[1:] + answers[:1]
        return {"pairs": {str(i): a for i, a in enumerate(answers)}}
    if kind == "short":
        return {"text": (data.get("answers") or [{"text": "?"}])[0]["text"] if correct else "білмеймін"}
    if kind == "numerical":
        value = float(data.get("value") or 0)
        return {"value": value if correct else value + 1000}
    return {"text": "Мектебімізде бұл тәсілді келесі тоқсанда сынап көреміз."}


def _take(test: Test, enrolment, user, ability: float, rng: random.Random, when) -> None:
    from lms.quizbank.services import attempts

    attempt = attempts.start_attempt(test, enrolment, user, now=when)
    for s in attempt.slots:
        kind = qtype(s.version.qtype)
        stored = _answer(s.version, rng.random() < ability, rng)
        shown = kind.to_shown(s.version.data or {}, s.option_order or [], stored)
        attempts.save_answer(attempt.id, s.slot, shown, user, when + timedelta(minutes=s.slot))
    attempts.submit(attempt.id, user, when + timedelta(minutes=len(attempt.slots) + 1))


OPEN_ANSWERS = ["Сабақты бейнеге түсіріп талдауға көмек керек.", "Цифрлық құралдар модулі ең пайдалы болды.",
                "Интернет баяу болғанда вебинарлар үзіліп қалды.", "Тәжірибе алмасуға көбірек уақыт берілсе екен."]


def _answer_survey(test: Test, cohort, rng: random.Random) -> int:
    """Participants 60-71 answer the exit survey, mostly agreeing, some with a comment."""
    from lms.courses.services import cohorts as cohort_service
    from lms.quizbank.services import survey

    questions = survey.questions_of(test)
    answered = 0
    for n in range(60, 72):
        user = user_service.get_by_email(participant_email(n))
        enrolment = cohort_service.enrolment_of(cohort, user)
        if enrolment is None:
            continue
        answers = {q.id: (rng.choice([3, 4, 4, 5, 5, 5, 2]) if q.kind == "likert"
                          else (rng.choice(OPEN_ANSWERS) if rng.random() < 0.5 else ""))
                   for q in questions}
        survey.submit(test, enrolment, answers, user)
        answered += 1
    return answered


def create_demo_tests(summary: list[str]) -> None:
    from lms.courses.services import cohorts as cohort_service
    from lms.quizbank.services import blueprints, survey
    from lms.quizbank.services import tests as test_service

    trainer = user_service.get_by_email("trainer@demo.test")
    now = utcnow()
    opens, closes = now - timedelta(days=1), now + timedelta(days=30)
    rng = random.Random(2026)
    for cohort_code, (bank_code, plan) in DEMO_TESTS.items():
        try:
            cohort = cohort_service.get_cohort(cohort_code)
        except Exception:  # noqa: BLE001 - the courses demo did not make it (core-only runs)
            continue
        if db.session.scalar(select(Test.id).where(Test.cohort_id == cohort.id).limit(1)):
            summary.append(f"tests of {cohort_code}: exist, left as they are")
            continue
        bank = db.session.scalar(select(Bank).where(Bank.code == bank_code))
        if bank is None:
            summary.append(f"tests of {cohort_code}: bank {bank_code} is not loaded (run `lms bank load content/banks`)")
            continue
        prints = {b.code: b for b in db.session.scalars(select(Blueprint).where(Blueprint.bank_id == bank.id))}
        made = []
        for kind, module, print_code, title, minutes, attempts_allowed in plan:
            test = test_service.create_test(cohort, {
                "kind": kind, "title": title, "module_number": module, "blueprint": prints[print_code],
                "opens_at": opens, "closes_at": closes, "time_limit_minutes": minutes,
                "attempts_allowed": attempts_allowed}, trainer)
            blueprints.publish(test, trainer)
            made.append(test)
        survey_test = test_service.create_test(cohort, {
            "kind": "exit_survey", "title": SURVEY_TITLE, "opens_at": opens, "closes_at": closes}, trainer)
        survey.add_default_questions(survey_test, trainer)
        blueprints.publish(survey_test, trainer)
        line = f"tests of {cohort_code}: {len(made)} published and open, and the exit survey"
        if cohort_code == "DEMO-LDR-DT":
            module_1 = next(t for t in made if t.kind == "module" and t.module_number == 1)
            taken = 0
            for n in TAKEN_MODULE_1:
                user = user_service.get_by_email(participant_email(n))
                enrolment = cohort_service.enrolment_of(cohort, user)
                if enrolment is None:
                    continue
                ability = 0.35 + 0.6 * (n - TAKEN_MODULE_1.start) / len(TAKEN_MODULE_1)
                _take(module_1, enrolment, user, ability, rng, now - timedelta(hours=20) + timedelta(minutes=n))
                taken += 1
            line += f"; {taken} participants took the module 1 test (participant51-55 have not)"
            line += f"; {_answer_survey(survey_test, cohort, rng)} answered the exit survey"
        summary.append(line)


def take_past_tests(cohort, enrolments: list, opens_at, closes_at, trainer, seed: int = 2025) -> int:
    """For a demo cohort that has finished (postcourse's graduates): the diagnostic test at its
    start and the final test at its end, published for that window, each enrolment taking both,
    stronger at the end, so that the graduates' competences show where they began and ended.
    Returns how many attempts were made; 0 when the LDR-DT bank is not loaded."""
    from lms.quizbank.services import blueprints
    from lms.quizbank.services import tests as test_service

    bank = db.session.scalar(select(Bank).where(Bank.code == "LDT"))
    final_print = bank and db.session.scalar(select(Blueprint).where(Blueprint.bank_id == bank.id,
                                                                     Blueprint.code == "LDT-FINAL"))
    if final_print is None:
        return 0
    rng = random.Random(seed)
    taken = 0
    for kind, title, at in (("diagnostic", "Кіріс диагностикалық тест", opens_at + timedelta(hours=2)),
                            ("final", "Қорытынды тест", closes_at - timedelta(hours=6))):
        test = test_service.create_test(cohort, {
            "kind": kind, "title": title, "blueprint": final_print, "opens_at": opens_at, "closes_at": closes_at,
            "time_limit_minutes": 30, "attempts_allowed": 1}, trainer)
        blueprints.publish(test, trainer)
        for n, enrolment in enumerate(enrolments):
            base = 0.3 + 0.3 * rng.random()
            ability = base if kind == "diagnostic" else min(0.95, base + 0.25 + 0.15 * rng.random())
            _take(test, enrolment, enrolment.user, ability, rng, at + timedelta(minutes=n))
            taken += 1
    return taken


def on_demo_requested(_sender, summary: list[str], **_kw) -> None:
    create_demo_tests(summary)
