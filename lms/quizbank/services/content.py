"""The banks shipped in content/banks/: one GIFT file per programme (named by its code) and
blueprints.yaml. Loading is idempotent: unchanged items stay as they are, a changed item
gets a new version, blueprints are created or brought up to date by code."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select

from lms.core.services.errors import ServiceError
from lms.db import db
from lms.quizbank.formats import parse
from lms.quizbank.models import Blueprint
from lms.quizbank.services import banks as bank_service
from lms.quizbank.services import blueprints as blueprint_service

BLUEPRINTS_FILE = "blueprints.yaml"
BLUEPRINT_KEYS = {"bank", "programme", "code", "title", "total", "rules", "level_quotas", "module"}


@dataclass
class LoadReport:
    lines: list[str] = field(default_factory=list)


def _title(value) -> str:
    if isinstance(value, dict):
        return str(value.get("kk") or value.get("ru") or value.get("en") or "")
    return str(value or "")


def read_blueprints(path: Path) -> list[dict]:
    """The entries of blueprints.yaml, each checked for its keys; errors name the entry."""
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ServiceError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(entries, list):
        raise ServiceError(f"{path}: expected a list of blueprints")
    problems = []
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(f"{path}: entry {n}: expected a mapping")
            continue
        missing = [k for k in ("bank", "programme", "code", "title", "total", "rules") if k not in entry]
        unknown = sorted(set(entry) - BLUEPRINT_KEYS)
        if missing:
            problems.append(f"{path}: entry {n} ({entry.get('code', '?')}): missing {', '.join(missing)}")
        if unknown:
            problems.append(f"{path}: entry {n} ({entry.get('code', '?')}): unknown key(s) {', '.join(unknown)}")
    if problems:
        raise ServiceError("; ".join(problems))
    return entries


def load_banks(directory: Path, actor=None, *, programmes: set[str] | None = None) -> LoadReport:
    """Import `<PROGRAMME>.gift` for every bank blueprints.yaml names, then save its blueprints.
    Banks of programmes not loaded (or not in `programmes`) are passed over and said so."""
    from lms.courses.models import Programme

    report = LoadReport()
    entries = read_blueprints(directory / BLUEPRINTS_FILE)
    loaded = set(db.session.scalars(select(Programme.code)))
    banks: dict[str, str] = {}
    for entry in entries:
        banks.setdefault(entry["bank"], entry["programme"])
    for bank_code, programme_code in banks.items():
        if programmes is not None and programme_code not in programmes:
            continue
        if programme_code not in loaded:
            report.lines.append(f"bank {bank_code}: programme {programme_code} is not loaded; passed over")
            continue
        path = directory / f"{programme_code}.gift"
        if not path.exists():
            raise ServiceError(f"{path}: missing (blueprints.yaml names bank {bank_code} of {programme_code})")
        bank = bank_service.get_or_create_bank(bank_code, programme_code, None, actor)
        result = bank_service.import_items(bank, parse(path.read_bytes(), str(path)), actor, str(path))
        report.lines.append(f"bank {bank_code} ({path.name}): {result.summary()}")
        for entry in (e for e in entries if e["bank"] == bank_code):
            existing = db.session.scalar(select(Blueprint).where(Blueprint.bank_id == bank.id,
                                                                 Blueprint.code == entry["code"]))
            fields = {"code": entry["code"], "title": _title(entry["title"]), "total": entry["total"],
                      "rules": entry["rules"], "level_quotas": entry.get("level_quotas") or {}}
            if existing is not None and (existing.title, existing.total, existing.rules,
                                         existing.level_quotas) == (fields["title"], fields["total"],
                                                                    fields["rules"], fields["level_quotas"]):
                continue
            blueprint_service.save_blueprint(bank, fields, actor, existing)
            report.lines.append(f"blueprint {entry['code']}: {'updated' if existing else 'created'}")
    return report
