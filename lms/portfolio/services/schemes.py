"""How each programme is graded and certified (content/certification/<PROGRAMME>.yaml):
gradebook components with their weights and sources, and the certificate's conditions.

A cohort keeps the scheme the file held when the cohort was created (`take`, on the
cohort_created signal; a CohortScheme row): a centre that changes the file for next year does
not change a running or finished cohort's gradebook or the rules its certificates answer to.
`lms certificates scheme --cohort CODE --take` gives a cohort the file's current scheme, audited.
A cohort created before this was kept follows the file until it is taken."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import select

from lms.core.services import audit
from lms.core.services.errors import NotFound, ServiceError
from lms.db import db, utcnow
from lms.portfolio.models import CohortScheme

CONTENT_DIR = Path(__file__).resolve().parents[3] / "content" / "certification"
#: where a component's points come from
SOURCES = ("attendance", "manual", "tasks", "defense", "final_test", "module_tests", "portfolio")
CERTIFICATE_RULES = ("final_test_passed", "final_test_min_percent", "defense_passed", "hours_complete")


@dataclass(frozen=True)
class Component:
    code: str
    weight: float
    source: str
    title: dict
    #: the most points a hand-given mark may have (manual components)
    max: float | None = None


@dataclass(frozen=True)
class Scheme:
    programme_code: str
    components: tuple[Component, ...]
    #: {"final_test_passed": True, "final_test_min_percent": 50, "defense_passed": True, "hours_complete": True}
    certificate: dict = field(default_factory=dict)

    def component(self, code: str) -> Component:
        for c in self.components:
            if c.code == code:
                return c
        raise NotFound(f"{self.programme_code} has no gradebook component {code!r}")


def parse_scheme(data, where: str) -> Scheme:
    """A scheme from a YAML mapping; every problem is named with `where` in one refusal."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise ServiceError(f"{where}: expected a mapping with programme, gradebook, certificate")
    unknown = sorted(set(data) - {"programme", "gradebook", "certificate"})
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(unknown)}")
    components = []
    for n, row in enumerate(data.get("gradebook") or [], start=1):
        if not isinstance(row, dict) or not row.get("code") or row.get("source") not in SOURCES:
            problems.append(f"{where}: gradebook component {n}: needs a code and a source ({', '.join(SOURCES)})")
            continue
        weight = row.get("weight", 0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
            problems.append(f"{where}: gradebook component {row['code']}: weight must be a number >= 0")
            continue
        if row["source"] == "manual" and not isinstance(row.get("max"), (int, float)):
            problems.append(f"{where}: gradebook component {row['code']}: a manual component needs its max points")
            continue
        components.append(Component(row["code"], float(weight), row["source"], dict(row.get("title") or {}),
                                    float(row["max"]) if row.get("max") is not None else None))
    if sum(c.source == "tasks" for c in components) > 1:
        problems.append(f"{where}: only one gradebook component may take the marks on self-study tasks")
    total = sum(c.weight for c in components)
    if components and abs(total - 100) > 1e-6:
        problems.append(f"{where}: the gradebook weights add up to {total:g}, not 100")
    certificate = dict(data.get("certificate") or {})
    bad = sorted(set(certificate) - set(CERTIFICATE_RULES))
    if bad:
        problems.append(f"{where}: unknown certificate rule(s) {', '.join(bad)} (known: {', '.join(CERTIFICATE_RULES)})")
    if problems:
        raise ServiceError("; ".join(problems))
    return Scheme(str(data.get("programme")), tuple(components), certificate)


@lru_cache(maxsize=32)
def _load(path: Path, mtime: float) -> Scheme:
    return parse_scheme(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))


def _file_data(programme_code: str, directory: Path | None = None) -> tuple[dict, str | None]:
    """The file's mapping (checked) and its path; an empty scheme where there is no file."""
    path = (directory or CONTENT_DIR) / f"{programme_code}.yaml"
    if not path.exists():
        return {"programme": programme_code}, None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    parse_scheme(data, str(path))  # a broken file is refused, not kept
    return data, str(path)


def kept(cohort) -> CohortScheme | None:
    return db.session.scalar(select(CohortScheme).where(CohortScheme.cohort_id == cohort.id))


def scheme_of(cohort) -> Scheme:
    """The scheme the cohort is assessed by: the one it keeps, else the programme's file."""
    row = kept(cohort)
    if row is None:
        return scheme_for(cohort.programme.code)
    return parse_scheme(row.data, f"the scheme kept for {cohort.code}")


def take(cohort, actor=None, directory: Path | None = None) -> CohortScheme:
    """Keep the file's current scheme for the cohort (on creation, or to replace what it kept:
    audited with both)."""
    data, source = _file_data(cohort.programme.code, directory)
    row = kept(cohort)
    if row is None:
        row = CohortScheme(cohort_id=cohort.id)
        db.session.add(row)
    elif row.data == data:
        return row
    else:
        audit.record(actor, "scheme_replaced", row, f"{cohort.code}: the scheme of {source or 'no file'}",
                     old=row.data, new=data)
    row.data, row.source, row.taken_at = data, source, utcnow()
    db.session.flush()
    return row


def differs_from_file(cohort, row: CohortScheme | None = None) -> bool:
    """Whether the programme's file now says something else than what the cohort keeps (`row`,
    when the caller has read it already)."""
    row = row or kept(cohort)
    return row is not None and row.data != _file_data(cohort.programme.code)[0]


def scheme_for(programme_code: str, directory: Path | None = None) -> Scheme:
    """The programme's scheme; a programme without a file has no gradebook components and
    no certificate conditions beyond completion."""
    path = (directory or CONTENT_DIR) / f"{programme_code}.yaml"
    if not path.exists():
        return Scheme(programme_code, (), {})
    return _load(path, path.stat().st_mtime)
