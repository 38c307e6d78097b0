"""How each programme is graded and certified (content/certification/<PROGRAMME>.yaml):
gradebook components with their weights and sources, and the certificate's conditions."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from lms.core.services.errors import NotFound, ServiceError

CONTENT_DIR = Path(__file__).resolve().parents[3] / "content" / "certification"
#: where a component's points come from
SOURCES = ("attendance", "manual", "defense", "final_test", "module_tests", "portfolio")
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


def scheme_for(programme_code: str, directory: Path = CONTENT_DIR) -> Scheme:
    """The programme's scheme; a programme without a file has no gradebook components and
    no certificate conditions beyond completion."""
    path = directory / f"{programme_code}.yaml"
    if not path.exists():
        return Scheme(programme_code, (), {})
    return _load(path, path.stat().st_mtime)
