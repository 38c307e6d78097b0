"""A cohort's tests set up again for a later cohort of the same programme (Moodle's import of
activities, its dates shifted by the course start): drafts, times moved, nothing twice, and
only from cohorts the trainer may read."""
from datetime import timedelta

from sqlalchemy import func, select

from lms.core.models import AuditEntry
from lms.db import utcnow
from lms.courses.services import cohorts
from lms.quizbank.models import Attempt, Test
from lms.quizbank.services import survey
from lms.quizbank.services import tests as test_service
from tests.quizbank.test_regrade import _take
from tests.quizbank.test_views_attempts import CODE, _form_of, setup  # noqa: F401 - the fixture


def _tests(db_session, cohort_id: int) -> dict[str, Test]:
    return {t.title: t for t in db_session.scalars(select(Test).where(Test.cohort_id == cohort_id))}


def test_a_later_cohort_gets_the_tests_as_drafts_with_their_times_moved(
        client, auth, setup, make, db_session):  # noqa: F811
    cohort, test, _system_trainer = setup
    trainer = make.user(email="cohort-trainer@test.kz")  # a trainer of these cohorts only
    cohorts.assign_staff(cohort, trainer, "trainer", None)
    opens = utcnow().replace(microsecond=0) - timedelta(days=1)
    test.opens_at, test.closes_at, test.time_limit_minutes = opens, opens + timedelta(days=2), 20
    questions = [{"kind": "likert", "text": {"kk": "Курс пайдалы болды"}, "required": True},
                 {"kind": "open", "text": {"kk": "Не жетіспеді?"}, "required": False}]
    exit_survey = test_service.create_test(cohort, {"kind": "exit_survey", "title": "Сауалнама"}, None)
    survey.set_questions(exit_survey, questions, None)
    survey.set_anonymous(exit_survey, False, None)
    draft = test_service.create_test(cohort, {"kind": "diagnostic", "title": "Кіріс тесті",
                                              "blueprint": test.blueprint, "attempts_allowed": 2}, None)
    db_session.commit()
    _take(db_session, 1, test.id)  # an attempt in the first cohort stays there
    later = make.cohort(code="QZ-LATER", programme="LDR-DT", format_code="blended", participants=1,
                        start=cohort.start_date + timedelta(days=14), trainer=trainer)
    make.cohort(code="QZ-SUS", programme="LDR-SUS", participants=0, trainer=trainer)  # another programme
    hidden = make.cohort(code="QZ-HIDDEN", programme="LDR-DT", format_code="blended", participants=0,
                         trainer=make.user(email="someone-else@test.kz"))
    test_service.create_test(hidden, {"kind": "final", "title": "Қорытынды"}, None)
    db_session.commit()
    later_id, source_ids = later.id, {t.title: t.id for t in (test, exit_survey, draft)}

    auth.login(trainer.email)
    assert "/cohorts/QZ-LATER/tests/copy" in client.get("/cohorts/QZ-LATER/tests").text
    page = client.get("/cohorts/QZ-LATER/tests/copy").text
    assert 'id="copy-tests"' in page and f'value="{CODE}"' in page
    assert 'value="QZ-SUS"' not in page and 'value="QZ-HIDDEN"' not in page

    done = client.post("/cohorts/QZ-LATER/tests/copy", data={**_form_of(page), "source": CODE}, follow_redirects=True)
    assert done.request.path == "/cohorts/QZ-LATER/tests" and "14" in done.text
    copied = _tests(db_session, later_id)
    assert sorted(copied) == sorted(source_ids)
    assert all(t.status == "draft" for t in copied.values())
    module = copied["1-модуль бойынша тест"]
    assert (module.opens_at, module.closes_at) == (opens + timedelta(days=14), opens + timedelta(days=16))
    assert (module.kind, module.module_number, module.blueprint_id, module.time_limit_minutes, module.pass_percent,
            module.bands) == ("module", 1, test.blueprint_id, 20, test.pass_percent, test.bands)
    assert copied["Кіріс тесті"].attempts_allowed == 2 and copied["Кіріс тесті"].opens_at is None
    assert [(q.kind, q.text, q.required) for q in survey.questions_of(copied["Сауалнама"])] == \
        [(q["kind"], q["text"], q["required"]) for q in questions]
    assert copied["Сауалнама"].anonymous is False
    assert db_session.scalar(select(func.count()).select_from(Attempt)
                             .where(Attempt.test_id.in_([t.id for t in copied.values()]))) == 0
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "tests_copied")).one()
    assert entry.details["shift_days"] == 14 and len(entry.details["made"]) == 3

    # twice adds nothing; another programme's cohort, or one the trainer may not read, is refused
    again = client.post("/cohorts/QZ-LATER/tests/copy", data={**_form_of(page), "source": CODE}, follow_redirects=True)
    warning = again.text.split('<p class="flash warning" role="status">')[1].split("</p>")[0]
    assert "1-модуль бойынша тест" in warning and len(_tests(db_session, later_id)) == 3
    for other in ("QZ-SUS", "QZ-HIDDEN", "QZ-LATER"):
        client.post("/cohorts/QZ-LATER/tests/copy", data={**_form_of(page), "source": other})
    assert len(_tests(db_session, later_id)) == 3

    # a participant may not copy
    auth.login("qz-later-p01@test.kz")
    assert client.post("/cohorts/QZ-LATER/tests/copy", data={"source": CODE}).status_code == 403
