"""The draw an attempt starts with: complete and valid under the blueprint, even exposure
over many attempts, items a participant has seen avoided, and a bounded cost in SQL."""
import random
from collections import Counter

import pytest

from lms.courses.models import Enrolment
from lms.quizbank.models import Attempt, AttemptSlot, Bank, Blueprint, Item, ItemVersion
from lms.quizbank.models import Test as QuizTest
from lms.quizbank.services.draw import ShortPool, count_exposure, draw_for, feasible, select_items

# LDR-SUS final: 24 items from 16 topics, 1 to 3 each, 6 to 15 ready items per topic
LDR_POOL_SIZES = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 6, 8, 10, 12, 15, 9]


def plain_pool(sizes, levels="KUAH"):
    """Item ids per topic "T<k>" (ids unique across topics) and a level for each."""
    pool, level_of, next_id = {}, {}, 1
    for k, size in enumerate(sizes):
        pool[f"T{k}"] = list(range(next_id, next_id + size))
        for i in pool[f"T{k}"]:
            level_of[i] = levels[i % len(levels)]
        next_id += size
    return pool, level_of


def simulate(rules, total, pool, attempts, participants, **kw):
    """`attempts` draws shared round-robin by `participants`, each remembering what they saw,
    exposure counted as draw_for counts it. Returns the draws and the exposure."""
    exposure, seen, draws = Counter(), {}, []
    for n in range(attempts):
        mine = seen.setdefault(n % participants, set())
        ids = select_items(rules, total, pool, mine, exposure, random.Random(1000 + n), **kw)
        draws.append(ids)
        mine.update(ids)
        exposure.update(ids)
    return draws, exposure


def exposure_ratios(pool, exposure):
    return {t: max(exposure[i] for i in ids) / max(1, min(exposure[i] for i in ids)) for t, ids in pool.items()}


def test_1000_ldr_final_draws_are_complete_valid_and_evenly_exposed():
    pool, _ = plain_pool(LDR_POOL_SIZES)
    rules = [{"topic": t, "min": 1, "max": 3} for t in pool]
    topic_of = {i: t for t, ids in pool.items() for i in ids}
    draws, exposure = simulate(rules, 24, pool, 1000, participants=400)
    per_topic_counts = Counter()
    for ids in draws:
        assert len(ids) == 24 and len(set(ids)) == 24
        counts = Counter(topic_of[i] for i in ids)
        assert set(counts) == set(pool) and all(1 <= n <= 3 for n in counts.values()), counts
        per_topic_counts.update(counts.values())
    # the spread is real: topics get 1, 2 and 3 items across the attempts
    assert set(per_topic_counts) == {1, 2, 3}
    ratios = exposure_ratios(pool, exposure)
    assert max(ratios.values()) <= 2, ratios
    # every ready item is used, and least-exposed-first keeps each topic nearly flat
    assert min(exposure[i] for ids in pool.values() for i in ids) > 0
    assert max(ratios.values()) < 1.1, ratios


def test_1000_tch_draws_take_exactly_two_per_topic_evenly():
    pool, _ = plain_pool([5] * 12)
    rules = [{"topic": t, "min": 2, "max": 2} for t in pool]
    topic_of = {i: t for t, ids in pool.items() for i in ids}
    draws, exposure = simulate(rules, 24, pool, 1000, participants=250)
    for ids in draws:
        assert len(set(ids)) == 24
        assert set(Counter(topic_of[i] for i in ids).values()) == {2}
    ratios = exposure_ratios(pool, exposure)
    assert max(ratios.values()) <= 2, ratios
    assert sorted(set(exposure.values())) == [400]  # 1,000 draws x 2 per topic / 5 items


def test_the_draw_is_fixed_by_its_seed():
    pool, _ = plain_pool(LDR_POOL_SIZES)
    rules = [{"topic": t, "min": 1, "max": 3} for t in pool]
    first = select_items(rules, 24, pool, set(), {}, random.Random(42))
    assert select_items(rules, 24, pool, set(), {}, random.Random(42)) == first
    others = {tuple(select_items(rules, 24, pool, set(), {}, random.Random(s))) for s in range(20)}
    assert len(others) == 20
    # the order is shuffled as a whole, not grouped by topic
    topic_of = {i: t for t, ids in pool.items() for i in ids}
    assert [topic_of[i] for i in first] != sorted(topic_of[i] for i in first)


def test_a_participant_is_not_shown_seen_items_while_the_pool_allows():
    pool, _ = plain_pool([6] * 4)
    rules = [{"topic": t, "min": 2, "max": 2} for t in pool]
    seen: set[int] = set()
    exposure = Counter({i: 50 for i in pool["T0"][:2]})  # exposure comes second to not having seen
    rounds = []
    for n in range(3):
        ids = select_items(rules, 8, pool, seen, exposure, random.Random(n))
        assert not seen & set(ids)
        rounds.append(ids)
        seen.update(ids)
    assert seen == {i for ids in pool.values() for i in ids}  # three attempts saw every item once
    # a fourth attempt must repeat: it still draws a full, valid test
    assert len(set(select_items(rules, 8, pool, seen, exposure, random.Random(9)))) == 8


def test_level_quotas_are_met_even_when_one_topic_holds_the_rare_level():
    # only topic T3 has H items (2 of them); the quotas ask for 2 H items
    pool, level_of = plain_pool([6, 6, 6, 6], levels="KUA")
    for i in pool["T3"][:2]:
        level_of[i] = "H"
    rules = [{"topic": t, "min": 1, "max": 3} for t in pool]
    quotas = {"H": 2, "A": 3, "K": 2}
    draws, exposure = simulate(rules, 8, pool, 200, participants=50, level_quotas=quotas, level_of=level_of)
    for ids in draws:
        levels = Counter(level_of[i] for i in ids)
        assert all(levels[lv] >= n for lv, n in quotas.items()), levels
        assert len(set(ids)) == 8
    assert exposure[pool["T3"][0]] == exposure[pool["T3"][1]] == 200


def test_a_short_pool_is_refused_naming_the_topic():
    pool, _ = plain_pool([6, 1])
    rules = [{"topic": "T0", "min": 1, "max": 3}, {"topic": "T1", "min": 2, "max": 3}]
    with pytest.raises(ShortPool) as exc:
        select_items(rules, 4, pool, set(), {}, random.Random(1))
    assert "topic T1: 1 ready items, the test needs at least 2 (1 short)" in exc.value.message
    assert feasible(3, {"T0": (1, 3), "T1": (0, 1)}, {("T0", "K"): 6, ("T1", "K"): 1}, {})
    assert not feasible(5, {"T0": (1, 3), "T1": (0, 1)}, {("T0", "K"): 6, ("T1", "K"): 1}, {})
    assert not feasible(3, {"T0": (1, 3), "T1": (0, 1)}, {("T0", "K"): 6, ("T1", "H"): 1}, {"H": 2})


# --- draw_for on the database ----------------------------------------------------------------

def build_bank(db_session, code, topics, programme="TCH-SUS", status="ready"):
    """A bank with `topics[code]` items per topic, one single-choice version each."""
    bank = Bank(code=code, programme_code=programme, title=f"{code} bank")
    db_session.add(bank)
    for topic, n in topics.items():
        for k in range(1, n + 1):
            bank.items.append(Item(
                code=f"{code}-{topic}-K-{k:03d}", topic_code=topic, module_number=int(topic.split(".")[0]),
                level="K", status=status,
                versions=[ItemVersion(qtype="single", text=f"{topic} question {k}", data={"options": [
                    {"text": "yes", "fraction": 1.0, "feedback": None},
                    {"text": "no", "fraction": 0.0, "feedback": None}], "shuffle": True})]))
    db_session.flush()
    return bank


def make_test(db_session, cohort, bank, rules, total, code="FINAL"):
    blueprint = Blueprint(bank_id=bank.id, code=code, title=code, total=total, rules=rules)
    test = QuizTest(cohort_id=cohort.id, kind="final", title=code, blueprint=blueprint, status="published")
    db_session.add(test)
    db_session.flush()
    return test


def record_attempt(db_session, test, enrolment, versions, number=1):
    """What the attempts service keeps of a start: the frozen slots and the exposure counted."""
    attempt = Attempt(test_id=test.id, enrolment_id=enrolment.id, number=number, seed=number,
                      slots=[AttemptSlot(slot=n, item_version_id=v.id) for n, v in enumerate(versions, 1)])
    db_session.add(attempt)
    db_session.flush()
    count_exposure(versions)
    return attempt


def test_draw_for_takes_ready_items_current_versions_and_counts_exposure(make, db_session, count_queries):
    cohort = make.cohort(code="DRAW-1", programme="TCH-SUS", participants=1)
    bank = build_bank(db_session, "TSTDRAWA", {"1.1": 4, "1.2": 3})
    items = {i.code: i for i in bank.items}
    items["TSTDRAWA-1.1-K-001"].status = "draft"
    items["TSTDRAWA-1.1-K-002"].status = "retired"
    items["TSTDRAWA-1.2-K-001"].versions.append(ItemVersion(number=2, qtype="single", text="edited", data={}))
    bank.items.append(Item(code="TSTDRAWA-2.1-K-001", topic_code="2.1", module_number=2, status="ready",
                           versions=[ItemVersion(qtype="single", text="outside the rules", data={})]))
    test = make_test(db_session, cohort, bank, [{"topic": "1.1", "min": 1, "max": 2},
                                                {"topic": "1.2", "min": 2, "max": 3}], total=5)
    enrolment = cohort.enrolments[0]
    test_id, enrolment_id = test.id, enrolment.id
    db_session.commit()
    db_session.expire_all()
    test, enrolment = db_session.get(QuizTest, test_id), db_session.get(Enrolment, enrolment_id)

    with count_queries() as q:
        versions = draw_for(test, enrolment, seed=7)
    assert len(q) <= 3, q  # the blueprint, the items' rows, the drawn versions
    # only the two ready items of 1.1 and the three of 1.2 can fill five places
    codes = sorted(v.item.code for v in versions)
    assert codes == ["TSTDRAWA-1.1-K-003", "TSTDRAWA-1.1-K-004", "TSTDRAWA-1.2-K-001", "TSTDRAWA-1.2-K-002",
                     "TSTDRAWA-1.2-K-003"]
    edited = next(v for v in versions if v.item.code == "TSTDRAWA-1.2-K-001")
    assert (edited.number, edited.text) == (2, "edited")
    with count_queries() as q:
        count_exposure(versions)
    assert len(q) == 1, q  # one UPDATE of the exposures
    db_session.expire_all()
    exposure = {i.code: i.exposure for i in db_session.get(Bank, bank.id).items}
    assert exposure == {"TSTDRAWA-1.1-K-001": 0, "TSTDRAWA-1.1-K-002": 0, "TSTDRAWA-1.1-K-003": 1,
                        "TSTDRAWA-1.1-K-004": 1, "TSTDRAWA-1.2-K-001": 1, "TSTDRAWA-1.2-K-002": 1,
                        "TSTDRAWA-1.2-K-003": 1, "TSTDRAWA-2.1-K-001": 0}


def test_draw_for_is_fixed_by_seed_and_state(make, db_session):
    cohort = make.cohort(code="DRAW-2", programme="TCH-SUS", participants=1)
    bank = build_bank(db_session, "TSTDRAWB", {"1.1": 8, "1.2": 8, "1.3": 8})
    test = make_test(db_session, cohort, bank, [{"topic": t, "min": 1, "max": 4} for t in ("1.1", "1.2", "1.3")],
                     total=6)
    enrolment = cohort.enrolments[0]

    def draw(seed):
        ids = [v.id for v in draw_for(test, enrolment, seed)]
        for item in bank.items:  # back to the same state
            item.exposure = 0
        return ids

    assert draw(123) == draw(123)
    assert len({tuple(draw(s)) for s in range(10)}) == 10


def test_a_second_attempt_avoids_the_items_of_the_first_across_tests_of_the_bank(make, db_session):
    cohort = make.cohort(code="DRAW-3", programme="TCH-SUS", participants=2)
    bank = build_bank(db_session, "TSTDRAWC", {"1.1": 5, "1.2": 5, "1.3": 5})
    rules = [{"topic": t, "min": 2, "max": 2} for t in ("1.1", "1.2", "1.3")]
    module_test = make_test(db_session, cohort, bank, rules, total=6, code="M1")
    final_test = make_test(db_session, cohort, bank, rules, total=6, code="FINAL")
    me, other = cohort.enrolments

    first = draw_for(module_test, me, seed=1)
    record_attempt(db_session, module_test, me, first)
    second = draw_for(final_test, me, seed=2)
    assert not {v.item_id for v in first} & {v.item_id for v in second}
    record_attempt(db_session, final_test, me, second)
    # five per topic, two seen twice: the third attempt takes the one unseen item of each topic
    # and one seen item, the least exposed
    third = draw_for(final_test, me, seed=3)
    count_exposure(third)
    unseen = {i.id for i in bank.items} - {v.item_id for v in first + second}
    assert unseen <= {v.item_id for v in third}
    assert Counter(v.item.topic_code for v in third) == {"1.1": 2, "1.2": 2, "1.3": 2}
    # another participant has seen nothing: the least exposed items come first, so the one
    # item of each topic now drawn twice is left out
    exposure = {i.id: i.exposure for i in bank.items}
    assert sorted(exposure.values()) == [1] * 12 + [2] * 3
    theirs = draw_for(final_test, other, seed=1)
    assert all(exposure[v.item_id] == 1 for v in theirs)


def test_a_module_rule_draws_from_every_topic_of_the_module(make, db_session):
    cohort = make.cohort(code="DRAW-4", programme="LDR-DT", format_code="blended", participants=1)
    bank = build_bank(db_session, "TSTDRAWD", {"1.1": 4, "1.2": 4, "2.1": 4}, programme="LDR-DT")
    test = make_test(db_session, cohort, bank, [{"topic": "M1", "min": 6, "max": 6}], total=6)
    versions = draw_for(test, cohort.enrolments[0], seed=5)
    assert len({v.item_id for v in versions}) == 6
    assert {v.item.module_number for v in versions} == {1}


def test_draw_for_refuses_a_pool_retired_after_publishing(make, db_session):
    cohort = make.cohort(code="DRAW-5", programme="TCH-SUS", participants=1)
    bank = build_bank(db_session, "TSTDRAWE", {"1.1": 3, "1.2": 3})
    test = make_test(db_session, cohort, bank, [{"topic": "1.1", "min": 2, "max": 2},
                                                {"topic": "1.2", "min": 2, "max": 2}], total=4)
    for item in bank.items[:2]:
        item.status = "retired"
    db_session.flush()
    with pytest.raises(ShortPool) as exc:
        draw_for(test, cohort.enrolments[0], seed=1)
    assert "topic 1.1: 1 ready items" in exc.value.message

