"""A participant flags a question to come back to (Moodle's flag): without JavaScript the
button posts the page (its answers saved too), with it a small request sets the flag; the
summary and the page list show the flags; nobody flags another's attempt or a finished one."""
from sqlalchemy import select

from lms.quizbank.models import AttemptSlot
from tests.quizbank.test_extra_attempts import _finish
from tests.quizbank.test_views_attempts import CODE, _fields_for, _form_of, _start, setup  # noqa: F401


def _flags(db_session, attempt_id) -> dict[int, bool]:
    db_session.expire_all()
    return {s.slot: s.flagged for s in db_session.scalars(select(AttemptSlot).where(
        AttemptSlot.attempt_id == attempt_id))}


def test_a_flag_without_javascript_saves_the_page_and_shows_in_the_summary(client, auth, setup, db_session):  # noqa: F811
    _cohort, test, _trainer = setup
    attempt_id = _start(client, auth, test)
    url = f"/cohorts/{CODE}/me/attempts/{attempt_id}"
    page = client.get(url)
    assert page.text.count('class="link flag" aria-pressed="false"') == 5
    # Enter in an answer field presses the first button of the form: "save", not a flag
    assert page.text.index('value="save" class="offscreen"') < page.text.index('value="flag-1"')

    answers = _fields_for(attempt_id, range(1, 6))
    r = client.post(f"{url}?page=1", data={**_form_of(page.text), **answers, "action": "flag-3"})
    assert r.status_code == 302 and r.headers["Location"].endswith("page=1#q3")
    assert _flags(db_session, attempt_id)[3] is True
    assert all(s.answer is not None for s in db_session.scalars(select(AttemptSlot).where(
        AttemptSlot.attempt_id == attempt_id, AttemptSlot.slot <= 5)))  # the page's answers were saved too
    page = client.get(f"{url}?page=1")
    assert 'value="flag-3" class="link flag" aria-pressed="true"' in page.text
    assert "1–5 ⚑" in page.text and "6–6 ⚑" not in page.text
    summary = client.get(f"{url}/summary").text
    row = summary.split('#q3">3</a>', 1)[1].split("</tr>", 1)[0]
    assert 'class="flagged"' in row and summary.count('class="flagged"') == 1

    # pressed again: the flag comes off
    client.post(f"{url}?page=1", data={**_form_of(page.text), "action": "flag-3"})
    assert _flags(db_session, attempt_id)[3] is False


def test_the_flag_request_is_the_participants_own_and_only_in_progress(
        client, auth, setup, db_session, make):  # noqa: F811
    from lms.core.models import User
    from lms.courses.services import cohorts

    _cohort, test, _trainer = setup
    attempt_id = _start(client, auth, test, 1)
    page = client.get(f"/cohorts/{CODE}/me/attempts/{attempt_id}")
    # enrolled in a second cohort too: that cohort's address does not reach this attempt
    second = make.cohort(code="FLAG-TWO", participants=0)
    cohorts.enrol(second, db_session.scalar(select(User).where(User.email == f"{CODE.lower()}-p01@test.kz")), None)
    db_session.commit()
    r = client.post(f"/cohorts/FLAG-TWO/me/attempts/{attempt_id}/slots/2/flag",
                    data={**_form_of(page.text), "flagged": "1"})
    assert r.status_code == 404 and _flags(db_session, attempt_id)[2] is False
    flag = f"/cohorts/{CODE}/me/attempts/{attempt_id}/slots/2/flag"
    r = client.post(flag, data={**_form_of(page.text), "flagged": "1"}, headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.get_json() == {"slot": 2, "flagged": True}
    assert _flags(db_session, attempt_id)[2] is True
    assert client.post(f"/cohorts/{CODE}/me/attempts/{attempt_id}/slots/99/flag",
                       data={**_form_of(page.text), "flagged": "1"}).status_code == 404

    # another participant cannot flag it
    other = _start(client, auth, test, 2)
    page2 = client.get(f"/cohorts/{CODE}/me/attempts/{other}")
    r = client.post(flag, data={**_form_of(page2.text), "flagged": "0"})
    assert r.status_code == 404 and _flags(db_session, attempt_id)[2] is True

    # a finished attempt keeps its flags as they were
    auth.login(f"{CODE.lower()}-p01@test.kz")
    _finish(client, attempt_id)
    page = client.get(f"/cohorts/{CODE}/me/tests")
    assert client.post(flag, data={**_form_of(page.text), "flagged": "0"}).status_code == 404
    assert _flags(db_session, attempt_id)[2] is True
