"""A person's data export holds their attempts with their own responses, marks only as far as
the test's review options show them at export time, the terms a trainer granted them and their
answers to surveys that were not anonymous; a trainer's holds the item versions they wrote and
the marks they gave, by id. Nobody else's responses, names or e-mails, and no answer key."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.core.models import User
from lms.courses.models import Cohort, Enrolment
from lms.db import db, utcnow
from lms.quizbank.models import Attempt, AttemptSlot, Item, ItemVersion, Test
from lms.quizbank.services import attempts, banks, survey, tests
from tests.conftest import personal_data, zip_text
from tests.quizbank.test_attempts import ESSAY, ITEMS, RIGHT, build_items, make_test, shown
from tests.quizbank.test_survey import full_answers, make_survey

CODE = "PRQ-1"
MY_ESSAY = "Бірінші тыңдаушының эссесі"
MY_DRAFT = "Аяқталмаған жауабым"
THEIR_ESSAY = "Екінші тыңдаушының эссесі"
GRADER_FEEDBACK = "Ойыңыз анық жазылған"
TRAINER_NAME = "Тренер Бақылаушы"
#: the single-choice item's feedback for its right option: the review shows it, or it stays out
KEY_FEEDBACK = "Иә, бас қала осы"
SINGLE = ("single", {"options": [{"text": "Астана", "fraction": 1.0, "feedback": KEY_FEEDBACK},
                                 {"text": "Алматы", "fraction": 0.0, "feedback": None},
                                 {"text": "Шымкент", "fraction": 0.0, "feedback": None}], "shuffle": True},
          {"choice": 0})


def _email(n: int) -> str:
    return f"{CODE.lower()}-p{n:02d}@test.kz"


def _user(n: int) -> User:
    return db.session.scalar(select(User).where(User.email == _email(n)))


def _take(test, n, essay, versions, *, finish=True) -> int:
    """Participant n answers every question right, the essay with `essay`."""
    user = _user(n)
    attempt = attempts.start_attempt(test, _enrolment(user), user, versions=versions)
    db.session.flush()
    for s in attempt.slots:
        stored = {"text": essay} if s.version.qtype == "essay" else RIGHT[s.version.qtype]
        attempts.save_answer(attempt.id, s.slot, shown(s, stored), user)
    if finish:
        attempts.submit(attempt.id, user)
    db.session.commit()
    return attempt.id


def _enrolment(user) -> Enrolment:
    return db.session.scalar(select(Enrolment).join(Enrolment.cohort).where(Enrolment.user_id == user.id,
                                                                            Cohort.code == CODE))


@pytest.fixture
def quizzes(make, db_session):
    """Participant 1 finished a test whose review waits for its closing and is half-way through
    another; participant 2 finished the other, which shows everything at once, and the trainer
    graded their essay. Both answered a named survey; participant 1 an anonymous one too. The
    trainer granted participant 1 an extra attempt and revised two items."""
    trainer = make.user("trainer", email="prq-trainer@test.kz", full_name=TRAINER_NAME)
    cohort = make.cohort(code=CODE, programme="LDR-DT", format_code="blended", participants=2, trainer=trainer)
    versions = build_items(db_session, [SINGLE, *ITEMS[1:], ESSAY], bank_code="TSTPRQ")
    everything = {"score": True, "band": True, "answers": True}
    held = make_test(cohort, title="Жабылғанша жасырын", closes_at=utcnow() + timedelta(days=2),
                     review_options={**everything, "when": "after_close"})
    open_ = make_test(cohort, title="Бірден көрінетін", review_options={**everything, "when": "immediately"})
    db_session.commit()
    ids = {"held": held.id, "open": open_.id}
    ids["my_held"] = _take(held, 1, MY_ESSAY, versions)
    ids["my_draft"] = _take(open_, 1, MY_DRAFT, versions, finish=False)
    ids["theirs"] = _take(open_, 2, THEIR_ESSAY, versions)

    their_attempt = db_session.get(Attempt, ids["theirs"])
    essay_slot = next(s for s in their_attempt.slots if s.version.qtype == "essay")
    attempts.grade_essay(essay_slot, "0,5", GRADER_FEEDBACK, trainer)
    ids["essay_slot"] = essay_slot.id
    me = _user(1)
    attempts.grant_extra_attempt(db_session.get(Test, ids["open"]), _enrolment(me), trainer)

    questions = "L*: Курс пайдалы болды\nO: Пікіріңіз"
    named = make_survey(cohort, anonymous=False, questions=questions, title="Атаулы сауалнама")
    hidden = make_survey(cohort, anonymous=True, questions=questions, title="Жасырын сауалнама",
                         kind="entry_survey")
    for test, n, text in ((named, 1, "Менің ашық пікірім"), (hidden, 1, "Менің жасырын пікірім"),
                          (named, 2, "Бөтен пікір")):
        user = _user(n)
        survey.submit(test, _enrolment(user), full_answers(survey.questions_of(test), 4, text), user)

    single = db_session.scalar(select(Item).join(ItemVersion).where(Item.code.like("TSTPRQ-%"),
                                                                    ItemVersion.qtype == "single"))
    essay = db_session.scalar(select(Item).join(ItemVersion).where(Item.code.like("TSTPRQ-%"),
                                                                   ItemVersion.qtype == "essay"))
    banks.revise_item(single, {"title": "Тренер берген атау"}, trainer)  # the text and key stay another's
    banks.revise_item(essay, {"text": "Тренер жазған эссе сұрағы"}, trainer)
    ids.update(single=single.code, essay=essay.code)
    db_session.commit()
    return ids


def test_a_result_held_until_the_test_closes_stays_out_and_comes_once_it_closed(client, auth, quizzes, db_session):
    auth.login(_email(1))
    archive = personal_data(client.post("/profile/my-data.zip"))
    data = json.loads(archive.read("quizbank/data.json"))
    rows = {a["attempt_id"]: a for a in data["attempts"]}
    assert set(rows) == {quizzes["my_held"], quizzes["my_draft"]}  # not the other participant's attempt
    held = rows[quizzes["my_held"]]
    assert (held["test"], held["cohort"], held["status"]) == ("Жабылғанша жасырын", CODE, "finished")
    for withheld in ("score", "max", "percent", "passed", "band", "topics"):
        assert withheld not in held
    assert {"score", "band", "answers"} <= set(held["hidden"]) and held["shown_after"]
    answers = [a for a in data["answers"] if a["attempt_id"] == quizzes["my_held"]]
    assert len(answers) == 7 and {a["response"] for a in answers if a["item_code"] == quizzes["essay"]} == {MY_ESSAY}
    single = next(a for a in answers if a["item_code"] == quizzes["single"])
    assert single["response"] == "Астана" and sorted(o["text"] for o in single["shown"]["options"]) == [
        "Алматы", "Астана", "Шымкент"]
    assert all("score" not in a and "feedback" not in a for a in answers)

    # in progress: the responses so far, no mark at all
    draft = rows[quizzes["my_draft"]]
    assert draft["status"] == "in_progress" and "score" not in draft and "percent" not in draft
    drafted = [a for a in data["answers"] if a["attempt_id"] == quizzes["my_draft"]]
    assert MY_DRAFT in [a["response"] for a in drafted] and all("score" not in a for a in drafted)

    assert data["personal_terms"] == [{"test": "Бірден көрінетін", "cohort": CODE, "extra_attempts": 1,
                                       "extra_minutes": 0, "opens_at": None, "closes_at": None,
                                       "changed_at": data["personal_terms"][0]["changed_at"]}]
    assert {(s["survey"], s["question_kind"], s["likert"], s["text"]) for s in data["survey_answers"]} == {
        ("Атаулы сауалнама", "likert", 4, None), ("Атаулы сауалнама", "open", None, "Менің ашық пікірім")}
    assert data["item_versions_written"] == [] and data["marks_given"] == []

    quizbank = archive.read("quizbank/data.json").decode()
    # no key: the fractions, the options' feedback and the right answers are not in the review
    assert "fraction" not in quizbank and KEY_FEEDBACK not in quizbank and "right_answer" not in quizbank
    everything = zip_text(archive)
    for absent in (THEIR_ESSAY, "Бөтен пікір", "Қатысушы 02", _email(2), TRAINER_NAME, "prq-trainer@test.kz",
                   # an anonymous survey: neither the answers nor that they answered
                   "Менің жасырын пікірім", "Жасырын сауалнама", "Тренер жазған эссе сұрағы"):
        assert absent not in everything, absent

    # the rule is the result page's, asked at export time: once the test closed, the result is theirs
    tests.close_test(db_session.get(Test, quizzes["held"]), None)
    db_session.commit()
    expected = db_session.get(Attempt, quizzes["my_held"])
    data = json.loads(personal_data(client.post("/profile/my-data.zip")).read("quizbank/data.json"))
    held = next(a for a in data["attempts"] if a["attempt_id"] == quizzes["my_held"])
    assert "hidden" not in held and (held["score"], held["percent"]) == (expected.score, expected.percent)
    assert held["pending_grading"] == 1 and held["provisional"] is True  # the essay waits for its grade
    answers = [a for a in data["answers"] if a["attempt_id"] == quizzes["my_held"]]
    assert sorted(a["score"] for a in answers if a["score"] is not None) == [1.0] * 6
    assert KEY_FEEDBACK in [a["feedback"] for a in answers]  # the option's feedback, now shown


def test_a_result_shown_at_once_comes_with_its_marks_and_the_graders_feedback_without_their_name(
        client, auth, quizzes, db_session):
    expected = db_session.get(Attempt, quizzes["theirs"])
    score, percent, band = expected.score, expected.percent, expected.band
    auth.login(_email(2))
    archive = personal_data(client.post("/profile/my-data.zip"))
    data = json.loads(archive.read("quizbank/data.json"))
    [row] = data["attempts"]
    assert (row["attempt_id"], row["status"], row["test"]) == (quizzes["theirs"], "finished", "Бірден көрінетін")
    assert (row["score"], row["max"], row["percent"], row["band"], row["passed"]) == (score, 7.0, percent, band, True)
    assert "hidden" not in row and row["pending_grading"] == 0
    assert [t["topic"] for t in row["topics"]] == ["1.1"]
    answers = data["answers"]
    assert [a["slot"] for a in answers] == list(range(1, 8)) and all(a["max"] == 1.0 for a in answers)
    essay = next(a for a in answers if a["item_code"] == quizzes["essay"])
    assert (essay["response"], essay["score"], essay["feedback"]) == (THEIR_ESSAY, 0.5, GRADER_FEEDBACK)
    assert essay["question"] != "Тренер жазған эссе сұрағы"  # the version they were shown
    assert data["personal_terms"] == [] and [s["text"] for s in data["survey_answers"]] == [None, "Бөтен пікір"]

    quizbank = archive.read("quizbank/data.json").decode()
    assert "fraction" not in quizbank and "right_answer" not in quizbank
    everything = zip_text(archive)
    for absent in (MY_ESSAY, MY_DRAFT, "Менің ашық пікірім", "Қатысушы 01", _email(1), TRAINER_NAME,
                   "prq-trainer@test.kz"):
        assert absent not in everything, absent


def test_a_trainer_gets_what_they_wrote_and_the_marks_they_gave_by_id(client, auth, quizzes, db_session):
    essay_slot = db_session.get(AttemptSlot, quizzes["essay_slot"])
    attempt_id = essay_slot.attempt_id
    auth.login("prq-trainer@test.kz")
    archive = personal_data(client.post("/profile/my-data.zip"))
    data = json.loads(archive.read("quizbank/data.json"))
    written = {(v["item_code"], v["version"]): v for v in data["item_versions_written"]}
    assert set(written) == {(quizzes["single"], 2), (quizzes["essay"], 2)}  # not the versions 1 another made
    titled = written[(quizzes["single"], 2)]
    assert titled["title"] == "Тренер берген атау" and titled["bank"] == "TSTPRQ"
    # what the revision copied from the version before is another's: named, not written out
    assert (titled["text"], titled["data"]) == (None, None) and titled["unchanged"] == ["text", "general_feedback",
                                                                                        "data"]
    assert written[(quizzes["essay"], 2)]["text"] == "Тренер жазған эссе сұрағы"
    assert data["marks_given"] == [{"at": data["marks_given"][0]["at"], "action": "essay_graded",
                                    "attempt_slot_id": quizzes["essay_slot"], "attempt_id": attempt_id,
                                    "test": "Бірден көрінетін", "cohort": CODE, "question": essay_slot.slot,
                                    "mark": 0.5}]
    assert data["attempts"] == [] and data["answers"] == [] and data["survey_answers"] == []

    everything = zip_text(archive)
    for absent in ("Қатысушы 01", "Қатысушы 02", _email(1), _email(2), THEIR_ESSAY, MY_ESSAY, GRADER_FEEDBACK,
                   "Астана", "fraction"):
        assert absent not in everything, absent


def test_the_export_reads_one_statement_a_section_however_many_rows(app, quizzes, db_session, count_queries):
    from lms.quizbank.privacy import export

    def statements(email) -> int:
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        with app.test_request_context():
            user = db.session.get(User, user_id)
            with count_queries() as q:
                export(user)
        return len(q)

    # attempts and their slots, terms, surveys, versions written, marks given: seven questions, one statement
    assert statements(_email(2)) == 6
    # two attempts read as one: only the result held until closing asks when the test closes for anyone
    # (result_view, to tell them when it is shown)
    assert statements(_email(1)) == 7
    # no attempt, so no slots to read; the marks given, then where their slots are
    assert statements("prq-trainer@test.kz") == 6
