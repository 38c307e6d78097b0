"""The gradebook: every component of the programme's scheme with its weight, checked against
numbers computed by hand for the seed 000 teachers' scale (attendance 6, activity 20,
practical work 20 from the marks on self-study tasks, final work 14, final test 40); marks by
hand, audited; CSV with BOM and
XLSX; a participant sees only their own row; a fixed number of statements per cohort."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lms.core.models import AuditEntry
from lms.core.services import tokens
from lms.core.services.errors import NotFound, ServiceError
from lms.courses.services import attendance, ledger, selfstudy
from lms.courses.services import cohorts as cohort_service
from lms.db import utcnow
from lms.portfolio.models import Defense, DefenseSession, GradebookMark, Rubric
from lms.portfolio.services import artefacts, gradebook
from lms.quizbank.services import attempts, tests
from tests.quizbank.test_attempts import build_items, shown

TRUE = ("truefalse", {"correct": True, "feedback_true": None, "feedback_false": None}, {"value": True})


def _topic(cohort, code: str) -> int:
    return next(t.id for t in cohort.programme.topics if t.code == code)


def _people(cohort):
    return sorted(cohort.enrolments, key=lambda e: e.user.email)


def finished_test(db_session, cohort, enrolment, right: int, of: int, *, kind="final", module_number=None,
                  bank="TSTGB"):
    """A published test of `kind` for the cohort (one per call) and a finished attempt by
    `enrolment` answering `right` of `of` true/false items correctly."""
    versions = build_items(db_session, [TRUE] * of, bank_code=bank, programme=cohort.programme.code,
                           topic="1.1")
    test = tests.create_test(cohort, {"kind": kind, "title": f"{kind} {module_number or ''}",
                                      "module_number": module_number}, None)
    test.status = "published"
    db_session.flush()
    attempt = attempts.start_attempt(test, enrolment, enrolment.user, versions=versions)
    for n, s in enumerate(attempt.slots):
        answer = {"value": n < right}
        attempts.save_answer(attempt.id, s.slot, shown(s, answer), enrolment.user)
    attempts.submit(attempt.id, enrolment.user)
    return attempt


def decided_defense(db_session, cohort, enrolment, points: float, *, max_points=10.0, released=False):
    rubric = Rubric(code=f"TST-{cohort.code}", programme_code=cohort.programme.code, title={"kk": "Рубрика"},
                    criteria=[], conversion=[], max_points=max_points)
    db_session.add(rubric)
    db_session.flush()
    session = DefenseSession(cohort_id=cohort.id, rubric_id=rubric.id, title="Қорғау")
    db_session.add(session)
    db_session.flush()
    now = utcnow()
    defense = Defense(session_id=session.id, enrolment_id=enrolment.id, status="released" if released else "decided",
                      points=points, grade="4", passed=True, decided_at=now, released_at=now if released else None)
    db_session.add(defense)
    db_session.flush()
    return defense


@pytest.fixture
def scale(make, db_session):
    """A full-time TCH-SUS cohort: participant 1 with attendance, an activity mark, two marked
    self-study tasks (8 of 10 and 4.5 of 10), a decided (not yet released) defense and a final
    test; participant 2 with nothing yet."""
    trainer = make.user(email="gb-trainer@test.kz")
    curator = make.user(email="gb-curator@test.kz")
    cohort = make.cohort(code="GB-TCH", programme="TCH-SUS", format_code="full_time", participants=2, trainer=trainer)
    cohort_service.assign_staff(cohort, curator, "curator", None)
    one, two = _people(cohort)
    s1 = make.session(cohort, "1.1", hours=8.0, kind="lesson")
    s2 = make.session(cohort, "1.2", hours=4.0, kind="lesson")
    attendance.mark(s1, {one.id: ("present", None), two.id: ("absent", None)}, trainer)
    attendance.mark(s2, {one.id: ("late", 90)}, trainer)  # 90 min = 2 academic hours
    gradebook.set_marks(cohort, {(one.id, "activity"): "15"}, trainer)
    for topic, points in (("1.1", "8"), ("1.2", "4,5")):  # formative tasks in class: no self-study hours
        task = selfstudy.save_task(cohort, {"topic_id": _topic(cohort, topic), "title": f"Тапсырма {topic}",
                                            "hours": 0, "max_points": "10"}, trainer)
        selfstudy.review(selfstudy.submit(task, one, "Орындалды.", None, None, one.user), True, "", trainer,
                         points=points)
    decided_defense(db_session, cohort, one, 8)
    finished_test(db_session, cohort, one, right=3, of=4)
    db_session.commit()
    return {"cohort": cohort, "one": one, "two": two, "trainer": trainer, "curator": curator}


# hand-computed for participant 1 (the TCH-SUS full-time plan has 14 + 56 + 4 = 74 contact hours)
HAND = {"attendance": round(10 / 74 * 6, 2),  # 8 h + 2 h attended of 74 planned: 0.81
        "activity": 15.0,                     # 15 of 20, weight 20
        "practical": 12.5,                    # tasks: 8 + 4.5 of 10 + 10, weight 20
        "final_work": round(8 / 10 * 14, 2),  # defense 8 of 10 points, weight 14: 11.2
        "final_test": 30.0}                   # 75 % (3 of 4), weight 40
HAND_TOTAL = round(sum(HAND.values()), 2)     # 69.51


def test_the_teachers_scale_against_hand_computed_numbers(scale):
    cohort, one, two = scale["cohort"], scale["one"], scale["two"]
    assert ledger.ledger_for(one).contact_planned == 74 and ledger.ledger_for(one).attended == 10
    book = gradebook.gradebook(cohort)
    assert [c.code for c in book.components] == ["attendance", "activity", "practical", "final_work", "final_test"]
    assert [c.weight for c in book.components] == [6, 20, 20, 14, 40] and book.max_total == 100
    rows = {r.enrolment.id: r for r in book.rows}
    mine = rows[one.id]
    assert {code: cell.points for code, cell in mine.cells.items()} == HAND
    assert mine.total == HAND_TOTAL == 69.51
    assert (mine.cells["attendance"].raw, mine.cells["attendance"].of) == (10, 74)
    assert (mine.cells["practical"].raw, mine.cells["practical"].of) == (12.5, 20)
    assert mine.cells["practical"].count == (2, 2)
    assert (mine.cells["final_work"].raw, mine.cells["final_work"].of) == (8, 10)
    assert mine.cells["final_test"].raw == 75
    empty = rows[two.id]
    assert empty.total == 0
    assert {code: cell.pending for code, cell in empty.cells.items()} == {
        "attendance": None, "activity": "no_mark", "practical": "no_mark", "final_work": "no_defense",
        "final_test": "no_attempt"}
    assert empty.cells["attendance"].raw == 0 and empty.cells["attendance"].fraction == 0

    # a participant's own view counts a defense only once released
    own = gradebook.gradebook(cohort, [one], released_only=True).rows[0]
    assert own.cells["final_work"].pending == "not_released" and own.total == round(HAND_TOTAL - HAND["final_work"], 2)


def test_leaders_dt_module_tests_are_shown_not_counted_and_the_portfolio_hand_in(make, db_session):
    cohort = make.cohort(code="GB-DT", programme="LDR-DT", format_code="blended", participants=1)
    (one,) = _people(cohort)
    finished_test(db_session, cohort, one, right=4, of=4, kind="module", module_number=1, bank="TSTDT1")
    other = tests.create_test(cohort, {"kind": "module", "title": "M2", "module_number": 2}, None)
    other.status = "published"  # module 2 not taken: counts 0 in the mean
    finished_test(db_session, cohort, one, right=4, of=5, kind="final", bank="TSTDT2")
    artefacts.save_artefact(one, {"section": "submission", "kind": "text", "title": "Портфолио", "text": "Дайын"},
                            None, one.user)
    row = gradebook.gradebook(cohort).rows[0]
    assert row.cells["module_tests"].raw == 50 and row.cells["module_tests"].points == 0
    assert row.cells["portfolio"].raw == 1 and row.cells["portfolio"].points == 0
    assert row.cells["final_test"].points == 80 and row.total == 80


def test_marks_are_checked_all_or_nothing_and_audited(scale, db_session):
    cohort, one, two, trainer = scale["cohort"], scale["one"], scale["two"], scale["trainer"]
    with pytest.raises(ServiceError) as exc:
        gradebook.set_marks(cohort, {(two.id, "activity"): "25", (two.id, "practical"): "5",
                                     (one.id, "activity"): "abc", (one.id, "final_test"): "40"}, trainer)
    message = exc.value.message
    assert "activity: the mark must be from 0 to 20 (got 25)" in message
    assert "activity: 'abc' is not a number" in message
    assert "final_test is computed (final_test); it takes no mark" in message
    assert "practical is computed (tasks); it takes no mark" in message
    assert db_session.scalar(select(GradebookMark).where(GradebookMark.enrolment_id == two.id)) is None
    with pytest.raises(NotFound):
        gradebook.set_marks(cohort, {(10 ** 9, "activity"): "1"}, trainer)

    assert gradebook.set_marks(cohort, {(one.id, "activity"): "12,5", (two.id, "activity"): ""}, trainer,
                               note="қайта тексерілді") == 1  # participant 2 had none: unchanged
    assert gradebook.set_marks(cohort, {(one.id, "activity"): ""}, trainer) == 1  # an emptied cell clears
    assert db_session.scalar(select(GradebookMark).where(GradebookMark.enrolment_id == one.id,
                                                         GradebookMark.component == "activity")) is None
    log = [(e.details["old"], e.details["new"]) for e in db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "gradebook_mark_set", AuditEntry.object_id == str(one.id),
                                 AuditEntry.summary.like("%activity%")).order_by(AuditEntry.id))]
    assert log == [(None, 15.0), (15.0, 12.5), (12.5, None)]


def test_the_gradebook_page_marks_inline_and_exports(client, auth, scale, db_session):
    cohort, one, two = scale["cohort"], scale["one"], scale["two"]
    code, one_id, two_id = cohort.code, one.id, two.id
    auth.login("gb-trainer@test.kz")
    page = client.get(f"/cohorts/{code}/gradebook")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'data-total="{HAND_TOTAL}"' in text and 'id="legend"' in text
    assert 'data-marked="2/2"' in text and 'data-marked="0/2"' not in text  # participant 2: "no mark yet"
    assert f'name="m-{two_id}-activity"' in text and f'name="m-{one_id}-final_test"' not in text

    # a stale page: activity of participant 1 changed meanwhile by a colleague; this form leaves it alone
    gradebook.set_marks(cohort, {(one_id, "activity"): "19"}, scale["curator"])
    db_session.commit()
    r = client.post(f"/cohorts/{code}/gradebook/marks", data={
        f"m-{one_id}-activity": "15", f"o-m-{one_id}-activity": "15",
        f"m-{two_id}-activity": "7", f"o-m-{two_id}-activity": "", "note": ""})
    assert r.status_code == 302
    marks = {(m.enrolment_id, m.component): m.points for m in db_session.scalars(select(GradebookMark))}
    assert marks == {(one_id, "activity"): 19, (two_id, "activity"): 7}
    r = client.post(f"/cohorts/{code}/gradebook/marks", data={f"m-{two_id}-activity": "21",
                                                               f"o-m-{two_id}-activity": "7"})
    assert r.status_code == 200 and "баға 0 мен 20 аралығында болуы керек (берілгені: 21)" in r.get_data(as_text=True)
    assert 'value="21"' in r.get_data(as_text=True)  # what was entered is shown again

    with client.get(f"/cohorts/{code}/gradebook.csv") as r:
        body = r.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header, rows = table[0], {row[1]: row for row in table[1:]}
    assert any("Сабаққа қатысу" in h or "Attendance" in h or "Посещаемость" in h for h in header)
    mine = rows[one.user.email]
    assert mine[0] == "Қатысушы 01" and float(mine[-1]) == round(HAND_TOTAL - 15 + 19, 2)
    assert float(rows[two.user.email][-1]) == 7
    with client.get(f"/cohorts/{code}/gradebook.xlsx") as r:
        sheet = load_workbook(io.BytesIO(r.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == header
    assert values[1][0] == "Қатысушы 01" and values[1][-1] == round(HAND_TOTAL - 15 + 19, 2)
    assert client.get(f"/cohorts/{code}/gradebook.pdf").status_code == 404
    auth.logout()

    auth.login("gb-curator@test.kz")  # reads, does not mark
    text = client.get(f"/cohorts/{code}/gradebook").get_data(as_text=True)
    assert 'data-total="' in text and 'name="m-' not in text
    assert client.post(f"/cohorts/{code}/gradebook/marks", data={f"m-{two_id}-activity": "1"}).status_code == 403
    auth.logout()

    auth.login(one.user.email)
    assert client.get(f"/cohorts/{code}/gradebook").status_code == 403
    assert client.get(f"/cohorts/{code}/gradebook.csv").status_code == 403
    own = client.get(f"/cohorts/{code}/portfolio/grades")
    assert own.status_code == 200 and len(own.data) < 60_000
    text = own.get_data(as_text=True)
    assert "Қатысушы 02" not in text and 'data-component="final_test"' in text
    assert f'data-total="{round(HAND_TOTAL - 15 + 19 - HAND["final_work"], 2)}"' in text  # defense not released


@pytest.mark.parametrize("path", ["/cohorts/{code}/gradebook", "service"])
def test_a_cohort_costs_the_same_statements_for_5_and_30_participants(make, db_session, client, auth,
                                                                      count_queries, path):
    trainer = make.user(email="gb-count@test.kz")
    counts = []
    for size in (5, 30):
        cohort = make.cohort(code=f"GB-N{size}", programme="TCH-SUS", format_code="full_time", participants=size,
                             trainer=trainer)
        people = _people(cohort)
        lesson = make.session(cohort, "1.1", hours=2.0, kind="lesson")
        attendance.mark(lesson, {e.id: ("present", None) for e in people}, trainer)
        gradebook.set_marks(cohort, {(e.id, "activity"): "10" for e in people}, trainer)
        for topic in ("1.1", "1.2"):
            task = selfstudy.save_task(cohort, {"topic_id": _topic(cohort, topic), "title": topic, "hours": 0,
                                                "max_points": 5}, trainer)
            for e in people:
                selfstudy.review(selfstudy.submit(task, e, "Иә", None, None, e.user), True, "", trainer, points=4)
        decided_defense(db_session, cohort, people[0], 9)
        finished_test(db_session, cohort, people[0], right=1, of=2, bank=f"TSTN{size}")
        db_session.commit()
        if path == "service":
            db_session.expire_all()
            with count_queries() as q:
                book = gradebook.gradebook(cohort)
                assert len(book.rows) == size and all(r.cells["activity"].points == 10 for r in book.rows)
                assert all(r.cells["practical"].points == 16 for r in book.rows)  # 8 of 10
        else:
            auth.login(trainer.email)
            with count_queries() as q:
                assert client.get(path.format(code=cohort.code)).status_code == 200
            auth.logout()
        counts.append(len(q))
    assert counts[0] == counts[1], counts
    # enrolments and users, the ledger's reads (hand-ins too), marks, task marks, defenses, best results
    if path == "service":
        assert counts[0] <= 18, q


# --- API --------------------------------------------------------------------------------------

def _bearer(db_session, user) -> dict:
    plain = tokens.create_token(user)[1]
    db_session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_the_gradebook_api(client, make, scale, db_session):
    cohort, one = scale["cohort"], scale["one"]
    code, one_id = cohort.code, one.id
    staff = _bearer(db_session, scale["trainer"])
    mine = _bearer(db_session, one.user)
    outsider = make.cohort(code="GB-OUT", programme="TCH-SUS", format_code="full_time", participants=1)
    stranger = _bearer(db_session, outsider.enrolments[0].user)
    url = f"/api/v1/cohorts/{code}/gradebook"

    r = client.get(url, headers=staff)
    assert r.status_code == 200
    body = r.get_json()
    assert [c["weight"] for c in body["components"]] == [6, 20, 20, 14, 40] and body["max_total"] == 100
    rows = {row["enrolment_id"]: row for row in body["rows"]}
    assert len(rows) == 2 and rows[one_id]["total"] == HAND_TOTAL
    assert rows[one_id]["cells"]["final_work"] == {"raw": 8.0, "of": 10.0, "fraction": 0.8, "points": 11.2,
                                                   "pending": None, "count": None}
    assert rows[one_id]["cells"]["practical"] == {"raw": 12.5, "of": 20.0, "fraction": 0.625, "points": 12.5,
                                                  "pending": None, "count": [2, 2]}

    r = client.get(url, headers=mine)  # a participant: their own row only, the defense not yet released
    assert r.status_code == 200
    (row,) = r.get_json()["rows"]
    assert row["enrolment_id"] == one_id and row["cells"]["final_work"]["pending"] == "not_released"
    assert row["total"] == round(HAND_TOTAL - HAND["final_work"], 2)

    assert client.get(url, headers=stranger).status_code == 403
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/cohorts/NO-SUCH/gradebook", headers=staff).get_json()["error"] == "not_found"
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    operation = paths["/cohorts/{code}/gradebook"]["get"]
    components = operation["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["components"]
    assert "tasks" in components["items"]["properties"]["source"]["enum"]
    assert operation["x-capability"] == "portfolio:view or portfolio:keep"
    assert "rows" in operation["responses"]["200"]["content"]["application/json"]["schema"]["properties"]


def test_a_cohort_keeps_the_grading_scheme_it_was_created_with(make, db_session, client, auth, runner, tmp_path,
                                                                monkeypatch):
    """A centre that changes the scheme file for next year does not regrade this year's cohort:
    the cohort keeps the weights it started with until someone takes the new ones (audited)."""
    import shutil

    from lms.portfolio.services import schemes

    old = make.cohort(code="SCH-OLD", programme="TCH-SUS", participants=1)
    assert schemes.kept(old).data["programme"] == "TCH-SUS"
    changed = tmp_path / "certification"
    shutil.copytree(schemes.CONTENT_DIR, changed)
    path = changed / "TCH-SUS.yaml"
    text = path.read_text(encoding="utf-8")
    assert "{code: attendance, weight: 6," in text and "{code: activity, weight: 20," in text
    path.write_text(text.replace("{code: attendance, weight: 6,", "{code: attendance, weight: 10,")
                    .replace("{code: activity, weight: 20,", "{code: activity, weight: 16,"), encoding="utf-8")
    monkeypatch.setattr(schemes, "CONTENT_DIR", changed)
    new = make.cohort(code="SCH-NEW", programme="TCH-SUS", participants=1)
    assert {c.code: c.weight for c in gradebook.gradebook(old).components}["attendance"] == 6
    assert {c.code: c.weight for c in gradebook.gradebook(new).components}["attendance"] == 10
    assert schemes.differs_from_file(old) and not schemes.differs_from_file(new)

    admin = make.user("admin", language="en")
    auth.login(admin.email)
    assert 'id="scheme-kept"' in client.get("/cohorts/SCH-OLD/gradebook").text
    assert 'id="scheme-kept"' not in client.get("/cohorts/SCH-NEW/gradebook").text
    result = runner.invoke(args=["certificates", "scheme", "--cohort", "SCH-OLD"])
    assert "the file has changed since" in result.output
    result = runner.invoke(args=["certificates", "scheme", "--cohort", "SCH-OLD", "--take"])
    assert result.exit_code == 0, result.output
    assert schemes.scheme_of(old).component("attendance").weight == 10
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "scheme_replaced"))
    assert entry.details["old"]["gradebook"][0]["weight"] == 6


def test_my_grades_hide_a_test_score_its_review_options_hide(client, auth, make, db_session):
    """The result page and "My grades" agree: a score the trainer shows only after the test
    closes (or never) is not read off the gradebook before then, by page or API."""
    from datetime import timedelta

    cohort = make.cohort(code="RV-TCH", programme="TCH-SUS", format_code="full_time", participants=2)
    one, _other = _people(cohort)
    one.user.language = "en"
    attempt = finished_test(db_session, cohort, one, right=3, of=4)
    attempt.test.review_options = {"score": True, "band": True, "answers": False, "when": "after_close"}
    attempt.test.closes_at = utcnow() + timedelta(days=7)
    db_session.commit()
    test_id, attempt_id, email = attempt.test.id, attempt.id, one.user.email
    token = _bearer(db_session, one.user)
    auth.login(email)
    assert 'id="percent"' not in client.get(f"/cohorts/RV-TCH/me/attempts/{attempt_id}/result").text
    page = client.get("/cohorts/RV-TCH/portfolio/grades").text
    assert "75 %" not in page and "grade not released yet" in page
    (row,) = client.get("/api/v1/cohorts/RV-TCH/gradebook", headers=token).get_json()["rows"]
    assert row["cells"]["final_test"]["pending"] == "not_released" and row["cells"]["final_test"]["raw"] is None

    test = db_session.get(type(attempt.test), test_id)  # closed for everyone: shown, as on the result page
    test.closes_at = utcnow() - timedelta(minutes=1)
    db_session.commit()
    assert "75 %" in client.get("/cohorts/RV-TCH/portfolio/grades").text
    (row,) = client.get("/api/v1/cohorts/RV-TCH/gradebook", headers=token).get_json()["rows"]
    assert row["cells"]["final_test"]["raw"] == 75.0
