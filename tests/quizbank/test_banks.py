"""Bank import and export: codes fix topic, module and level; a changed item gets a new
version and an unchanged one stays; one bad item imports nothing and every problem is named
by line; export then import into a fresh bank gives the same items; `lms bank`."""
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from lms.core.models import AuditEntry
from lms.core.services.errors import Conflict, NotFound, ServiceError
from lms.quizbank.formats import ItemFileError, parse
from lms.quizbank.models import Bank, Item, ItemVersion
from lms.quizbank.services import banks

DATA = Path(__file__).parent / "data"
#: a bank code of the tests' own, so banks loaded from content/ never collide
BANK = "TQB"


def sample(name: str) -> str:
    """A sample file with its LDR codes and categories moved to the test bank."""
    return (DATA / name).read_text(encoding="utf-8").replace("LDR-", f"{BANK}-").replace("LDR/", f"{BANK}/")


@pytest.fixture
def bank(db_session):
    bank = banks.get_or_create_bank(BANK, "LDR-SUS", "Test bank", None)
    db_session.commit()
    return bank


def load(bank, text: str, filename: str = "items.gift", actor=None):
    return banks.import_items(bank, parse(text, filename), actor, filename)


def items_of(db_session, code: str = BANK) -> dict[str, Item]:
    rows = db_session.scalars(select(Item).join(Bank).where(Bank.code == code)
                              .options(selectinload(Item.versions)).order_by(Item.code))
    return {item.code: item for item in rows}


def snapshot(db_session, code: str = BANK) -> list[tuple]:
    return [(i.code, i.topic_code, i.module_number, i.level, i.status, i.tags, i.current.qtype, i.current.title,
             i.current.text, i.current.data, i.current.general_feedback, i.current.language)
            for i in items_of(db_session, code).values()]


def version_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(ItemVersion).join(Item).join(Bank)
                             .where(Bank.code == BANK))


def test_import_creates_coded_items_with_topic_module_level_and_status(db_session, bank, make):
    methodologist = make.user("methodologist")
    report = load(bank, sample("moodle_constructs.gift"), "constructs.gift", methodologist)
    db_session.commit()
    assert report.created == [f"{BANK}-2.3-K-001", f"{BANK}-2.3-U-002", f"{BANK}-2.3-K-003", f"{BANK}-2.3-A-004",
                              f"{BANK}-2.4-K-005", f"{BANK}-2.4-A-006", f"{BANK}-2.4-A-007", f"{BANK}-2.4-A-008",
                              f"{BANK}-2.4-H-009", f"{BANK}-2.4-K-010", f"{BANK}-2.4-U-011"]
    assert [(s.line, s.reason) for s in report.skipped] == [(53, "description (no answers): not imported")]
    items = items_of(db_session)
    matching = items[f"{BANK}-2.3-A-004"]
    assert (matching.topic_code, matching.module_number, matching.level, matching.status) == ("2.3", 2, "A", "ready")
    assert matching.current.qtype == "matching" and matching.current.number == 1
    assert matching.current.created_by_id == methodologist.id
    essay = items[f"{BANK}-2.4-H-009"]
    assert (essay.level, essay.status, essay.tags) == ("H", "draft", [])  # the draft tag is the status
    assert items[f"{BANK}-2.3-K-001"].tags == ["level-K", "topic-2.3"]
    assert items[f"{BANK}-2.4-U-011"].current.text_html == "<p>Which is <strong>true</strong> about the {braces}?</p>"
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "bank_imported")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.actor_id == methodologist.id and entry.object_id == str(bank.id)
    assert entry.details["created"] == report.created and entry.details["filename"] == "constructs.gift"
    assert entry.summary == "constructs.gift: TQB: 11 created, 0 new version(s), 0 unchanged, 1 skipped"


def test_text_is_sanitized_and_its_language_told(db_session, bank):
    load(bank, "// [id:TQB-1.1-K-001]\n[html]<p onclick=\"steal()\">Мектеп кімге қызмет етеді?</p>"
               "<script>alert(1)</script>{=Балаға ~Есепке}\n\n"
               "// [id:TQB-1.1-K-002]\nКакую роль играет директор школы в развитии педагогов?{=Лидера ~Контролёра}\n\n"
               "// [id:TQB-1.1-K-003] [tag:lang-ru]\nДиректор?{T}\n\n"
               "// [id:TQB-1.1-K-004]\nДиректор?{T}\n")
    items = items_of(db_session)
    html_item = items["TQB-1.1-K-001"].current
    assert "<script>" in html_item.text  # kept as written ...
    assert "script" not in html_item.text_html and "onclick" not in html_item.text_html  # ... shown sanitized
    assert "<p>Мектеп кімге қызмет етеді?</p>" in html_item.text_html
    assert [items[f"TQB-1.1-K-00{n}"].current.language for n in (1, 2, 3, 4)] == ["kk", "ru", "ru", "kk"]


def test_reimport_keeps_unchanged_items_and_versions_changed_ones(db_session, bank):
    text = sample("moodle_constructs.gift")
    load(bank, text)
    db_session.commit()
    before = version_count(db_session)

    again = load(bank, text)
    assert (again.created, again.new_versions, again.retagged) == ([], [], [])
    assert len(again.unchanged) == 11 and version_count(db_session) == before

    edited = (text.replace("~%50%Grant's wife", "~%50%Julia Grant")
              .replace("{#1..5}", "{#1..9}")
              .replace("// [id:TQB-2.3-K-003] [tag:level-K]", "// [id:TQB-2.3-K-003] [tag:level-K] [tag:myth]"))
    report = load(bank, edited)
    db_session.commit()
    assert report.new_versions == ["TQB-2.3-U-002", "TQB-2.4-A-007"]
    assert report.retagged == ["TQB-2.3-K-003"] and len(report.unchanged) == 9
    items = items_of(db_session)
    multiple = items["TQB-2.3-U-002"]
    assert [v.number for v in multiple.versions] == [1, 2]
    # the old version is untouched: attempts that showed it keep what they showed
    assert multiple.versions[0].data["options"][2]["text"] == "Grant's wife"
    assert multiple.current.data["options"][2]["text"] == "Julia Grant"
    assert items["TQB-2.4-A-007"].current.data["answers"][0] == {
        "value": 5.0, "tolerance": 4.0, "fraction": 1.0, "feedback": None}
    assert items["TQB-2.3-K-003"].tags == ["level-K", "myth"] and len(items["TQB-2.3-K-003"].versions) == 1


def test_items_without_a_code_get_the_next_free_number(db_session, bank):
    load(bank, sample("moodle_constructs.gift"))  # uses 001 to 011
    report = load(bank, "// [tag:topic-2.5]\nFirst?{T}\n\n"
                        "$CATEGORY: $course$/top/TQB/2.3\n\n"
                        "// [tag:level-A]\nSecond?{F}\n\n"
                        "// [id:TQB-2.3-K-020]\nCoded?{T}\n\n"
                        "Third?{=a ~b}\n", "new.gift")
    assert report.generated == [(2, "TQB-2.5-K-021"), (7, "TQB-2.3-A-022"), (12, "TQB-2.3-K-023")]
    assert report.created == ["TQB-2.5-K-021", "TQB-2.3-A-022", "TQB-2.3-K-020", "TQB-2.3-K-023"]
    items = items_of(db_session)
    assert (items["TQB-2.5-K-021"].topic_code, items["TQB-2.3-A-022"].level) == ("2.5", "A")


def test_one_bad_item_imports_nothing_and_every_problem_is_named(db_session, bank):
    text = ("// [id:XYZ-2.3-K-001]\nWrong bank?{T}\n\n"             # 1-2
            "// [id:TQB-9.9-K-001]\nUnknown topic?{T}\n\n"          # 4-5
            "// [id:TQB-2.3-K-002]\nFirst?{T}\n\n"                  # 7-8
            "// [id:TQB-2.3-K-002]\nTwice?{T}\n\n"                  # 10-11
            "No topic at all?{T}\n\n"                               # 13
            "// [id:TQB-2.3-A-003] [tag:level-K]\nLevel clash?{T}\n\n"  # 15-16
            "// [id:tqb-2.3-K-004]\nLower case?{T}\n\n"             # 18-19
            "$CATEGORY: TQB/2.4\n\n"                                # 21
            "// [id:TQB-2.3-K-005]\nCategory clash?{T}\n\n"         # 23-24
            "// [id:TQB-2.4-K-006]\nFine?{T}\n")                    # 26-27
    with pytest.raises(ItemFileError) as caught:
        load(bank, text, "bad.gift")
    assert caught.value.lines() == [
        "bad.gift:2: code XYZ-2.3-K-001 belongs to bank XYZ, not TQB",
        "bad.gift:5: topic 9.9 is not a topic of programme LDR-SUS",
        "bad.gift:11: code TQB-2.3-K-002 is used twice (lines 8 and 11)",
        "bad.gift:13: no code and no topic: give // [id:CODE], a $CATEGORY ending in the topic (TQB/2.3)"
        " or [tag:topic-2.3]",
        "bad.gift:16: code TQB-2.3-A-003 says level A but the tags say K",
        "bad.gift:19: code 'tqb-2.3-K-004' is not <BANK>-<module>.<topic>-<level>-<NNN> (e.g. TQB-2.3-A-007)",
        "bad.gift:24: code TQB-2.3-K-005 says topic 2.3 but $CATEGORY TQB/2.4 says 2.4",
    ]
    assert items_of(db_session) == {}
    assert db_session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "bank_imported", AuditEntry.object_id == str(bank.id))) == 0


def test_an_empty_file_is_refused(bank):
    with pytest.raises(ItemFileError) as caught:
        load(bank, "// only a comment\n", "empty.gift")
    assert caught.value.lines() == ["empty.gift:1: the file holds no questions"]


@pytest.mark.parametrize("fmt", ["gift", "xml"])
def test_export_then_import_into_a_fresh_bank_gives_the_same_items(db_session, bank, fmt):
    load(bank, sample("moodle_constructs.gift"))
    load(bank, sample("moodle_export.xml"), "moodle.xml")
    load(bank, sample("moodle_constructs.gift").replace("{#1..5}", "{#2..4}"))  # a second version
    items = items_of(db_session)
    items["TQB-2.4-K-010"].status = "retired"
    db_session.flush()
    text = banks.export_items(bank, fmt)
    before = [row for row in snapshot(db_session) if row[0] != "TQB-2.4-K-010"]
    assert len(before) == 17 and "TQB-2.4-K-010" not in text

    db_session.execute(delete(Bank).where(Bank.id == bank.id))
    db_session.expunge_all()
    assert items_of(db_session) == {}
    fresh = banks.get_or_create_bank(BANK, "LDR-SUS")
    report = load(fresh, text, f"export.{fmt}")
    assert len(report.created) == 17 and report.generated == [] and report.skipped == []
    assert snapshot(db_session) == before
    # exporting the fresh bank gives the very same file
    assert banks.export_items(fresh, fmt) == text


def test_bank_creation_rules(db_session, bank):
    assert banks.get_or_create_bank("tqb") is bank
    with pytest.raises(Conflict, match="bank TQB serves programme LDR-SUS, not TCH-SUS"):
        banks.get_or_create_bank(BANK, "TCH-SUS")
    with pytest.raises(ServiceError, match="there is no bank TQC; name its programme"):
        banks.get_or_create_bank("TQC")
    with pytest.raises(NotFound, match="no programme NOPE"):
        banks.get_or_create_bank("TQC", "NOPE")
    with pytest.raises(ServiceError, match="bank code 'TQ-B'"):
        banks.get_or_create_bank("TQ-B", "LDR-SUS")
    with pytest.raises(ServiceError, match="unknown format 'csv'"):
        banks.export_items(bank, "csv")


def test_import_cost_does_not_grow_with_the_file(db_session, bank, count_queries):
    def gift_file(n):
        return "\n".join(f"// [id:TQB-2.3-K-{i:03d}]\nQuestion {i}?{{=a ~b}}\n" for i in range(1, n + 1))

    with count_queries() as small:
        load(bank, gift_file(5))
    db_session.execute(delete(Item).where(Item.bank_id == bank.id))
    db_session.expunge_all()
    bank = banks.get_bank(BANK)
    with count_queries() as large:
        load(bank, gift_file(60))
    assert len(large) == len(small) <= 12


def test_cli_import_and_export(db_session, runner, tmp_path):
    path = tmp_path / "constructs.gift"
    path.write_text(sample("moodle_constructs.gift"), encoding="utf-8")
    result = runner.invoke(args=["bank", "import", str(path), "--bank", BANK, "--programme", "LDR-SUS"])
    assert result.exit_code == 0, result.output
    assert f"{path}:53: skipped: description (no answers): not imported" in result.stdout
    assert "TQB: 11 created, 0 new version(s), 0 unchanged, 1 skipped" in result.stdout

    xml = tmp_path / "moodle.xml"  # told by content, whatever the name
    xml.write_text(sample("moodle_export.xml").replace("<idnumber>TQB-1.2-A-002</idnumber>", "<idnumber/>"),
                   encoding="utf-8")
    result = runner.invoke(args=["bank", "import", str(xml), "--bank", "tqb"])
    assert result.exit_code == 0, result.output
    assert f"{xml}:61: code TQB-1.2-K-012 given" in result.stdout
    assert "TQB: 7 created, 0 new version(s), 0 unchanged, 2 skipped" in result.stdout

    out = tmp_path / "out.xml"
    result = runner.invoke(args=["bank", "export", "--bank", BANK, "--format", "xml", "-o", str(out)])
    assert result.exit_code == 0 and out.read_text(encoding="utf-8") == banks.export_items(banks.get_bank(BANK), "xml")
    result = runner.invoke(args=["bank", "export", "--bank", BANK])
    assert result.stdout.startswith("$CATEGORY: TQB/1.2\n\n// [id:TQB-1.2-U-001] [tag:level-U]\n")

    broken = tmp_path / "broken.gift"
    broken.write_text((DATA / "broken.gift").read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(args=["bank", "import", str(broken), "--bank", BANK])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (f"{broken}:3: the answers' {{ has no closing }}"
                                             " (a blank line ends a question)")
    assert "10 error(s); nothing was imported" in result.stderr

    result = runner.invoke(args=["bank", "import", str(path), "--bank", "TQC"])
    assert result.exit_code == 1 and "there is no bank TQC; name its programme to create it" in result.stderr
    result = runner.invoke(args=["bank", "export", "--bank", "TQC"])
    assert result.exit_code == 1 and "no bank TQC" in result.output
    assert len(items_of(db_session)) == 18
