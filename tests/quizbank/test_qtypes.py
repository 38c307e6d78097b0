"""Question types: scoring per docs/quizbank-items.md, answer checking, seeded shuffles, and a
participant's view that never gives the key away."""
import json
import random

import pytest

from lms.core.services.errors import ServiceError
from lms.quizbank.models import QUESTION_TYPES as MODEL_TYPES
from lms.quizbank.qtypes import QUESTION_TYPES, parse_number

SINGLE = {"options": [{"text": "no one", "fraction": 1.0, "feedback": "Right"},
                      {"text": "Grant", "fraction": 0.0, "feedback": "No"},
                      {"text": "Jefferson", "fraction": 0.0, "feedback": None}], "shuffle": True}
MULTIPLE = {"options": [{"text": "No one", "fraction": -1.0, "feedback": None},
                        {"text": "Grant", "fraction": 0.5, "feedback": None},
                        {"text": "Grant's wife", "fraction": 0.5, "feedback": "Julia"},
                        {"text": "Grant's father", "fraction": -1.0, "feedback": None}], "shuffle": True}
MATCHING = {"pairs": [{"question": "Canada", "answer": "Ottawa"}, {"question": "Italy", "answer": "Rome"},
                      {"question": "Japan", "answer": "Tokyo"}, {"question": "India", "answer": "New Delhi"}],
            "extra_answers": ["London"]}
SHORT = {"answers": [{"text": "four", "fraction": 1.0, "feedback": None},
                     {"text": "4", "fraction": 1.0, "feedback": None},
                     {"text": "fo*r", "fraction": 0.5, "feedback": "Almost"}], "case_sensitive": False}
NUMERICAL = {"answers": [{"value": 1822, "tolerance": 0, "fraction": 1.0, "feedback": "Correct"},
                         {"value": 1822, "tolerance": 2, "fraction": 0.5, "feedback": "Close"}]}


def qt(name):
    return QUESTION_TYPES[name]


def test_every_model_type_is_registered():
    assert set(QUESTION_TYPES) == set(MODEL_TYPES)
    assert [QUESTION_TYPES[k].id for k in MODEL_TYPES] == list(MODEL_TYPES)


def test_single_choice_scores_the_chosen_fraction_never_below_zero():
    data = {"options": [{"text": "a", "fraction": 1.0}, {"text": "b", "fraction": -0.5},
                        {"text": "c", "fraction": 0.3}]}
    assert qt("single").score(data, {"choice": 0}) == 1.0
    assert qt("single").score(data, {"choice": 1}) == 0.0
    assert qt("single").score(data, {"choice": 2}) == pytest.approx(0.3)
    assert qt("single").score(data, None) == 0.0
    assert qt("single").feedback(SINGLE, {"choice": 1}) == "No"


def test_multiple_choice_sums_shares_clamped_to_zero_and_one():
    m = qt("multiple")
    assert m.score(MULTIPLE, {"choices": [1, 2]}) == 1.0
    assert m.score(MULTIPLE, {"choices": [1]}) == 0.5
    assert m.score(MULTIPLE, {"choices": [1, 2, 0]}) == 0.0  # 0.5 + 0.5 - 1
    assert m.score(MULTIPLE, {"choices": [0, 3]}) == 0.0  # -2 clamps to 0
    assert m.score(MULTIPLE, {"choices": []}) == 0.0
    three = {"options": [{"text": str(i), "fraction": 1 / 3} for i in range(3)]}
    assert m.score(three, {"choices": [0, 1, 2]}) == 1.0  # not 0.9999999999999999


def test_truefalse_matching_short_numerical_and_essay_scores():
    tf = {"correct": False, "feedback_true": "No one is buried there", "feedback_false": "You got it!"}
    assert qt("truefalse").score(tf, {"value": False}) == 1.0
    assert qt("truefalse").score(tf, {"value": True}) == 0.0
    assert qt("truefalse").feedback(tf, {"value": True}) == "No one is buried there"

    m = qt("matching")
    assert m.score(MATCHING, {"pairs": {"0": "Ottawa", "1": "Rome", "2": "Tokyo", "3": "New Delhi"}}) == 1.0
    assert m.score(MATCHING, {"pairs": {"0": "Ottawa", "1": "London", "2": "Tokyo", "3": "New Delhi"}}) == 0.75
    assert m.score(MATCHING, {"pairs": {"0": "Ottawa"}}) == 0.25  # unanswered pairs are wrong

    s = qt("short")
    assert s.score(SHORT, {"text": "Four"}) == 1.0
    assert s.score(SHORT, {"text": "foor"}) == 0.5  # the wildcard
    assert s.feedback(SHORT, {"text": "foooor"}) == "Almost"
    assert s.score(SHORT, {"text": "five"}) == 0.0

    n = qt("numerical")
    assert n.score(NUMERICAL, {"value": 1822.0}) == 1.0
    assert n.score(NUMERICAL, {"value": 1824.0}) == 0.5  # the edge of the tolerance counts
    assert n.score(NUMERICAL, {"value": 1824.5}) == 0.0
    pi = {"answers": [{"value": 3.1415, "tolerance": 0.0005, "fraction": 1.0}]}
    assert n.score(pi, {"value": 3.141}) == 1.0 and n.score(pi, {"value": 3.142}) == 1.0
    assert n.score(pi, {"value": 3.1409}) == 0.0
    # a GIFT range 1..5 is stored as its midpoint 3 plus or minus 2
    assert n.score({"answers": [{"value": 3, "tolerance": 2, "fraction": 1}]}, {"value": 5}) == 1.0

    assert qt("essay").score({"grader_info": None}, {"text": "My essay"}) is None


@pytest.mark.parametrize("pattern,given,case,matches", [
    ("fo*r", "FOR", False, True),
    ("fo*r", "four", False, True),
    ("fo*r", "fourth", False, False),  # the whole answer must match
    ("*", "anything at all", False, True),
    ("Astana", "astana", True, False),  # case-sensitive item
    ("Astana", "Astana", True, True),
    ("қазақ тілі", "  ҚАЗАҚ   тілі ", False, True),  # whitespace and Kazakh case folded
    ("әліппе", "a\u0306", False, False),
    ("café", "cafe\u0301", False, True),  # NFC: e + combining acute is é
    ("a.b", "axb", False, False),  # only * is special
    ("5\\*3", "5*3", False, True),  # an escaped star is a star
    ("5\\*3", "513", False, False),
])
def test_short_answer_wildcards_case_and_normalization(pattern, given, case, matches):
    data = {"answers": [{"text": pattern, "fraction": 1.0}], "case_sensitive": case}
    answer = qt("short").validate_answer(data, {"text": given})
    assert (qt("short").score(data, answer) == 1.0) is matches


@pytest.mark.parametrize("typed,value", [("12,5", 12.5), ("12.5", 12.5), (" -3 ", -3.0), (7, 7.0),
                                         ("1 000,5", 1000.5), ("\u22122,5", -2.5), ("1e3", 1000.0)])
def test_numbers_are_read_as_typed(typed, value):
    assert parse_number(typed) == value
    assert qt("numerical").validate_answer(NUMERICAL, {"value": typed}) == {"value": value}


@pytest.mark.parametrize("typed", ["12,5,1", "twelve", "", "nan", "inf", True, None, "1.2.3"])
def test_numbers_that_are_not_numbers_are_refused(typed):
    with pytest.raises(ServiceError) as exc:
        qt("numerical").validate_answer(NUMERICAL, {"value": typed})
    assert exc.value.field == "answer"


@pytest.mark.parametrize("name,data,answer,message", [
    ("single", SINGLE, {"choice": 3}, "choice 3 is out of range: there are 3 options (0 to 2)"),
    ("single", SINGLE, {"choice": True}, "choice must be a whole number (got True)"),
    ("single", SINGLE, {"choices": [0]}, 'a single-choice answer is {"choice": <option>}'),
    ("single", SINGLE, "0", 'the answer must be an object, e.g. {"choice": 0}'),
    ("multiple", MULTIPLE, {"choices": [1, 1]}, "an option is chosen twice"),
    ("multiple", MULTIPLE, {"choices": 1}, 'a multiple-choice answer is {"choices": [<option>, ...]}'),
    ("truefalse", {"correct": True}, {"value": "maybe"}, 'a true/false answer is {"value": true} or {"value": false}'),
    ("matching", MATCHING, {"pairs": {"7": "Rome"}}, "question '7' is not one of 0 to 3"),
    ("matching", MATCHING, {"pairs": {"0": "Paris"}}, "question 0: 'Paris' is not one of the answers"),
    ("short", SHORT, {"text": 4}, 'a short answer is {"text": "..."}'),
    ("short", SHORT, {"text": "x" * 501}, "a short answer takes at most 500 characters (got 501)"),
    ("essay", {}, {"text": "x" * 20_001}, "an essay takes at most 20000 characters (got 20001)"),
])
def test_answers_of_the_wrong_shape_are_refused_with_the_reason(name, data, answer, message):
    with pytest.raises(ServiceError) as exc:
        qt(name).validate_answer(data, answer)
    assert exc.value.message == message and exc.value.field == "answer"


def test_answers_are_normalized():
    assert qt("multiple").validate_answer(MULTIPLE, {"choices": [2, "1"]}) == {"choices": [1, 2]}
    assert qt("truefalse").validate_answer({}, {"value": "true"}) == {"value": True}
    assert qt("matching").validate_answer(MATCHING, {"pairs": {3: "New Delhi", "0": "Ottawa", "1": ""}}) == \
        {"pairs": {"0": "Ottawa", "3": "New Delhi"}}
    assert qt("essay").validate_answer({}, {"text": "  cafe\u0301 "}) == {"text": "café"}


def test_the_shuffle_is_fixed_by_the_seed_and_can_be_turned_off():
    orders = {tuple(qt("single").shuffle_order(SINGLE, random.Random(seed))) for seed in range(40)}
    assert len(orders) > 1 and all(sorted(o) == [0, 1, 2] for o in orders)
    assert qt("single").shuffle_order(SINGLE, random.Random(7)) == qt("single").shuffle_order(SINGLE, random.Random(7))
    assert qt("single").shuffle_order({**SINGLE, "shuffle": False}, random.Random(7)) == [0, 1, 2]
    assert sorted(qt("matching").shuffle_order(MATCHING, random.Random(1))) == [0, 1, 2, 3, 4]
    assert qt("truefalse").shuffle_order({"correct": True}, random.Random(1)) == []


def test_a_participant_answers_by_shown_position_and_the_key_is_not_in_the_view():
    single = qt("single")
    order = [2, 0, 1]  # shown: Jefferson, no one, Grant
    view = single.public_view(SINGLE, order)
    assert view == {"options": [{"value": 0, "text": "Jefferson"}, {"value": 1, "text": "no one"},
                                {"value": 2, "text": "Grant"}]}
    stored = single.from_shown(SINGLE, order, {"choice": 1})
    assert stored == {"choice": 0} and single.score(SINGLE, stored) == 1.0
    assert single.to_shown(SINGLE, order, stored) == {"choice": 1}
    with pytest.raises(ServiceError):
        single.from_shown(SINGLE, order, {"choice": 3})

    multiple = qt("multiple")
    order = [3, 2, 1, 0]
    stored = multiple.from_shown(MULTIPLE, order, {"choices": [1, 2]})
    assert stored == {"choices": [1, 2]} and multiple.score(MULTIPLE, stored) == 1.0
    assert multiple.from_shown(MULTIPLE, order, {"choices": [0]}) == {"choices": [3]}
    assert multiple.to_shown(MULTIPLE, order, {"choices": [3]}) == {"choices": [0]}

    for name, data in (("single", SINGLE), ("multiple", MULTIPLE), ("matching", MATCHING),
                       ("truefalse", {"correct": True, "feedback_true": "Yes!", "feedback_false": "Wrong"}),
                       ("short", SHORT), ("numerical", NUMERICAL), ("essay", {"grader_info": "Look for X"})):
        text = json.dumps(qt(name).public_view(data, qt(name).shuffle_order(data, random.Random(3))))
        for secret in ("fraction", "feedback", "correct", "Right", "Julia", "Yes!", "Wrong", "four", "1822",
                       "tolerance", "Look for X", "pairs"):
            assert secret not in text, (name, secret, text)


def test_matching_view_keeps_questions_and_shuffles_each_answer_once():
    data = {"pairs": [{"question": "2+2", "answer": "4"}, {"question": "3+1", "answer": "4"},
                      {"question": "1+1", "answer": "2"}], "extra_answers": ["5"]}
    order = qt("matching").shuffle_order(data, random.Random(5))
    view = qt("matching").public_view(data, order)
    assert [q["text"] for q in view["questions"]] == ["2+2", "3+1", "1+1"]
    assert sorted(view["answers"]) == ["2", "4", "5"]
    assert qt("matching").score(data, {"pairs": {"0": "4", "1": "4", "2": "5"}}) == pytest.approx(2 / 3)


def test_answers_and_keys_read_in_the_options_own_words(app):
    """What the responses report writes (Moodle's response and right-answer summaries)."""
    with app.test_request_context():
        assert qt("single").summary(SINGLE, {"choice": 1}) == "Grant"
        assert qt("single").right_answer(SINGLE) == "no one"
        # every option that earns something makes the key, in the data's order
        assert qt("multiple").summary(MULTIPLE, {"choices": [3, 1]}) == "Grant; Grant's father"
        assert qt("multiple").right_answer(MULTIPLE) == "Grant; Grant's wife"
        assert qt("matching").summary(MATCHING, {"pairs": {"1": "Rome", "3": "London"}}) == \
            "Canada → –; Italy → Rome; Japan → –; India → London"
        # the best-scoring answers only: "fo*r" earns half
        assert qt("short").right_answer(SHORT) == "four; 4"
        assert qt("numerical").right_answer(NUMERICAL) == "1822"
        assert qt("numerical").summary(NUMERICAL, {"value": 1821.0}) == "1821"
        assert qt("essay").right_answer({}) == ""
        for name, data in (("single", SINGLE), ("multiple", MULTIPLE), ("truefalse", {"correct": True}),
                           ("matching", MATCHING), ("short", SHORT), ("numerical", NUMERICAL), ("essay", {})):
            assert qt(name).summary(data, None) == ""  # not answered
