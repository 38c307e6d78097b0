"""Test-item files: GIFT and Moodle XML, read into `ParsedItem`s and written back.

Parsers check everything they can without the database (syntax, each type's data) and
raise `ItemFileError` listing every problem with its line; the bank service then checks
codes and topics and writes. The `data` of each type is the shape of docs/quizbank-items.md."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln

from lms.core.services.errors import ServiceError, about

#: <BANK>-<module>.<topic>-<level>-<NNN>, e.g. LDR-2.3-A-007
CODE_RE = re.compile(r"^([A-Z][A-Z0-9]*)-((\d+)\.\d+)-([KUAH])-(\d{3})$")
#: the gap a missing-word question shows where its answers stood
GAP = "_____"
FORMATS = ("gift", "xml")


@dataclass
class ParsedItem:
    """One question as a file gives it. `line` is where it starts (for messages)."""

    qtype: str
    text: str
    data: dict
    code: str | None = None
    title: str | None = None
    #: the category path without Moodle's `$course$/top/` prefix, e.g. "LDR/2.3"
    category: str | None = None
    tags: list[str] = field(default_factory=list)
    general_feedback: str | None = None
    line: int = 0

    def content(self) -> tuple:
        """What makes two items the same item (for round trips and "unchanged")."""
        return (self.code, self.qtype, self.title, self.text, self.data, self.general_feedback)


@dataclass
class Skipped:
    """A question the file holds but a bank cannot (a description, an unsupported type)."""

    line: int
    reason: str


class ParsedItems(list):
    """The items of a file, in file order, and what was skipped (with lines)."""

    def __init__(self, items=(), skipped: list[Skipped] | None = None):
        super().__init__(items)
        self.skipped: list[Skipped] = list(skipped or [])


class ItemFileError(ServiceError):
    """The file is refused. `errors` lists every problem as (line, reason), in line order."""

    def __init__(self, filename: str, errors: list[tuple[int, str]]):
        self.filename = filename
        self.errors = sorted(errors, key=lambda e: e[0])
        count = len(self.errors)
        super().__init__(_ln("%(file)s: %(num)d error; nothing was imported",
                             "%(file)s: %(num)d errors; nothing was imported", count, file=filename), field="file")

    def lines(self) -> list[str]:
        """One `FILE:LINE: reason` line per error, as compilers print them."""
        return [f"{self.filename}:{line}: {reason}" for line, reason in self.errors]


# --- categories -------------------------------------------------------------------------

_CONTEXT_PREFIX = re.compile(r"^\$(course|system|module|cat\d*)\$/?")
_TOPIC_RE = re.compile(r"^\d+\.\d+$")


def normalize_category(path: str | None) -> str | None:
    """`$course$/top/LDR/2.3` and `LDR/2.3` are the same category: "LDR/2.3"."""
    if path is None:
        return None
    path = _CONTEXT_PREFIX.sub("", path.strip())
    parts = [p.strip() for p in path.split("/") if p.strip()]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return "/".join(parts) or None


def topic_from_category(category: str | None) -> str | None:
    """The last path part that is a topic code: "LDR/2.3" -> "2.3"."""
    for part in reversed((category or "").split("/")):
        if _TOPIC_RE.match(part.strip()):
            return part.strip()
    return None


# --- numbers ----------------------------------------------------------------------------

def fraction(percent: float) -> float:
    """A percentage as Moodle writes it (33.33333) -> the stored share (0.3333333)."""
    return round(percent / 100.0, 7)


def number_text(value: float) -> str:
    """Shortest text that reads back as the same float; integers without ".0"."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def percent_text(share: float) -> str:
    """0.3333333 -> "33.33333"; 1 -> "100"."""
    text = f"{share * 100:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


# --- each type's data -------------------------------------------------------------------

def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_text(value, optional: bool = False) -> bool:
    return (value is None and optional) or (isinstance(value, str) and (optional or bool(value.strip())))


def option_label(number: int):
    return _l("option %(number)s", number=number)


def answer_label(number: int):
    return _l("answer %(number)s", number=number)


def weight_between(low: int):
    return _l("the weight must be between %(low)s and %(high)s", low=f"{low}%", high="100%")


def check_data(qtype: str, data) -> list:
    """Every way `data` departs from its type's shape (docs/quizbank-items.md); [] when valid.
    Each problem is a lazy translation, read in the reader's language when shown."""
    if not isinstance(data, dict):
        return [_l("the item's data is not a mapping")]
    problems: list = []
    if qtype in ("single", "multiple"):
        options = data.get("options")
        if not isinstance(options, list) or len(options) < 2:
            return [_l("a choice question needs at least two options")]
        for i, option in enumerate(options, 1):
            if not isinstance(option, dict) or not _is_text(option.get("text")):
                problems.append(_l("option %(number)s has no text", number=i))
                continue
            if not _is_number(option.get("fraction")) or not -1 <= option["fraction"] <= 1:
                problems.append(about(option_label(i), weight_between(-100)))
            if not _is_text(option.get("feedback"), optional=True):
                problems.append(about(option_label(i), _l("the feedback must be text")))
        if problems:
            return problems
        if not isinstance(data.get("shuffle", True), bool):
            problems.append(_l("%(key)s must be true or false", key="shuffle"))
        fractions = [o["fraction"] for o in options]
        if qtype == "single" and not any(abs(f - 1) < 1e-6 for f in fractions):
            problems.append(_l("no option is right (one needs %(full)s, written =)", full="100%"))
        if qtype == "multiple":
            total = sum(f for f in fractions if f > 0)
            if total == 0:
                problems.append(_l("no option is right (mark one with =, or give %(weight)s weights adding up to"
                                   " %(full)s)", weight="~%n%", full="100%"))
            elif abs(total - 1) > 0.001:
                problems.append(_l("the positive weights add up to %(total)s, not %(full)s",
                                   total=f"{percent_text(total)}%", full="100%"))
    elif qtype == "truefalse":
        if not isinstance(data.get("correct"), bool):
            problems.append(_l("a true/false question needs its right answer (T or F)"))
        for key in ("feedback_true", "feedback_false"):
            if not _is_text(data.get(key), optional=True):
                problems.append(_l("%(key)s must be text", key=key))
    elif qtype == "matching":
        pairs = data.get("pairs")
        if not isinstance(pairs, list) or len(pairs) < 2:
            return [_l("a matching question needs at least two pairs (=question -> answer)")]
        for i, pair in enumerate(pairs, 1):
            if not isinstance(pair, dict) or not _is_text(pair.get("question")) or not _is_text(pair.get("answer")):
                problems.append(_l("pair %(number)s needs a question and an answer (=question -> answer)", number=i))
        extra = data.get("extra_answers", [])
        if not isinstance(extra, list) or not all(_is_text(a) for a in extra):
            problems.append(_l("the extra answers must be texts"))
    elif qtype == "short":
        answers = data.get("answers")
        if not isinstance(answers, list) or not answers:
            return [_l("a short-answer question needs at least one answer")]
        for i, answer in enumerate(answers, 1):
            if not isinstance(answer, dict) or not _is_text(answer.get("text")):
                problems.append(_l("answer %(number)s has no text", number=i))
                continue
            if not _is_number(answer.get("fraction")) or not 0 <= answer["fraction"] <= 1:
                problems.append(about(answer_label(i), weight_between(0)))
            if not _is_text(answer.get("feedback"), optional=True):
                problems.append(about(answer_label(i), _l("the feedback must be text")))
        if not problems and not any(abs(a["fraction"] - 1) < 1e-6 for a in answers):
            problems.append(_l("no answer is worth %(full)s", full="100%"))
        if not isinstance(data.get("case_sensitive", False), bool):
            problems.append(_l("%(key)s must be true or false", key="case_sensitive"))
    elif qtype == "numerical":
        answers = data.get("answers")
        if not isinstance(answers, list) or not answers:
            return [_l("a numerical question needs at least one answer")]
        for i, answer in enumerate(answers, 1):
            if not isinstance(answer, dict) or not _is_number(answer.get("value")):
                problems.append(_l("answer %(number)s is not a number", number=i))
                continue
            if not _is_number(answer.get("tolerance")) or answer["tolerance"] < 0:
                problems.append(about(answer_label(i), _l("the tolerance must be a number ≥ 0")))
            if not _is_number(answer.get("fraction")) or not 0 <= answer["fraction"] <= 1:
                problems.append(about(answer_label(i), weight_between(0)))
            if not _is_text(answer.get("feedback"), optional=True):
                problems.append(about(answer_label(i), _l("the feedback must be text")))
        if not problems and not any(abs(a["fraction"] - 1) < 1e-6 for a in answers):
            problems.append(_l("no answer is worth %(full)s", full="100%"))
    elif qtype == "essay":
        if not _is_text(data.get("grader_info"), optional=True):
            problems.append(_l("%(key)s must be text", key="grader_info"))
    else:
        problems.append(_l("unknown question type %(type)s", type=repr(qtype)))
    return problems


# --- telling formats apart --------------------------------------------------------------

def decode(data: bytes | str) -> str:
    """UTF-8 (with or without BOM), else Windows-1251 (what Kazakh and Russian Windows write)."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1251")


def detect_format(data: bytes | str) -> str:
    """"xml" when the content starts like Moodle XML (`<?xml` or `<quiz`), else "gift"."""
    head = data[:200]
    if isinstance(head, bytes):
        head = head.lstrip(b"\xef\xbb\xbf").decode("utf-8", "replace")
    head = head.lstrip("\ufeff \t\r\n")
    return "xml" if head.startswith(("<?xml", "<quiz")) else "gift"


def parse(data: bytes | str, filename: str = "items") -> ParsedItems:
    """Read a GIFT or Moodle XML file, whichever its content is."""
    if detect_format(data) == "xml":
        from lms.quizbank.formats import moodlexml

        return moodlexml.parse(data, filename)
    from lms.quizbank.formats import gift

    return gift.parse(data, filename)


def dump(items: list[ParsedItem], fmt: str) -> str:
    if fmt == "gift":
        from lms.quizbank.formats import gift

        return gift.dump(items)
    if fmt == "xml":
        from lms.quizbank.formats import moodlexml

        return moodlexml.dump(items)
    raise ServiceError(_l("unknown format %(format)s: use %(formats)s", format=repr(fmt), formats="gift or xml"),
                       field="format")
