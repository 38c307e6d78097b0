"""Tests per cohort and their attempts: start (frozen draw), save, submit (graded once), the
deadline with its grace, the sweep, essays graded by hand."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.core.models import AuditEntry
from lms.core.services.errors import Conflict, NotFound, ServiceError
from lms.courses.services import cohorts
from lms.db import utcnow
from lms.quizbank.models import Attempt, AttemptSlot, Bank, Blueprint, Item, ItemVersion
from lms.quizbank.services import attempts, tests
from lms.quizbank.services.attempts import AttemptClosed

#: one item of every type; the right answer of each, as stored (indexes into the data)
ITEMS = [
    ("single", {"options": [{"text": "Астана", "fraction": 1.0, "feedback": "Дұрыс"},
                            {"text": "Алматы", "fraction": 0.0, "feedback": None},
                            {"text": "Шымкент", "fraction": 0.0, "feedback": None}], "shuffle": True},
     {"choice": 0}),
    ("multiple", {"options": [{"text": "a", "fraction": 0.5, "feedback": None},
                              {"text": "b", "fraction": 0.5, "feedback": None},
                              {"text": "c", "fraction": -1.0, "feedback": None}], "shuffle": True},
     {"choices": [0, 1]}),
    ("truefalse", {"correct": True, "feedback_true": None, "feedback_false": None}, {"value": True}),
    ("matching", {"pairs": [{"question": "1+1", "answer": "2"}, {"question": "2+2", "answer": "4"}],
                  "extra_answers": ["5"]}, {"pairs": {"0": "2", "1": "4"}}),
    ("short", {"answers": [{"text": "көк*", "fraction": 1.0, "feedback": None}], "case_sensitive": False},
     {"text": "Көктем"}),
    ("numerical", {"answers": [{"value": 12.5, "tolerance": 0.1, "fraction": 1.0, "feedback": None}]},
     {"value": "12,5"}),
]
ESSAY = ("essay", {"grader_info": None}, {"text": "Менің эссем"})


def build_items(db_session, kinds=ITEMS, bank_code="TSTATT", programme="LDR-DT", topic="1.1"):
    """A bank holding one ready item per (qtype, data, answer); returns the current versions."""
    bank = db_session.scalar(select(Bank).where(Bank.code == bank_code))
    if bank is None:
        bank = Bank(code=bank_code, programme_code=programme, title=f"{bank_code} bank")
        db_session.add(bank)
    start = len(bank.items)
    for k, (qtype, data, _answer) in enumerate(kinds, start=start + 1):
        bank.items.append(Item(code=f"{bank_code}-{topic}-K-{k:03d}", topic_code=topic,
                               module_number=int(topic.split(".")[0]), level="K", status="ready",
                               versions=[ItemVersion(qtype=qtype, text=f"Сұрақ {k} ({qtype})",
                                                     text_html=f"<p>Сұрақ {k}</p>", data=data)]))
    db_session.flush()
    return [item.versions[-1] for item in bank.items[start:]]


def make_test(cohort, *, status="published", blueprint=None, **fields):
    test = tests.create_test(cohort, {"kind": "module", "title": "1-модуль бойынша тест", "module_number": 1,
                                      "blueprint": blueprint, **fields}, None)
    test.status = status
    return test


def shown(slot_row, stored):
    """A stored answer as the participant gives it (by shown position)."""
    from lms.quizbank.qtypes import QUESTION_TYPES

    v = slot_row.version
    return QUESTION_TYPES[v.qtype].to_shown(v.data, slot_row.option_order, stored)


@pytest.fixture
def quiz(make, db_session):
    """An LDR-DT cohort of two with a published module test (no time limit), and the items."""
    cohort = make.cohort(code="QZ-ATT", programme="LDR-DT", format_code="blended", participants=2)
    versions = build_items(db_session)
    test = make_test(cohort)
    db_session.flush()
    return cohort, test, versions


def answer_all(attempt, user, answers, now=None):
    for s in attempt.slots:
        attempts.save_answer(attempt.id, s.slot, shown(s, answers[s.version.qtype]), user, now)


RIGHT = {qtype: answer for qtype, _data, answer in ITEMS + [ESSAY]}


# --- tests per cohort ------------------------------------------------------------------------

def test_create_test_names_every_bad_field(make, db_session):
    cohort = make.cohort(code="QZ-NEW", programme="LDR-DT", format_code="blended", participants=0)
    now = utcnow()
    with pytest.raises(ServiceError) as exc:
        tests.create_test(cohort, {"kind": "quiz", "title": "", "opens_at": now, "closes_at": now - timedelta(hours=1),
                                   "attempts_allowed": 0, "pass_percent": 120, "time_limit_minutes": "ten",
                                   "bands": [{"min": 50, "label": "pass"}, {"min": 70, "label": "good"}],
                                   "review_options": {"score": "yes", "colour": True}}, None)
    message = exc.value.message
    assert exc.value.field == "kind"
    for part in ("kind: one of diagnostic, module, final, entry_survey, exit_survey (got 'quiz')", "title: required",
                 "closes_at: the test closes before it opens", "attempts_allowed: must be between 1 and 100 (got 0)",
                 "pass_percent: must be from 0 to 100 (got 120)",
                 "time_limit_minutes: must be a whole number (got 'ten')",
                 "bands, band 2: min 70 must be below the band before it (50); list the highest band first",
                 "review_options, score: true or false (got 'yes')", "review_options: unknown option 'colour'"):
        assert part in message
    with pytest.raises(ServiceError) as exc:
        tests.create_test(cohort, {"kind": "module", "title": "M9"}, None)
    assert exc.value.message == "module_number: a module test names its module"
    with pytest.raises(ServiceError) as exc:
        tests.create_test(cohort, {"kind": "module", "title": "M9", "module_number": 9}, None)
    assert exc.value.message == "module_number: LDR-DT has no module 9"
    other_bank = Bank(code="TSTOTHER", programme_code="LDR-SUS", title="x")
    db_session.add(other_bank)
    db_session.flush()
    blueprint = Blueprint(bank_id=other_bank.id, code="X", title="x", total=1, rules=[])
    db_session.add(blueprint)
    db_session.flush()
    with pytest.raises(ServiceError) as exc:
        tests.create_test(cohort, {"kind": "final", "title": "Final", "blueprint": blueprint}, None)
    assert exc.value.field == "blueprint_id" and "draws from a LDR-SUS bank; cohort QZ-NEW follows LDR-DT" \
        in exc.value.message
    assert db_session.scalar(select(func.count()).select_from(tests.Test).where(tests.Test.cohort_id == cohort.id)) == 0


def test_ldr_dt_tests_take_the_seed_pass_mark_and_bands(make, db_session):
    cohort = make.cohort(code="QZ-DT", programme="LDR-DT", format_code="blended", participants=0)
    test = tests.create_test(cohort, {"kind": "final", "title": "Қорытынды тест"}, None)
    assert test.pass_percent == 50.0 and [b["min"] for b in test.bands] == [90, 70, 50, 0]
    assert tests.band_label(tests.band_for(test, 69.99), "ru") == "удовлетворительно"
    assert tests.band_label(tests.band_for(test, 90), "kk") == "өте жақсы"
    assert test.review_options == {"score": True, "band": True, "answers": False, "when": "immediately"}
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "test_created",
                                                       AuditEntry.object_id == str(test.id)))
    assert entry.summary == "QZ-DT: final Қорытынды тест"
    sus = make.cohort(code="QZ-SUS", programme="LDR-SUS", participants=0)
    assert tests.create_test(sus, {"kind": "final", "title": "F"}, None).bands == []


def test_states_and_what_a_published_test_may_still_change(make, db_session):
    cohort = make.cohort(code="QZ-ST", programme="LDR-DT", format_code="blended", participants=0)
    now = utcnow()
    test = tests.create_test(cohort, {"kind": "diagnostic", "title": "D", "opens_at": now + timedelta(hours=1),
                                      "closes_at": now + timedelta(hours=3)}, None)
    assert tests.state(test, now) == "draft"
    test.status = "published"
    assert tests.state(test, now) == "upcoming"
    assert tests.state(test, now + timedelta(hours=2)) == "open"
    assert tests.state(test, now + timedelta(hours=3)) == "closed"
    tests.update_test(test, {"closes_at": now + timedelta(hours=5), "attempts_allowed": 2}, None)
    assert test.attempts_allowed == 2
    with pytest.raises(Conflict) as exc:
        tests.update_test(test, {"pass_percent": 80}, None)
    assert exc.value.message == "test 'D' is published: pass_percent can no longer change"
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "test_updated"))
    assert entry.details["new"]["attempts_allowed"] == 2 and entry.details["old"]["attempts_allowed"] == 1


# --- start -----------------------------------------------------------------------------------

def test_start_freezes_the_draw_and_is_idempotent(quiz, db_session):
    cohort, test, versions = quiz
    enrolment = cohort.enrolments[0]
    now = utcnow()
    attempt = attempts.start_attempt(test, enrolment, enrolment.user, versions=versions, now=now)
    assert attempt.status == "in_progress" and attempt.number == 1 and 0 <= attempt.seed < 2 ** 31
    assert attempt.deadline_at is None
    assert [s.slot for s in attempt.slots] == list(range(1, len(versions) + 1))
    assert [s.item_version_id for s in attempt.slots] == [v.id for v in versions]
    by_type = {s.version.qtype: s for s in attempt.slots}
    assert sorted(by_type["single"].option_order) == [0, 1, 2]
    assert sorted(by_type["matching"].option_order) == [0, 1, 2]
    assert by_type["truefalse"].option_order == []
    # starting again (another tab, a reload) gives the same attempt
    again = attempts.start_attempt(test, enrolment, enrolment.user, versions=versions, now=now + timedelta(minutes=5))
    assert again.id == attempt.id
    assert db_session.scalar(select(func.count()).select_from(Attempt).where(Attempt.test_id == test.id)) == 1
    # an edit makes a new version; the attempt keeps the one it showed
    item = versions[0].item
    item.versions.append(ItemVersion(number=2, qtype="single", text="Өзгертілген", data=versions[0].data))
    db_session.flush()
    db_session.expire_all()
    reloaded = attempts.get_attempt(attempt.id)
    assert reloaded.slots[0].version.number == 1 and reloaded.slots[0].version.text == "Сұрақ 1 (single)"


def test_option_order_differs_between_seeds(quiz, db_session):
    cohort, test, versions = quiz
    test.attempts_allowed = 40
    enrolment = cohort.enrolments[0]
    orders = set()
    for _ in range(12):
        attempt = attempts.start_attempt(test, enrolment, None, versions=versions[:1])
        orders.add(tuple(attempt.slots[0].option_order))
        attempts.submit(attempt.id, enrolment.user)
    assert len(orders) > 1


def test_start_refusals(quiz, make, db_session):
    cohort, test, versions = quiz
    enrolment = cohort.enrolments[0]
    now = utcnow()

    def refusal(t=test, e=enrolment, when=now):
        with pytest.raises(ServiceError) as exc:
            attempts.start_attempt(t, e, None, versions=versions, now=when)
        return exc.value

    test.status = "draft"
    assert refusal().message == "test '1-модуль бойынша тест' is draft: it cannot be taken"
    test.status = "published"
    test.opens_at, test.closes_at = now + timedelta(hours=1), now + timedelta(hours=2)
    assert refusal().message.startswith("test '1-модуль бойынша тест' opens at ")
    assert refusal(when=now + timedelta(hours=2)).message.startswith("test '1-модуль бойынша тест' closed at ")
    test.opens_at = test.closes_at = None
    other = make.cohort(code="QZ-OTHER", programme="LDR-DT", format_code="blended", participants=1)
    assert refusal(e=other.enrolments[0]).message == "test '1-модуль бойынша тест' belongs to another cohort"
    cohorts.set_status(cohort.enrolments[1], "withdrawn", None)
    assert refusal(e=cohort.enrolments[1]).message == \
        "the enrolment is withdrawn: a withdrawn participant takes no test"
    attempt = attempts.start_attempt(test, enrolment, None, versions=versions, now=now)
    attempts.submit(attempt.id, enrolment.user, now)
    e = refusal()
    assert isinstance(e, Conflict) and e.message == "all 1 attempt(s) allowed at '1-модуль бойынша тест' are used"
    test.attempts_allowed = 2
    second = attempts.start_attempt(test, enrolment, None, versions=versions, now=now)
    assert second.number == 2 and second.id != attempt.id


def test_deadline_is_the_time_limit_or_the_closing_time_whichever_comes_first(quiz):
    cohort, test, versions = quiz
    now = utcnow()
    test.time_limit_minutes, test.closes_at = 30, now + timedelta(hours=2)
    a = attempts.start_attempt(test, cohort.enrolments[0], None, versions=versions, now=now)
    assert a.deadline_at == now + timedelta(minutes=30)
    test.closes_at = now + timedelta(minutes=10)
    b = attempts.start_attempt(test, cohort.enrolments[1], None, versions=versions, now=now)
    assert b.deadline_at == now + timedelta(minutes=10)


# --- saving answers -----------------------------------------------------------------------------

def test_save_answer_stores_it_and_refuses_what_is_not_right(quiz, make, db_session):
    cohort, test, versions = quiz
    owner, other = cohort.enrolments[0].user, cohort.enrolments[1].user
    attempt = attempts.start_attempt(test, cohort.enrolments[0], None, versions=versions)
    single = attempt.slots[0]
    saved_at = attempts.save_answer(attempt.id, 1, shown(single, {"choice": 0}), owner)
    db_session.expire_all()
    slot = db_session.get(AttemptSlot, single.id)
    assert slot.answer == {"choice": 0} and slot.answered_at == saved_at
    # a second save replaces the first
    attempts.save_answer(attempt.id, 1, shown(single, {"choice": 2}), owner)
    db_session.expire_all()
    assert db_session.get(AttemptSlot, single.id).answer == {"choice": 2}

    with pytest.raises(ServiceError) as exc:
        attempts.save_answer(attempt.id, 1, {"choice": 9}, owner)
    assert exc.value.message == "choice 9 is out of range: there are 3 options (0 to 2)"
    with pytest.raises(NotFound) as exc:
        attempts.save_answer(attempt.id, 1, {"choice": 0}, other)
    assert exc.value.message == f"no attempt {attempt.id}"
    with pytest.raises(NotFound) as exc:
        attempts.save_answer(attempt.id, 99, {"choice": 0}, owner)
    assert exc.value.message == f"attempt {attempt.id} has no question 99"
    with pytest.raises(NotFound):
        attempts.save_answer(attempt.id + 1000, 1, {"choice": 0}, owner)
    attempts.submit(attempt.id, owner)
    with pytest.raises(AttemptClosed) as exc:
        attempts.save_answer(attempt.id, 1, {"choice": 0}, owner)
    assert exc.value.message == f"attempt {attempt.id} is finished: answers are no longer accepted"
    db_session.expire_all()
    assert db_session.get(AttemptSlot, single.id).answer == {"choice": 2}


def test_answers_count_until_the_deadline_plus_grace_and_never_after(quiz, db_session):
    cohort, test, versions = quiz
    user = cohort.enrolments[0].user
    test.time_limit_minutes, test.grace_seconds = 20, 60
    start = utcnow().replace(microsecond=0)
    attempt = attempts.start_attempt(test, cohort.enrolments[0], None, versions=versions, now=start)
    deadline = start + timedelta(minutes=20)
    assert attempt.deadline_at == deadline
    one = attempt.slots[0]
    # within the grace (a slow line): saved
    attempts.save_answer(attempt.id, 1, shown(one, {"choice": 0}), user, deadline + timedelta(seconds=59))
    # at deadline plus grace: refused, and the attempt is finished on the way
    with pytest.raises(AttemptClosed) as exc:
        attempts.save_answer(attempt.id, 2, shown(attempt.slots[1], {"choices": [0, 1]}), user,
                             deadline + timedelta(seconds=60))
    assert "time ran out" in exc.value.message and "the answer was not saved" in exc.value.message
    db_session.expire_all()
    finished = db_session.get(Attempt, attempt.id)
    assert finished.status == "finished" and finished.finished_at == deadline
    assert finished.score == 1.0 and finished.max_score == len(versions)
    assert db_session.get(AttemptSlot, attempt.slots[1].id).answer is None


def test_a_late_answer_that_reached_the_slot_never_counts(quiz, db_session):
    cohort, test, versions = quiz
    user = cohort.enrolments[0].user
    test.time_limit_minutes = 10
    start = utcnow()
    attempt = attempts.start_attempt(test, cohort.enrolments[0], None, versions=versions, now=start)
    answer_all(attempt, user, RIGHT, start + timedelta(minutes=1))
    # an answer written after the time ran out (by hand, by a bug): grading ignores it
    attempt.slots[0].answered_at = attempt.deadline_at + timedelta(seconds=test.grace_seconds)
    db_session.flush()
    result = attempts.submit(attempt.id, user, start + timedelta(minutes=5))
    assert result.score == len(versions) - 1
    assert result.slots[0].score == 0.0


# --- submit and grading --------------------------------------------------------------------------

def test_submit_scores_every_type_and_sets_band_and_pass(quiz, db_session):
    cohort, test, versions = quiz
    user = cohort.enrolments[0].user
    attempt = attempts.start_attempt(test, cohort.enrolments[0], None, versions=versions)
    answer_all(attempt, user, RIGHT)
    result = attempts.submit(attempt.id, user)
    assert [s.score for s in result.slots] == [1.0] * 6
    assert (result.status, result.score, result.max_score, result.percent) == ("finished", 6.0, 6.0, 100.0)
    assert (result.band, result.passed, result.pending_grading) == ("өте жақсы", True, 0)
    view = attempts.result_view(result, language="ru")
    assert view["band"] == "отлично" and view["hidden"] == ["answers"] and "answers" not in view


def test_partial_and_failing_results(quiz, db_session):
    cohort, test, versions = quiz
    user = cohort.enrolments[0].user
    attempt = attempts.start_attempt(test, cohort.enrolments[0], None, versions=versions)
    wrong = {**RIGHT, "single": {"choice": 1}, "multiple": {"choices": [0]}, "matching": {"pairs": {"0": "2"}},
             "short": {"text": "жаз"}, "numerical": {"value": 12.7}}
    answer_all(attempt, user, wrong)
    result = attempts.submit(attempt.id, user)
    # truefalse 1, multiple 0.5, matching 0.5
    assert result.score == 2.0 and result.percent == 33.33
    assert (result.band, result.passed) == ("қанағаттанарлықсыз", False)


def test_a_second_submit_grades_nothing_and_returns_the_first_result(quiz, db_session):
    cohort, test, versions = quiz
    user = cohort.enrolments[0].user
    attempt = attempts.start_attempt(test, cohort.enrolments[0], None, versions=versions)
    answer_all(attempt, user, RIGHT)
    first = attempts.submit(attempt.id, user)
    finished_at = first.finished_at
    second = attempts.submit(attempt.id, user, utcnow() + timedelta(minutes=3))
    assert second.id == first.id and second.finished_at == finished_at and second.score == 6.0
    graded = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "attempt_graded",
                                                         AuditEntry.object_id == str(attempt.id))).all()
    assert len(graded) == 1 and graded[0].details["percent"] == 100.0
    with pytest.raises(NotFound):
        attempts.submit(attempt.id, cohort.enrolments[1].user)


def test_essays_wait_for_a_grader_and_the_result_is_provisional_until_then(quiz, make, db_session):
    cohort, test, versions = quiz
    essays = build_items(db_session, [ESSAY, ESSAY])
    user = cohort.enrolments[0].user
    attempt = attempts.start_attempt(test, cohort.enrolments[0], None, versions=versions[:2] + essays)
    answers = {**RIGHT, "multiple": {"choices": [0]}}
    for s in attempt.slots[:3]:  # the second essay is left unanswered: it scores 0, nothing to grade
        attempts.save_answer(attempt.id, s.slot, shown(s, answers[s.version.qtype]), user)
    result = attempts.submit(attempt.id, user)
    assert result.pending_grading == 1
    assert (result.score, result.max_score, result.percent) == (1.5, 3.0, 50.0)  # over graded items only
    assert (result.band, result.passed) == (None, None)
    assert attempts.result_view(result)["provisional"] is True

    queue = attempts.grading_queue(test)
    assert [(q.attempt_id, q.slot) for q in queue] == [(attempt.id, 3)]
    grader = make.user("trainer")
    with pytest.raises(ServiceError) as exc:
        attempts.grade_essay(queue[0], 1.5, None, grader)
    assert exc.value.message == "score: a number from 0 to 1 (got 1.5)"
    with pytest.raises(ServiceError) as exc:
        attempts.grade_essay(result.slots[0], 1, None, grader)
    assert exc.value.message == "question 1 is a single item, scored automatically"
    attempts.grade_essay(queue[0], "0,5", "  Жақсы ой  ", grader)
    db_session.expire_all()
    graded = db_session.get(Attempt, attempt.id)
    assert (graded.pending_grading, graded.score, graded.max_score, graded.percent) == (0, 2.0, 4.0, 50.0)
    assert (graded.band, graded.passed) == ("қанағаттанарлық", True)
    assert graded.slots[2].feedback == "Жақсы ой"
    assert attempts.grading_queue(test) == []
    # a regrade replaces the score and is audited with the old one
    attempts.grade_essay(graded.slots[2], 1, None, grader)
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.action.in_(["essay_graded", "essay_regraded"]))
                                 .order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_id, e.details["old"], e.details["new"]) for e in entries] == \
        [("essay_graded", grader.id, None, 0.5), ("essay_regraded", grader.id, 0.5, 1.0)]
    assert db_session.get(Attempt, attempt.id).percent == 62.5


def test_grading_an_essay_of_an_attempt_in_progress_is_refused(quiz, db_session):
    cohort, test, _versions = quiz
    essays = build_items(db_session, [ESSAY])
    attempt = attempts.start_attempt(test, cohort.enrolments[0], None, versions=essays)
    with pytest.raises(Conflict) as exc:
        attempts.grade_essay(attempt.slots[0], 1, None, None)
    assert "still in progress" in exc.value.message


# --- overdue attempts ----------------------------------------------------------------------------

def test_sweep_finishes_only_attempts_past_deadline_plus_grace(quiz, db_session):
    cohort, test, versions = quiz
    test.time_limit_minutes, test.grace_seconds = 15, 30
    start = utcnow() - timedelta(hours=1)
    late = attempts.start_attempt(test, cohort.enrolments[0], None, versions=versions, now=start)
    attempts.save_answer(late.id, 3, {"value": True}, cohort.enrolments[0].user, start + timedelta(minutes=2))
    running = attempts.start_attempt(test, cohort.enrolments[1], None, versions=versions,
                                     now=utcnow() - timedelta(minutes=15, seconds=10))  # inside its grace
    assert attempts.finish_overdue() == 1
    assert attempts.finish_overdue() == 0
    db_session.expire_all()
    swept = db_session.get(Attempt, late.id)
    assert (swept.status, swept.finished_at, swept.score) == ("finished", swept.deadline_at, 1.0)
    assert db_session.get(Attempt, running.id).status == "in_progress"
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "attempt_graded"))
    assert entry.actor_id is None and entry.details["reason"] == "time ran out"


def test_an_overdue_attempt_is_finished_when_it_is_next_loaded(quiz, db_session):
    cohort, test, versions = quiz
    test.time_limit_minutes = 5
    attempt = attempts.start_attempt(test, cohort.enrolments[0], None, versions=versions,
                                     now=utcnow() - timedelta(minutes=10))
    assert attempts.get_attempt(attempt.id).status == "finished"
    # and a start after it does not resume it
    test.attempts_allowed = 2
    again = attempts.start_attempt(test, cohort.enrolments[0], None, versions=versions)
    assert again.number == 2


def test_closing_a_test_ends_the_attempts_in_progress(quiz, db_session):
    cohort, test, versions = quiz
    user = cohort.enrolments[0].user
    attempt = attempts.start_attempt(test, cohort.enrolments[0], None, versions=versions)
    tests.close_test(test, None)
    assert tests.state(test) == "closed"
    later = utcnow() + timedelta(seconds=test.grace_seconds + 1)
    with pytest.raises(AttemptClosed):
        attempts.save_answer(attempt.id, 1, {"choice": 0}, user, later)
    db_session.expire_all()
    assert db_session.get(Attempt, attempt.id).status == "finished"


def overdue_attempt(quiz, db_session) -> int:
    """An attempt of the quiz fixture's first participant whose minute ran out 4 minutes ago."""
    cohort, test, versions = quiz
    test.time_limit_minutes = 1
    attempt = attempts.start_attempt(test, cohort.enrolments[0], None, versions=versions,
                                     now=utcnow() - timedelta(minutes=5))
    db_session.commit()
    return attempt.id


def test_lms_quiz_sweep_command(app, runner, quiz, db_session):
    from lms.quizbank.cli_quiz import quiz_group

    if "quiz" not in app.cli.commands:  # until the plugin registers it
        app.cli.add_command(quiz_group)
    attempt_id = overdue_attempt(quiz, db_session)
    result = runner.invoke(args=["quiz", "sweep"])
    assert result.exit_code == 0, result.output
    assert result.output == "1 overdue attempt(s) finished and graded\n"
    db_session.expire_all()
    assert db_session.get(Attempt, attempt_id).status == "finished"
    assert runner.invoke(args=["quiz", "sweep"]).output == "0 overdue attempt(s) finished and graded\n"
