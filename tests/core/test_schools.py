"""The school register, imported from a region's CSV: all or nothing, named by line."""
import io

from sqlalchemy import func, select

from lms.core.models import District, Region, School
from lms.db import db

GOOD = """Облыс коды;Облыс;Аудан;Мектеп коды;Мектеп атауы;Название;Түрі;Оқыту тілі;Интернет
AKM;Ақмола облысы;Аршалы ауданы;AKM-001;Ижевский ШЖМ;Ижевская МКШ;шжм;қазақ;3,5
AKM;;Аршалы ауданы;AKM-002;Бабатай тірек мектебі;;тірек;аралас;
AKM;;Целиноград ауданы;AKM-003;Қосшы ШЖМ;;ШЖМ;ru;12
"""


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_register_imports_once_and_a_corrected_file_updates_it(client, auth, make, db_session):
    make.user("admin", email="registrar@test.kz")
    auth.login("registrar@test.kz")
    page = client.get("/admin/schools")
    assert page.status_code == 200 and 'id="import"' in page.text
    before = (_count(Region), _count(District), _count(School))

    r = client.post("/admin/schools", data={"file": (io.BytesIO(GOOD.encode("utf-8-sig")), "akm.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    db_session.expire_all()
    assert (_count(Region), _count(District), _count(School)) == (before[0] + 1, before[1] + 2, before[2] + 3)
    school = db.session.scalar(select(School).where(School.code == "AKM-001"))
    assert (school.name_ru, school.school_type, school.instruction_language, school.internet_mbps) == (
        "Ижевская МКШ", "small_ungraded", "kk", 3.5)
    assert db.session.scalar(select(School).where(School.code == "AKM-002")).school_type == "hub"
    listing = client.get("/admin/schools").text
    assert "Ижевский ШЖМ" in listing and "small_ungraded" not in listing  # the type in words

    again = client.post("/admin/schools", data={"file": (io.BytesIO(GOOD.encode()), "akm.csv")},
                        content_type="multipart/form-data", follow_redirects=True)
    assert again.status_code == 200 and "flash" in again.text
    db_session.expire_all()
    assert _count(School) == before[2] + 3  # nothing twice

    corrected = GOOD.replace("3,5", "8").replace("Қосшы ШЖМ", "Қосшы тірек мектебі")
    client.post("/admin/schools", data={"file": (io.BytesIO(corrected.encode()), "akm.csv")},
                content_type="multipart/form-data")
    db_session.expire_all()
    assert db.session.scalar(select(School.internet_mbps).where(School.code == "AKM-001")) == 8
    assert db.session.scalar(select(School.name_kk).where(School.code == "AKM-003")) == "Қосшы тірек мектебі"


def test_a_bad_register_names_every_problem_by_line_and_writes_nothing(client, auth, make, db_session):
    make.user("admin", email="registrar2@test.kz")
    auth.login("registrar2@test.kz")
    client.post("/language", data={"language": "en"})
    before = (_count(Region), _count(School))
    bad = GOOD + "XYZ;;Жаңа аудан;AKM-001;Қайталанған;;космос;неміс;жылдам\n"
    r = client.post("/admin/schools", data={"file": (io.BytesIO(bad.encode()), "bad.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and 'id="import-errors"' in r.text
    for problem in ("also on line 2", "region XYZ is new", "unknown school type", "unknown language",
                    "is not a number"):
        assert problem in r.text, problem
    assert ">5<" in r.text  # the line
    db_session.expire_all()
    assert (_count(Region), _count(School)) == before  # the good rows were not written either
    missing = client.post("/admin/schools", data={"file": (io.BytesIO(b"code;name\nA;B\n"), "x.csv")},
                          content_type="multipart/form-data")
    assert missing.status_code == 400 and "missing column" in missing.text


def test_the_cli_imports_the_register_and_reports_file_and_line(runner, make, db_session, tmp_path):
    good = tmp_path / "akm.csv"
    good.write_text(GOOD, encoding="utf-8-sig")
    result = runner.invoke(args=["schools", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "schools added: 3" in result.output and "new regions: 1" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD.replace("AKM-003", "AKM-001"), encoding="utf-8")
    result = runner.invoke(args=["schools", "import", str(bad)])
    assert result.exit_code == 1 and f"{bad}:4: school code AKM-001 is also on line 2" in result.output


def test_only_those_who_manage_schools_import_them(client, auth, make, db_session):
    make.user("trainer", email="not-registrar@test.kz")
    auth.login("not-registrar@test.kz")
    assert client.get("/admin/schools").status_code == 403
    r = client.post("/admin/schools", data={"file": (io.BytesIO(GOOD.encode()), "akm.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 403


def test_the_problems_read_in_the_readers_language(client, auth, make, db_session):
    make.user("admin", email="registrar3@test.kz")
    auth.login("registrar3@test.kz")
    bad = GOOD + "XYZ;;Жаңа аудан;AKM-009;Мектеп;космос;;\n"
    page = client.post("/admin/schools", data={"file": (io.BytesIO(bad.encode()), "bad.csv")},
                       content_type="multipart/form-data").text
    assert "XYZ облысы жаңа" in page and ">5<" in page
    missing = client.post("/admin/schools", data={"file": (io.BytesIO(b"code;name\nA;B\n"), "x.csv")},
                          content_type="multipart/form-data").text
    assert "Бағандар жоқ" in missing and "облыс коды" in missing


def test_a_semicolon_file_with_decimal_commas_and_empty_cells_is_read_by_its_header(app):
    """csv.Sniffer, shown such rows, took the comma for the separator."""
    from lms.core.services import tabular
    from lms.core.services.schools import COLUMNS

    data = (GOOD + "AKM;;Аршалы ауданы;AKM-009;Мектеп;;;;\n").encode()
    with app.app_context():
        table = tabular.read_csv(data, COLUMNS)
    assert table.columns[:4] == ["region_code", "region", "district", "code"]
    assert [row["internet_mbps"] for _line, row in table.rows][:1] == ["3,5"]


def _imported(client):
    client.post("/admin/schools", data={"file": (io.BytesIO(GOOD.encode()), "akm.csv")},
                content_type="multipart/form-data")
    return db.session.scalar(select(School).where(School.code == "AKM-001"))


def test_one_school_is_found_and_corrected_by_hand_and_the_log_says_what_it_was(client, auth, make, db_session):
    from lms.core.models import AuditEntry

    make.user("methodologist", email="method@test.kz", language="en")
    auth.login("method@test.kz")
    school = _imported(client)
    other = db.session.scalar(select(District).where(District.name_kk == "Целиноград ауданы"))

    found = client.get("/admin/schools?q=ижевск").text  # by a part of its name, in any case
    assert "AKM-001" in found and "AKM-002" not in found
    assert "AKM-003" in client.get("/admin/schools?q=akm-003").text
    assert "No school matches «nowhere»." in client.get("/admin/schools?q=nowhere").text

    form = client.get(f"/admin/schools/{school.id}").text
    assert 'value="Ижевский ШЖМ"' in form and 'value="3.5"' in form and "AKM-001" in form
    saved = client.post(f"/admin/schools/{school.id}", data={
        "name_kk": "Ижевка ШЖМ", "name_ru": "", "district": other.id, "school_type": "hub",
        "instruction_language": "mixed", "internet_mbps": "4,5"}, follow_redirects=True)
    assert saved.status_code == 200 and "Saved." in saved.text and "Ижевка ШЖМ" in saved.text
    db_session.expire_all()
    school = db.session.get(School, school.id)
    assert (school.code, school.name_kk, school.name_ru, school.district_id, school.school_type,
            school.instruction_language, school.internet_mbps) == ("AKM-001", "Ижевка ШЖМ", None, other.id, "hub",
                                                                   "mixed", 4.5)
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "school_updated",
                                                           AuditEntry.object_id == str(school.id)))
    assert entry.details["before"]["name_kk"] == "Ижевский ШЖМ" and entry.details["before"]["district"] == "Аршалы ауданы"


def test_a_wrong_value_is_named_under_its_field_and_nothing_changes(client, auth, make, db_session):
    make.user("admin", email="registrar2@test.kz", language="en")
    auth.login("registrar2@test.kz")
    school = _imported(client)
    refused = client.post(f"/admin/schools/{school.id}", data={
        "name_kk": "Жаңа атау", "district": school.district_id, "school_type": "hub", "instruction_language": "kk",
        "internet_mbps": "fast"})
    assert refused.status_code == 400 and "internet speed «fast» is not a number of Mbit/s" in refused.text
    empty = client.post(f"/admin/schools/{school.id}", data={
        "name_kk": "", "district": school.district_id, "school_type": "hub", "instruction_language": "kk"})
    assert empty.status_code == 400
    db_session.expire_all()
    assert db.session.get(School, school.id).name_kk == "Ижевский ШЖМ"
    assert client.get("/admin/schools/999999").status_code == 404
