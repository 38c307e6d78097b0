"""A sample draw for the trainer (Moodle's quiz preview, without an attempt): what a new
participant would draw by the blueprint, per rule and level, and nothing kept."""
import re

from sqlalchemy import func, select

from lms.quizbank.models import Attempt, Blueprint, Item
from tests.quizbank.test_attempts import build_items, make_test
from tests.quizbank.test_views_attempts import CODE, setup  # noqa: F401 - the fixture

TRUE_FALSE = ("truefalse", {"correct": True, "feedback_true": None, "feedback_false": None}, {"value": True})


def _drawn(html: str) -> list[str]:
    return re.findall(r'<li data-item="([^"]+)">', html)


def _rules(html: str) -> dict[str, int]:
    return {topic: int(n) for topic, n in re.findall(
        r'<tr data-topic="([^"]+)">.*?<td class="num"><strong>(\d+)</strong></td></tr>', html)}


def test_a_sample_draw_follows_the_blueprint_repeats_by_its_seed_and_keeps_nothing(
        client, auth, make, setup, db_session):  # noqa: F811
    cohort, _test, trainer = setup
    build_items(db_session, [TRUE_FALSE] * 8, bank_code="TSMP", topic="1.1")
    versions = build_items(db_session, [TRUE_FALSE] * 8, bank_code="TSMP", topic="1.2")
    blueprint = Blueprint(bank_id=versions[0].item.bank_id, code="SMP", title="Sample", total=6,
                          rules=[{"topic": "1.1", "min": 2, "max": 4}, {"topic": "1.2", "min": 2, "max": 4}],
                          level_quotas={})
    db_session.add(blueprint)
    db_session.flush()
    test = make_test(cohort, blueprint=blueprint, title="Үлгі тест")
    survey = make_test(cohort, kind="exit_survey", title="Сауалнама", module_number=None)
    db_session.commit()
    test_id, survey_id, trainer_email = test.id, survey.id, trainer.email
    before = (db_session.scalar(select(func.count()).select_from(Attempt)),
              db_session.scalar(select(func.sum(Item.exposure))))

    auth.login(trainer_email)
    url = f"/cohorts/{CODE}/tests/{test_id}/sample"
    assert f'href="{url}"' in client.get(f"/cohorts/{CODE}/tests/{test_id}").text
    draws = []
    for seed in (11, 12, 13, 14, 15):
        page = client.get(f"{url}?seed={seed}").text
        items, rules = _drawn(page), _rules(page)
        assert len(items) == 6 == len(set(items)) and sum(rules.values()) == 6
        assert all(2 <= n <= 4 for n in rules.values()) and set(rules) == {"1.1", "1.2"}
        assert sum(1 for code in items if code.startswith("TSMP-1.1-")) == rules["1.1"]
        draws.append(tuple(sorted(items)))
    assert _drawn(client.get(f"{url}?seed=11").text) == _drawn(client.get(f"{url}?seed=11").text)
    assert len(set(draws)) > 1  # another seed, another draw
    assert 'id="another"' in page and "/items/" in page  # the trainer may open each item
    assert (db_session.scalar(select(func.count()).select_from(Attempt)),
            db_session.scalar(select(func.sum(Item.exposure)))) == before

    refused = client.get(f"/cohorts/{CODE}/tests/{survey_id}/sample", follow_redirects=True)
    assert refused.request.path == f"/cohorts/{CODE}/tests/{survey_id}" and "іріктейтін спецификация жоқ" in refused.text

    auth.login(f"{CODE.lower()}-p01@test.kz")
    assert client.get(url).status_code == 403
