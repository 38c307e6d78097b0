"""Item statistics: facility, corrected point-biserial, option counts by the item's own option
index (whatever order was shown), exposure and flags, for a test and pooled over a bank; the
pages and their CSV, who may see them, and a bounded number of statements."""
import csv
import io
import re
import statistics

import pytest
from sqlalchemy import select

from lms.db import db
from lms.quizbank.models import Blueprint, Item
from lms.quizbank.services import attempts
from lms.quizbank.services import statistics as stats
from tests.quizbank.test_attempts import build_items, make_test, shown

BANK = "TSTSTAT"
SINGLE = {"options": [{"text": "Астана", "fraction": 1.0, "feedback": None},
                      {"text": "Алматы", "fraction": 0.0, "feedback": None},
                      {"text": "Шымкент", "fraction": 0.0, "feedback": None}], "shuffle": True}
MULTIPLE = {"options": [{"text": "a", "fraction": 0.5, "feedback": None},
                        {"text": "b", "fraction": 0.5, "feedback": None},
                        {"text": "c", "fraction": -1.0, "feedback": None}], "shuffle": True}
KINDS = [
    ("single", SINGLE, None),                                                        # I1
    ("truefalse", {"correct": True, "feedback_true": None, "feedback_false": None}, None),   # I2
    ("multiple", MULTIPLE, None),                                                    # I3
    ("numerical", {"answers": [{"value": 12.5, "tolerance": 0.1, "fraction": 1.0, "feedback": None}]}, None),  # I4
    ("single", SINGLE, None),                                                        # I5
    ("truefalse", {"correct": False, "feedback_true": None, "feedback_false": None}, None),  # I6
    ("essay", {"grader_info": None}, None),                                          # I7
    ("single", SINGLE, None),                                                        # I8: never drawn
]
CODES = [f"{BANK}-1.1-K-{k:03d}" for k in range(1, len(KINDS) + 1)]
I1, I2, I3, I4, I5, I6, I7, I8 = CODES

#: who drew what and answered what (stored answers: indexes into the item's own options).
#: P1-P5 finish; P6 is still in progress; P7 finished with an essay waiting for a grade.
PLAN = {
    "P1": {I1: {"choice": 1}, I2: {"value": False}, I3: {"choices": [0]}, I4: {"value": 13}, I6: {"value": False}},
    "P2": {I1: {"choice": 2}, I2: {"value": False}, I3: {"choices": [0, 1]}, I4: {"value": "12,9"},
           I6: {"value": False}},
    "P3": {I1: {"choice": 1}, I2: {"value": True}, I3: {"choices": [0, 2]}, I5: {"choice": 1}, I6: {"value": False}},
    "P4": {I1: {"choice": 0}, I2: {"value": False}, I3: {"choices": [0, 1]}, I5: {"choice": 0}, I6: {"value": False}},
    "P5": {I1: {"choice": 0}, I2: {"value": True}, I4: None, I5: {"choice": 1}, I6: {"value": False}},
    "P6": {I1: {"choice": 0}, I2: None, I3: None, I5: None, I6: None},
    "P7": {I1: {"choice": 0}, I2: {"value": True}, I4: {"value": 12.5}, I6: {"value": False}, I7: {"text": "Эссе"}},
}
FINISHED = ["P1", "P2", "P3", "P4", "P5"]
#: the scores those answers earn, worked out by hand from docs/quizbank-items.md
SCORES = {
    "P1": {I1: 0, I2: 0, I3: 0.5, I4: 0, I6: 1},
    "P2": {I1: 0, I2: 0, I3: 1, I4: 0, I6: 1},
    "P3": {I1: 0, I2: 1, I3: 0, I5: 0, I6: 1},      # multiple: 0.5 - 1 clamps to 0
    "P4": {I1: 1, I2: 0, I3: 1, I5: 1, I6: 1},
    "P5": {I1: 1, I2: 1, I4: 0, I5: 0, I6: 1},
}
#: every choice item is shown in this order (the item's option 2 first): never the written order
ORDER = [2, 0, 1]


def run_attempts(cohort, test, versions, plan, *, finish=("P1", "P2", "P3", "P4", "P5", "P7")):
    """Start, answer (as shown, through the service) and submit each planned attempt."""
    by_code = {v.item.code: v for v in versions}
    enrolments = {f"P{n}": e for n, e in enumerate(sorted(cohort.enrolments, key=lambda e: e.user.email), 1)}
    out = {}
    for who, answers in plan.items():
        enrolment = enrolments[who]
        attempt = attempts.start_attempt(test, enrolment, None, versions=[by_code[c] for c in answers])
        for s in attempt.slots:
            if s.version.qtype in ("single", "multiple"):
                s.option_order = list(ORDER)
        db.session.flush()
        for s in attempt.slots:
            stored = answers[s.version.item.code]
            if stored is not None:
                attempts.save_answer(attempt.id, s.slot, shown(s, stored), enrolment.user)
        if who in finish:
            attempts.submit(attempt.id, enrolment.user)
        out[who] = attempt
    db.session.flush()
    return out


@pytest.fixture
def stat_quiz(make, db_session):
    trainer = make.user(email="stat-trainer@test.kz", language="en")  # pages in English whatever the translations say
    cohort = make.cohort(code="QZ-STAT", programme="LDR-DT", format_code="blended", participants=7, trainer=trainer)
    versions = build_items(db_session, kinds=KINDS, bank_code=BANK)
    blueprint = Blueprint(bank_id=versions[0].item.bank_id, code="TST-STAT", title="M1", total=5,
                          rules=[{"topic": "1.1", "min": 5, "max": 5}])
    db_session.add(blueprint)
    db_session.flush()
    test = make_test(cohort, blueprint=blueprint)  # the draws below are given, not drawn
    db_session.flush()
    run_attempts(cohort, test, versions, PLAN)
    db_session.commit()
    return {"cohort": cohort, "test": test, "versions": versions, "trainer": trainer,
            "bank": versions[0].item.bank}


def rows(report):
    return {i.code: i for i in report.items}


def corrected(who_scores, code):
    """The corrected point-biserial as a textbook computes it: Pearson's r of the item score
    with the attempt's total without it, over the attempts that showed the item."""
    shown_in = [s for s in who_scores if code in s]
    xs = [s[code] for s in shown_in]
    rest = [sum(s.values()) - s[code] for s in shown_in]
    return statistics.correlation(xs, rest)


# --- the numbers ---------------------------------------------------------------------------------

def test_facility_sd_and_corrected_point_biserial_match_a_hand_computation(stat_quiz):
    report = stats.for_test(stat_quiz["test"], min_responses=3)
    by = rows(report)
    assert [i.code for i in report.items] == [I1, I2, I3, I4, I5, I6, I7]  # by code; I8 was never drawn
    assert (report.attempts, report.finished, report.pending, report.in_progress) == (7, 5, 1, 1)
    scores = [SCORES[p] for p in FINISHED]
    # every finished attempt drew five items, so the rest is the same share of the same maximum
    for code, n, facility in [(I1, 5, 0.4), (I2, 5, 0.4), (I3, 4, 0.625), (I4, 3, 0.0), (I5, 3, 1 / 3),
                              (I6, 5, 1.0)]:
        item = by[code]
        xs = [s[code] for s in scores if code in s]
        assert (item.n, item.facility) == (n, pytest.approx(facility)), code
        assert item.sd == pytest.approx(statistics.stdev(xs)), code
    for code in (I1, I2, I3, I5):
        assert by[code].discrimination == pytest.approx(corrected(scores, code)), code
    assert by[I1].discrimination == pytest.approx(2 / 3)
    assert by[I2].discrimination < 0
    # nobody or everybody right: no variance, no correlation (Moodle leaves it empty too)
    assert by[I4].discrimination is None and by[I6].discrimination is None
    assert by[I4].answered == 2 and by[I4].n == 3  # P5 left it blank
    # the essay waits for its grader, so P7's attempt is not counted at all
    assert by[I7].n == 0 and by[I7].facility is None and by[I7].flags == []


def test_option_counts_use_the_items_own_option_index_whatever_order_was_shown(stat_quiz):
    by = rows(stats.for_test(stat_quiz["test"], min_responses=3))
    [single] = by[I1].tallies
    # by the written option: A (right) twice, B twice, C once. By shown position it would be 1, 2, 2.
    assert [(o.label, o.text, o.key, o.count) for o in single.options] == [
        ("A", "Астана", True, 2), ("B", "Алматы", False, 2), ("C", "Шымкент", False, 1)]
    assert (single.version, single.responses, single.no_answer) == (1, 5, 0)
    [multiple] = by[I3].tallies
    assert [(o.label, o.key, o.count) for o in multiple.options] == [("A", True, 4), ("B", True, 2), ("C", False, 1)]
    [tf] = by[I6].tallies  # the key is False: its option is the right one
    assert [(o.index, o.key, o.count) for o in tf.options] == [(True, False, 0), (False, True, 5)]
    assert by[I4].tallies == []  # numerical: no options to count


def test_exposure_counts_every_attempt_that_drew_the_item(stat_quiz):
    by = rows(stats.for_test(stat_quiz["test"]))
    assert {c: (by[c].drawn, by[c].attempts) for c in by} == {
        I1: (7, 7), I2: (7, 7), I3: (5, 7), I4: (4, 7), I5: (4, 7), I6: (7, 7), I7: (1, 7)}
    assert by[I3].exposure == pytest.approx(5 / 7)


def test_flags_name_what_is_wrong_and_too_few_responses_judge_nothing(stat_quiz):
    by = rows(stats.for_test(stat_quiz["test"], min_responses=3))
    codes = {c: [f.code for f in by[c].flags] for c in by}
    assert codes == {I1: [], I2: ["negative_discrimination"], I3: ["weak_discrimination"], I4: ["too_hard"],
                     I5: ["unused_distractor"], I6: ["too_easy"], I7: []}
    [unused] = by[I5].flags
    assert (unused.options, unused.version) == (("C",), 1)
    assert by[I6].flags[0].value == 1.0
    # with the default minimum (10) five responses are too few: nothing is judged
    default = rows(stats.for_test(stat_quiz["test"]))
    assert {c: [f.code for f in default[c].flags] for c in default} == {
        I1: ["few_responses"], I2: ["few_responses"], I3: ["few_responses"], I4: ["few_responses"],
        I5: ["few_responses"], I6: ["few_responses"], I7: []}
    assert all(not i.problems for i in default.values())


def test_a_bank_pools_its_tests_and_lists_items_never_drawn(stat_quiz, make, db_session):
    """A second cohort's shorter test: the rest of an attempt is taken as a share of its own
    maximum, so attempts of three and five items pool into one correlation."""
    other = make.cohort(code="QZ-STAT2", programme="LDR-DT", format_code="blended", participants=3)
    test2 = make_test(other, title="Диагностика", kind="diagnostic", module_number=None)
    db_session.flush()
    plan2 = {"P1": {I1: {"choice": 0}, I2: {"value": True}, I6: {"value": True}},
             "P2": {I1: {"choice": 2}, I2: {"value": True}, I6: {"value": False}},
             "P3": {I1: {"choice": 0}, I2: {"value": False}, I6: {"value": False}}}
    run_attempts(other, test2, stat_quiz["versions"], plan2, finish=("P1", "P2", "P3"))
    scores2 = [{I1: 1, I2: 1, I6: 0}, {I1: 0, I2: 1, I6: 1}, {I1: 1, I2: 0, I6: 1}]

    report = stats.for_bank(stat_quiz["bank"], min_responses=3)
    by = rows(report)
    assert [i.code for i in report.items] == CODES
    assert (report.attempts, report.finished) == (10, 8)
    assert (by[I8].drawn, by[I8].n, by[I8].facility, by[I8].flags) == (0, 0, None, [])
    assert (by[I1].n, by[I1].drawn, by[I1].attempts) == (8, 10, 10)
    assert by[I1].facility == pytest.approx(4 / 8)
    assert [o.count for o in by[I1].tallies[0].options] == [4, 2, 2]

    def share_pairs(scores, code):
        return [(s[code], (sum(s.values()) - s[code]) / (len(s) - 1)) for s in scores if code in s]

    pairs = share_pairs([SCORES[p] for p in FINISHED], I1) + share_pairs(scores2, I1)
    assert by[I1].discrimination == pytest.approx(statistics.correlation(*zip(*pairs)))
    # the test's own report is unchanged by the other cohort's attempts
    assert rows(stats.for_test(stat_quiz["test"]))[I1].n == 5


def test_items_grouped_across_versions_keep_option_counts_per_version(stat_quiz, db_session):
    from lms.quizbank.models import ItemVersion

    item = next(v.item for v in stat_quiz["versions"] if v.item.code == I5)
    data = {**SINGLE, "options": SINGLE["options"] + [{"text": "Түркістан", "fraction": 0.0, "feedback": None}]}
    v2 = ItemVersion(item=item, number=2, qtype="single", text="Жаңа нұсқа", text_html="", data=data)
    db_session.add(v2)
    db_session.flush()
    cohort = stat_quiz["cohort"]
    test2 = make_test(cohort, title="Қайта тест")  # a later test shows the edited item
    db_session.flush()
    enrolment = sorted(cohort.enrolments, key=lambda e: e.user.email)[0]
    attempt = attempts.start_attempt(test2, enrolment, None, versions=[v2])
    attempts.save_answer(attempt.id, 1, shown(attempt.slots[0], {"choice": 3}), enrolment.user)
    attempts.submit(attempt.id, enrolment.user)

    by = rows(stats.for_bank(stat_quiz["bank"], min_responses=1))
    assert by[I5].versions == [1, 2] and by[I5].n == 4 and by[I5].text == "Жаңа нұсқа"
    assert [(t.version, [o.count for o in t.options]) for t in by[I5].tallies] == [(1, [1, 2, 0]), (2, [0, 0, 0, 1])]


def test_a_report_takes_two_statements_whatever_the_number_of_attempts(stat_quiz, count_queries, make, db_session):
    test, bank = stat_quiz["test"], stat_quiz["bank"]
    assert test.id and bank.id  # loaded before counting
    with count_queries() as q:
        report = stats.for_test(test)
    assert len(q) == 2 and report.finished == 5
    with count_queries() as q:
        report = stats.for_bank(bank)
    assert len(q) == 2 and report.finished == 5

    small = make.cohort(code="QZ-STAT3", programme="LDR-DT", format_code="blended", participants=1)
    test3 = make_test(small)
    db_session.flush()
    run_attempts(small, test3, stat_quiz["versions"], {"P1": {I1: {"choice": 0}}}, finish=("P1",))
    assert test3.id
    with count_queries() as q:
        assert stats.for_test(test3).finished == 1
    assert len(q) == 2


# --- the pages -----------------------------------------------------------------------------------

def test_the_test_page_shows_the_table_flags_highlighted_with_their_reason(stat_quiz, client, auth, monkeypatch):
    monkeypatch.setattr(stats, "MIN_RESPONSES", 3)
    auth.login("stat-trainer@test.kz")
    url = f"/cohorts/QZ-STAT/tests/{stat_quiz['test'].id}/statistics"
    r = client.get(url)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert html.index(f'data-item="{I1}"') < html.index(f'data-item="{I2}"') < html.index(f'data-item="{I7}"')
    row = html[html.index(f'data-item="{I2}"') - 30:html.index(f'data-item="{I3}"')]
    assert 'class="flagged"' in row and 'data-flag="negative_discrimination"' in row and "check the key" in row
    row = html[html.index(f'data-item="{I5}"'):html.index(f'data-item="{I6}"')]
    assert "nobody chose option(s) C (version 1)" in row
    row = html[html.index(f'data-item="{I1}"') - 30:html.index(f'data-item="{I2}"')]
    assert "flagged" not in row and "40%" in row and "0.67" in row
    assert "5 finished attempts counted, of 7 started." in html
    assert "1 waits for an essay grade and is counted once graded." in html and "1 is still in progress." in html
    assert f"/cohorts/QZ-STAT/tests/{stat_quiz['test'].id}/statistics.csv" in html
    assert f'href="/banks/{BANK}/statistics"' in html  # the trainer may see the bank too


def test_the_csv_is_the_same_table_in_utf8_with_a_bom(stat_quiz, client, auth):
    auth.login("stat-trainer@test.kz")
    r = client.get(f"/cohorts/QZ-STAT/tests/{stat_quiz['test'].id}/statistics.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    body = r.data
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body[3:].decode("utf-8"))))
    header, data = table[0], table[1:]
    assert header[:4] == ["code", "topic", "level", "type"]
    assert [row[0] for row in data] == [I1, I2, I3, I4, I5, I6, I7]
    first = dict(zip(header, data[0]))
    assert (first["n"], first["facility"], first["drawn"], first["attempts"]) == ("5", "0.4", "7", "7")
    assert first["options"] == "A*: 2; B: 2; C: 1; —: 0"
    assert first["flags"] == "few_responses" and "too few to judge" in first["reasons"]
    assert dict(zip(header, data[1]))["text"] == "Сұрақ 2 (truefalse)"


def test_who_may_see_the_pages(stat_quiz, client, auth, make, db_session):
    test_id = stat_quiz["test"].id
    outsider = make.cohort(code="QZ-STATX", programme="LDR-DT", format_code="blended", participants=0)
    other_test = make_test(outsider)
    sus_trainer = make.user(email="sus-trainer@test.kz", language="en")
    make.cohort(code="QZ-SUSX", programme="LDR-SUS", participants=0, trainer=sus_trainer)
    db_session.commit()
    other_id = other_test.id

    auth.login("qz-stat-p01@test.kz")  # a participant of the cohort
    assert client.get(f"/cohorts/QZ-STAT/tests/{test_id}/statistics").status_code == 403
    assert client.get(f"/cohorts/QZ-STAT/tests/{test_id}/statistics.csv").status_code == 403
    assert client.get(f"/banks/{BANK}/statistics").status_code == 403
    auth.logout()

    auth.login("stat-trainer@test.kz")
    assert client.get(f"/cohorts/QZ-STAT/tests/{other_id}/statistics").status_code == 404  # another cohort's test
    assert client.get(f"/cohorts/QZ-STATX/tests/{other_id}/statistics").status_code == 403  # not their cohort
    assert client.get("/cohorts/QZ-STAT/tests/999999/statistics").status_code == 404
    # a trainer of one of the programme's cohorts sees its bank across every cohort's tests
    r = client.get(f"/banks/{BANK}/statistics")
    assert r.status_code == 200 and f'data-item="{I8}"' in r.get_data(as_text=True)
    assert client.get(f"/banks/{BANK}/statistics.csv").status_code == 200
    assert client.get("/banks/NOSUCH/statistics").status_code == 404
    auth.logout()

    auth.login("sus-trainer@test.kz")  # teaches another programme only
    assert client.get(f"/banks/{BANK}/statistics").status_code == 403
    auth.logout()

    make.user("methodologist", email="method@test.kz")  # system-wide, Kazakh pages
    auth.login("method@test.kz")
    assert client.get(f"/banks/{BANK}/statistics").status_code == 200
    assert client.get(f"/cohorts/QZ-STAT/tests/{test_id}/statistics").status_code == 200


def test_empty_state_before_any_attempt_is_finished(make, client, auth, db_session):
    trainer = make.user(email="empty-trainer@test.kz", language="en")
    cohort = make.cohort(code="QZ-EMPTY", programme="LDR-DT", format_code="blended", participants=0,
                         trainer=trainer)
    test = make_test(cohort)
    build_items(db_session, kinds=KINDS[:1], bank_code="TSTEMPTY")
    db_session.commit()
    auth.login("empty-trainer@test.kz")
    html = client.get(f"/cohorts/QZ-EMPTY/tests/{test.id}/statistics").get_data(as_text=True)
    assert "No finished attempts yet." in html and 'id="item-statistics"' not in html
    html = client.get("/banks/TSTEMPTY/statistics").get_data(as_text=True)
    assert "No finished attempts yet." in html and 'id="item-statistics"' not in html
    r = client.get(f"/cohorts/QZ-EMPTY/tests/{test.id}/statistics.csv")
    assert r.data == b"\xef\xbb\xbf" + b"code,topic,level,type,versions,text,drawn,attempts,exposure,n,answered," \
                                       b"facility,sd,discrimination,options,flags,reasons\r\n"


def test_the_page_costs_the_same_statements_for_few_attempts_or_many(stat_quiz, client, auth, count_queries, make,
                                                                      db_session):
    small = make.cohort(code="QZ-STAT4", programme="LDR-DT", format_code="blended", participants=1,
                        trainer=stat_quiz["trainer"])
    test4 = make_test(small, blueprint=stat_quiz["test"].blueprint)
    db_session.flush()
    run_attempts(small, test4, stat_quiz["versions"], {"P1": {I1: {"choice": 0}}}, finish=("P1",))
    db_session.commit()
    big, little = stat_quiz["test"].id, test4.id
    auth.login("stat-trainer@test.kz")
    client.get(f"/cohorts/QZ-STAT4/tests/{little}/statistics")  # warm up (templates, translations)
    with count_queries() as q_big:
        assert client.get(f"/cohorts/QZ-STAT/tests/{big}/statistics").status_code == 200
    with count_queries() as q_little:
        assert client.get(f"/cohorts/QZ-STAT4/tests/{little}/statistics").status_code == 200
    assert len(q_big) == len(q_little) <= 20


def test_an_item_links_to_its_page_for_whoever_may_correct_it(stat_quiz, client, auth, make, db_session):
    """A flagged item (often a wrong key) is corrected on its page; the test's results page
    then offers the regrade. The link shows exactly to those the item page admits."""
    test_id = stat_quiz["test"].id
    make.user("methodologist", email="method-link@test.kz")
    db_session.commit()
    for email, page in (("stat-trainer@test.kz", f"/cohorts/QZ-STAT/tests/{test_id}/statistics"),
                        ("method-link@test.kz", f"/cohorts/QZ-STAT/tests/{test_id}/statistics"),
                        ("method-link@test.kz", f"/banks/{BANK}/statistics")):
        auth.login(email)
        html = client.get(page).get_data(as_text=True)
        row = html[html.index(f'data-item="{I2}"'):html.index(f'data-item="{I3}"')]
        link = re.search(rf'href="(/banks/{BANK}/items/\d+)">{I2}</a>', row)
        item_id = db_session.scalar(select(Item.id).where(Item.code == I2))
        admitted = client.get(f"/banks/{BANK}/items/{item_id}").status_code == 200
        assert bool(link) == admitted, (email, page)
        if link:
            assert link.group(1) == f"/banks/{BANK}/items/{item_id}"
        auth.logout()
    assert admitted  # the methodologist, at least, corrects items
