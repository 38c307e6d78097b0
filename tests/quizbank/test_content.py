"""The shipped banks (content/banks/): they load, every blueprint can be published against
them, loading again changes nothing, and a broken blueprints file names the entry."""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.core.services.errors import ServiceError
from lms.quizbank.models import Bank, Blueprint, Item
from lms.quizbank.services import blueprints
from lms.quizbank.services.content import load_banks

BANKS = Path(__file__).resolve().parents[2] / "content" / "banks"


def test_the_shipped_banks_load_and_every_blueprint_is_publishable(db_session):
    report = load_banks(BANKS)
    counts = dict(db_session.execute(select(Bank.code, func.count(Item.id)).join(Item).group_by(Bank.code)).all())
    assert counts == {"LDR": 138, "TCH": 80, "LDT": 150}
    # titled in Kazakh, as the trainers read them
    assert dict(db_session.execute(select(Bank.code, Bank.title)).all()) == {
        "LDR": "LDR-SUS тапсырмалар банкі", "TCH": "TCH-SUS тапсырмалар банкі", "LDT": "LDR-DT тапсырмалар банкі"}
    prints = list(db_session.scalars(select(Blueprint)))
    assert {b.code for b in prints} == {"LDR-FINAL", "TCH-FINAL", "LDT-FINAL"} | {f"LDT-M{n}" for n in range(1, 9)}
    for blueprint in prints:
        assert blueprints.check_publishable(blueprint) == [], blueprint.code
    # the seeds' rules: leaders 24 items, 1-3 a topic; teachers 24, 2 a topic; LDR-DT 10 a module, 20 final
    by_code = {b.code: b for b in prints}
    assert by_code["LDR-FINAL"].total == 24 and {(r["min"], r["max"]) for r in by_code["LDR-FINAL"].rules} == {(1, 3)}
    assert by_code["TCH-FINAL"].total == 24 and {(r["min"], r["max"]) for r in by_code["TCH-FINAL"].rules} == {(2, 2)}
    assert all(by_code[f"LDT-M{n}"].total == 10 for n in range(1, 9)) and by_code["LDT-FINAL"].total == 20
    assert any("blueprint LDT-FINAL: created" in line for line in report.lines)

    again = load_banks(BANKS)
    assert not any("blueprint" in line for line in again.lines)
    assert all("0 created, 0 new version(s)" in line for line in again.lines)


def test_a_broken_blueprints_file_names_the_entry_and_loads_nothing(tmp_path, db_session):
    (tmp_path / "blueprints.yaml").write_text(
        "- bank: LDR\n  programme: LDR-SUS\n  code: X\n  title: x\n  total: 3\n  rules: []\n  colour: red\n"
        "- bank: LDR\n  programme: LDR-SUS\n  title: y\n", encoding="utf-8")
    with pytest.raises(ServiceError) as exc:
        load_banks(tmp_path)
    assert "entry 1 (X): unknown key(s) colour" in exc.value.message
    assert "entry 2 (?): missing code, total, rules" in exc.value.message
    assert db_session.scalar(select(func.count(Bank.id))) == 0


def test_lms_bank_load_command(runner, db_session):
    result = runner.invoke(args=["bank", "load", str(BANKS)])
    assert result.exit_code == 0, result.output
    assert "bank LDT (LDR-DT.gift): LDT: 150 created" in result.output
