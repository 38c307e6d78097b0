"""Rubrics as content (content/rubrics/<CODE>.yaml): checked, loaded and versioned, and the one
rule that turns points into a grade.

A file holds `code`, `programme`, `title`, `source`, `criteria` (each with `code`, `title`,
an optional `descriptor` and `levels` of `points`, `title`, optional `descriptor`) and
`conversion` (rows `min`, `max`, `grade`, `passed`, optional `label` and `percent`). Top-level
`levels` and `descriptor` may hold YAML anchors; they are also the default of a criterion that
gives none. Loading is all or nothing and idempotent: an unchanged file changes nothing, a
changed one updates its rubric in place while no assessment has used it, and makes a new
version once one has (the rubric is then frozen), so old assessments keep what they scored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import yaml
from sqlalchemy import func, select

from lms.core.services import audit
from lms.core.services.errors import NotFound, ServiceError
from lms.db import db, utcnow
from lms.portfolio.models import Rubric

CONTENT_DIR = Path(__file__).resolve().parents[3] / "content" / "rubrics"
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,39}$")
CRITERION_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.]{0,15}$")
TOP_KEYS = {"code", "programme", "title", "source", "levels", "descriptor", "criteria", "conversion"}
CRITERION_KEYS = {"code", "title", "descriptor", "levels"}
LEVEL_KEYS = {"points", "title", "descriptor"}
CONVERSION_KEYS = {"min", "max", "grade", "passed", "label", "percent"}
LANGS = ("kk", "ru", "en")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value) -> bool:
    return _number(value) and float(value) == int(value)


def _plain(value):
    """Floats that are whole become ints, so an unchanged file compares equal to its row."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _texts(value, where: str, problems: list[str], required: bool = True) -> dict | None:
    """A {kk, ru, en} mapping of non-empty strings (a plain string is taken as Kazakh)."""
    if value is None:
        if required:
            problems.append(f"{where}: required (a mapping kk/ru/en of texts)")
        return None
    if isinstance(value, str):
        value = {"kk": value}
    if not isinstance(value, dict) or not value:
        problems.append(f"{where}: expected a mapping kk/ru/en of texts")
        return None
    bad = sorted(str(k) for k in value if k not in LANGS)
    if bad:
        problems.append(f"{where}: unknown language(s) {', '.join(bad)} (use {', '.join(LANGS)})")
    out = {}
    for lang in LANGS:
        if lang in value:
            text = value[lang]
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{where}.{lang}: expected a non-empty text")
            else:
                out[lang] = text.strip()
    return out


def parse_rubric(data, where: str) -> dict:
    """The rubric a file describes, normalised; every problem, each named by file and field,
    in one refusal."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise ServiceError(f"{where}: expected a mapping with code, title, criteria and conversion")
    unknown = sorted(str(k) for k in data if k not in TOP_KEYS)
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(TOP_KEYS))})")
    code = data.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code):
        problems.append(f"{where}: code: required, capital Latin letters, digits and '-' (e.g. LDR-SUS-DEFENSE)")
    programme = data.get("programme")
    if programme is not None and not isinstance(programme, str):
        problems.append(f"{where}: programme: expected a programme code such as LDR-SUS")
    source = data.get("source")
    if source is not None and (not isinstance(source, str) or len(source) > 300):
        problems.append(f"{where}: source: expected a text of at most 300 characters")
    title = _texts(data.get("title"), f"{where}: title", problems)
    default_levels = data.get("levels")
    default_descriptor = data.get("descriptor")

    criteria = []
    raw_criteria = data.get("criteria")
    if not isinstance(raw_criteria, list) or not raw_criteria:
        problems.append(f"{where}: criteria: required, a list of at least one criterion")
        raw_criteria = []
    seen: set[str] = set()
    for n, row in enumerate(raw_criteria, start=1):
        here = f"{where}: criteria[{n}]"
        if not isinstance(row, dict):
            problems.append(f"{here}: expected a mapping with code, title and levels")
            continue
        ccode = row.get("code")
        if isinstance(ccode, str) and CRITERION_CODE_RE.match(ccode):
            here = f"{where}: criteria[{n}] ({ccode})"
            if ccode in seen:
                problems.append(f"{here}: code: {ccode} is used by another criterion")
            seen.add(ccode)
        else:
            problems.append(f"{here}: code: required, letters and digits (e.g. P1), at most 16")
        bad = sorted(str(k) for k in row if k not in CRITERION_KEYS)
        if bad:
            problems.append(f"{here}: unknown key(s) {', '.join(bad)}")
        ctitle = _texts(row.get("title"), f"{here}.title", problems)
        descriptor = row.get("descriptor", default_descriptor)
        cdescriptor = _texts(descriptor, f"{here}.descriptor", problems, required=False)
        levels = row.get("levels", default_levels)
        if not isinstance(levels, list) or len(levels) < 2:
            problems.append(f"{here}.levels: required, a list of at least two levels")
            levels = []
        parsed_levels = []
        for m, level in enumerate(levels, start=1):
            lhere = f"{here}.levels[{m}]"
            if not isinstance(level, dict):
                problems.append(f"{lhere}: expected a mapping with points and title")
                continue
            lbad = sorted(str(k) for k in level if k not in LEVEL_KEYS)
            if lbad:
                problems.append(f"{lhere}: unknown key(s) {', '.join(lbad)}")
            points = level.get("points")
            if not _number(points) or points < 0:
                problems.append(f"{lhere}.points: expected a number >= 0")
                continue
            parsed = {"points": _plain(points), "title": _texts(level.get("title"), f"{lhere}.title", problems)}
            ldescriptor = _texts(level.get("descriptor"), f"{lhere}.descriptor", problems, required=False)
            if ldescriptor:
                parsed["descriptor"] = ldescriptor
            parsed_levels.append(parsed)
        points_seen = [lv["points"] for lv in parsed_levels]
        if len(set(points_seen)) != len(points_seen):
            problems.append(f"{here}.levels: two levels give the same points")
        criterion = {"code": ccode, "title": ctitle,
                     "levels": sorted(parsed_levels, key=lambda lv: lv["points"])}
        if cdescriptor:
            criterion["descriptor"] = cdescriptor
        criteria.append(criterion)
    max_points = _plain(sum(max((lv["points"] for lv in c["levels"]), default=0) for c in criteria))

    conversion = []
    raw_conversion = data.get("conversion")
    if not isinstance(raw_conversion, list) or not raw_conversion:
        problems.append(f"{where}: conversion: required, a list of rows min, max, grade, passed")
        raw_conversion = []
    for n, row in enumerate(raw_conversion, start=1):
        here = f"{where}: conversion[{n}]"
        if not isinstance(row, dict):
            problems.append(f"{here}: expected a mapping with min, max, grade and passed")
            continue
        bad = sorted(str(k) for k in row if k not in CONVERSION_KEYS)
        if bad:
            problems.append(f"{here}: unknown key(s) {', '.join(bad)}")
        low, high = row.get("min"), row.get("max")
        if not _whole(low) or not _whole(high) or low < 0 or high < low:
            problems.append(f"{here}: min and max: whole points, 0 <= min <= max")
            continue
        grade = row.get("grade")
        if not isinstance(grade, (str, int)) or isinstance(grade, bool) or not str(grade).strip() \
                or len(str(grade)) > 20:
            problems.append(f"{here}.grade: required, a short text such as \"5\"")
            continue
        if not isinstance(row.get("passed"), bool):
            problems.append(f"{here}.passed: required, true or false")
            continue
        out = {"min": int(low), "max": int(high), "grade": str(grade).strip(), "passed": row["passed"]}
        label = _texts(row.get("label"), f"{here}.label", problems, required=False)
        if label:
            out["label"] = label
        if row.get("percent") is not None:
            out["percent"] = str(row["percent"])
        conversion.append(out)
    if conversion and criteria and not problems:
        covered: dict[int, int] = {}
        for n, row in enumerate(conversion, start=1):
            for p in range(row["min"], row["max"] + 1):
                if p in covered:
                    problems.append(f"{where}: conversion[{n}]: {p} points are also in conversion[{covered[p]}]")
                covered.setdefault(p, n)
        top = int(Decimal(str(max_points)).to_integral_value(ROUND_HALF_UP))
        missing = [p for p in range(0, top + 1) if p not in covered]
        if missing:
            problems.append(f"{where}: conversion: no row holds {', '.join(map(str, missing))} points"
                            f" (the rows must cover 0 to {top}, the rubric's maximum)")
        beyond = sorted(p for p in covered if p > top)
        if beyond:
            problems.append(f"{where}: conversion: rows go beyond the rubric's maximum of {top} points")
    if problems:
        raise ServiceError("; ".join(problems))
    return {"code": code, "programme_code": programme, "title": title, "source": source, "criteria": criteria,
            "conversion": sorted(conversion, key=lambda r: -r["min"]), "max_points": max_points}


def read_file(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ServiceError(f"{path}{line}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    except OSError as exc:
        raise ServiceError(f"{path}: cannot be read ({exc.strerror})") from None
    return parse_rubric(data, str(path))


def check_directory(directory: Path | str) -> list[dict]:
    """Every *.yaml rubric in `directory`, checked; all problems of all files in one refusal."""
    directory = Path(directory)
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise ServiceError(f"{directory}: no rubric files (*.yaml)")
    problems, rubrics, where = [], [], {}
    for path in files:
        try:
            data = read_file(path)
        except ServiceError as exc:
            problems.append(exc.message)
            continue
        if data["code"] in where:
            problems.append(f"{path}: code: {data['code']} is also the code of {where[data['code']]}")
            continue
        where[data["code"]] = path
        rubrics.append(data)
    if problems:
        raise ServiceError("; ".join(problems))
    return rubrics


def _content(row: Rubric) -> dict:
    return {"programme_code": row.programme_code, "title": row.title, "source": row.source,
            "criteria": row.criteria, "conversion": row.conversion, "max_points": _plain(float(row.max_points))}


def current_rubric(code: str) -> Rubric | None:
    """The newest version of a rubric."""
    return db.session.scalar(select(Rubric).where(Rubric.code == code).order_by(Rubric.version.desc()).limit(1))


def save_rubric(data: dict, actor=None) -> tuple[Rubric, str]:
    """Create, update in place (not yet used) or version (frozen) one parsed rubric; returns
    the row and what happened: created, updated, versioned or unchanged."""
    current = current_rubric(data["code"])
    content = {k: data[k] for k in ("programme_code", "title", "source", "criteria", "conversion", "max_points")}
    if current is not None and _content(current) == content:
        return current, "unchanged"
    if current is not None and current.frozen_at is None:
        for key, value in content.items():
            setattr(current, key, value)
        db.session.flush()
        audit.record(actor, "rubric_updated", current, f"{current.code} v{current.version}")
        return current, "updated"
    version = 1 if current is None else current.version + 1
    row = Rubric(code=data["code"], version=version, **content)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "rubric_loaded" if current is None else "rubric_versioned", row, f"{row.code} v{version}")
    return row, "created" if current is None else "versioned"


@dataclass
class LoadReport:
    rows: list[tuple[str, str]] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return [f"{label}: {what}" for label, what in self.rows]


def load_rubrics(directory: Path | str = CONTENT_DIR, actor=None) -> LoadReport:
    """All files or none: any problem in any file refuses the lot before a row is written."""
    report = LoadReport()
    for data in check_directory(directory):
        row, what = save_rubric(data, actor)
        report.rows.append((f"{row.code} v{row.version}", what))
    return report


def get_rubric(rubric_id: int) -> Rubric:
    rubric = db.session.get(Rubric, rubric_id)
    if rubric is None:
        raise NotFound(f"no rubric {rubric_id}")
    return rubric


def rubric_versions(code: str) -> list[Rubric]:
    return list(db.session.scalars(select(Rubric).where(Rubric.code == code).order_by(Rubric.version.desc())))


def latest_rubrics() -> list[Rubric]:
    """The newest version of every rubric, by code."""
    newest = select(Rubric.code, func.max(Rubric.version).label("version")).group_by(Rubric.code).subquery()
    return list(db.session.scalars(select(Rubric).join(
        newest, (newest.c.code == Rubric.code) & (newest.c.version == Rubric.version)).order_by(Rubric.code)))


def freeze(rubric: Rubric) -> None:
    """From the first submitted assessment on, a change to the file makes a new version."""
    if rubric.frozen_at is None:
        rubric.frozen_at = utcnow()
        audit.record(None, "rubric_frozen", rubric, f"{rubric.code} v{rubric.version}")


# --- from points to a grade ---------------------------------------------------------------------

def round_points(value: float) -> int:
    """The panel's points as the conversion reads them: rounded half up to whole points
    (8.5 -> 9, 6.67 -> 7, 6.49 -> 6), never to the nearest even number."""
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def conversion_row(rubric: Rubric, points: float) -> dict | None:
    """The conversion row whose [min, max] holds `points` rounded half up (the rows are
    checked on loading to cover every whole point from 0 to the maximum)."""
    whole = round_points(points)
    for row in rubric.conversion or []:
        if row["min"] <= whole <= row["max"]:
            return row
    return None


def criterion_levels(criterion: dict) -> list:
    return [lv["points"] for lv in criterion.get("levels") or []]


def criterion_max(criterion: dict) -> float:
    return max(criterion_levels(criterion), default=0)
