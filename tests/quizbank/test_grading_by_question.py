"""Essays graded question by question (Moodle's manual grading by question): every answer to
the same item one after another, and back to that item after each grade."""
import re

from sqlalchemy import select

from lms.core.models import User
from lms.courses.models import Enrolment
from lms.quizbank.models import Attempt, AttemptSlot, Blueprint, Test
from lms.quizbank.services import attempts
from tests.quizbank.test_attempts import ESSAY, build_items, make_test, shown
from tests.quizbank.test_views_attempts import CODE, _form_of, setup  # noqa: F401 - the fixture


def _essays_answered(db_session, test_id: int) -> None:
    """Both participants write both essays and submit."""
    for n in (1, 2):
        user = db_session.scalar(select(User).where(User.email == f"{CODE.lower()}-p{n:02d}@test.kz"))
        enrolment = db_session.scalar(select(Enrolment).where(Enrolment.user_id == user.id))
        attempt = attempts.start_attempt(db_session.get(Test, test_id), enrolment, user)
        db_session.flush()
        for s in attempt.slots:
            attempts.save_answer(attempt.id, s.slot, shown(s, {"text": f"Эссе {n}, {s.version.item.code}"}), user)
        attempts.submit(attempt.id, user)
    db_session.commit()


def test_a_grader_takes_the_essays_one_question_at_a_time(client, auth, setup, db_session):  # noqa: F811
    cohort, _test, trainer = setup
    first, second = (v.item.code for v in build_items(db_session, kinds=[ESSAY, ESSAY], topic="1.2"))
    bank_id = db_session.scalar(select(Blueprint.bank_id).where(Blueprint.code == "QV-M1"))
    blueprint = Blueprint(bank_id=bank_id, code="QV-ESSAYS", title="essays", total=2,
                          rules=[{"topic": "1.2", "min": 2, "max": 2}], level_quotas={})
    db_session.add(blueprint)
    db_session.flush()
    test_id = make_test(cohort, blueprint=blueprint, title="Эсселер").id
    db_session.commit()
    _essays_answered(db_session, test_id)
    url = f"/cohorts/{CODE}/tests/{test_id}/grading"

    auth.login(trainer.email)
    page = client.get(url).text
    assert page.count('class="to-grade"') == 4
    assert f'data-item="{first}">{first} (2)' in page and f'data-item="{second}">{second} (2)' in page

    one = client.get(url, query_string={"item": first}).text
    sections = re.findall(r'<section class="to-grade" id="grade-(\d+)">\s*<h2>.*?<small>(.*?)</small>', one, re.S)
    assert [code for _id, code in sections] == [first, first]
    assert "Эссе 1, " + first in one and "Эссе 2, " + first in one and second + "</small>" not in one

    # each grade comes back to the same question until its answers are graded, then to all
    for slot_id, _code in sections:
        done = client.post(f"/cohorts/{CODE}/tests/{test_id}/slots/{slot_id}/grade",
                           data={**_form_of(one), "score": "1", "feedback": "", "item": first})
        assert done.status_code == 302 and done.headers["Location"].endswith(f"grading?item={first}")
    after = client.get(url, query_string={"item": first}).text
    assert after.count('class="to-grade"') == 2 and first + "</small>" not in after  # the other question's two
    assert db_session.scalar(select(AttemptSlot.score).where(AttemptSlot.id == int(sections[0][0]))) == 1.0
    assert all(a.pending_grading == 1 for a in db_session.scalars(select(Attempt).where(Attempt.test_id == test_id)))
