"""`lms content check|load|export` against the real programme files and broken copies."""
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from lms.courses import content, services
from lms.courses.models import Programme
from tests.conftest import CONTENT

PROGRAMMES = CONTENT / "programmes"


def test_the_shipped_content_has_no_errors():
    result = content.check(CONTENT)
    assert result.errors == []
    assert len(result.programmes) == 3


def test_check_reports_the_teachers_42_38_discrepancy_with_file_and_line():
    result = content.check(CONTENT)
    found = [str(w) for w in result.warnings if "TCH-SUS" in w.path and "declares 40 contact + 40 self_study" in w.message]
    assert len(found) == 1
    assert "42 contact + 38 self_study" in found[0]
    assert found[0].startswith(f"{PROGRAMMES / 'TCH-SUS.yaml'}:")
    line = int(found[0].split(":")[1])
    assert "declared:" in (PROGRAMMES / "TCH-SUS.yaml").read_text().splitlines()[line - 1]


def test_check_reports_rows_outside_the_80_hours():
    messages = [w.message for w in content.check(CONTENT).warnings if "LDR-SUS" in w.path]
    assert any("prints 80 h but the rows above add up to 83" in m for m in messages)


def test_cli_check_exits_0_and_prints_the_discrepancy(runner):
    result = runner.invoke(args=["content", "check", str(CONTENT)])
    assert result.exit_code == 0, result.output
    assert "TCH-SUS.yaml" in result.output and "42 contact + 38 self_study" in result.output
    assert "3 programme(s), 0 error(s)" in result.output


def _broken_copy(tmp_path: Path, old: str, new: str, name="TCH-SUS.yaml") -> Path:
    root = tmp_path / "content" / "programmes"
    root.mkdir(parents=True)
    for f in PROGRAMMES.glob("*.yaml"):
        shutil.copy(f, root / f.name)
    target = root / name
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize("old,new,needle,message", [
    ("self_study: 8", "self_studdy: 8", "self_studdy: 8", "unknown hour kind 'self_studdy'"),
    ('code: "1.2"', 'code: "1.1"', 'code: "1.1"', "duplicate code '1.1'"),
    ("code: TCH-SUS", "code: TCH-SUS\ncode2: x", "code2: x", "unknown field 'code2'"),
    ("status: approved", "status: aproved", "status: aproved", "'status' must be one of"),
])
def test_a_broken_file_fails_naming_file_and_line(tmp_path, runner, old, new, needle, message):
    target = _broken_copy(tmp_path, old, new)
    result = runner.invoke(args=["content", "check", str(tmp_path / "content")])
    assert result.exit_code == 1
    line = _line_of(target, needle) if needle != 'code: "1.1"' else None
    errors = [l for l in result.output.splitlines() if ": error: " in l]
    assert any(message in l and l.startswith(f"{target}:") for l in errors), result.output
    if line:
        assert any(l.startswith(f"{target}:{line}: error: ") for l in errors), result.output


def test_bad_yaml_names_the_line(tmp_path):
    target = _broken_copy(tmp_path, "modules:", "modules: [")
    result = content.check(tmp_path / "content")
    assert len(result.errors) == 1
    assert result.errors[0].path == str(target)
    assert "bad YAML" in result.errors[0].message and result.errors[0].line


def test_missing_kazakh_title_is_an_error(tmp_path):
    target = _broken_copy(tmp_path, "title:\n  kk:", "title:\n  xx:")
    messages = [str(e) for e in content.check(tmp_path / "content").errors]
    assert any("has no Kazakh (kk) text" in m and m.startswith(str(target)) for m in messages)


def test_load_is_all_or_nothing(tmp_path, db_session):
    root = tmp_path / "content" / "programmes"
    root.mkdir(parents=True)
    good = yaml.safe_load((PROGRAMMES / "LDR-DT.yaml").read_text())
    good["code"] = "NEW-ONE"
    (root / "a.yaml").write_text(yaml.safe_dump(good, allow_unicode=True))
    bad = dict(good, code="NEW-TWO", audience="pupils")
    (root / "b.yaml").write_text(yaml.safe_dump(bad, allow_unicode=True))
    with pytest.raises(content.ContentError) as exc:
        services.load_content(root)
    assert "b.yaml" in str(exc.value)
    count = db_session.scalar(select(func.count()).select_from(Programme).where(Programme.code.like("NEW-%")))
    assert count == 0


def test_load_is_idempotent(db_session):
    report = services.load_content(CONTENT)
    assert report.created == [] and report.updated == []
    assert sorted(report.unchanged) == ["LDR-DT v1", "LDR-SUS v1", "TCH-SUS v1"]


def test_a_changed_file_updates_in_place_keeping_topic_ids(tmp_path, db_session):
    before = services.get_programme("LDR-DT", 1)
    topic_ids = {t.code: t.id for t in before.topics}
    target = _broken_copy(tmp_path, "ru: \"", "ru: \"(изм.) ", name="LDR-DT.yaml")
    report = services.load_content(target.parent)
    assert report.updated == ["LDR-DT v1"]
    after = services.get_programme("LDR-DT", 1)
    assert {t.code: t.id for t in after.topics} == topic_ids


@pytest.mark.parametrize("code", ["LDR-SUS", "TCH-SUS", "LDR-DT"])
def test_export_writes_yaml_that_loads_back_identical(code, db_session, runner, tmp_path):
    source = content.check(PROGRAMMES / f"{code}.yaml").programmes
    original = services.normalize(next(iter(source.values())))
    out = tmp_path / f"{code}.yaml"
    result = runner.invoke(args=["content", "export", "--programme", code, "-o", str(out)])
    assert result.exit_code == 0, result.output
    exported = content.check(out)
    assert exported.errors == []
    assert services.normalize(next(iter(exported.programmes.values()))) == original
    # and loading the export over the database changes nothing
    assert services.load_content(out).unchanged == [f"{code} v1"]


def test_cli_load_reports_errors_and_writes_nothing(tmp_path, runner, db_session):
    _broken_copy(tmp_path, "audience: leaders", "audience: pupils", name="LDR-DT.yaml")
    result = runner.invoke(args=["content", "load", str(tmp_path / "content")])
    assert result.exit_code == 1
    assert "nothing was loaded" in result.output
