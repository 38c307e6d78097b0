"""A test's responses report (Moodle's "Responses"): every answer in the options' own words,
beside the key and the points, as CSV and XLSX, for the trainers of the cohort only."""
import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from lms.core.models import User
from lms.courses.models import Enrolment
from lms.quizbank.models import Test
from lms.quizbank.services import attempts, results
from lms.quizbank.services import tests as test_service
from tests.quizbank.test_attempts import RIGHT, shown
from tests.quizbank.test_regrade import WRONG_SINGLE, _take
from tests.quizbank.test_views_attempts import CODE, setup  # noqa: F401 - the fixture


def _rows(body: bytes) -> list[dict]:
    assert body.startswith(b"\xef\xbb\xbf")  # Excel reads the Kazakh letters
    return list(csv.DictReader(io.StringIO(body[3:].decode("utf-8"))))


def _running(db_session, n: int, test_id: int, answered: tuple[str, ...]) -> int:
    """Participant n starts and answers only the questions of the given types."""
    user = db_session.scalar(select(User).where(User.email == f"{CODE.lower()}-p{n:02d}@test.kz"))
    enrolment = db_session.scalar(select(Enrolment).where(Enrolment.user_id == user.id))
    attempt = attempts.start_attempt(db_session.get(Test, test_id), enrolment, user)
    db_session.flush()
    for s in attempt.slots:
        if s.version.qtype in answered:
            attempts.save_answer(attempt.id, s.slot, shown(s, RIGHT[s.version.qtype]), user)
    db_session.commit()
    return attempt.id


def test_the_trainer_reads_every_answer_in_words_beside_the_key_and_the_points(
        client, auth, setup, db_session, count_queries):  # noqa: F811
    _cohort, test, trainer = setup
    test_id, trainer_email = test.id, trainer.email
    _take(db_session, 1, test_id, single=WRONG_SINGLE)        # finished, 5 of 6
    _running(db_session, 2, test_id, ("matching", "numerical"))

    auth.login(trainer_email)
    page = client.get(f"/cohorts/{CODE}/tests/{test_id}").text
    url = f"/cohorts/{CODE}/tests/{test_id}/responses.csv"
    assert 'id="responses-download"' in page and url in page
    assert 'data-progress="2/6"' in page  # the attempt still running: two of six answered so far

    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Content-Disposition"] == f'attachment; filename="{CODE}-test-{test_id}-responses.csv"'
    rows = _rows(response.data)
    assert len(rows) == 12  # two attempts of six questions, in the participants' and slots' order
    assert [(r["Тыңдаушы"], r["Сұрақ"]) for r in rows] == \
        [(f"Қатысушы 0{n}", str(slot)) for n in (1, 2) for slot in range(1, 7)]
    by = {(r["Тыңдаушы"], r["Түрі"]): r for r in rows}
    wrong = by[("Қатысушы 01", "бір жауапты таңдау")]
    assert (wrong["Жауап"], wrong["Дұрыс жауап"], wrong["Балл"], wrong["Мәртебесі"]) == ("Алматы", "Астана", "0.0", "аяқталды")
    assert by[("Қатысушы 01", "бірнеше жауапты таңдау")]["Жауап"] == "a; b"
    assert by[("Қатысушы 01", "сәйкестендіру")]["Жауап"] == "1+1 → 2; 2+2 → 4"
    assert by[("Қатысушы 01", "қысқа жауап")]["Жауап"] == "Көктем"
    assert by[("Қатысушы 01", "қысқа жауап")]["Дұрыс жауап"] == "көк*"
    assert (by[("Қатысушы 01", "сандық")]["Жауап"], by[("Қатысушы 01", "сандық")]["Дұрыс жауап"]) == ("12.5", "12.5 ± 0.1")
    # the attempt still running: what was given so far, nothing scored yet
    running = {r["Түрі"]: r for r in rows if r["Тыңдаушы"] == "Қатысушы 02"}
    assert running["сандық"]["Жауап"] == "12.5" and running["сандық"]["Мәртебесі"] == "орындалуда"
    assert (running["бір жауапты таңдау"]["Жауап"], running["бір жауапты таңдау"]["Балл"]) == ("", "")
    assert running["бір жауапты таңдау"]["Дұрыс жауап"] == "Астана"

    # the same table for Excel
    book = load_workbook(io.BytesIO(client.get(f"/cohorts/{CODE}/tests/{test_id}/responses.xlsx").data))
    sheet = book.active
    assert sheet.max_row == 13 and sheet.cell(1, 1).value == "Тыңдаушы"
    assert [c.value for c in sheet[2]][9:12] == [rows[0]["Жауап"], rows[0]["Дұрыс жауап"], float(rows[0]["Балл"])]

    # the results table comes as XLSX too
    book = load_workbook(io.BytesIO(client.get(f"/cohorts/{CODE}/tests/{test_id}?format=xlsx").data))
    assert [row[0].value for row in book.active.iter_rows(min_row=2)] == ["Қатысушы 01", "Қатысушы 02"]

    # two statements, however many attempts
    loaded = db_session.get(Test, test_id)
    with count_queries() as q:
        assert len(results.responses(loaded)) == 12
    assert len(q) == 2


def test_responses_are_for_the_cohorts_trainers_and_not_for_the_exit_survey(
        client, auth, setup, make, db_session):  # noqa: F811
    cohort, test, trainer = setup
    test_id, trainer_email = test.id, trainer.email
    _take(db_session, 1, test_id)
    survey = test_service.create_test(cohort, {"kind": "exit_survey", "title": "Сауалнама"}, None)
    survey.status = "published"
    other = make.cohort(code="QZ-RESP-OTHER", programme="LDR-DT", format_code="blended", participants=0,
                        trainer=make.user(email="other-trainer@test.kz"))
    db_session.commit()
    survey_id = survey.id

    auth.login(f"{CODE.lower()}-p01@test.kz")  # a participant: not even their own row
    assert client.get(f"/cohorts/{CODE}/tests/{test_id}/responses.csv").status_code == 403
    auth.login("other-trainer@test.kz")        # another cohort's trainer
    assert client.get(f"/cohorts/{CODE}/tests/{test_id}/responses.csv").status_code == 403
    assert client.get(f"/cohorts/{other.code}/tests/{test_id}/responses.csv").status_code == 404

    auth.login(trainer_email)
    assert client.get(f"/cohorts/{CODE}/tests/{test_id}/responses.pdf").status_code == 404
    assert client.get(f"/cohorts/{CODE}/tests/{test_id}?format=pdf").status_code == 404
    assert client.get(f"/cohorts/{CODE}/tests/{survey_id}/responses.csv").status_code == 404
    assert 'id="responses-download"' not in client.get(f"/cohorts/{CODE}/tests/{survey_id}").text

