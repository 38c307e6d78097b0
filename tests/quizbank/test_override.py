"""A trainer overrides the points of an automatically scored question after an appeal
(Moodle's "override mark"): with a reason the participant reads, audited, kept by a later
regrade, and undone by giving the automatic score back."""
import pytest
from sqlalchemy import select

from lms.core.models import AuditEntry
from lms.core.services.errors import Conflict, ServiceError
from lms.quizbank.models import Attempt, AttemptSlot, ItemVersion
from lms.quizbank.services import attempts, regrade
from lms.quizbank.services import tests as test_service
from tests.quizbank.test_regrade import WRONG_SINGLE, _outcome, _swap_key, _take
from tests.quizbank.test_views_attempts import CODE, _form_of, setup  # noqa: F401 - the fixture


def _slot(db_session, attempt_id: int, qtype: str) -> AttemptSlot:
    return db_session.scalar(select(AttemptSlot).join(AttemptSlot.version)
                             .where(AttemptSlot.attempt_id == attempt_id, ItemVersion.qtype == qtype))


def test_an_appeal_overrides_the_points_the_participant_reads_why_and_a_regrade_keeps_them(
        client, auth, setup, db_session):  # noqa: F811
    _cohort, test, trainer = setup
    test.review_options = {**test_service.DEFAULT_REVIEW, "answers": True}  # the participant sees each question
    db_session.commit()
    test_id, trainer_email = test.id, trainer.email
    appealed = _take(db_session, 1, test_id, single=WRONG_SINGLE)  # 5 of 6: the single choice was wrong
    other = _take(db_session, 2, test_id)                          # 6 of 6
    slot = _slot(db_session, appealed, "single")
    slot_id, slot_no = slot.id, slot.slot
    review = f"/cohorts/{CODE}/tests/{test_id}/attempts/{appealed}"
    url = f"/cohorts/{CODE}/tests/{test_id}/slots/{slot_id}/grade"

    auth.login(trainer_email)
    page = client.get(review).text
    assert f'id="override-{slot_no}"' in page and f'action="{url}"' in page
    # no reason, or points out of range: refused and nothing changes
    for data in ({"score": "1", "feedback": " "}, {"score": "2", "feedback": "Апелляция"}):
        client.post(url, data={**_form_of(page), "next": "review", **data}, follow_redirects=True)
        assert _outcome(db_session, appealed)[0] == 5
    reason = "Апелляция: сұрақтың тұжырымы екі түрлі оқылады"
    done = client.post(url, data={**_form_of(page), "next": "review", "score": "0.5", "feedback": reason},
                       follow_redirects=True)
    assert done.request.path == review and "data-overridden" in done.text
    assert _outcome(db_session, appealed) == (5.5, 91.67, True)
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "score_overridden")).one()
    assert (entry.details["old"], entry.details["new"], entry.details["reason"]) == (0.0, 0.5, reason)

    # the participant reads the new points and why
    auth.login(f"{CODE.lower()}-p01@test.kz")
    result = client.get(f"/cohorts/{CODE}/me/attempts/{appealed}/result").text
    assert reason in result and "data-overridden" in result

    # the key is corrected afterwards (the appealed answer becomes right): the regrade rescores
    # the others, not the overridden question
    _swap_key(db_session)
    regrade.regrade(db_session.get(Attempt, appealed).test, None)
    db_session.commit()
    assert _outcome(db_session, appealed) == (5.5, 91.67, True)
    assert _outcome(db_session, other)[0] == 5.0
    assert db_session.get(AttemptSlot, slot_id).version.number == 2

    # taken back: the automatic score by the version it now shows (the corrected key: right)
    auth.login(trainer_email)
    page = client.get(review).text
    assert "data-restore" in page
    client.post(url, data={**_form_of(page), "next": "review", "action": "restore"}, follow_redirects=True)
    slot = db_session.get(AttemptSlot, slot_id)
    assert (slot.overridden, slot.feedback, slot.score) == (False, None, 1.0)
    assert db_session.scalar(select(AuditEntry.id).where(AuditEntry.action == "score_restored")) is not None


def test_an_override_is_refused_for_essays_attempts_in_progress_and_automatic_scores(
        client, auth, setup, db_session):  # noqa: F811
    _cohort, test, _trainer = setup
    finished = _take(db_session, 1, test.id)
    running = _take(db_session, 2, test.id, finish=False)
    with pytest.raises(Conflict, match="still in progress"):
        attempts.override_score(_slot(db_session, running, "single"), 1, "Апелляция", None)
    with pytest.raises(Conflict, match="already has its automatic score"):
        attempts.override_score(_slot(db_session, finished, "single"), None, None, None)
    db_session.rollback()
    essays = db_session.scalars(select(AttemptSlot).join(AttemptSlot.version).where(ItemVersion.qtype == "essay"))
    for essay in essays:
        with pytest.raises(ServiceError, match="graded by hand"):
            attempts.override_score(essay, 1, "Апелляция", None)
    db_session.rollback()
    assert db_session.scalar(select(AuditEntry.id).where(AuditEntry.action.like("score_%"))) is None
