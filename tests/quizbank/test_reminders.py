"""A reminder to those who have not finished an open test: one e-mail each, in their own
language, nothing twice in a day, nobody who finished, and only while the test is open."""
from datetime import timedelta

from sqlalchemy import select

from lms.core.models import AuditEntry, OutboxMessage
from lms.courses.services import cohorts
from lms.db import utcnow
from lms.quizbank.models import Test
from lms.quizbank.services import tests as test_service
from tests.quizbank.test_regrade import _take
from tests.quizbank.test_views_attempts import CODE, _form_of, setup  # noqa: F401 - the fixture


def _outbox(db_session) -> list[OutboxMessage]:
    return list(db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_those_who_have_not_finished_are_reminded_once_a_day(
        client, auth, setup, make, db_session, app, monkeypatch, tmp_path):  # noqa: F811
    monkeypatch.setattr(app.config["LMS"], "outbox_dir", str(tmp_path / "outbox"))
    cohort, test, trainer = setup
    test.closes_at = utcnow() + timedelta(days=2)
    third = make.user(email=f"{CODE.lower()}-p03@test.kz", full_name="Қатысушы 03", language="ru")
    cohorts.enrol(cohort, third, None)
    db_session.commit()
    test_id = test.id
    _take(db_session, 1, test_id)                  # finished: not reminded
    _take(db_session, 2, test_id, finish=False)    # started, not finished: reminded
    fourth = make.user(email=f"{CODE.lower()}-p04@test.kz", full_name="Қатысушы 04")
    fourth.notices_off = ["quizbank:reminder"]     # turned this kind off: not reminded
    cohorts.enrol(cohort, fourth, None)
    db_session.commit()

    auth.login(trainer.email)
    page = client.get(f"/cohorts/{CODE}/tests/{test_id}").text
    assert 'id="remind-form"' in page
    client.post(f"/cohorts/{CODE}/tests/{test_id}/remind", data=_form_of(page))
    sent = _outbox(db_session)
    assert sorted(m.to_email for m in sent) == [f"{CODE.lower()}-p02@test.kz", f"{CODE.lower()}-p03@test.kz"]
    kazakh = next(m for m in sent if m.to_email.endswith("p02@test.kz"))
    russian = next(m for m in sent if m.to_email.endswith("p03@test.kz"))
    assert "1-модуль бойынша тест" in kazakh.subject and f"/cohorts/{CODE}/me/tests" in kazakh.body
    assert russian.body.startswith("Здравствуйте, Қатысушы 03.")  # in the participant's own language
    assert kazakh.body.startswith("Сәлеметсіз бе, Қатысушы 02.")
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "test_reminders_queued")) is not None
    # sent at once (the test may close today), not with tomorrow's daily task
    db_session.expire_all()
    assert all(m.sent_at is not None for m in _outbox(db_session))
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == sorted(f"{m.id}.eml" for m in sent)

    # again the same day: nothing new
    again = client.post(f"/cohorts/{CODE}/tests/{test_id}/remind", data=_form_of(page), follow_redirects=True)
    assert len(_outbox(db_session)) == 2 and 'class="flash' in again.text

    # a closed test reminds nobody, and a participant may not send reminders
    closed = db_session.get(Test, test_id)
    closed.closes_at = utcnow() - timedelta(minutes=1)
    db_session.commit()
    assert 'id="remind-form"' not in client.get(f"/cohorts/{CODE}/tests/{test_id}").text
    client.post(f"/cohorts/{CODE}/tests/{test_id}/remind", data=_form_of(page))
    assert len(_outbox(db_session)) == 2
    auth.login(f"{CODE.lower()}-p02@test.kz")
    assert client.post(f"/cohorts/{CODE}/tests/{test_id}/remind", data={}).status_code == 403


def test_the_daily_task_reminds_of_the_tests_closing_within_a_day(
        setup, runner, db_session, app, monkeypatch, tmp_path):  # noqa: F811
    monkeypatch.setattr(app.config["LMS"], "outbox_dir", str(tmp_path / "outbox"))
    cohort, test, _trainer = setup
    test.closes_at = utcnow() + timedelta(hours=20)
    later = test_service.create_test(cohort, {"kind": "final", "title": "Қорытынды", "blueprint": test.blueprint,
                                              "closes_at": utcnow() + timedelta(days=3)}, None)
    later.status = "published"
    db_session.commit()
    result = runner.invoke(args=["quiz", "remind"])
    assert result.exit_code == 0, result.output
    assert "queued 2 reminder(s)" in result.output and "delivered 2 message(s)" in result.output
    assert {m.key.split(":")[2] for m in _outbox(db_session)} == {str(test.id)}  # not the test closing in 3 days
    again = runner.invoke(args=["quiz", "remind"])
    assert "queued 0 reminder(s)" in again.output  # the same day: nothing twice


def test_an_open_survey_reminds_who_has_not_answered_and_an_anonymous_one_logs_no_names(
        client, auth, make, db_session, app, monkeypatch, tmp_path):
    from lms.quizbank.services import survey
    from tests.quizbank.test_survey import full_answers, make_survey

    monkeypatch.setattr(app.config["LMS"], "outbox_dir", str(tmp_path / "outbox"))
    trainer = make.user("trainer", email="survey-trainer@test.kz")
    cohort = make.cohort(code="SRV-REMIND", participants=3)
    test = make_survey(cohort, anonymous=True, closes_at=utcnow() + timedelta(hours=20))
    first = next(e for e in cohort.enrolments if e.user.email == "srv-remind-p01@test.kz")
    survey.submit(test, first, full_answers(survey.questions_of(test)), first.user)
    db_session.commit()

    auth.login(trainer.email)
    page = client.get(f"/cohorts/SRV-REMIND/tests/{test.id}/survey").text
    assert 'id="remind-form"' in page
    done = client.post(f"/cohorts/SRV-REMIND/tests/{test.id}/remind", data=_form_of(page), follow_redirects=True)
    assert done.request.path == f"/cohorts/SRV-REMIND/tests/{test.id}/survey"
    sent = _outbox(db_session)
    assert sorted(m.to_email for m in sent) == ["srv-remind-p02@test.kz", "srv-remind-p03@test.kz"]  # not who answered
    assert "«Шығу сауалнамасы» сауалнамасы" in sent[0].body and "анонимді" in sent[0].body  # the survey, anonymous, in Kazakh
    (entry,) = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "test_reminders_queued"))
    assert entry.details == {"count": 2}  # no names: who had not answered could name a respondent
    again = client.post(f"/cohorts/SRV-REMIND/tests/{test.id}/remind", data=_form_of(page), follow_redirects=True)
    assert len(_outbox(db_session)) == 2 and "flash" in again.text  # nothing twice in a day



def test_the_daily_task_reminds_of_a_survey_closing_within_a_day(make, db_session, app, monkeypatch, tmp_path):
    from lms.quizbank.services import reminders
    from tests.quizbank.test_survey import make_survey

    monkeypatch.setattr(app.config["LMS"], "outbox_dir", str(tmp_path / "outbox"))
    cohort = make.cohort(code="SRV-DAILY", participants=2)
    soon = make_survey(cohort, anonymous=False, closes_at=utcnow() + timedelta(hours=20))
    make_survey(make.cohort(code="SRV-LATER", participants=2), closes_at=utcnow() + timedelta(days=3))
    db_session.commit()
    with app.test_request_context():  # the task runs in the application (lms quiz remind, the worker)
        assert reminders.remind_closing() == 2
        db_session.commit()  # as the task's runner does
    assert {m.key.split(":")[2] for m in _outbox(db_session)} == {str(soon.id)}
    (entry,) = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "test_reminders_queued"))
    assert sorted(entry.details["to"]) == ["srv-daily-p01@test.kz", "srv-daily-p02@test.kz"]  # named: not anonymous
