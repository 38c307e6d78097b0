"""A test page left open a long time, or a participant signed out meanwhile: the answers on
it are not dropped as "expired", and the page's script is told it was signed out (401 JSON)
instead of being redirected to the sign-in page, which it would read as a dropped line."""
import time

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.quizbank.test_views_attempts import CODE, _fields_for, _form_of, _start, setup  # noqa: F401


def _token_made_ago(app, client, seconds: int) -> str:
    """The page's form token as Flask-WTF would have made it `seconds` ago in this session."""
    class Earlier(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - seconds

    with client.session_transaction() as session:
        raw = session["csrf_token"]
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token", signer=Earlier).dumps(raw)


def test_a_page_posted_hours_after_it_was_shown_keeps_its_answers(app, client, auth, setup):  # noqa: F811
    _cohort, test, _trainer = setup
    attempt_id = _start(client, auth, test)
    url = f"/cohorts/{CODE}/me/attempts/{attempt_id}"
    answers = _fields_for(attempt_id, range(1, 6))
    app.config["WTF_CSRF_ENABLED"] = True  # the suite runs without it; this test is about it
    try:
        client.get(url)  # the page's form token is made in the session
        r = client.post(f"{url}?page=1", data={"csrf_token": _token_made_ago(app, client, 3 * 3600), **answers,
                                               "action": "next"})
        assert r.status_code == 302 and r.headers["Location"].endswith("page=2")  # saved, on to page 2

        # a form from the day before is refused, and says so
        r = client.post(f"{url}?page=1", data={"csrf_token": _token_made_ago(app, client, 13 * 3600), **answers,
                                               "action": "next"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert r.status_code == 400 and "Форманың жарамдылық мерзімі өтті" in r.get_data(as_text=True)


def test_a_signed_out_autosave_is_told_so_and_a_page_is_sent_to_sign_in(client, auth, setup):  # noqa: F811
    _cohort, test, _trainer = setup
    attempt_id = _start(client, auth, test)
    page = client.get(f"/cohorts/{CODE}/me/attempts/{attempt_id}")
    form = _form_of(page.text)
    auth.logout()
    r = client.post(f"/cohorts/{CODE}/me/attempts/{attempt_id}/slots/1", data={**form, "q1": "0"},
                    headers={"Accept": "application/json"})
    assert r.status_code == 401 and r.get_json()["error"] == "signed_out"
    r = client.get(f"/cohorts/{CODE}/me/attempts/{attempt_id}")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
