"""Competence frameworks (content/competences): the seeds' competences with the topics that
build each; a broken file is refused by `lms content check|load`, naming file and line, and
nothing loads; the programme page lists the framework."""
import shutil

import pytest
from lms.courses import content, services
from lms.courses.services import competences
from tests.conftest import CONTENT


def test_the_seeds_frameworks_read_as_written():
    dt = competences.framework_for("LDR-DT")
    assert [c.code for c in dt.competences] == ["1", "2", "3", "4", "5", "6"]  # seed 004, Section 1
    assert dt.competences[0].title_kk == "Стратегиялық құзыреттілік"
    assert dt.competences[3].description["kk"] == "деректерді талдау, басқару шешімдерін қабылдау."
    assert dt.of_topic("1.3") == ["1", "3"]
    teachers = competences.framework_for("TCH-SUS")
    assert len(teachers.competences) == 9 and teachers.competences[8].title_kk == "басқа педагогтермен байланыс орнату"
    assert teachers.by_code()["6"].topics == ()  # a portfolio: no topic teaches it
    assert competences.framework_for("LDR-SUS") is None  # seed 000 names no leaders' competences
    assert not content.check(CONTENT).errors


@pytest.fixture
def root(tmp_path):
    shutil.copytree(CONTENT / "programmes", tmp_path / "programmes")
    (tmp_path / "competences").mkdir()
    return tmp_path


BROKEN = '''programme: LDR-DT
title: {kk: "Басқарушылық құзыреттілік"}
competences:
  - code: "1"
    title: {kk: "Стратегиялық"}
    topics: ["1.1", "9.9"]
  - code: "1"
    title: {kk: "Тағы"}
  - code: "2"
    title: {en: "No Kazakh"}
  - code: "3"
    title: {kk: "Коммуникативтік"}
    weight: 2
'''


def test_a_broken_framework_is_named_by_line_and_nothing_loads(root, runner, db_session):
    (root / "competences" / "LDR-DT.yaml").write_text(BROKEN, encoding="utf-8")
    errors = [str(f) for f in content.check(root).errors]
    where = str(root / "competences" / "LDR-DT.yaml")
    assert f"{where}:6: error: competence 1: programme LDR-DT has no topic 9.9" in errors
    assert f"{where}:7: error: competence 1: the code is used twice" in errors
    assert any(e.startswith(f"{where}:10: error: competence 2: 'title'") for e in errors)
    assert any(e.startswith(f"{where}:13: error: competence 3: unknown field(s) 'weight'") for e in errors)
    assert len(errors) == 4
    result = runner.invoke(args=["content", "load", str(root)])
    assert result.exit_code == 1 and "nothing was loaded" in result.output
    with pytest.raises(content.ContentError):
        services.load_content(root)

    (root / "competences" / "LDR-DT.yaml").write_text(BROKEN.replace("LDR-DT", "XYZ"), encoding="utf-8")
    assert [f.message for f in content.check(root).errors] == ["no programme XYZ in the programme files"]
    shutil.move(root / "competences" / "LDR-DT.yaml", root / "competences" / "TCH-SUS.yaml")
    (root / "competences" / "TCH-SUS.yaml").write_text(BROKEN.split("  - code: \"1\"\n    title: {kk: \"Тағы\"}")[0]
                                                       .replace('"9.9"', '"1.2"'), encoding="utf-8")
    assert [f.message for f in content.check(root).errors] == ["the file of programme LDR-DT must be named LDR-DT.yaml"]


def test_the_programme_page_lists_the_framework(client, db_session):
    services.load_content(CONTENT)
    db_session.commit()
    page = client.get("/programmes/LDR-DT").text
    assert 'id="competences"' in page and page.count("data-competence=") == 6
    assert "Көшбасшылық құзыреттілік</strong> – мұғалімдерді, оқу-көмекші қызметкерлер ынталандыру" in page
    assert '<span title="Білім беру экожүйелерін талдау">1.6</span>' in page
    assert 'id="competences"' not in client.get("/programmes/LDR-SUS").text
    teachers = client.get("/programmes/TCH-SUS").text
    assert teachers.count("data-competence=") == 9 and 'data-competence="6"' in teachers
