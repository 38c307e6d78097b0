"""Results per topic (what the diagnostic test is for): on the participant's result page and
in the API beside the score, on the trainer's review, and for the whole cohort, per topic or
per module, below the pass mark marked."""
import csv
import io

from sqlalchemy import select

from lms.core.models import User
from lms.courses.models import Enrolment
from lms.quizbank.models import Blueprint, Test
from lms.quizbank.services import attempts, results
from tests.quizbank.test_api import token_for
from tests.quizbank.test_attempts import build_items, make_test, shown
from tests.quizbank.test_views_attempts import CODE, setup  # noqa: F401 - the fixture

TF = ("truefalse", {"correct": True, "feedback_true": None, "feedback_false": None}, {"value": True})


def _diagnostic(db_session, cohort) -> int:
    """Two true/false items in topic 1.1 and two in 2.1, all drawn: a four-question diagnostic."""
    for topic in ("1.1", "2.1"):
        versions = build_items(db_session, kinds=[TF, TF], bank_code="TSTTOP", topic=topic)
    blueprint = Blueprint(bank_id=versions[0].item.bank_id, code="TOP-DIAG", title="diagnostic", total=4,
                          rules=[{"topic": "1.1", "min": 2, "max": 2}, {"topic": "2.1", "min": 2, "max": 2}],
                          level_quotas={})
    db_session.add(blueprint)
    db_session.flush()
    test = make_test(cohort, blueprint=blueprint, kind="diagnostic", module_number=None, title="Кіріс диагностика")
    db_session.commit()
    return test.id


def _take(db_session, n: int, test_id: int, right_in: set[str]) -> tuple[int, User]:
    """Participant n answers right exactly the questions of the topics in `right_in`."""
    user = db_session.scalar(select(User).where(User.email == f"{CODE.lower()}-p{n:02d}@test.kz"))
    enrolment = db_session.scalar(select(Enrolment).where(Enrolment.user_id == user.id))
    attempt = attempts.start_attempt(db_session.get(Test, test_id), enrolment, user)
    db_session.flush()
    for s in attempt.slots:
        value = s.version.item.topic_code in right_in
        attempts.save_answer(attempt.id, s.slot, shown(s, {"value": value}), user)
    attempts.submit(attempt.id, user)
    db_session.commit()
    return attempt.id, user


def test_a_participant_reads_where_they_stand_on_each_topic(client, auth, setup, db_session):  # noqa: F811
    cohort, _test, trainer = setup
    test_id = _diagnostic(db_session, cohort)
    attempt_id, user = _take(db_session, 1, test_id, right_in={"2.1"})

    auth.login(user.email)
    page = client.get(f"/cohorts/{CODE}/me/attempts/{attempt_id}/result").text
    assert 'id="by-topic"' in page
    assert '<tr data-topic="1.1" class="weak">' in page and '<tr data-topic="2.1">' in page
    assert "0 / 2" in page and "100.0 %" in page
    assert '<a href="/programmes/LDR-DT/v1/topics/1.1">' in page  # where to study it again
    api = client.get(f"/api/v1/attempts/{attempt_id}", headers=token_for(db_session, user)).get_json()
    assert [(t["topic"], t["module"], t["score"], t["max"], t["percent"]) for t in api["result"]["topics"]] == \
        [("1.1", 1, 0.0, 2.0, 0.0), ("2.1", 2, 2.0, 2.0, 100.0)]

    # the review options hide the score: the topics go with it
    test = db_session.get(Test, test_id)
    test.review_options = {**test.review_options, "score": False}
    db_session.commit()
    assert 'id="by-topic"' not in client.get(f"/cohorts/{CODE}/me/attempts/{attempt_id}/result").text
    hidden = client.get(f"/api/v1/attempts/{attempt_id}", headers=token_for(db_session, user)).get_json()["result"]
    assert "topics" not in hidden and "topics" in hidden["hidden"]

    auth.login(trainer.email)  # the trainer's review shows them whatever the options
    assert '<tr data-topic="1.1" class="weak">' in client.get(
        f"/cohorts/{CODE}/tests/{test_id}/attempts/{attempt_id}").text


def test_the_cohort_by_topic_and_by_module(client, auth, setup, db_session, count_queries):  # noqa: F811
    cohort, _test, trainer = setup
    test_id = _diagnostic(db_session, cohort)
    _take(db_session, 1, test_id, right_in={"2.1"})
    _take(db_session, 2, test_id, right_in={"1.1", "2.1"})

    auth.login(trainer.email)
    assert f'/cohorts/{CODE}/tests/{test_id}/topics' in client.get(f"/cohorts/{CODE}/tests/{test_id}").text
    page = client.get(f"/cohorts/{CODE}/tests/{test_id}/topics").text
    assert '<td class="num weak" data-key="1.1">0</td>' in page and '<td class="num" data-key="1.1">100</td>' in page
    means = page.split('id="cohort-means"')[1]
    assert 'data-key="1.1"><strong>50</strong>' in means and 'data-key="2.1"><strong>100</strong>' in means
    modules = client.get(f"/cohorts/{CODE}/tests/{test_id}/topics?by=module").text
    assert 'data-key="1"' in modules and 'data-key="2"' in modules and 'data-key="1.1"' not in modules

    rows = list(csv.reader(io.StringIO(client.get(f"/cohorts/{CODE}/tests/{test_id}/topics?format=csv")
                                       .get_data()[3:].decode("utf-8"))))
    assert rows[0][3:] == ["1.1", "2.1"] and rows[1][3:] == ["0.0", "100.0"] and rows[-1][3:] == ["50.0", "100.0"]

    loaded = db_session.get(Test, test_id)
    with count_queries() as q:
        report = results.by_topic(loaded)
    assert len(report.rows) == 2 and len(q) <= 5  # the results page's reads and one for the slots

    auth.login(f"{CODE.lower()}-p01@test.kz")  # a participant sees only their own result
    assert client.get(f"/cohorts/{CODE}/tests/{test_id}/topics").status_code == 403


def test_growth_by_topic_from_the_diagnostic_to_the_final(client, auth, setup, db_session):  # noqa: F811
    cohort, _test, trainer = setup
    diagnostic_id = _diagnostic(db_session, cohort)
    blueprint = db_session.get(Test, diagnostic_id).blueprint
    final_id = make_test(cohort, blueprint=blueprint, kind="final", module_number=None, title="Қорытынды").id
    db_session.commit()
    _take(db_session, 1, diagnostic_id, right_in={"2.1"})
    _take(db_session, 1, final_id, right_in={"1.1", "2.1"})
    _take(db_session, 2, diagnostic_id, right_in=set())  # no final yet: not compared

    auth.login(trainer.email)
    assert f"/cohorts/{CODE}/tests/growth" in client.get(f"/cohorts/{CODE}/tests").text
    page = client.get(f"/cohorts/{CODE}/tests/growth").text  # the diagnostic and the final, by default
    assert 'id="growth"' in page and "Кіріс диагностика" in page and "Қорытынды" in page
    assert '<tr data-key="1.1">' in page and 'data-change="100"' in page and 'data-change="0"' in page
    growth = results.growth(db_session.get(Test, diagnostic_id), db_session.get(Test, final_id))
    assert growth.matched == 1 and growth.shares == {"1.1": (0.0, 100.0), "2.1": (100.0, 100.0)}
    by_module = client.get(f"/cohorts/{CODE}/tests/growth?by=module").text
    assert '<tr data-key="1">' in by_module and '<tr data-key="2">' in by_module
    same = client.get(f"/cohorts/{CODE}/tests/growth?before={final_id}&after={final_id}").text
    assert 'id="growth"' not in same
