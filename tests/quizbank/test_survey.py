"""Exit survey: default questions from content/surveys/exit.yaml, questions of a draft, one
submission per participant while open, required questions, the summary (numbers, rate,
anonymity), the participant's own answers for the post-course plugin, and the pages."""
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, inspect, select

from lms.core.services.errors import Conflict, ServiceError
from lms.courses.services import cohorts
from lms.db import db, utcnow
from lms.quizbank.models import Bank, Blueprint, SurveyAnswer, SurveyQuestion, SurveyResponse, Test
from lms.quizbank.services import blueprints, survey, tests

EXIT_YAML = Path(__file__).resolve().parents[2] / "content" / "surveys" / "exit.yaml"


def make_survey(cohort, *, anonymous=True, publish=True, questions=None, **fields):
    test = tests.create_test(cohort, {"kind": "exit_survey", "title": "Шығу сауалнамасы", **fields}, None)
    if questions is None:
        survey.add_default_questions(test, None)
    else:
        survey.set_questions(test, questions, None)
    survey.set_anonymous(test, anonymous, None)
    if publish:
        blueprints.publish(test, None)
    db.session.commit()
    return test


def full_answers(questions, likert=4, text="Жеке кеңес керек"):
    return {q.id: likert if q.kind == "likert" else text for q in questions}


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def cohort(make):
    trainer = make.user(email="sv-trainer@test.kz")
    return make.cohort(code="SV-A", programme="LDR-DT", format_code="blended", participants=4, trainer=trainer)


# --- questions -----------------------------------------------------------------------------

def test_default_questions_follow_the_content_file(cohort, db_session):
    spec = yaml.safe_load(EXIT_YAML.read_text(encoding="utf-8"))
    kinds = [q["kind"] for q in spec["questions"]]
    assert 6 <= kinds.count("likert") <= 8 and 2 <= kinds.count("open") <= 3
    test = make_survey(cohort, publish=False)
    rows = survey.questions_of(test)
    assert [q.kind for q in rows] == kinds and [q.position for q in rows] == list(range(1, len(kinds) + 1))
    assert all(set(q.text) == {"kk", "ru", "en"} for q in rows)
    assert rows[0].text["kk"] == spec["questions"][0]["text"]["kk"] and rows[0].required
    assert not rows[-1].required  # open questions may stay empty
    assert survey.add_default_questions(test, None) == []  # a survey with questions keeps them
    assert len(survey.questions_of(test)) == len(kinds)
    assert survey.scale_labels("en") == {1: "Strongly disagree", 2: "Disagree", 3: "Neither agree nor disagree",
                                         4: "Agree", 5: "Strongly agree"}
    module_test = tests.create_test(cohort, {"kind": "module", "title": "1-модуль", "module_number": 1}, None)
    with pytest.raises(ServiceError, match="not a survey"):
        survey.add_default_questions(module_test, None)


def test_set_questions_names_each_bad_line_and_changes_nothing(cohort, db_session):
    test = make_survey(cohort, publish=False, questions="L*: Модульдер пайдалы болды | Модули были полезны\nO: Ұсыныс")
    assert [(q.kind, q.required, q.text) for q in survey.questions_of(test)] == [
        ("likert", True, {"kk": "Модульдер пайдалы болды", "ru": "Модули были полезны"}),
        ("open", False, {"kk": "Ұсыныс"})]
    with pytest.raises(ServiceError) as exc:
        survey.set_questions(test, "L*: Жақсы\nX: бұл не?\n\n# түсініктеме\nO*:  | только по-русски", None)
    assert "line 2: start with 'L:'" in exc.value.message
    assert "line 5, text: the Kazakh text is required" in exc.value.message and exc.value.field == "questions"
    with pytest.raises(ServiceError, match="question 1, kind: likert or open"):
        survey.set_questions(test, [{"kind": "scale", "text": {"kk": "Иә"}}], None)
    with pytest.raises(ServiceError, match="question 2, required: true or false"):
        survey.set_questions(test, [{"kind": "open", "text": "Иә"}, {"kind": "open", "text": "Жоқ", "required": "x"}],
                             None)
    assert len(survey.questions_of(test)) == 2  # refusals changed nothing
    text = survey.format_questions(survey.questions_of(test))
    assert text == "L*: Модульдер пайдалы болды | Модули были полезны\nO: Ұсыныс"
    assert survey.format_questions(survey.parse_questions(text)) == text


def test_publishing_a_survey_needs_questions_and_no_blueprint(cohort, db_session):
    empty = tests.create_test(cohort, {"kind": "exit_survey", "title": "Бос сауалнама"}, None)
    assert empty.anonymous is True  # exit surveys are anonymous unless set otherwise
    with pytest.raises(ServiceError, match="needs at least one question") as exc:
        blueprints.publish(empty, None)
    assert exc.value.field == "questions" and empty.status == "draft"
    bank = Bank(code="SVBANK", programme_code="LDR-DT", title="Сауалнама банкі")
    db_session.add(bank)
    db_session.flush()
    blueprint = Blueprint(bank_id=bank.id, code="SV-BP", title="Үлгі", total=1, rules=[{"topic": "1.1", "min": 1,
                                                                                         "max": 1}])
    db_session.add(blueprint)
    db_session.flush()
    drawn = tests.create_test(cohort, {"kind": "exit_survey", "title": "Қате", "blueprint": blueprint}, None)
    survey.add_default_questions(drawn, None)
    with pytest.raises(ServiceError, match="draws no items: remove its blueprint"):
        blueprints.publish(drawn, None)
    survey.add_default_questions(empty, None)
    blueprints.publish(empty, None)
    assert empty.status == "published"
    with pytest.raises(Conflict, match="no longer change"):
        survey.set_questions(empty, "L: Басқа", None)
    with pytest.raises(Conflict):
        survey.set_anonymous(empty, False, None)
    assert empty.anonymous is True


# --- answering -----------------------------------------------------------------------------

def test_a_participant_answers_once_and_the_first_answers_stay(cohort, db_session):
    test = make_survey(cohort)
    questions = survey.questions_of(test)
    enrolment = cohort.enrolments[0]
    first = survey.submit(test, enrolment, full_answers(questions, 5, "Бірінші"), enrolment.user)
    db_session.commit()
    with pytest.raises(Conflict, match="already answered"):
        survey.submit(test, enrolment, full_answers(questions, 1, "Екінші"), enrolment.user)
    db_session.rollback()
    assert count(db_session, SurveyResponse) == 1
    kept = db_session.scalars(select(SurveyAnswer).where(SurveyAnswer.response_id == first.id)).all()
    assert {a.likert for a in kept if a.likert is not None} == {5}
    assert {a.text for a in kept if a.text is not None} == {"Бірінші"}


def test_required_questions_and_values_are_enforced(cohort, db_session):
    test = make_survey(cohort, questions=[
        {"kind": "likert", "text": {"kk": "Пайдалы болды"}},
        {"kind": "likert", "text": {"kk": "Ыңғайлы болды"}, "required": False},
        {"kind": "open", "text": {"kk": "Қандай қолдау керек?"}, "required": True},
        {"kind": "open", "text": {"kk": "Ұсыныстар"}, "required": False}])
    q1, q2, q3, q4 = survey.questions_of(test)
    enrolment = cohort.enrolments[0]
    with pytest.raises(ServiceError) as exc:
        survey.submit(test, enrolment, {q2.id: 3, q3.id: "   "}, enrolment.user)
    assert "question 1: an answer is required" in exc.value.message
    assert "question 3: an answer is required" in exc.value.message
    with pytest.raises(ServiceError, match="question 1: choose 1 to 5"):
        survey.submit(test, enrolment, {q1.id: 6, q3.id: "Кеңес"}, enrolment.user)
    with pytest.raises(ServiceError, match="question 1: choose 1 to 5"):
        survey.submit(test, enrolment, {q1.id: True, q3.id: "Кеңес"}, enrolment.user)
    other = make_survey(cohort)
    with pytest.raises(ServiceError, match="no question"):
        survey.submit(test, enrolment, {q1.id: 3, q3.id: "Кеңес", survey.questions_of(other)[0].id: 4},
                      enrolment.user)
    assert count(db_session, SurveyResponse) == 0
    response = survey.submit(test, enrolment, {str(q1.id): "2", q3.id: " Кеңес ", q4.id: ""}, enrolment.user)
    assert sorted((a.question_id, a.likert, a.text) for a in response.answers) == [
        (q1.id, 2, None), (q3.id, None, "Кеңес")]


def test_answers_are_taken_only_while_the_survey_is_open(make, cohort, db_session):
    draft = make_survey(cohort, publish=False)
    enrolment = cohort.enrolments[0]
    answers = full_answers(survey.questions_of(draft))
    with pytest.raises(Conflict, match="is draft"):
        survey.submit(draft, enrolment, answers, enrolment.user)
    later = make_survey(cohort, opens_at=utcnow() + timedelta(days=1))
    with pytest.raises(Conflict, match="is upcoming"):
        survey.submit(later, enrolment, full_answers(survey.questions_of(later)), enrolment.user)
    closed = make_survey(cohort)
    tests.close_test(closed, None)
    with pytest.raises(Conflict, match="is closed"):
        survey.submit(closed, enrolment, full_answers(survey.questions_of(closed)), enrolment.user)
    open_ = make_survey(cohort)
    stranger = make.cohort(code="SV-B", programme="LDR-DT", format_code="blended", participants=1).enrolments[0]
    with pytest.raises(ServiceError, match="another cohort"):
        survey.submit(open_, stranger, full_answers(survey.questions_of(open_)), stranger.user)
    cohorts.set_status(cohort.enrolments[1], "withdrawn", None)
    with pytest.raises(Conflict, match="withdrawn"):
        survey.submit(open_, cohort.enrolments[1], full_answers(survey.questions_of(open_)), None)
    assert count(db_session, SurveyResponse) == 0


# --- summary and the participant's own answers ---------------------------------------------

def _answer_three(test, cohort):
    """p01: 5s, p02: 4s, p03: 2s with the likert questions; p04 does not answer."""
    questions = survey.questions_of(test)
    for enrolment, value, text in zip(cohort.enrolments[:3], (5, 4, 2), ("Вебинар керек", "Ақпарат", "")):
        answers = full_answers(questions, value, text)
        if value == 4:
            answers[questions[1].id] = 1  # one different value on question 2
        survey.submit(test, enrolment, answers, enrolment.user)
    db.session.commit()
    return questions


def test_summary_counts_means_rate_and_open_answers(cohort, db_session):
    test = make_survey(cohort)
    questions = _answer_three(test, cohort)
    cohorts.set_status(cohort.enrolments[3], "withdrawn", None)  # p04 leaves: 3 of 3 answered
    s = survey.summary(test)
    assert (s.responses, s.respondents, s.enrolled, s.rate) == (3, 3, 3, 1.0)
    first, second = s.questions[0], s.questions[1]
    assert first.counts == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1} and first.n == 3
    assert first.mean == pytest.approx(11 / 3) and first.percent(5) == pytest.approx(100 / 3)
    assert second.counts == {1: 1, 2: 1, 3: 0, 4: 0, 5: 1} and second.mean == pytest.approx(8 / 3)
    needs = next(i for i in s.questions if i.question.kind == "open")
    assert [(a.text, a.name) for a in needs.answers] == [("Ақпарат", None), ("Вебинар керек", None)]
    assert needs.n == 2  # p03 left it empty
    cohorts.set_status(cohort.enrolments[3], "enrolled", None)
    assert survey.summary(test).rate == pytest.approx(3 / 4)
    assert len(questions) == len(s.questions)

    named = make_survey(cohort, anonymous=False)
    _answer_three(named, cohort)
    needs = next(i for i in survey.summary(named).questions if i.question.kind == "open")
    assert [(a.name, a.text) for a in needs.answers] == [("Қатысушы 01", "Вебинар керек"), ("Қатысушы 02", "Ақпарат")]
    header, rows = survey.export_rows(named)
    assert header[:2] == ["name", "submitted_at"] and [r[0] for r in rows] == ["Қатысушы 01", "Қатысушы 02",
                                                                               "Қатысушы 03"]
    header, rows = survey.export_rows(test)
    assert len(header) == len(questions) and len(rows) == 3
    assert not any("Қатысушы" in str(v) for r in rows for v in r)


def test_answers_of_gives_the_participants_own_answers(cohort, db_session):
    test = make_survey(cohort)
    questions = _answer_three(test, cohort)
    mine = survey.answers_of(cohort.enrolments[2])
    assert [a["position"] for a in mine] == [q.position for q in questions]
    assert {a["test_id"] for a in mine} == {test.id}
    assert [a["likert"] for a in mine if a["kind"] == "likert"] == [2] * sum(q.kind == "likert" for q in questions)
    assert all(a["text"] is None for a in mine if a["kind"] == "open")  # p03 left the open ones empty
    assert mine[0]["question"]["kk"] == questions[0].text["kk"]
    theirs = survey.answers_of(cohort.enrolments[0])
    assert "Вебинар керек" in [a["text"] for a in theirs]
    assert survey.answers_of(cohort.enrolments[3]) == []


# --- pages ---------------------------------------------------------------------------------

def test_participant_answers_through_the_page_once(client, auth, cohort, db_session):
    test = make_survey(cohort)
    questions = survey.questions_of(test)
    code, test_id, email = cohort.code, test.id, cohort.enrolments[0].user.email
    url = f"/cohorts/{code}/me/surveys/{test_id}"
    auth.login(email)
    r = client.get(url)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and len(r.get_data()) < 60 * 1024
    assert '<form method="post" id="survey">' in page and "<script" not in page
    likert = [q for q in questions if q.kind == "likert"]
    assert page.count('type="radio"') == 5 * len(likert)
    assert f'name="q-{likert[0].id}" value="5"' in page and page.count("<textarea") == len(questions) - len(likert)
    # a required question left empty: the page says so, keeps what was given, stores nothing
    data = {f"q-{q.id}": "4" if q.kind == "likert" else "Жеке кеңес" for q in questions}
    r = client.post(url, data={**data, f"q-{likert[2].id}": ""})
    assert r.status_code == 200 and 'class="card survey-q has-error"' in r.get_data(as_text=True)
    # a value off the scale: the reason in the participant's language (Kazakh)
    r = client.post(url, data={**data, f"q-{likert[1].id}": "9"})
    assert f"{likert[1].position}-сұрақ: 1-ден 5-ке дейін таңдаңыз (берілгені: 9)" in r.get_data(as_text=True)
    assert f'name="q-{likert[0].id}" value="4" checked' in r.get_data(as_text=True)
    assert count(db_session, SurveyResponse) == 0
    r = client.post(url, data=data)
    assert r.status_code == 302 and r.headers["Location"].endswith(url)
    page = client.get(url).get_data(as_text=True)
    assert 'id="survey-done"' in page and 'id="survey"' not in page and "Жеке кеңес" in page
    r = client.post(url, data={f"q-{q.id}": "1" if q.kind == "likert" else "Басқа" for q in questions},
                    follow_redirects=True)
    assert r.status_code == 200 and 'id="survey-done"' in r.get_data(as_text=True)
    assert count(db_session, SurveyResponse) == 1
    assert set(db_session.scalars(select(SurveyAnswer.likert).where(SurveyAnswer.likert.is_not(None)))) == {4}


def test_summary_page_hides_names_when_anonymous_and_shows_them_otherwise(client, auth, cohort, db_session,
                                                                          count_queries):
    anonymous, named = make_survey(cohort), make_survey(cohort, anonymous=False)
    _answer_three(anonymous, cohort)
    _answer_three(named, cohort)
    code, a_id, n_id = cohort.code, anonymous.id, named.id
    auth.login("sv-trainer@test.kz")
    page = client.get(f"/cohorts/{code}/tests/{a_id}/survey").get_data(as_text=True)
    assert "Вебинар керек" in page and 'id="anonymous"' in page
    assert "Қатысушы" not in page  # no participant's name anywhere on the page
    assert '<tr data-value="5"><th>' in page and "style=\"width:33.3%\"" in page
    assert "<script" not in page
    with client.get(f"/cohorts/{code}/tests/{a_id}/survey.csv") as r:
        body = r.get_data()
        assert r.status_code == 200 and body.startswith(b"\xef\xbb\xbf") and "Қатысушы".encode() not in body
        assert "Вебинар керек".encode() in body
    page = client.get(f"/cohorts/{code}/tests/{n_id}/survey").get_data(as_text=True)
    assert "Қатысушы 01" in page and "Вебинар керек" in page and 'id="named"' in page
    with count_queries() as few:
        client.get(f"/cohorts/{code}/tests/{n_id}/survey")
    assert len(few) < 25


def test_summary_statements_do_not_grow_with_the_cohort(client, auth, make, db_session, count_queries):
    trainer = make.user(email="sv-scale@test.kz")
    small = make.cohort(code="SV-S", programme="LDR-DT", format_code="blended", participants=2, trainer=trainer)
    large = make.cohort(code="SV-L", programme="LDR-DT", format_code="blended", participants=8, trainer=trainer)
    urls = []
    for c in (small, large):
        test = make_survey(c, anonymous=False)
        for e in c.enrolments:
            survey.submit(test, e, full_answers(survey.questions_of(test), 3, f"Пікір {e.id}"), e.user)
        db_session.commit()
        urls.append(f"/cohorts/{c.code}/tests/{test.id}/survey")
    auth.login("sv-scale@test.kz")
    counts = []
    for url in urls:
        client.get(url)
        with count_queries() as q:
            assert client.get(url).status_code == 200
        counts.append(len(q))
    assert counts[0] == counts[1]


def test_participants_see_no_summary_and_no_other_cohorts_survey(client, auth, make, cohort, db_session):
    test = make_survey(cohort)
    draft = make_survey(cohort, publish=False)
    module_test = tests.create_test(cohort, {"kind": "module", "title": "1-модуль", "module_number": 1}, None)
    other = make.cohort(code="SV-O", programme="LDR-DT", format_code="blended", participants=1)
    other_test = make_survey(other)
    db_session.commit()
    code, other_code = cohort.code, other.code
    ids = {"t": test.id, "d": draft.id, "m": module_test.id, "o": other_test.id}
    auth.login(cohort.enrolments[0].user.email)
    assert client.get(f"/cohorts/{code}/tests/{ids['t']}/survey").status_code == 403
    assert client.get(f"/cohorts/{code}/tests/{ids['t']}/survey.csv").status_code == 403
    assert client.get(f"/cohorts/{code}/tests/{ids['d']}/survey/questions").status_code == 403
    assert client.post(f"/cohorts/{code}/tests/{ids['d']}/survey/defaults").status_code == 403
    assert client.get(f"/cohorts/{code}/me/surveys/{ids['o']}").status_code == 404  # another cohort's survey
    assert client.post(f"/cohorts/{code}/me/surveys/{ids['o']}", data={}).status_code == 404
    assert client.get(f"/cohorts/{other_code}/me/surveys/{ids['o']}").status_code in (403, 404)
    assert client.get(f"/cohorts/{code}/me/surveys/{ids['d']}").status_code == 404  # a draft is not shown
    assert client.get(f"/cohorts/{code}/me/surveys/{ids['m']}").status_code == 404  # not a survey
    assert client.get(f"/cohorts/{code}/me/surveys/{ids['t']}").status_code == 200
    assert count(db_session, SurveyResponse) == 0


def test_trainer_edits_the_questions_of_a_draft(client, auth, cohort, db_session):
    test = tests.create_test(cohort, {"kind": "exit_survey", "title": "Сауалнама"}, None)
    db_session.commit()
    code, test_id = cohort.code, test.id
    url = f"/cohorts/{code}/tests/{test_id}/survey/questions"
    auth.login("sv-trainer@test.kz")
    page = client.get(url).get_data(as_text=True)
    assert f"/cohorts/{code}/tests/{test_id}/survey/defaults" in page
    assert client.post(f"/cohorts/{code}/tests/{test_id}/survey/defaults").status_code == 302
    n_default = len(yaml.safe_load(EXIT_YAML.read_text(encoding="utf-8"))["questions"])
    assert db_session.scalar(select(func.count()).where(SurveyQuestion.test_id == test_id)) == n_default
    page = client.get(url).get_data(as_text=True)
    assert "L*: Курс мазмұны" in page and "/survey/defaults" not in page
    r = client.post(url, data={"questions": "L*: Пайдалы болды\nQ: қате жол", "anonymous": "y"})
    assert r.status_code == 200 and "2-жол: жолды &#39;L:&#39; (1–5 балмен бағаланатын тұжырым)" in r.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).where(SurveyQuestion.test_id == test_id)) == n_default
    r = client.post(url, data={"questions": "L*: Пайдалы болды | Было полезно | It was useful\nO: Ұсыныстар"})
    assert r.status_code == 302
    rows = db_session.scalars(select(SurveyQuestion).where(SurveyQuestion.test_id == test_id)
                              .order_by(SurveyQuestion.position)).all()
    assert [(q.kind, q.required, q.text["kk"]) for q in rows] == [("likert", True, "Пайдалы болды"),
                                                                   ("open", False, "Ұсыныстар")]
    test = db_session.get(Test, test_id)
    assert test.anonymous is False  # the box was left unticked
    blueprints.publish(test, None)
    db_session.commit()
    page = client.get(url).get_data(as_text=True)
    assert 'id="questions-form"' not in page and "Пайдалы болды" in page
    r = client.post(url, data={"questions": "L: Басқа", "anonymous": "y"}, follow_redirects=True)
    assert ('<p class="flash error" role="status">&#39;Сауалнама&#39; сауалнамасы жарияланған: оның сұрақтары енді'
            ' өзгермейді' in r.get_data(as_text=True))
    assert db_session.scalar(select(func.count()).where(SurveyQuestion.test_id == test_id)) == 2


def test_the_migration_made_the_survey_tables(app, db_session):
    with app.app_context():
        insp = inspect(db_session.connection())
        tables = set(insp.get_table_names())
        assert {"quizbank_survey_questions", "quizbank_survey_responses", "quizbank_survey_answers"} <= tables
        unique = [set(u["column_names"]) for u in insp.get_unique_constraints("quizbank_survey_responses")]
        assert {"test_id", "enrolment_id"} in unique
        column = next(c for c in insp.get_columns("quizbank_tests") if c["name"] == "anonymous")
        assert column["nullable"] is False and column["default"] is not None


# --- the needs survey before the course -------------------------------------------------------

ENTRY_YAML = EXIT_YAML.parent / "entry.yaml"


def test_a_needs_survey_before_the_course_asks_its_own_questions(cohort, db_session, client, auth):
    """Seed 004: a survey before the course (needs), beside the last-day one. It starts from
    content/surveys/entry.yaml, is answered once like the exit survey, has its summary, and
    does not feed the support plan (the exit survey does)."""
    spec = yaml.safe_load(ENTRY_YAML.read_text(encoding="utf-8"))
    test = tests.create_test(cohort, {"kind": "entry_survey", "title": "Курс алдындағы сауалнама"}, None)
    survey.add_default_questions(test, None)
    survey.set_anonymous(test, False, None)
    blueprints.publish(test, None)
    db_session.commit()
    questions = survey.questions_of(test)
    assert [q.text["kk"] for q in questions] == [q["text"]["kk"] for q in spec["questions"]]
    enrolment = cohort.enrolments[0]
    survey.submit(test, enrolment, full_answers(questions, likert=5, text="Цифрлық карта"), enrolment.user)
    db_session.commit()
    with pytest.raises(Conflict):  # once
        survey.submit(test, enrolment, full_answers(questions), enrolment.user)
    result = survey.summary(test)
    assert (result.respondents, result.enrolled) == (1, 4)
    assert survey.answers_of(enrolment) == []  # the support plan reads the exit survey only
    email = enrolment.user.email
    auth.login(email)
    page = client.get(f"/cohorts/{cohort.code}/me/tests").text
    assert "Курс алдындағы сауалнама" in page and "Кіріс (қажеттіліктер) сауалнамасы" in page
