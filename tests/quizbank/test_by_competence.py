"""Results by competence (seed 000: the diagnostic test gives the initial competence level, the
final test the level formed): LDR-DT's six components of managerial competence (seed 004),
each counting the questions of the topics its framework file lists; a topic in two competences
counts for both; the cohort's growth per competence; a programme without a framework has no
such view."""
import csv
import io

import pytest

from lms.core.services.errors import ServiceError
from lms.quizbank.models import Blueprint, Test
from lms.quizbank.services import attempts, results
from tests.quizbank.test_api import token_for
from tests.quizbank.test_attempts import build_items, make_test
from tests.quizbank.test_by_topic import TF, _take
from tests.quizbank.test_views_attempts import CODE, setup  # noqa: F401 - the fixture

#: content/competences/LDR-DT.yaml: 1.3 builds competences 1 (strategic) and 3 (communicative),
#: 4.1 builds 4 (analytical)
TOPICS = ("1.3", "4.1")


def _test(db_session, cohort, kind="diagnostic", title="Кіріс диагностика", attempts=1) -> int:
    blueprint = db_session.query(Blueprint).filter_by(code="COMP-DIAG").one_or_none()
    if blueprint is None:
        for topic in TOPICS:
            versions = build_items(db_session, kinds=[TF, TF], bank_code="TSTCOMP", topic=topic)
        blueprint = Blueprint(bank_id=versions[0].item.bank_id, code="COMP-DIAG", title="diagnostic", total=4,
                              rules=[{"topic": t, "min": 2, "max": 2} for t in TOPICS], level_quotas={})
        db_session.add(blueprint)
        db_session.flush()
    test = make_test(cohort, blueprint=blueprint, kind=kind, module_number=None, title=title,
                     attempts_allowed=attempts)
    db_session.commit()
    return test.id


def test_the_cohort_by_competence(client, auth, setup, db_session):  # noqa: F811
    cohort, _test_, trainer = setup
    test_id = _test(db_session, cohort)
    _take(db_session, 1, test_id, right_in={"1.3"})
    _take(db_session, 2, test_id, right_in={"4.1"})

    report = results.by_topic(db_session.get(Test, test_id), "competence")
    assert report.keys == ["1", "2", "3", "4", "5", "6"]  # every competence, in the framework's order
    mine, theirs = ({k: s.percent for k, s in scores.items()} for _e, _a, scores in report.rows)
    assert mine == {"1": 100.0, "3": 100.0, "4": 0.0} and theirs == {"1": 0.0, "3": 0.0, "4": 100.0}
    assert report.means == {"1": 50.0, "2": None, "3": 50.0, "4": 50.0, "5": None, "6": None}

    auth.login(trainer.email)
    topics = client.get(f"/cohorts/{CODE}/tests/{test_id}/topics").text
    assert f'href="/cohorts/{CODE}/tests/{test_id}/topics?by=competence"' in topics
    page = client.get(f"/cohorts/{CODE}/tests/{test_id}/topics?by=competence").text
    assert '<th class="num" title="Коммуникативтік құзыреттілік" data-key="3">3</th>' in page
    assert '<td class="num" data-key="3">100</td>' in page and '<td class="num weak" data-key="4">0</td>' in page
    assert "(1.3, 7.2, 7.4)" in page  # the legend names the topics that build it
    rows = list(csv.reader(io.StringIO(client.get(f"/cohorts/{CODE}/tests/{test_id}/topics?by=competence&format=csv")
                                       .get_data()[3:].decode("utf-8"))))
    assert rows[0][3:5] == ["1. Стратегиялық құзыреттілік", "2. Ұйымдастырушылық құзыреттілік"]
    assert rows[-1][3:] == ["50.0", "", "50.0", "50.0", "", ""]


def test_a_participant_reads_where_they_stand_on_each_competence(client, auth, setup, db_session):  # noqa: F811
    cohort, _test_, trainer = setup
    test_id = _test(db_session, cohort)
    attempt_id, user = _take(db_session, 1, test_id, right_in={"1.3"})
    auth.login(user.email)
    page = client.get(f"/cohorts/{CODE}/me/attempts/{attempt_id}/result").text
    table = page.split('id="by-competence"')[1].split("</table>")[0]
    assert [row.split('"')[1] for row in table.split("data-competence=")[1:]] == ["1", "3", "4"]  # those asked
    assert '<tr data-competence="4" class="weak">' in table and "3. Коммуникативтік құзыреттілік" in table
    assert "2 / 2" in table and "0 / 2" in table

    test = db_session.get(Test, test_id)  # the review options hide the score: the competences go with it
    test.review_options = {**test.review_options, "score": False}
    db_session.commit()
    assert 'id="by-competence"' not in client.get(f"/cohorts/{CODE}/me/attempts/{attempt_id}/result").text
    auth.login(trainer.email)  # the trainer's review shows them whatever the options
    assert '<tr data-competence="3">' in client.get(f"/cohorts/{CODE}/tests/{test_id}/attempts/{attempt_id}").text


def test_the_api_gives_the_points_per_competence(client, setup, db_session):  # noqa: F811
    cohort, _test_, _trainer = setup
    test_id = _test(db_session, cohort)
    attempt_id, user = _take(db_session, 1, test_id, right_in={"1.3"})
    user.language = "ru"
    db_session.commit()
    headers = token_for(db_session, user)
    result = client.get(f"/api/v1/attempts/{attempt_id}", headers=headers).get_json()["result"]
    assert [(c["competence"], c["score"], c["max"], c["percent"]) for c in result["competences"]] == \
        [("1", 2.0, 2.0, 100.0), ("3", 2.0, 2.0, 100.0), ("4", 0.0, 2.0, 0.0)]
    assert result["competences"][1]["title"] == "Коммуникативная компетентность"  # in the reader's language

    test = db_session.get(Test, test_id)  # the review options hide the score: the competences go with it
    test.review_options = {**test.review_options, "score": False}
    db_session.commit()
    result = client.get(f"/api/v1/attempts/{attempt_id}", headers=headers).get_json()["result"]
    assert "competences" not in result and result["hidden"][4:6] == ["topics", "competences"]


def test_a_programme_without_a_framework_gives_no_competences_in_the_api(client, make, db_session):
    cohort = make.cohort(code="COMP-API", programme="LDR-SUS", participants=1)
    versions = build_items(db_session, kinds=[TF, TF], bank_code="TSTSUS", programme="LDR-SUS", topic="1.1")
    blueprint = Blueprint(bank_id=versions[0].item.bank_id, code="SUS-DIAG", title="diagnostic", total=2,
                          rules=[{"topic": "1.1", "min": 2, "max": 2}], level_quotas={})
    db_session.add(blueprint)
    db_session.flush()
    test = make_test(cohort, blueprint=blueprint, kind="diagnostic", module_number=None, title="Диагностика")
    db_session.commit()
    user = cohort.enrolments[0].user
    attempt = attempts.start_attempt(test, cohort.enrolments[0], user)
    attempts.submit(attempt.id, user)
    db_session.commit()
    result = client.get(f"/api/v1/attempts/{attempt.id}", headers=token_for(db_session, user)).get_json()["result"]
    assert "topics" in result and "competences" not in result and "competences" not in result.get("hidden", [])


def test_growth_by_competence(client, auth, setup, db_session):  # noqa: F811
    cohort, _test_, trainer = setup
    diagnostic_id = _test(db_session, cohort)
    final_id = _test(db_session, cohort, kind="final", title="Қорытынды")
    _take(db_session, 1, diagnostic_id, right_in=set())
    _take(db_session, 1, final_id, right_in=set(TOPICS))

    growth = results.growth(db_session.get(Test, diagnostic_id), db_session.get(Test, final_id), "competence")
    assert growth.keys == ["1", "2", "3", "4", "5", "6"]
    assert growth.shares["3"] == (0.0, 100.0) and growth.shares["2"] == (None, None)
    auth.login(trainer.email)
    page = client.get(f"/cohorts/{CODE}/tests/growth?by=competence").text
    assert '<option value="competence" selected>' in page
    assert '<tr data-key="4"><td>4 Аналитикалық құзыреттілік</td>' in page and 'data-change="100"' in page


def test_a_programme_without_a_framework_has_no_results_by_competence(client, auth, make, db_session):
    trainer = make.user(email="comp-trainer@test.kz")
    cohort = make.cohort(code="COMP-SUS", programme="LDR-SUS", participants=1, trainer=trainer)
    test = make_test(cohort, kind="diagnostic", module_number=None, title="Диагностика")
    db_session.commit()
    with pytest.raises(ServiceError):
        results.by_topic(test, "competence")
    auth.login(trainer.email)
    page = client.get(f"/cohorts/COMP-SUS/tests/{test.id}/topics?by=competence").text
    choices = page.split('id="group-by"')[1].split("</div>")[0]
    assert "by=competence" not in choices and "<strong>Тақырыптар</strong>" in choices  # by topic instead


def test_a_participants_competences_from_the_diagnostic_to_the_final(client, auth, setup, db_session):  # noqa: F811
    cohort, _test_, _trainer = setup
    diagnostic_id = _test(db_session, cohort)
    final_id = _test(db_session, cohort, kind="final", title="Қорытынды", attempts=2)
    _take(db_session, 1, diagnostic_id, right_in={"4.1"})
    _take(db_session, 1, final_id, right_in=set(TOPICS))
    _, user = _take(db_session, 1, final_id, right_in=set())  # a worse second attempt: the best counts
    auth.login(user.email)
    page = client.get(f"/cohorts/{CODE}/me/tests").text
    table = page.split('id="competence-profile"')[1].split("</table>")[0]
    assert '<th class="num" data-stage="diagnostic">' in table and 'data-stage="module">' not in table
    row = table.split('data-competence="3">')[1].split("</tr>")[0]
    assert '<td class="num" data-stage="diagnostic">0.0 %</td>' in row and 'data-stage="final">100.0 %</td>' in row
    row = table.split('data-competence="4">')[1].split("</tr>")[0]
    assert 'data-stage="diagnostic">100.0 %</td>' in row and 'data-stage="final">100.0 %</td>' in row
    row = table.split('data-competence="2">')[1].split("</tr>")[0]  # no question of its topics: nothing to say
    assert "2. Ұйымдастырушылық құзыреттілік" in row and row.count(">—</td>") == 2

    final = db_session.get(Test, final_id)  # the final's score not released: its column goes
    final.review_options = {**final.review_options, "score": False}
    db_session.commit()
    table = client.get(f"/cohorts/{CODE}/me/tests").text.split('id="competence-profile"')[1].split("</table>")[0]
    assert 'data-stage="final"' not in table and 'data-stage="diagnostic"' in table


def test_the_profile_costs_the_same_statements_for_one_test_or_two(client, auth, setup, db_session,  # noqa: F811
                                                                    count_queries):
    cohort, _test_, _trainer = setup
    diagnostic_id = _test(db_session, cohort)
    _, user = _take(db_session, 1, diagnostic_id, right_in={"4.1"})
    enrolment = next(e for e in cohort.enrolments if e.user_id == user.id)
    counts = []
    for more in (False, True):
        if more:
            _take(db_session, 1, _test(db_session, cohort, kind="final", title="Қорытынды"), right_in=set(TOPICS))
        db_session.expire_all()
        rows = results.my_tests(cohort, enrolment)
        with count_queries() as q:
            profile = results.competence_profile(cohort, rows, "kk")
        counts.append(len(q))
    assert profile.stages == ["diagnostic", "final"]
    assert counts[0] == counts[1] and counts[1] <= 6, counts
