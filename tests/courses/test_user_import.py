"""Participant list import: all or nothing, every error by line, Kazakh and Russian names in
every encoding people send, existing accounts matched by e-mail."""
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lms.core.models import AuditEntry, District, Region, School, User
from lms.core.services.errors import ServiceError
from lms.courses.cli import register_user_import
from lms.courses.models import Enrolment
from lms.courses.services.user_import import ParticipantImportError, import_participants, parse_position

DATA = Path(__file__).resolve().parent / "data"
HEADER = "ФИО,E-mail,Школа,Должность\n"


@pytest.fixture
def schools(db_session):
    """Two schools with Kazakh and Russian names, as the regional registry lists them."""
    region = Region(code="IMP", name_kk="Сынақ облысы", name_ru="Тестовая область")
    district = District(region=region, name_kk="Қызылжар ауданы", name_ru="Кызылжарский район")
    db_session.add_all([
        School(code="IMP-001", district=district, name_kk="Бесқарағай ШЖМ", name_ru="Бескарагайская МКШ"),
        School(code="IMP-002", district=district, name_kk="Соколовка тірек мектебі",
               name_ru="Соколовская опорная школа", school_type="hub", instruction_language="ru"),
    ])
    db_session.commit()
    return {s.code: s.id for s in db_session.scalars(select(School).where(School.code.like("IMP-%")))}


def thirty_rows(bad_line: int | None = None) -> bytes:
    """A 30-participant list (file lines 2-31); `bad_line` names an unknown school."""
    lines = [HEADER]
    for n in range(1, 31):
        line = n + 1
        school = "IMP-999" if line == bad_line else ("IMP-001" if n % 2 else "Соколовская опорная школа")
        role = "директор" if n == 1 else "учитель"
        lines.append(f"Қатысушы Әлия {n:02d},p{n:02d}@bulk.test.kz,{school},{role}\n")
    return "".join(lines).encode("utf-8")


def bulk_users(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(User).where(User.email.like("%@bulk.test.kz")))


def enrolled(db_session, cohort_id: int) -> int:
    return db_session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.cohort_id == cohort_id))


def test_one_bad_row_among_30_writes_nothing_and_names_the_line(make, db_session, schools):
    cohort = make.cohort(code="IMP-C1", participants=0)
    with pytest.raises(ParticipantImportError) as exc:
        import_participants(cohort, thirty_rows(bad_line=18), "list.csv", None)
    assert len(exc.value.errors) == 1
    line, reason = exc.value.errors[0]
    assert line == 18 and "unknown school 'IMP-999'" in reason
    assert exc.value.lines() == [f"list.csv:18: {reason}"]
    db_session.rollback()
    assert bulk_users(db_session) == 0
    assert enrolled(db_session, cohort.id) == 0


def test_good_file_imports_everyone_and_a_second_import_changes_nothing(make, db_session, schools):
    admin = make.user("admin", language="en")  # pages in English whatever the translations say
    cohort = make.cohort(code="IMP-C2", participants=0)
    report = import_participants(cohort, thirty_rows(), "list.csv", admin)
    db_session.commit()
    assert (len(report.created), report.matched, report.enrolled, report.already_enrolled) == (30, 0, 30, 0)
    first = db_session.scalar(select(User).where(User.email == "p01@bulk.test.kz"))
    second = db_session.scalar(select(User).where(User.email == "p02@bulk.test.kz"))
    assert (first.full_name, first.school_id, first.position) == ("Қатысушы Әлия 01", schools["IMP-001"], "director")
    assert (second.school_id, second.position) == (schools["IMP-002"], "teacher")
    assert first.password_hash is None
    audit_rows = db_session.scalar(select(func.count()).select_from(AuditEntry))

    again = import_participants(cohort, thirty_rows(), "list.csv", admin)
    db_session.commit()
    assert (len(again.created), again.matched, again.enrolled, again.already_enrolled) == (0, 30, 0, 30)
    assert bulk_users(db_session) == 30 and enrolled(db_session, cohort.id) == 30
    assert db_session.scalar(select(func.count()).select_from(AuditEntry)) == audit_rows


@pytest.mark.parametrize("filename, expected", [
    ("participants_utf8_bom.csv", [
        ("abilkaiyr@imp.test.kz", "Әбілқайыр Ұлықбекұлы", "IMP-001", "director", 1),
        ("gulnur@imp.test.kz", "Гүлнұр Сәрсенбайқызы", "IMP-001", "teacher", 2),
        ("omirzaq@imp.test.kz", "Өмірзақ Іңкәрұлы", "IMP-002", "deputy", 1)]),
    ("participants_cp1251.csv", [
        ("sergey.ivanov@imp.test.kz", "Сергей Иванов", "IMP-002", "teacher", None),
        ("petr.sidorov@imp.test.kz", "Пётр Сидоров", "IMP-002", "deputy", None),
        ("alena.yolkina@imp.test.kz", "Алёна Ёлкина", "IMP-001", "methodologist", None)]),
    ("participants_semicolon.csv", [
        ("aigerim@imp.test.kz", "Айгерім Жұмабаева", "IMP-001", "teacher", None),
        ("natalya@imp.test.kz", "Наталья Ковалёва", "IMP-002", "teacher", None),
        ("nurlan@imp.test.kz", "Нұрлан Қасымов", "IMP-001", "director", None)]),
])
def test_sample_files_import_kazakh_and_russian_names(make, db_session, schools, filename, expected):
    cohort = make.cohort(code="IMP-C3", participants=0, mini_groups=5)
    data = (DATA / filename).read_bytes()
    if filename == "participants_cp1251.csv":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")  # the sample really is Windows-1251
    report = import_participants(cohort, data, filename, None)
    db_session.commit()
    assert (len(report.created), report.enrolled) == (3, 3)
    codes = {v: k for k, v in schools.items()}
    got = []
    for e in db_session.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort.id).order_by(Enrolment.id)):
        got.append((e.user.email, e.user.full_name, codes[e.user.school_id], e.user.position, e.mini_group))
    assert got == expected


def test_names_are_stored_nfc(make, db_session, schools):
    cohort = make.cohort(code="IMP-C4", participants=0)
    decomposed = "Пе\u0308тр Сергеи\u0306"  # ё and й typed as letter + combining mark
    import_participants(cohort, (HEADER + f"{decomposed},nfc@imp.test.kz,IMP-001,учитель\n").encode("utf-8"),
                        "nfc.csv", None)
    user = db_session.scalar(select(User).where(User.email == "nfc@imp.test.kz"))
    assert user.full_name == "Пётр Сергей" and len(user.full_name) == 11


def test_existing_users_are_matched_by_email_case_insensitively(make, db_session, schools):
    cohort = make.cohort(code="IMP-C5", participants=0)
    kept = make.user(email="kept@imp.test.kz", full_name="Бұрынғы Есім", position="methodologist")
    # an account whose stored e-mail has capitals (made before addresses were normalised)
    legacy = User(email="Legacy.User@Imp.Test.KZ", full_name="Ескі Қолданушы")
    db_session.add(legacy)
    db_session.commit()
    users_before = db_session.scalar(select(func.count()).select_from(User))
    data = (HEADER + "Жаңа Есім,KEPT@imp.test.kz,IMP-002,директор\n"
                     "Тағы Бір Есім,legacy.user@imp.test.kz,Бесқарағай ШЖМ,мұғалім\n").encode("utf-8")
    report = import_participants(cohort, data, "existing.csv", None)
    db_session.commit()
    assert (len(report.created), report.matched, report.enrolled) == (0, 2, 2)
    assert db_session.scalar(select(func.count()).select_from(User)) == users_before
    kept, legacy = db_session.get(User, kept.id), db_session.get(User, legacy.id)
    # the name and a position already set stay; only empty fields are filled in
    assert (kept.full_name, kept.position, kept.school_id) == ("Бұрынғы Есім", "methodologist", schools["IMP-002"])
    assert (legacy.full_name, legacy.position, legacy.school_id) == ("Ескі Қолданушы", "teacher", schools["IMP-001"])


def test_every_error_is_listed_by_line(make, db_session, schools):
    cohort = make.cohort(code="IMP-C6", participants=0, mini_groups=5)
    data = ("Аты-жөні,Эл. пошта,Мектеп,Лауазымы,Шағын топ\n"
            "Бірінші Адам,same@imp.test.kz,IMP-001,мұғалім,1\n"           # line 2
            "Екінші Адам,second@imp.test.kz,Жоқ мектеп,мұғалім,\n"         # line 3: unknown school
            "Үшінші Адам,SAME@imp.test.kz,IMP-001,мұғалім,\n"              # line 4: duplicate of line 2
            "Төртінші Адам,,IMP-002,аспаз,9\n"                              # line 5: three problems
            "\n"                                                             # line 6: blank, skipped
            ",not-an-email,IMP-002,педагог,\n").encode("utf-8")             # line 7
    with pytest.raises(ParticipantImportError) as exc:
        import_participants(cohort, data, "errors.csv", None)
    errors = exc.value.errors
    assert [line for line, _ in errors] == [3, 4, 5, 5, 5, 7, 7]
    text = dict.fromkeys(range(1, 8), "")
    for line, reason in errors:
        text[line] += reason + "|"
    assert "unknown school 'Жоқ мектеп'" in text[3]
    assert "e-mail same@imp.test.kz is also on line 2" in text[4]
    assert "e-mail is missing" in text[5] and "unknown role 'аспаз'" in text[5]
    assert "mini-group '9' is not a number from 1 to 5" in text[5]
    assert "'not-an-email' is not a valid e-mail address" in text[7] and "full name is missing" in text[7]
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(User).where(User.email.like("%@imp.test.kz"))) == 0


def test_missing_columns_and_capacity_are_refused(make, db_session, schools):
    cohort = make.cohort(code="IMP-C7", participants=2, capacity=3)
    with pytest.raises(ParticipantImportError) as exc:
        import_participants(cohort, "ФИО;Школа\nАлма;IMP-001\n".encode("utf-8"), "cols.csv", None)
    assert exc.value.errors[0][0] == 1 and "e-mail" in exc.value.errors[0][1] and "role" in exc.value.errors[0][1]
    data = (HEADER + "Бір,one@imp.test.kz,IMP-001,мұғалім\n"
                     "Екі,two@imp.test.kz,IMP-001,мұғалім\n").encode("utf-8")
    with pytest.raises(ParticipantImportError) as exc:
        import_participants(cohort, data, "full.csv", None)
    assert exc.value.errors[0][0] == 3 and "is full" in exc.value.errors[0][1]
    cohort.status = "cancelled"
    with pytest.raises(ServiceError, match="IMP-C7 is cancelled"):
        import_participants(cohort, (HEADER + "Бір,one@imp.test.kz,IMP-001,мұғалім\n").encode("utf-8"), "one.csv", None)


def test_position_synonyms():
    assert parse_position("Заместитель директора по УВР") == "deputy"
    assert parse_position("директордың оқу ісі жөніндегі орынбасары") == "deputy"
    assert parse_position("Завуч") == "deputy"
    assert parse_position("Бастауыш сынып мұғалімі") == "teacher"
    assert parse_position("ӘДІСКЕР") == "methodologist"
    assert parse_position("Директор") == "director"
    assert parse_position("аспаз") is None


def test_failed_import_checks_rows_in_a_bounded_number_of_queries(make, db_session, schools, count_queries):
    cohort = make.cohort(code="IMP-C8", participants=0)
    counts = []
    for rows in (10, 200):
        data = (HEADER + "".join(f"Адам {n},q{n}@bulk.test.kz,IMP-00{1 + n % 2},учитель\n" for n in range(rows))
                + "Соңғы,last@bulk.test.kz,IMP-404,учитель\n").encode("utf-8")
        with count_queries() as q:
            with pytest.raises(ParticipantImportError):
                import_participants(cohort, data, "q.csv", None)
        counts.append(len(q))
    assert counts[0] == counts[1]


# --- the page ------------------------------------------------------------------------


def upload(client, code, data: bytes, filename="list.csv"):
    # encoded here in memory: the test client spools bodies over 500 KB to a temporary
    # file it never closes (a ResourceWarning, and warnings are errors)
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename)})
    return client.post(f"/cohorts/{code}/participants/import", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_page_lists_the_bad_row_and_writes_nothing(client, auth, make, db_session, schools):
    admin = make.user("admin", language="en")  # pages in English whatever the translations say
    cohort = make.cohort(code="IMP-P1", participants=0)
    cohort_id = cohort.id
    auth.login(admin.email)
    page = client.get("/cohorts/IMP-P1/participants/import")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.get_data(as_text=True)
    r = upload(client, "IMP-P1", thirty_rows(bad_line=18))
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="import-errors"' in body
    assert '<td class="num">18</td>' in body and "unknown school &#39;IMP-999&#39;" in body
    assert bulk_users(db_session) == 0 and enrolled(db_session, cohort_id) == 0


def test_page_imports_and_shows_the_counts(client, auth, make, db_session, schools):
    admin = make.user("admin", language="en")  # pages in English whatever the translations say
    cohort = make.cohort(code="IMP-P2", participants=0)
    cohort_id = cohort.id
    auth.login(admin.email)
    r = upload(client, "IMP-P2", thirty_rows())
    assert r.status_code == 302 and r.headers["Location"].endswith("/cohorts/IMP-P2/participants")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "30 accounts created" in page and "Қатысушы Әлия 30" in page
    assert 'href="/cohorts/IMP-P2/participants/import"' in page
    assert enrolled(db_session, cohort_id) == 30


def test_page_refuses_other_files(client, auth, make, db_session, schools):
    admin = make.user("admin", language="en")  # pages in English whatever the translations say
    make.cohort(code="IMP-P3", participants=0)
    auth.login(admin.email)
    body = upload(client, "IMP-P3", thirty_rows(), filename="list.xlsx").get_data(as_text=True)
    assert "Only .csv files are accepted" in body
    big = HEADER.encode() + b"x" * (2 * 1024 * 1024)
    assert "larger than 2 MB" in upload(client, "IMP-P3", big).get_data(as_text=True)
    assert bulk_users(db_session) == 0


def test_participant_and_trainer_get_403(client, auth, make, schools):
    trainer = make.user()
    make.cohort(code="IMP-P4", participants=1, trainer=trainer)
    participant = "imp-p4-p01@test.kz"
    for email in (participant, trainer.email):
        auth.login(email)
        assert client.get("/cohorts/IMP-P4/participants/import").status_code == 403
        assert upload(client, "IMP-P4", thirty_rows()).status_code == 403
        auth.logout()


# --- the command ---------------------------------------------------------------------


def test_cli_reports_file_and_line_and_exits_1(app, runner, make, db_session, schools, tmp_path):
    cohort = make.cohort(code="IMP-L1", participants=0)
    cohort_id = cohort.id
    register_user_import(app)
    register_user_import(app)  # idempotent
    path = tmp_path / "list.csv"
    path.write_bytes(thirty_rows(bad_line=18))
    result = runner.invoke(args=["users", "import", str(path), "--cohort", "IMP-L1"])
    assert result.exit_code == 1
    assert f"{path}:18: unknown school 'IMP-999'" in result.stderr
    assert bulk_users(db_session) == 0 and enrolled(db_session, cohort_id) == 0

    path.write_bytes(thirty_rows())
    result = runner.invoke(args=["users", "import", str(path), "--cohort", "imp-l1"])
    assert result.exit_code == 0, result.output
    assert "created: 30; matched: 0; enrolled: 30; already enrolled: 0" in result.stdout
    assert bulk_users(db_session) == 30 and enrolled(db_session, cohort_id) == 30

    result = runner.invoke(args=["users", "import", str(path), "--cohort", "NO-SUCH"])
    assert result.exit_code == 1 and "no cohort NO-SUCH" in result.stderr


def test_a_value_from_the_file_is_shown_as_text_and_the_problem_in_the_readers_language(
        client, auth, make, db_session, schools):
    """Flask-Babel's lazy messages passed themselves off as markup: a school named in HTML would
    have reached the page as HTML."""
    admin = make.user("admin")
    make.cohort(code="IMP-X1", participants=0)
    auth.login(admin.email)
    data = (HEADER + 'Қатысушы Бір,one@bulk.test.kz,<img src=x onerror=alert(1)>,мұғалім\n').encode()
    body = upload(client, "IMP-X1", data).get_data(as_text=True)
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "белгісіз мектеп" in body  # the row's problem in Kazakh, the reader's language
