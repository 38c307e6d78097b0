"""The trainer's review of one attempt steps to the previous and next attempts in the results
page's order (participants by name, then attempt number)."""
from tests.quizbank.test_regrade import _take
from tests.quizbank.test_views_attempts import CODE, setup  # noqa: F401 - the fixture


def test_the_review_page_steps_through_the_attempts_in_the_results_order(
        client, auth, setup, db_session):  # noqa: F811
    _cohort, test, trainer = setup
    test.attempts_allowed = 2
    db_session.commit()
    test_id = test.id
    second_participant = _take(db_session, 2, test_id)
    first_a, first_b = _take(db_session, 1, test_id), _take(db_session, 1, test_id)
    review = f"/cohorts/{CODE}/tests/{test_id}/attempts/"

    auth.login(trainer.email)
    page = client.get(review + str(first_a)).text
    assert 'rel="prev"' not in page and f'href="{review}{first_b}" rel="next"' in page
    assert 'data-position="1" data-total="3"' in page
    page = client.get(review + str(first_b)).text
    assert f'href="{review}{first_a}" rel="prev"' in page and f'href="{review}{second_participant}" rel="next"' in page
    page = client.get(review + str(second_participant)).text
    assert f'href="{review}{first_b}" rel="prev"' in page and 'rel="next"' not in page


def test_the_review_shows_when_each_answer_was_saved_and_how_the_attempt_ended(
        client, auth, setup, db_session):  # noqa: F811
    from datetime import timedelta

    from lms.db import utcnow
    from lms.quizbank.models import Attempt
    from lms.quizbank.services import attempts

    _cohort, test, trainer = setup
    test.time_limit_minutes = 30
    db_session.commit()
    submitted = _take(db_session, 1, test.id)
    overdue = _take(db_session, 2, test.id, finish=False)
    db_session.expire_all()  # the saves wrote past the loaded objects
    late = db_session.get(Attempt, overdue)  # as if started two hours ago, its time up an hour ago
    late.started_at -= timedelta(hours=2)
    for s in late.slots:
        s.answered_at -= timedelta(hours=2)
    late.deadline_at = utcnow() - timedelta(hours=1)
    db_session.commit()
    assert attempts.finish_overdue() == 1
    db_session.commit()

    kinds = [m.kind for m in attempts.timeline(db_session.get(Attempt, submitted))]
    assert kinds[0] == "started" and kinds.count("answered") == 6 and kinds[-1] == "finished"
    ended = attempts.timeline(db_session.get(Attempt, overdue))
    assert [m.kind for m in ended][-2:] == ["time_up", "finished"] and ended[-1].detail == "time ran out"

    auth.login(trainer.email)
    page = client.get(f"/cohorts/{CODE}/tests/{test.id}/attempts/{submitted}").text
    assert 'id="timeline"' in page and page.count('data-kind="answered"') == 6
    assert "тыңдаушы тапсырды" in page  # how it ended, in the trainer's Kazakh
    page = client.get(f"/cohorts/{CODE}/tests/{test.id}/attempts/{overdue}").text
    assert 'data-kind="time_up"' in page
