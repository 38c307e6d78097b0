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
