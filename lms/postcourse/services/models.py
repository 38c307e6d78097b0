"""Support models as content (content/postcourse/<CODE>.yaml): the stages of the year after
the course, with their months, and the menu of activities a plan is agreed from.

A file holds `code`, `programme` (the programme code it serves), `title`, `source`,
`supported_by` (trainer or curator: who runs the support and receives the reminders'
summaries), `stages` (organisational, implementation, reflection, each with `months:
[first, last]`, a `title` and an optional `content`; together they cover months 1 to 12)
and `menu` (entries with `code`, `stage`, `due_month` inside that stage, `title`, optional
`timing`, `support`, `completion_form`, `evidence` (an evidence kind) and `required`).
Checking names every problem by file and field, in one refusal."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from lms.core.i18n import localized
from lms.core.services.errors import NotFound, ServiceError
from lms.postcourse.models import EVIDENCE_KINDS, STAGES

CONTENT_DIR = Path(__file__).resolve().parents[3] / "content" / "postcourse"
LANGS = ("kk", "ru", "en")
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,39}$")
ITEM_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TOP_KEYS = {"code", "programme", "title", "source", "supported_by", "stages", "menu"}
STAGE_KEYS = {"code", "months", "title", "content"}
ITEM_KEYS = {"code", "stage", "due_month", "title", "timing", "support", "completion_form", "evidence", "required"}
SUPPORTERS = ("trainer", "curator")
YEAR_MONTHS = 12


@dataclass(frozen=True)
class Stage:
    code: str
    first_month: int
    last_month: int
    title: dict
    content: dict | None = None

    def label(self, lang: str | None = None) -> str:
        return localized(self.title, lang=lang)


@dataclass(frozen=True)
class MenuItem:
    code: str
    stage: str
    due_month: int
    title: dict
    timing: dict | None = None
    support: dict | None = None
    completion_form: dict | None = None
    #: the evidence kind that completes it (publication, talk ...), if any
    evidence: str | None = None
    required: bool = False

    def label(self, lang: str | None = None) -> str:
        return localized(self.title, lang=lang)


@dataclass(frozen=True)
class SupportModel:
    code: str
    programme: str
    title: dict
    source: str
    supported_by: str
    stages: tuple[Stage, ...]
    menu: tuple[MenuItem, ...]
    path: str = ""

    def stage(self, code: str) -> Stage:
        for s in self.stages:
            if s.code == code:
                return s
        raise NotFound(f"support model {self.code} has no stage {code!r}")

    def item(self, code: str) -> MenuItem:
        for m in self.menu:
            if m.code == code:
                return m
        raise NotFound(f"support model {self.code} has no activity {code!r} in its menu "
                       f"(it has {', '.join(m.code for m in self.menu)})")

    def find(self, code: str) -> MenuItem | None:
        return next((m for m in self.menu if m.code == code), None)

    @property
    def required(self) -> tuple[MenuItem, ...]:
        return tuple(m for m in self.menu if m.required)

    def stage_of_month(self, month: int) -> Stage:
        return next(s for s in self.stages if s.first_month <= month <= s.last_month)


# --- checking -------------------------------------------------------------------------------

def _texts(value, where: str, problems: list[str], *, required: bool = True) -> dict | None:
    """A {kk, ru, en} mapping of non-empty texts, Kazakh present (a plain string is Kazakh)."""
    if value is None:
        if required:
            problems.append(f"{where}: required (a mapping kk/ru/en of texts)")
        return None
    if isinstance(value, str):
        value = {"kk": value}
    if not isinstance(value, dict):
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
                out[lang] = " ".join(text.split())
    if not out.get("kk") and not any(p.startswith(f"{where}.kk") for p in problems):
        problems.append(f"{where}.kk: the Kazakh text is required")
    return out


def _month(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= YEAR_MONTHS


def _stages(raw, where: str, problems: list[str]) -> tuple[Stage, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}: stages: expected a list of {', '.join(STAGES)}")
        return ()
    out: list[Stage] = []
    for n, row in enumerate(raw, start=1):
        label = f"{where}: stages[{n}]"
        if not isinstance(row, dict):
            problems.append(f"{label}: expected a mapping with code, months, title")
            continue
        code = row.get("code")
        if code in STAGES:
            label = f"{where}: stage {code}"
        unknown = sorted(set(row) - STAGE_KEYS)
        if unknown:
            problems.append(f"{label}: unknown key(s) {', '.join(map(str, unknown))} ({', '.join(sorted(STAGE_KEYS))})")
        if code not in STAGES:
            problems.append(f"{label}.code: one of {', '.join(STAGES)} (got {code!r})")
        months = row.get("months")
        if not (isinstance(months, list) and len(months) == 2 and all(_month(m) for m in months)
                and months[0] <= months[1]):
            problems.append(f"{label}.months: [first, last], whole months from 1 to {YEAR_MONTHS}, first <= last"
                            f" (got {months!r})")
            months = None
        title = _texts(row.get("title"), f"{label}.title", problems)
        content = _texts(row.get("content"), f"{label}.content", problems, required=False)
        if code in STAGES and months and title is not None:
            out.append(Stage(code, months[0], months[1], title, content))
    codes = [s.code for s in out]
    if len(out) == len(raw) and codes != list(STAGES):
        problems.append(f"{where}: stages: expected {', '.join(STAGES)} once each, in that order (got {', '.join(codes)})")
    elif len(out) == len(raw):
        expected = 1
        for s in out:
            if s.first_month != expected:
                problems.append(f"{where}: stage {s.code}.months: starts in month {s.first_month}; the stages must"
                                f" follow each other from month 1 (expected {expected})")
                break
            expected = s.last_month + 1
        else:
            if expected != YEAR_MONTHS + 1:
                problems.append(f"{where}: stages: they end in month {expected - 1}; the year has {YEAR_MONTHS}")
    return tuple(out)


def _menu(raw, stages: tuple[Stage, ...], where: str, problems: list[str]) -> tuple[MenuItem, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}: menu: expected a list of activities")
        return ()
    by_code = {s.code: s for s in stages}
    out: list[MenuItem] = []
    seen: set[str] = set()
    for n, row in enumerate(raw, start=1):
        label = f"{where}: menu[{n}]"
        if not isinstance(row, dict):
            problems.append(f"{label}: expected a mapping with code, stage, due_month, title")
            continue
        code = row.get("code")
        if isinstance(code, str) and ITEM_CODE_RE.match(code):
            label = f"{where}: menu {code}"
            if code in seen:
                problems.append(f"{label}.code: {code!r} appears twice")
            seen.add(code)
        else:
            problems.append(f"{label}.code: lower-case letters, digits and '_' (got {code!r})")
        unknown = sorted(set(row) - ITEM_KEYS)
        if unknown:
            problems.append(f"{label}: unknown key(s) {', '.join(map(str, unknown))} ({', '.join(sorted(ITEM_KEYS))})")
        stage = row.get("stage")
        if stage not in STAGES:
            problems.append(f"{label}.stage: one of {', '.join(STAGES)} (got {stage!r})")
        due = row.get("due_month")
        if not _month(due):
            problems.append(f"{label}.due_month: a whole month from 1 to {YEAR_MONTHS} (got {due!r})")
        elif stage in by_code and not by_code[stage].first_month <= due <= by_code[stage].last_month:
            s = by_code[stage]
            problems.append(f"{label}.due_month: month {due} is outside the {stage} stage (months {s.first_month}"
                            f"-{s.last_month})")
        evidence = row.get("evidence")
        if evidence is not None and evidence not in EVIDENCE_KINDS:
            problems.append(f"{label}.evidence: one of {', '.join(EVIDENCE_KINDS)} (got {evidence!r})")
        required = row.get("required", False)
        if not isinstance(required, bool):
            problems.append(f"{label}.required: true or false (got {required!r})")
        title = _texts(row.get("title"), f"{label}.title", problems)
        texts = {k: _texts(row.get(k), f"{label}.{k}", problems, required=False)
                 for k in ("timing", "support", "completion_form")}
        if title is not None and isinstance(code, str) and stage in STAGES and _month(due):
            out.append(MenuItem(code, stage, due, title, evidence=evidence, required=required is True, **texts))
    return tuple(out)


def parse_model(data, where: str) -> SupportModel:
    """The support model a file describes; every problem, each named by file and field, in
    one refusal."""
    if not isinstance(data, dict):
        raise ServiceError(f"{where}: expected a mapping with {', '.join(sorted(TOP_KEYS))}")
    problems: list[str] = []
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(map(str, unknown))} ({', '.join(sorted(TOP_KEYS))})")
    code, programme = data.get("code"), data.get("programme")
    if not isinstance(code, str) or not CODE_RE.match(code):
        problems.append(f"{where}: code: capital Latin letters, digits and '-' (got {code!r})")
    if not isinstance(programme, str) or not CODE_RE.match(programme):
        problems.append(f"{where}: programme: a programme code such as LDR-DT (got {programme!r})")
    supported_by = data.get("supported_by", "trainer")
    if supported_by not in SUPPORTERS:
        problems.append(f"{where}: supported_by: one of {', '.join(SUPPORTERS)} (got {supported_by!r})")
    title = _texts(data.get("title"), f"{where}: title", problems)
    source = data.get("source")
    if source is not None and not isinstance(source, str):
        problems.append(f"{where}: source: expected a text")
    stages = _stages(data.get("stages"), where, problems)
    menu = _menu(data.get("menu"), stages, where, problems)
    if problems:
        raise ServiceError("; ".join(problems), field="model")
    return SupportModel(code, programme, title, source or "", supported_by, stages, menu, where)


def _read(path: Path):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ServiceError(f"{path}{line}: not valid YAML ({getattr(exc, 'problem', None) or exc})",
                           field="model") from None


@lru_cache(maxsize=32)
def _load(path: Path, mtime: float) -> SupportModel:
    return parse_model(_read(path), str(path))


def load_file(path: Path | str) -> SupportModel:
    p = Path(path)
    try:
        mtime = p.stat().st_mtime
    except OSError:
        raise ServiceError(f"{p}: no such file", field="model") from None
    return _load(p, mtime)


def check_models(directory: Path | str = CONTENT_DIR) -> tuple[list[SupportModel], list[str]]:
    """Every model file of a directory checked: (the good models, every problem found). Two
    files may not serve one programme."""
    models: list[SupportModel] = []
    problems: list[str] = []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            models.append(load_file(path))
        except ServiceError as exc:
            problems.append(exc.message)
    seen: dict[str, str] = {}
    for m in models:
        if m.programme in seen:
            problems.append(f"{m.path}: programme: {m.programme} already has a support model in {seen[m.programme]}")
        seen.setdefault(m.programme, m.path)
    return models, problems


def all_models(directory: Path | str = CONTENT_DIR) -> dict[str, SupportModel]:
    """{programme code: model}; refuses when any file has a problem (all of them named)."""
    models, problems = check_models(directory)
    if problems:
        raise ServiceError("; ".join(problems), field="model")
    return {m.programme: m for m in models}


def model_for(programme_code: str, directory: Path | str = CONTENT_DIR) -> SupportModel:
    """The support model a programme's graduates follow (NotFound when it has none). The file
    named after the programme is read first; otherwise every file is searched."""
    path = Path(directory) / f"{programme_code}.yaml"
    if path.exists():
        model = load_file(path)
        if model.programme == programme_code:
            return model
    model = all_models(directory).get(programme_code)
    if model is None:
        raise NotFound(f"programme {programme_code} has no support model in {directory}", field="programme")
    return model


def by_code(code: str, directory: Path | str = CONTENT_DIR) -> SupportModel:
    """The model a plan was opened with (its `model_code`)."""
    path = Path(directory) / f"{code}.yaml"
    if path.exists():
        model = load_file(path)
        if model.code == code:
            return model
    for model in all_models(directory).values():
        if model.code == code:
            return model
    raise NotFound(f"no support model {code} in {directory}", field="model")
