"""The finished demo cohort DEMO-LDR-SUS-2025, built on the test database by the demo's own
function: everything done but the defense, so its participants are refused for that alone,
and a released defense is all mini-group 1 needs for its certificates."""
from datetime import date

import pytest

from lms.core.demo import participant_email
from lms.courses.services import cohorts
from lms.portfolio.demo import ASSESSORS, FINISHED, FINISHED_PARTICIPANTS, create_demo_finished_cohort
from lms.portfolio.services import certificates, defenses
from lms.quizbank.services.content import load_banks
from tests.conftest import CONTENT


@pytest.fixture
def ctx(app, db_session):
    """One app context for the whole test: issuing needs the app's file store, and the
    demo's work is not committed, so it must stay in one session."""
    with app.app_context():
        yield


@pytest.fixture
def demo_people(ctx, make):
    trainer = make.user(email="trainer@demo.test")
    make.user(email="curator@demo.test")
    assessors = [make.user(email=e) for e in ASSESSORS]
    for n in FINISHED_PARTICIPANTS:
        make.user(email=participant_email(n), full_name=f"Демо Қатысушы {n}")
    load_banks(CONTENT / "banks", programmes={"LDR-SUS"})
    return trainer, assessors


def _reasons(cohort) -> dict[str, list[str]]:
    return {row.enrolment.user.email: [r.code for r in row.reasons] for row in certificates.eligibility(cohort)}


def test_the_finished_cohort_lacks_only_its_defense(demo_people, db_session):
    trainer, assessors = demo_people
    summary = []
    create_demo_finished_cohort(summary)
    cohort = cohorts.get_cohort(FINISHED)
    assert cohort.status == "finished" and cohort.end_date < date.today()
    enrolments = cohorts.enrolments(cohort)
    assert len(enrolments) == len(FINISHED_PARTICIPANTS) == 10
    assert {e.mini_group for e in enrolments} == {1, 2}

    rows = certificates.eligibility(cohort)
    assert _reasons(cohort) == {
        participant_email(n): ["defense_missing"] for n in FINISHED_PARTICIPANTS}
    for row in rows:  # what makes them otherwise eligible, checked rather than assumed
        assert row.final_percent >= 50
        assert row.ledger.attended == row.ledger.contact_planned > 0
        assert row.ledger.accepted == row.ledger.self_planned > 0

    (session,) = defenses.sessions_of(cohort)
    assert sorted(d.mini_group for d in session.defenses) == [1, 2]
    assert {d.status for d in session.defenses} == {"scheduled"}
    assert not any(d.assessments for d in session.defenses)
    assert defenses.chair_of(session).user_id == trainer.id
    assert {m.user_id for m in defenses.assessors_of(session)} == {a.id for a in assessors}
    assert FINISHED in summary[-1] and "not scored yet" in summary[-1]

    # mini-group 1 defends; its five become eligible, mini-group 2 still waits for its defense
    group_1 = next(d for d in session.defenses if d.mini_group == 1)
    points = [{"P1": 2, "P2": 2, "P3": 1, "P4": 2, "P5": 2}, {"P1": 2, "P2": 1, "P3": 2, "P4": 2, "P5": 1},
              {"P1": 2, "P2": 2, "P3": 2, "P4": 1, "P5": 2}]
    for assessor, given in zip(assessors, points):
        defenses.save_scores(group_1, assessor, {k: {"points": v, "comment": "Жақсы"} for k, v in given.items()},
                             submit=True)
    defenses.release(group_1, trainer)
    reasons = _reasons(cohort)
    in_group = {e.user.email: e.mini_group for e in enrolments}
    assert {email for email, codes in reasons.items() if not codes} == {
        email for email, group in in_group.items() if group == 1}
    assert all(codes == ["defense_missing"] for email, codes in reasons.items() if in_group[email] == 2)
    report = certificates.issue_cohort(cohort, actor=trainer)
    assert len(report.issued) == 5 and len(report.refused) == 5

    create_demo_finished_cohort(summary)  # idempotent: the cohort is left as it is
    assert summary[-1] == f"cohort {FINISHED}: exists, left as it is"
    assert len(cohorts.enrolments(cohort)) == 10 and len(defenses.sessions_of(cohort)) == 1
