"""Rubrics as content: the shipped files load (anchors resolved), loading again changes
nothing, problems name file and field and load nothing, a change updates an unused rubric in
place; points become a grade by rounding half up to whole points."""
import shutil

import pytest
from sqlalchemy import func, select

import lms.courses.models  # noqa: F401  (first, as the app loads them: portfolio's models name courses' by string)
from lms.core.services.errors import ServiceError
from lms.portfolio.models import Rubric
from lms.portfolio.services import rubrics
from tests.conftest import CONTENT

RUBRICS = CONTENT / "rubrics"


def test_the_shipped_rubrics_load_with_their_anchors_resolved(db_session):
    report = rubrics.load_rubrics(RUBRICS)
    assert sorted(report.rows) == [("LDR-SUS-DEFENSE v1", "created"), ("TCH-SUS-DEFENSE v1", "created")]
    ldr = rubrics.current_rubric("LDR-SUS-DEFENSE")
    assert (ldr.programme_code, ldr.max_points, ldr.source) == ("LDR-SUS", 10, "seed 000, lines 318-347")
    assert [c["code"] for c in ldr.criteria] == ["P1", "P2", "P3", "P4", "P5"]
    for c in ldr.criteria:  # the `levels` and `descriptor` anchors, resolved for every criterion
        assert [lv["points"] for lv in c["levels"]] == [0, 1, 2]
        assert c["levels"][2]["title"]["kk"] == "толығымен жүзеге асырылды"
        assert c["descriptor"]["en"].startswith("Relevance and forecast")
    assert [(r["min"], r["max"], r["grade"], r["passed"]) for r in ldr.conversion] == [
        (9, 10, "5", True), (7, 8, "4", True), (5, 6, "3", True), (0, 4, "—", False)]
    tch = rubrics.current_rubric("TCH-SUS-DEFENSE")
    assert (len(tch.criteria), tch.max_points, tch.programme_code) == (7, 14, "TCH-SUS")
    assert "descriptor" not in tch.criteria[0]


def test_loading_again_changes_nothing(db_session):
    rubrics.load_rubrics(RUBRICS)
    before = db_session.scalar(select(func.count()).select_from(Rubric))
    report = rubrics.load_rubrics(RUBRICS)
    assert {what for _label, what in report.rows} == {"unchanged"}
    assert db_session.scalar(select(func.count()).select_from(Rubric)) == before


def _copy(tmp_path):
    target = tmp_path / "rubrics"
    shutil.copytree(RUBRICS, target)
    return target


def test_a_change_updates_an_unused_rubric_in_place(db_session, tmp_path):
    directory = _copy(tmp_path)
    rubrics.load_rubrics(directory)
    first = rubrics.current_rubric("LDR-SUS-DEFENSE")
    path = directory / "LDR-SUS-DEFENSE.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('grade: "3"', 'grade: "3+"'), encoding="utf-8")
    report = rubrics.load_rubrics(directory)
    assert ("LDR-SUS-DEFENSE v1", "updated") in report.rows
    again = rubrics.current_rubric("LDR-SUS-DEFENSE")
    assert (again.id, again.version) == (first.id, 1)
    assert [r["grade"] for r in again.conversion] == ["5", "4", "3+", "—"]


BROKEN = """
code: BAD-RUBRIC
title: {kk: "Жаман"}
levels: &levels
  - {points: 0, title: {kk: "жоқ"}}
  - {points: 1, title: {kk: "бар"}}
criteria:
  - {code: K1, title: {kk: "Бір"}, levels: *levels}
  - code: K2
    title: {kk: "Екі"}
    levels:
      - {points: -1, title: {kk: "теріс"}}
      - {points: 1}
  - {code: K1, title: {kk: "Қайта"}, levels: *levels}
conversion:
  - {min: 2, max: 3, grade: "5", passed: true}
  - {min: 0, max: 0, grade: "2", passed: maybe}
"""


def test_problems_name_file_and_field_and_nothing_loads(db_session, tmp_path):
    directory = _copy(tmp_path)
    bad = directory / "BAD-RUBRIC.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(ServiceError) as caught:
        rubrics.load_rubrics(directory)
    message = caught.value.message
    assert f"{bad}: criteria[2] (K2).levels[1].points: expected a number >= 0" in message
    assert f"{bad}: criteria[2] (K2).levels[2].title: required" in message
    assert f"{bad}: criteria[3] (K1): code: K1 is used by another criterion" in message
    assert f"{bad}: conversion[2].passed: required, true or false" in message
    assert "LDR-SUS-DEFENSE" not in message
    assert db_session.scalar(select(func.count()).select_from(Rubric)) == 0  # all or nothing


def test_the_conversion_must_cover_every_point_once(tmp_path):
    text = (RUBRICS / "LDR-SUS-DEFENSE.yaml").read_text(encoding="utf-8")
    path = tmp_path / "LDR-SUS-DEFENSE.yaml"
    path.write_text(text.replace("{min: 7, max: 8,", "{min: 8, max: 9,"), encoding="utf-8")
    with pytest.raises(ServiceError) as caught:
        rubrics.read_file(path)
    assert f"{path}: conversion[1]: 9 points are also in conversion[2]" in caught.value.message \
        or f"{path}: conversion[2]: 9 points are also in conversion[1]" in caught.value.message
    assert "no row holds 7 points" in caught.value.message


def test_bad_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "X.yaml"
    path.write_text("code: X\ncriteria: [\n", encoding="utf-8")
    with pytest.raises(ServiceError) as caught:
        rubrics.read_file(path)
    assert caught.value.message.startswith(f"{path}:3: not valid YAML")


@pytest.mark.parametrize("value, whole, grade", [
    (10, 10, "5"), (8.5, 9, "5"), (8.49, 8, "4"), (6.666666666666667, 7, "4"), (6.5, 7, "4"), (6.49, 6, "3"),
    (4.5, 5, "3"), (4.4, 4, "—"), (0, 0, "—"),
])
def test_points_are_rounded_half_up_before_the_conversion_is_read(db_session, value, whole, grade):
    rubrics.load_rubrics(RUBRICS)
    ldr = rubrics.current_rubric("LDR-SUS-DEFENSE")
    assert rubrics.round_points(value) == whole
    assert rubrics.conversion_row(ldr, value)["grade"] == grade


def test_cli_loads_and_reports_problems(runner, tmp_path):
    result = runner.invoke(args=["rubrics", "load", str(RUBRICS)])
    assert result.exit_code == 0, result.output
    assert "LDR-SUS-DEFENSE v1: created" in result.output
    assert "LDR-SUS-DEFENSE v1: unchanged" in runner.invoke(args=["rubrics", "load", str(RUBRICS)]).output
    directory = _copy(tmp_path)
    (directory / "BAD-RUBRIC.yaml").write_text(BROKEN, encoding="utf-8")
    result = runner.invoke(args=["rubrics", "load", str(directory)])
    assert result.exit_code == 1
    assert "BAD-RUBRIC.yaml: criteria[2] (K2).levels[1].points" in result.output
    assert "nothing was loaded" in result.output
    checked = runner.invoke(args=["rubrics", "check", str(RUBRICS)])
    assert checked.exit_code == 0 and "TCH-SUS-DEFENSE: 7 criteria, 14 points, 4 conversion rows" in checked.output


def test_rubric_pages_show_criteria_and_conversion_to_managers_only(client, auth, make, db_session):
    rubrics.load_rubrics(RUBRICS)
    db_session.commit()
    ldr = rubrics.current_rubric("LDR-SUS-DEFENSE")
    participant = make.user("participant")
    auth.login(participant.email)
    assert client.get("/rubrics").status_code == 403
    assert client.get(f"/rubrics/{ldr.id}").status_code == 403
    auth.logout()
    trainer = make.user("trainer")
    auth.login(trainer.email)
    html = client.get("/rubrics").get_data(as_text=True)
    assert 'data-rubric="LDR-SUS-DEFENSE-1"' in html and 'data-rubric="TCH-SUS-DEFENSE-1"' in html
    html = client.get(f"/rubrics/{ldr.id}").get_data(as_text=True)
    assert html.count('data-criterion="P') == 5
    assert 'data-grade="4"' in html and "толығымен жүзеге асырылды" in html
    assert client.get("/rubrics/999999").status_code == 404
