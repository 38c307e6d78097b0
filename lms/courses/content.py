"""Programme content files: check, load (all-or-nothing, idempotent) and export.

The files are data transcribed from the seeds (docs/content-format.md). Structural
errors name file and line and stop everything; discrepancies of the seed itself are
warnings, printed with file and line and kept, never "fixed".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lms.courses.models import AUDIENCES, FORMAT_CODES, HOUR_KINDS, PROGRAMME_STATUSES

LANG_KEYS = ("kk", "ru", "en")
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
TOPIC_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,15}$")
TOP_KEYS = {"code", "version", "status", "audience", "hours", "source", "title", "goal", "objectives",
            "outcomes", "formats", "modules", "extra_rows", "seed_notes"}
FORMAT_KEYS = {"code", "title", "kinds", "source_line", "declared", "declared_line", "totals", "short_run"}
SHORT_RUN_KEYS = {"factor", "line"}
MODULE_KEYS = {"number", "title", "choose", "hours", "topics"}
TOPIC_KEYS = {"code", "title", "hours", "source_line"}
EXTRA_KEYS = {"code", "position", "title", "hours", "source_line"}
HOUR_KEYS = set(HOUR_KINDS) | {"total"}
DECLARED_KEYS = HOUR_KEYS | {"contact"}


# --- YAML with line numbers -------------------------------------------------------------

class LineDict(dict):
    line: int = 0
    lines: dict


class LineList(list):
    line: int = 0
    lines: list


class LineLoader(yaml.SafeLoader):
    """A safe YAML loader that remembers each mapping's and list's line, so a refusal names
    the file's line (the content files and the competence frameworks share it)."""

    def construct_mapping(self, node, deep=False):
        mapping = LineDict(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.lines = {self.construct_object(k, deep=True): k.start_mark.line + 1 for k, _ in node.value}
        return mapping

    def construct_sequence(self, node, deep=False):
        seq = LineList(super().construct_sequence(node, deep=True))
        seq.line = node.start_mark.line + 1
        seq.lines = [n.start_mark.line + 1 for n in node.value]
        return seq


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, LineLoader.construct_mapping)
LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, LineLoader.construct_sequence)


def line_of(obj, key=None, default: int | None = None) -> int | None:
    """The line of `obj` (read by LineLoader), or of its entry `key`."""
    if key is not None and isinstance(obj, LineDict):
        return obj.lines.get(key, obj.line)
    if key is not None and isinstance(obj, LineList) and isinstance(key, int) and key < len(obj.lines):
        return obj.lines[key]
    return getattr(obj, "line", default)


# --- findings ----------------------------------------------------------------------------

@dataclass
class Finding:
    path: str
    line: int | None
    level: str  # "error" | "warning"
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.level}: {self.message}"


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    #: path -> plain programme data, for files without errors
    programmes: dict[str, dict] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]


class ContentError(Exception):
    def __init__(self, findings: list[Finding]):
        super().__init__("\n".join(str(f) for f in findings))
        self.findings = findings


class _Checker:
    """Checks one parsed file; `err` and `warn` collect findings with lines."""

    def __init__(self, path: str, result: CheckResult):
        self.path, self.result = path, result
        self.ok = True

    def err(self, line, message):
        self.ok = False
        self.result.findings.append(Finding(self.path, line, "error", message))

    def warn(self, line, message):
        self.result.findings.append(Finding(self.path, line, "warning", message))

    # structural checks ---------------------------------------------------------

    def keys(self, obj, allowed, what):
        for key in obj:
            if key not in allowed:
                self.err(line_of(obj, key), f"{what}: unknown field {key!r} (allowed: {', '.join(sorted(allowed))})")

    def text(self, obj, key, what, required=True):
        if isinstance(obj, list):
            value = obj[key] if key < len(obj) else None
        else:
            value = obj.get(key) if isinstance(obj, dict) else None
        if value is None:
            if required:
                self.err(line_of(obj, key), f"{what}: missing {key!r}")
            return
        if not isinstance(value, dict):
            self.err(line_of(obj, key), f"{what}: {key!r} must be a mapping of languages {{kk, ru, en}}")
            return
        for lang in value:
            if lang not in LANG_KEYS:
                self.err(line_of(value, lang), f"{what}: unknown language {lang!r} in {key!r}")
            elif not isinstance(value[lang], str):
                self.err(line_of(value, lang), f"{what}: {key}.{lang} must be text")
        if not (isinstance(value.get("kk"), str) and value["kk"].strip()):
            self.err(line_of(obj, key), f"{what}: {key!r} has no Kazakh (kk) text")

    def number(self, obj, key, what, required=True, minimum=0):
        value = obj.get(key)
        if value is None:
            if required:
                self.err(line_of(obj, key), f"{what}: missing {key!r}")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            self.err(line_of(obj, key), f"{what}: {key!r} must be a number ≥ {minimum}, not {value!r}")
            return None
        return value

    def hours(self, row, what, formats: dict[str, list[str]]):
        hours = row.get("hours")
        if hours is None:
            return
        if not isinstance(hours, dict):
            self.err(line_of(row, "hours"), f"{what}: 'hours' must be a mapping of format codes")
            return
        for fmt, cells in hours.items():
            line = line_of(hours, fmt)
            if fmt not in formats:
                self.err(line, f"{what}: hours for format {fmt!r}, which the programme does not declare"
                               f" (formats: {', '.join(formats) or 'none'})")
                continue
            if not isinstance(cells, dict):
                self.err(line, f"{what}: hours.{fmt} must map hour kinds to numbers")
                continue
            for kind in cells:
                if kind not in HOUR_KEYS:
                    self.err(line_of(cells, kind), f"{what}: unknown hour kind {kind!r}"
                                                 f" (known: {', '.join(HOUR_KINDS)}, total)")
                elif kind != "total" and kind not in formats[fmt]:
                    self.err(line_of(cells, kind), f"{what}: hour kind {kind!r} is not a column of"
                                                 f" format {fmt!r} ({', '.join(formats[fmt])})")
                else:
                    self.number(cells, kind, f"{what}, {fmt}")

    def check(self, doc) -> None:
        if not isinstance(doc, dict):
            self.err(line_of(doc, default=1), "the file must hold one programme (a mapping)")
            return
        self.keys(doc, TOP_KEYS, "programme")
        code = doc.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code):
            self.err(line_of(doc, "code"), f"programme: 'code' must be capital letters, digits and '-', not {code!r}")
        self.number(doc, "version", "programme", minimum=1)
        if doc.get("status") not in PROGRAMME_STATUSES:
            self.err(line_of(doc, "status"), f"programme: 'status' must be one of {', '.join(PROGRAMME_STATUSES)}")
        if doc.get("audience") not in AUDIENCES:
            self.err(line_of(doc, "audience"), f"programme: 'audience' must be one of {', '.join(AUDIENCES)}")
        self.number(doc, "hours", "programme", minimum=1)
        self.text(doc, "title", "programme")
        self.text(doc, "goal", "programme", required=False)
        for key in ("objectives", "outcomes"):
            items = doc.get(key) or []
            if not isinstance(items, list):
                self.err(line_of(doc, key), f"programme: {key!r} must be a list")
                continue
            for i, _item in enumerate(items):
                self.text(items, i, f"{key} #{i + 1}")

        formats: dict[str, list[str]] = {}
        fmts = doc.get("formats")
        if not isinstance(fmts, list) or not fmts:
            self.err(line_of(doc, "formats"), "programme: 'formats' must list at least one hour-plan table")
            fmts = []
        for fmt in fmts:
            if not isinstance(fmt, dict):
                self.err(line_of(fmts), "formats: each entry must be a mapping")
                continue
            self.keys(fmt, FORMAT_KEYS, "format")
            fcode = fmt.get("code")
            what = f"format {fcode!r}"
            if fcode not in FORMAT_CODES:
                self.err(line_of(fmt, "code"), f"format: 'code' must be one of {', '.join(FORMAT_CODES)}, not {fcode!r}")
                continue
            if fcode in formats:
                self.err(line_of(fmt, "code"), f"format {fcode!r} is declared twice")
                continue
            self.text(fmt, "title", what)
            kinds = fmt.get("kinds")
            if not isinstance(kinds, list) or not kinds:
                self.err(line_of(fmt, "kinds"), f"{what}: 'kinds' must list the table's hour columns")
                kinds = []
            for i, kind in enumerate(kinds):
                if kind not in HOUR_KINDS:
                    self.err(line_of(kinds, i), f"{what}: unknown hour kind {kind!r} (known: {', '.join(HOUR_KINDS)})")
            formats[fcode] = [k for k in kinds if k in HOUR_KINDS]
            for key, allowed in (("declared", DECLARED_KEYS), ("totals", HOUR_KEYS)):
                cells = fmt.get(key)
                if cells is None:
                    continue
                if not isinstance(cells, dict):
                    self.err(line_of(fmt, key), f"{what}: {key!r} must map hour kinds to numbers")
                    continue
                for kind in cells:
                    if kind not in allowed:
                        self.err(line_of(cells, kind), f"{what}: unknown hour kind {kind!r} in {key!r}")
                    else:
                        self.number(cells, kind, f"{what}, {key}")
            for key in ("source_line", "declared_line"):
                self.number(fmt, key, what, required=False, minimum=1)
            short = fmt.get("short_run")
            if short is not None:
                if not isinstance(short, dict):
                    self.err(line_of(fmt, "short_run"), f"{what}: 'short_run' must be a mapping (factor, line)")
                else:
                    self.keys(short, SHORT_RUN_KEYS, f"{what}, short_run")
                    factor = self.number(short, "factor", f"{what}, short_run")
                    if factor is not None and not 0 < factor < 1:
                        self.err(line_of(short, "factor"), f"{what}, short_run: 'factor' multiplies the plan's hours "
                                                         f"for a shorter run, so lies between 0 and 1, not {factor!r}")
                    self.number(short, "line", f"{what}, short_run", required=False, minimum=1)

        codes: dict[str, int | None] = {}

        def topic_code(row, what):
            tcode = row.get("code")
            if isinstance(tcode, (int, float)) and not isinstance(tcode, bool):
                self.err(line_of(row, "code"), f"{what}: write the code in quotes (\"{tcode}\"), or YAML reads it as a number")
            elif not isinstance(tcode, str) or not TOPIC_CODE_RE.match(tcode):
                self.err(line_of(row, "code"), f"{what}: missing or malformed 'code' {tcode!r}")
            elif tcode in codes:
                self.err(line_of(row, "code"), f"{what}: duplicate code {tcode!r} (first at line {codes[tcode]})")
            else:
                codes[tcode] = line_of(row, "code")

        modules = doc.get("modules")
        if not isinstance(modules, list) or not modules:
            self.err(line_of(doc, "modules"), "programme: 'modules' must list at least one module")
            modules = []
        numbers: dict[int, int | None] = {}
        for module in modules:
            if not isinstance(module, dict):
                self.err(line_of(modules), "modules: each entry must be a mapping")
                continue
            self.keys(module, MODULE_KEYS, "module")
            number = module.get("number")
            what = f"module {number}"
            if not isinstance(number, int) or isinstance(number, bool) or number < 1:
                self.err(line_of(module, "number"), f"module: 'number' must be a whole number ≥ 1, not {number!r}")
            elif number in numbers:
                self.err(line_of(module, "number"), f"module {number} is declared twice (first at line {numbers[number]})")
            else:
                numbers[number] = line_of(module, "number")
            self.text(module, "title", what)
            self.hours(module, what, formats)
            topics = module.get("topics")
            if not isinstance(topics, list) or not topics:
                self.err(line_of(module, "topics"), f"{what}: 'topics' must list at least one topic")
                topics = []
            choose = module.get("choose")
            if choose is not None and (not isinstance(choose, int) or isinstance(choose, bool)
                                       or not 1 <= choose <= max(len(topics), 1)):
                self.err(line_of(module, "choose"), f"{what}: 'choose' must be between 1 and the number of topics")
            for topic in topics:
                if not isinstance(topic, dict):
                    self.err(line_of(topics), f"{what}: each topic must be a mapping")
                    continue
                self.keys(topic, TOPIC_KEYS, "topic")
                twhat = f"topic {topic.get('code')}"
                topic_code(topic, twhat)
                self.text(topic, "title", twhat)
                self.hours(topic, twhat, formats)
                self.number(topic, "source_line", twhat, required=False, minimum=1)
        extras = doc.get("extra_rows") or []
        for row in extras if isinstance(extras, list) else []:
            if not isinstance(row, dict):
                self.err(line_of(extras), "extra_rows: each entry must be a mapping")
                continue
            self.keys(row, EXTRA_KEYS, "extra row")
            what = f"row {row.get('code')}"
            topic_code(row, what)
            if row.get("position") not in ("start", "end"):
                self.err(line_of(row, "position"), f"{what}: 'position' must be start or end")
            self.text(row, "title", what)
            self.hours(row, what, formats)
        notes = doc.get("seed_notes") or []
        for i, note in enumerate(notes if isinstance(notes, list) else []):
            if not isinstance(note, dict) or not isinstance(note.get("text"), str):
                self.err(line_of(notes, i), "seed_notes: each note needs a 'text' (and a seed 'line')")

    # seed discrepancies ---------------------------------------------------------

    def discrepancies(self, doc) -> None:
        nominal = doc["hours"]
        modules = doc["modules"]
        extras = doc.get("extra_rows") or []
        for fmt in doc["formats"]:
            f = fmt["code"]
            label = f"{f} plan"

            def row_sum(cells):
                return sum(v for k, v in cells.items() if k != "total")

            def row_total(cells):
                return cells["total"] if "total" in cells else row_sum(cells)

            def compare(printed, summed, line, what, against):
                """Kinds the printed row shows, and its total, against the sum of the rows it covers."""
                kinds = [k for k in sorted(printed, key=_kind_order) if k != "total"]
                pairs = [(k, printed[k], summed.get(k, 0)) for k in kinds]
                pairs.append(("total", row_total(printed), row_total(summed)))
                for kind, a, b in pairs:
                    if a != b:
                        unit = "h" if kind == "total" else f"h {kind}"
                        self.warn(line, f"{label}, {what} prints {_h(a)} {unit} but {against} add up to {_h(b)}")

            def check_row(row, name):
                cells = (row.get("hours") or {}).get(f)
                if cells and "total" in cells and len(cells) > 1 and row_sum(cells) != cells["total"]:
                    self.warn(line_of(row.get("hours"), f), f"{label}, {name}: the columns add up to"
                              f" {_h(row_sum(cells))} h but the row's total says {_h(cells['total'])}")

            plan_rows = []  # the printed rows that the «Барлығы» row covers
            for row in extras:
                check_row(row, f"row {row['code']}")
                if (row.get("hours") or {}).get(f):
                    plan_rows.append(row["hours"][f])
            for module in modules:
                mname = f"module {module['number']}"
                check_row(module, mname)
                for topic in module["topics"]:
                    check_row(topic, f"topic {topic['code']}")
                printed = (module.get("hours") or {}).get(f)
                with_hours = [t["hours"][f] for t in module["topics"] if (t.get("hours") or {}).get(f)]
                summed = _sum_cells([{**c, "total": row_total(c)} for c in with_hours])
                if with_hours and printed:
                    compare(printed, summed, line_of(module.get("hours"), f), f"{mname}: the module row",
                            "its topics")
                elif with_hours:
                    self.warn(line_of(module, "hours", module.line),
                              f"{label}, {mname}: the module row prints no hours; its topics add up"
                              f" to {_h(summed['total'])}")
                if with_hours and module.get("choose"):
                    self.warn(line_of(module, "choose"), f"{label}, {mname}: a variative module"
                              f" (choose {module['choose']}) whose topics all carry hours")
                if printed or with_hours:
                    plan_rows.append(printed or summed)
            counted = _sum_cells([{**c, "total": row_total(c)} for c in plan_rows])
            totals = fmt.get("totals") or {}
            tline = line_of(fmt, "totals", fmt.line)
            if totals:
                compare(totals, counted, tline, "the «Барлығы» row", "the rows above")
                columns = set(totals) - {"total"}
                for kind in sorted(set(counted) - columns - {"total"} if columns else (), key=_kind_order):
                    self.warn(tline, f"{label}: the rows above carry {_h(counted[kind])} h {kind},"
                                     f" which the «Барлығы» row leaves out")
                if row_total(totals) != nominal:
                    self.warn(tline, f"{label}: the «Барлығы» row gives {_h(row_total(totals))} h,"
                                     f" not the programme's {_h(nominal)} h")
            elif counted.get("total", 0) != nominal:
                self.warn(line_of(fmt, "code"), f"{label}: the rows add up to {_h(counted['total'])} h,"
                                              f" not the programme's {_h(nominal)} h")
            declared = fmt.get("declared") or {}
            dline = line_of(fmt, "declared", fmt.line)
            seed = f" (seed line {fmt['declared_line']})" if fmt.get("declared_line") else ""
            contact = sum(v for k, v in totals.items() if k not in ("total", "self_study"))
            actual = {"contact": contact, "self_study": totals.get("self_study", 0),
                      "total": totals.get("total", row_sum(totals)), **{k: v for k, v in totals.items()
                                                                        if k not in ("total", "self_study")}}
            wrong = [k for k in declared if declared[k] != actual.get(k, 0)]
            if wrong:
                said = " + ".join(f"{_h(declared[k])} {k}" for k in declared if k != "total")
                got = " + ".join(f"{_h(actual.get(k, 0))} {k}" for k in declared if k != "total")
                self.warn(dline, f"{label}: the text declares {said or _h(declared.get('total'))} h{seed}"
                          f" but the table gives {got or _h(actual['total'])} h"
                          f" ({' + '.join(f'{_h(v)} {k}' for k, v in totals.items() if k != 'total')})")
        for i, note in enumerate(doc.get("seed_notes") or []):
            where = f"seed line {note['line']}: " if note.get("line") else ""
            self.warn(line_of(doc["seed_notes"], i), f"seed note: {where}{note['text']}")


def _kind_order(kind: str) -> int:
    order = list(HOUR_KINDS) + ["total"]
    return order.index(kind) if kind in order else len(order)


def _sum_cells(rows: list[dict]) -> dict:
    out: dict = {}
    for cells in rows:
        for kind, value in cells.items():
            out[kind] = out.get(kind, 0) + value
    return out


def _h(value) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else str(value)


def plain(obj):
    """Strip line bookkeeping: LineDict/LineList to plain dict/list."""
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [plain(v) for v in obj]
    return obj


def content_files(root: Path) -> list[Path]:
    root = Path(root)
    if root.is_file():
        return [root]
    base = root / "programmes" if (root / "programmes").is_dir() else root
    return sorted(p for p in base.rglob("*") if p.suffix in (".yaml", ".yml"))


def check(root: Path | str) -> CheckResult:
    result = CheckResult()
    files = content_files(Path(root))
    if not files:
        result.findings.append(Finding(str(root), None, "error", "no programme files (*.yaml) found"))
        return result
    seen: dict[tuple, str] = {}
    for path in files:
        name = str(path)
        checker = _Checker(name, result)
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=LineLoader)
        except UnicodeDecodeError as exc:
            checker.err(None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
            continue
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            checker.err(mark.line + 1 if mark else None, f"bad YAML: {problem}")
            continue
        checker.check(doc)
        if not checker.ok:
            continue
        key = (doc["code"], doc["version"])
        if key in seen:
            checker.err(line_of(doc, "code"), f"programme {key[0]} v{key[1]} is also defined in {seen[key]}")
            continue
        seen[key] = name
        checker.discrepancies(doc)
        result.programmes[name] = plain(doc)
    if not result.errors:  # the competence frameworks beside the programmes name their topics
        from lms.courses.services import competences

        topics: dict[str, set[str]] = {}
        for data in result.programmes.values():
            topics.setdefault(data["code"], set()).update(t["code"] for m in data["modules"] for t in m["topics"])
        result.findings += competences.check_files(root, topics)
    return result
