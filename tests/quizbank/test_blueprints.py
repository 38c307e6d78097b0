"""Blueprints and publishing: rules that cannot hold are refused when saved, and a test whose
ready items cannot give every participant a complete draw is refused at publish, naming each
short topic and by how many."""
import pytest
from sqlalchemy import select

from lms.core.models import AuditEntry
from lms.core.services.errors import Conflict, ServiceError
from lms.quizbank.models import Bank, Item, ItemVersion
from lms.quizbank.models import Test as QuizTest
from lms.quizbank.services.blueprints import check_publishable, publish, save_blueprint


def build_bank(db_session, code, topics, programme="LDR-SUS"):
    """`topics[code]` is a list of (level, status) per item; one single-choice version each."""
    bank = Bank(code=code, programme_code=programme, title=f"{code} bank")
    db_session.add(bank)
    for topic, specs in topics.items():
        for k, (level, status) in enumerate(specs, start=1):
            bank.items.append(Item(
                code=f"{code}-{topic}-{level}-{k:03d}", topic_code=topic, module_number=int(topic.split(".")[0]),
                level=level, status=status,
                versions=[ItemVersion(qtype="single", text=f"{topic} question {k}", data={"options": [
                    {"text": "yes", "fraction": 1.0, "feedback": None},
                    {"text": "no", "fraction": 0.0, "feedback": None}]})]))
    db_session.flush()
    return bank


def ready(n, level="K"):
    return [(level, "ready")] * n


def refusal(bank, fields, blueprint=None):
    with pytest.raises(ServiceError) as exc:
        save_blueprint(bank, fields, None, blueprint)
    return exc.value


def fields(rules, total, **kw):
    return {"code": "FINAL", "title": "Final test", "rules": rules, "total": total, **kw}


def test_save_blueprint_names_the_field_and_the_topic(make, db_session):
    bank = build_bank(db_session, "TSTBPA", {"2.3": ready(4), "2.4": ready(4)})
    r = lambda t, lo, hi: {"topic": t, "min": lo, "max": hi}  # noqa: E731

    e = refusal(bank, fields([r("2.3", 1, 3)], 0))
    assert e.field == "total" and "total: must be a whole number of at least 1" in e.message
    e = refusal(bank, fields([r("9.9", 1, 3)], 2))
    assert e.field == "rules" and "rules, topic 9.9: not a topic of programme LDR-SUS nor of the bank's items" \
        in e.message
    e = refusal(bank, fields([r("2.3", 3, 2)], 2))
    assert e.message == "rules, topic 2.3: min 3 is above max 2"
    e = refusal(bank, fields([r("2.3", -1, 2)], 2))
    assert e.message == "rules, topic 2.3: min must be 0 or more (got -1)"
    e = refusal(bank, fields([r("2.3", 1, 2), r("2.3", 1, 2)], 2))
    assert e.message == "rules, topic 2.3: the topic appears twice"
    e = refusal(bank, fields([r("2.3", "one", 2)], 2))
    assert e.message == "rules, topic 2.3: min and max must be whole numbers (got 'one' and 2)"
    e = refusal(bank, fields([r("2.3", 2, 3), r("2.4", 2, 3)], 3))
    assert (e.field, e.message) == ("total", "total: 3 is below the sum of the rules' minimums (4)")
    e = refusal(bank, fields([r("2.3", 1, 3), r("2.4", 1, 3)], 7))
    assert (e.field, e.message) == ("total", "total: 7 is above the sum of the rules' maximums (6)")
    e = refusal(bank, fields([r("2.3", 1, 3)], 3, level_quotas={"K": 2, "H": 2}))
    assert (e.field, e.message) == ("level_quotas", "level_quotas: the quotas add up to 4, above the total 3")
    e = refusal(bank, fields([r("2.3", 1, 3)], 3, level_quotas={"X": 1}))
    assert "level_quotas: unknown level 'X'" in e.message
    e = refusal(bank, fields([r("M2", 2, 4), r("2.3", 1, 3)], 4))
    assert e.message == "rules, topic 2.3: the rule M2 already draws from its module"
    e = refusal(bank, fields([], 3))
    assert e.field == "rules"
    # every error at once, the first one's field for the form
    e = refusal(bank, {"code": "", "title": "", "rules": [r("9.9", 1, 3), r("2.3", 4, 2)], "total": 2})
    assert e.field == "code"
    for part in ("code: required", "title: required", "rules, topic 9.9", "rules, topic 2.3: min 4 is above max 2"):
        assert part in e.message
    # the text forms a form posts
    e = refusal(bank, fields("2.3: 1-3\n2.4 lots", 3))
    assert e.message.startswith("rules, line 2:")


def test_save_blueprint_creates_updates_and_audits(make, db_session):
    bank = build_bank(db_session, "TSTBPB", {"2.3": ready(4), "2.4": ready(4)})
    # a topic of the programme with no items yet is a valid rule (publishing will say it is short)
    bp = save_blueprint(bank, fields("2.3: 1-3\n2.4: 1-3\n4.4: 0-2", 5, level_quotas="K 2, H 0"), None)
    assert (bp.total, bp.rules, bp.level_quotas) == (5, [
        {"topic": "2.3", "min": 1, "max": 3}, {"topic": "2.4", "min": 1, "max": 3},
        {"topic": "4.4", "min": 0, "max": 2}], {"K": 2})
    with pytest.raises(Conflict) as exc:
        save_blueprint(bank, fields([{"topic": "2.3", "min": 1, "max": 3}], 2), None)
    assert exc.value.field == "code"
    save_blueprint(bank, {"total": 4}, None, bp)
    assert bp.total == 4 and bp.code == "FINAL"
    actions = db_session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "Blueprint",
                                                                 AuditEntry.object_id == str(bp.id))).all()
    assert actions == ["blueprint_created", "blueprint_updated"]


def make_test(db_session, cohort, blueprint, title="Final test"):
    test = QuizTest(cohort_id=cohort.id, kind="final", title=title, blueprint=blueprint)
    db_session.add(test)
    db_session.flush()
    return test


def test_a_topic_with_fewer_ready_items_than_the_blueprint_may_ask_is_refused_at_publish(make, db_session):
    cohort = make.cohort(code="BP-1", programme="LDR-SUS", participants=1)
    # topic 2.3: two ready items, one draft, one retired; 2.4 has plenty
    bank = build_bank(db_session, "TSTBPC", {"2.3": ready(2) + [("K", "draft"), ("K", "retired")],
                                             "2.4": ready(5)})
    bp = save_blueprint(bank, fields([{"topic": "2.3", "min": 1, "max": 3}, {"topic": "2.4", "min": 1, "max": 3}],
                                     4), None)
    test = make_test(db_session, cohort, bp)

    problems = check_publishable(bp)
    assert [(p.topic, p.short, p.message) for p in problems] == [
        ("2.3", 1, "topic 2.3: 2 ready items, the blueprint may ask for 3 (1 short)")]
    with pytest.raises(ServiceError) as exc:
        publish(test, None)
    assert exc.value.field == "blueprint_id"
    assert "topic 2.3: 2 ready items, the blueprint may ask for 3 (1 short)" in exc.value.message
    assert "2.4" not in exc.value.message
    assert (test.status, test.published_at) == ("draft", None)

    # readying the draft item makes three: now it publishes
    draft = next(i for i in bank.items if i.status == "draft")
    draft.status = "ready"
    db_session.flush()
    trainer = make.user()
    publish(test, trainer)
    assert test.status == "published" and test.published_at is not None
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "test_published",
                                                       AuditEntry.object_id == str(test.id)))
    assert entry.actor_id == trainer.id
    with pytest.raises(Conflict):
        publish(test, trainer)


def test_publish_lists_every_problem(make, db_session):
    cohort = make.cohort(code="BP-2", programme="LDR-SUS", participants=1)
    bank = build_bank(db_session, "TSTBPD", {"1.1": ready(1), "1.2": ready(2), "1.3": ready(6, "U")})
    bp = save_blueprint(bank, fields("1.1: 1-3\n1.2: 1-3\n1.3: 1-3\n1.4: 0-2", 8, level_quotas={"H": 1}), None)
    test = make_test(db_session, cohort, bp)
    with pytest.raises(ServiceError) as exc:
        publish(test, None)
    message = exc.value.message
    for part in ("topic 1.1: 1 ready item, the blueprint may ask for 3 (2 short)",
                 "topic 1.2: 2 ready items, the blueprint may ask for 3 (1 short)",
                 "topic 1.4: 0 ready items, the blueprint may ask for 2 (2 short)",
                 "the blueprint's topics give at most 6 ready items, the test has 8 (2 short)",
                 "level H: 0 ready items in the blueprint's topics, the quotas ask for 1 (1 short)"):
        assert part in message
    assert "1.3:" not in message


def test_quotas_that_the_topic_limits_make_impossible_are_refused(make, db_session):
    cohort = make.cohort(code="BP-3", programme="LDR-SUS", participants=1)
    # 1.1 must give two K items; 1.2 can then give only one more, so two H items never fit
    bank = build_bank(db_session, "TSTBPE", {"1.1": ready(5), "1.2": ready(2) + ready(2, "H")})
    bp = save_blueprint(bank, fields("1.1: 2-2\n1.2: 0-2", 3, level_quotas={"H": 2}), None)
    assert [p.message for p in check_publishable(bp)] == [
        "the topic limits and level quotas cannot be met together by the ready items"]
    save_blueprint(bank, {"level_quotas": {"H": 1}}, None, bp)
    assert check_publishable(bp) == []
    publish(make_test(db_session, cohort, bp), None)


def test_publish_refuses_a_bank_of_another_programme_and_a_missing_blueprint(make, db_session):
    cohort = make.cohort(code="BP-4", programme="LDR-SUS", participants=1)
    bank = build_bank(db_session, "TSTBPF", {"1.1": ready(3)}, programme="TCH-SUS")
    bp = save_blueprint(bank, fields("1.1: 1-3", 2), None)
    with pytest.raises(ServiceError) as exc:
        publish(make_test(db_session, cohort, bp), None)
    assert "draws from bank TSTBPF of TCH-SUS; the cohort follows LDR-SUS" in exc.value.message
    with pytest.raises(ServiceError) as exc:
        publish(make_test(db_session, cohort, None, title="No blueprint"), None)
    assert "has no blueprint" in exc.value.message


def test_a_published_tests_blueprint_cannot_be_changed_to_one_its_pool_cannot_serve(make, db_session):
    cohort = make.cohort(code="BP-5", programme="LDR-SUS", participants=1)
    bank = build_bank(db_session, "TSTBPG", {"2.3": ready(3), "2.4": ready(3)})
    bp = save_blueprint(bank, fields("2.3: 1-3\n2.4: 1-3", 4), None)
    publish(make_test(db_session, cohort, bp), None)
    with pytest.raises(Conflict) as exc:
        save_blueprint(bank, {"rules": "2.3: 1-4\n2.4: 1-3"}, None, bp)
    assert "topic 2.3: 3 ready items, the blueprint may ask for 4 (1 short)" in exc.value.message
    assert bp.rules[0]["max"] == 3
    save_blueprint(bank, {"rules": "2.3: 2-3\n2.4: 1-2"}, None, bp)
    assert bp.rules[0]["min"] == 2
