"""A programme's competence framework (content/competences/<PROGRAMME>.yaml): the competences the
seeds name (seed 004's six components of managerial competence, seed 000's nine competences of
a modern teacher) and the topics that build each one. Seed 000 calls the diagnostic test the
"initial competence level" and the final test the "competence level formed", so the tests'
results are read per competence as well as per topic (quizbank's results by competence).

A competence is reached through its topics: a test item belongs to a topic, so it counts for
every competence that lists the topic (Moodle links competencies to courses and activities, and
rates them by hand; here the tests rate them). Like the grading schemes, the file is content: it
is read where it lies, checked by `lms content check|load`, and a change applies to every report
at once (it changes no mark)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from lms.courses.content import Finding, LineLoader, line_of

CONTENT_DIR = Path(__file__).resolve().parents[3] / "content" / "competences"
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,15}$")
LANGUAGES = ("kk", "ru", "en")


@dataclass(frozen=True)
class Competence:
    code: str
    title_kk: str
    title_ru: str
    title_en: str
    description: dict = field(default_factory=dict)
    #: the programme's topic codes that build it, in the file's order
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Framework:
    programme_code: str
    title: dict
    competences: tuple[Competence, ...]

    def of_topic(self, topic_code: str) -> list[str]:
        """The codes of the competences a topic builds."""
        return [c.code for c in self.competences if topic_code in c.topics]

    def by_code(self) -> dict[str, Competence]:
        return {c.code: c for c in self.competences}


def _text(value) -> dict | None:
    """{kk, ru, en} with a Kazakh text, or None."""
    if not isinstance(value, dict) or not isinstance(value.get("kk"), str) or not value["kk"].strip():
        return None
    if set(value) - set(LANGUAGES) or not all(isinstance(v, str) for v in value.values()):
        return None
    return {k: v.strip() for k, v in value.items()}


def parse(doc, where: str, topic_codes: set[str] | None = None) -> tuple[Framework | None, list[Finding]]:
    """A framework from the file's mapping, and every problem found, by line. `topic_codes`:
    the programme's topics, when known, so that a topic the programme lacks is named."""
    problems: list[Finding] = []

    def err(line, message: str) -> None:
        problems.append(Finding(where, line, "error", message))

    if not isinstance(doc, dict):
        err(1, "the file must hold one framework (a mapping with programme, title, competences)")
        return None, problems
    unknown = sorted(set(doc) - {"programme", "title", "competences"})
    if unknown:
        err(line_of(doc, unknown[0]), f"unknown field(s) {', '.join(map(repr, unknown))}"
                                    " (allowed: programme, title, competences)")
    programme = doc.get("programme")
    if not isinstance(programme, str) or not programme:
        err(line_of(doc, "programme"), "'programme' must name the programme's code")
    title = _text(doc.get("title"))
    if title is None:
        err(line_of(doc, "title"), "'title' must be a mapping of kk (required), ru, en texts")
    rows = doc.get("competences")
    if not isinstance(rows, list) or not rows:
        err(line_of(doc, "competences"), "'competences' must list at least one competence")
        rows = []
    competences, seen = [], set()
    for n, row in enumerate(rows, 1):
        line = rows.lines[n - 1] if hasattr(rows, "lines") else None
        if not isinstance(row, dict):
            err(line, f"competence {n}: must be a mapping with code, title, topics")
            continue
        what = f"competence {row.get('code', n)!s}"
        bad = sorted(set(row) - {"code", "title", "description", "topics"})
        if bad:
            err(line_of(row, bad[0]), f"{what}: unknown field(s) {', '.join(map(repr, bad))}"
                                    " (allowed: code, title, description, topics)")
        code = row.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code):
            err(line_of(row, "code"), f"{what}: 'code' must be 1 to 16 letters, digits, '.' or '-', quoted (got {code!r})")
            continue
        if code in seen:
            err(line_of(row, "code"), f"{what}: the code is used twice")
            continue
        seen.add(code)
        names = _text(row.get("title"))
        if names is None:
            err(line_of(row, "title"), f"{what}: 'title' must be a mapping of kk (required), ru, en texts")
            continue
        description = row.get("description")
        if description is not None and _text(description) is None:
            err(line_of(row, "description"), f"{what}: 'description' must be a mapping of kk (required), ru, en texts")
            continue
        topics = row.get("topics") if row.get("topics") is not None else []
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            err(line_of(row, "topics"), f"{what}: 'topics' must be a list of topic codes, quoted (\"1.2\")")
            continue
        if len(set(topics)) != len(topics):
            err(line_of(row, "topics"), f"{what}: a topic is listed twice")
            continue
        missing = [t for t in topics if topic_codes is not None and t not in topic_codes]
        if missing:
            err(line_of(row, "topics"), f"{what}: programme {programme} has no topic {', '.join(missing)}")
            continue
        competences.append(Competence(code, names["kk"], names.get("ru", ""), names.get("en", ""),
                                      _text(description) or {}, tuple(topics)))
    if problems:
        return None, problems
    return Framework(programme, title, tuple(competences)), []


def _read(path: Path):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=LineLoader)


def check_files(root: Path | str, programmes: dict[str, set[str]]) -> list[Finding]:
    """Every framework file under `root`/competences, against the programmes' topic codes
    (code -> topic codes, of the programme files being checked). An empty list: all sound."""
    folder = Path(root) / "competences" if Path(root).is_dir() else None
    if folder is None or not folder.is_dir():
        return []
    findings: list[Finding] = []
    for path in sorted(folder.glob("*.y*ml")):
        try:
            doc = _read(path)
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            mark = getattr(exc, "problem_mark", None)
            findings.append(Finding(str(path), mark.line + 1 if mark else None, "error", f"not a YAML file: {exc}"))
            continue
        code = doc.get("programme") if isinstance(doc, dict) else None
        if isinstance(code, str) and code not in programmes:
            findings.append(Finding(str(path), line_of(doc, "programme"), "error",
                                    f"no programme {code} in the programme files"))
            continue
        if isinstance(code, str) and path.stem != code:
            findings.append(Finding(str(path), line_of(doc, "programme"), "error",
                                    f"the file of programme {code} must be named {code}.yaml"))
            continue
        findings += parse(doc, str(path), programmes.get(code) if isinstance(code, str) else None)[1]
    return findings


@lru_cache(maxsize=16)
def _load(path: Path, mtime: float) -> Framework | None:
    framework, problems = parse(_read(path), str(path))
    return framework if not problems else None


def framework_for(programme_code: str, directory: Path | None = None) -> Framework | None:
    """The programme's framework as its file reads now; None without a file (or with a broken
    one: `lms content check` names its problems)."""
    path = (directory or CONTENT_DIR) / f"{programme_code}.yaml"
    if not path.exists():
        return None
    return _load(path, path.stat().st_mtime)
