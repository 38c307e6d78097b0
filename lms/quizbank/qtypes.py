"""Question types: how an answer is checked, scored, shuffled and shown to a participant.

One small class per `ItemVersion.qtype`, registered by its id in `QUESTION_TYPES`; the data
and answer shapes are those of docs/quizbank-items.md. Every item is worth 1 point, so
`score` returns a share in [0, 1] (None: graded by hand).

Choices are shown in a seeded order (`AttemptSlot.option_order`). A participant answers by
the position an option was *shown* at (`from_shown`), never by its index in the version's
data: authors often write the right option first, and an index would give the key away.
What is stored (`AttemptSlot.answer`) uses the data's indexes, as documented.
"""
from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Mapping, Sequence

from flask_babel import lazy_gettext as _l

from lms.core.services.errors import ServiceError

#: longest text answer kept (an essay of several pages; a short answer needs far less)
MAX_ESSAY_CHARS = 20_000
MAX_SHORT_CHARS = 500
#: between the parts of an answer written as one line (options chosen, matched pairs)
LIST_SEPARATOR = "; "


def _invalid(message) -> ServiceError:
    return ServiceError(message, field="answer")


def _expect_mapping(answer) -> Mapping:
    if not isinstance(answer, Mapping):
        raise _invalid(_l("the answer must be an object, e.g. %(example)s", example='{"choice": 0}'))
    return answer


def _index(value, size: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
            value = int(value)
        else:
            raise _invalid(_l("choice must be a whole number (got %(value)s)", value=repr(value)))
    if not 0 <= value < size:
        raise _invalid(_l("choice %(value)s is out of range: there are %(size)s options (0 to %(last)s)",
                          value=value, size=size, last=size - 1))
    return value


def _number(value) -> str:
    """12.5 for 12.5, 3 for 3.0: the shortest exact form."""
    return f"{float(value):.15g}"


def fold_text(text: str, case_sensitive: bool = False) -> str:
    """NFC, whitespace runs folded to one space, trimmed; case folded unless case-sensitive."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return text if case_sensitive else text.casefold()


def parse_number(value) -> float:
    """A number as typed on a phone or a Kazakh keyboard: 12.5, "12,5", " 1 000,5 "."""
    if isinstance(value, bool):
        raise _invalid(_l("the value must be a number (got %(value)s)", value=repr(value)))
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().replace("\u2212", "-")
        text = re.sub(r"(?<=\d)[\s\u00a0\u202f](?=\d)", "", text)
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", text):
            raise _invalid(_l("the value must be a number, e.g. 12.5 or 12,5 (got %(value)s)", value=repr(value)))
        number = float(text)
    else:
        raise _invalid(_l("the value must be a number (got %(value)s)", value=repr(value)))
    if not math.isfinite(number):
        raise _invalid(_l("the value must be a finite number (got %(value)s)", value=repr(value)))
    return number


class QuestionType:
    """The base: no shuffle, answers taken as they are shown."""

    id: str = ""
    #: the type's name as people read it
    label = ""
    #: graded by a person, not by `score`
    manual = False

    def validate_answer(self, data: Mapping, answer) -> dict:
        """The normalized stored answer, or ServiceError(field="answer") naming the problem."""
        raise NotImplementedError

    def score(self, data: Mapping, answer: Mapping | None) -> float | None:
        """The share of the item's point earned by a stored answer; 0 for no answer."""
        raise NotImplementedError

    def shuffle_order(self, data: Mapping, rng: random.Random) -> list[int]:
        return []

    def public_view(self, data: Mapping, order: Sequence[int]) -> dict:
        """What a participant may see: nothing that reveals the key."""
        return {}

    def from_shown(self, data: Mapping, order: Sequence[int], answer) -> dict:
        """A participant's answer (positions as shown) as the stored answer, validated."""
        return self.validate_answer(data, answer)

    def to_shown(self, data: Mapping, order: Sequence[int], answer: Mapping | None) -> dict | None:
        """A stored answer as the participant gave it (positions as shown)."""
        return None if answer is None else dict(answer)

    def feedback(self, data: Mapping, answer: Mapping | None) -> str | None:
        """The feedback an answer earns, for reviews that show answers."""
        return None

    def reads_the_same(self, old: Mapping, new: Mapping) -> bool:
        """Whether an answer given to `old` means the same under `new`: only the key, marks or
        feedback changed, so a regrade may score it by `new`. Here the answer carries its own
        meaning (true/false, a text, a number)."""
        return not self.manual

    def summary(self, data: Mapping, answer: Mapping | None) -> str:
        """A stored answer as one line of text for a table (Moodle's `summarise_response`):
        the options' own words, never positions; "" for no answer."""
        return "" if not answer else str(answer.get("text", ""))

    def right_answer(self, data: Mapping) -> str:
        """The key as one line of text (Moodle's `get_right_answer_summary`); "" when a
        person grades."""
        return ""


class _Choice(QuestionType):
    """single and multiple: options with fractions; the order is shuffled unless data says not."""

    def _options(self, data: Mapping) -> list:
        return list(data.get("options") or [])

    def shuffle_order(self, data, rng):
        order = list(range(len(self._options(data))))
        if data.get("shuffle", True):
            rng.shuffle(order)
        return order

    def _order(self, data, order) -> list[int]:
        n = len(self._options(data))
        return list(order) if sorted(order or []) == list(range(n)) and n else list(range(n))

    def public_view(self, data, order):
        options = self._options(data)
        shown = self._order(data, order)
        return {"options": [{"value": pos, "text": options[i]["text"]} for pos, i in enumerate(shown)]}

    def reads_the_same(self, old, new):
        # answers are option indexes: the options must read the same, in the same order
        return [o.get("text") for o in self._options(old)] == [o.get("text") for o in self._options(new)]

    def _texts(self, data, indexes) -> str:
        options = self._options(data)
        return LIST_SEPARATOR.join(str(options[i].get("text", "")) for i in sorted(set(indexes))
                                   if isinstance(i, int) and 0 <= i < len(options))

    def right_answer(self, data):
        fractions = [float(o.get("fraction") or 0) for o in self._options(data)]
        return self._texts(data, self._key(fractions)) if max(fractions, default=0.0) > 0 else ""

    def _key(self, fractions: list[float]) -> list[int]:
        """The options that make the right answer: here the ones earning the most."""
        return [i for i, f in enumerate(fractions) if f == max(fractions)]


class SingleChoice(_Choice):
    id = "single"
    label = _l("single choice")

    def validate_answer(self, data, answer):
        answer = _expect_mapping(answer)
        if "choice" not in answer:
            raise _invalid(_l("a single-choice answer is {\"choice\": <option>}"))
        return {"choice": _index(answer["choice"], len(self._options(data)))}

    def from_shown(self, data, order, answer):
        answer = _expect_mapping(answer)
        if "choice" not in answer:
            raise _invalid(_l("a single-choice answer is {\"choice\": <option>}"))
        shown = self._order(data, order)
        return {"choice": shown[_index(answer["choice"], len(shown))]}

    def to_shown(self, data, order, answer):
        if answer is None:
            return None
        return {"choice": self._order(data, order).index(answer["choice"])}

    def score(self, data, answer):
        if not answer:
            return 0.0
        options = self._options(data)
        i = answer.get("choice")
        if not isinstance(i, int) or not 0 <= i < len(options):
            return 0.0
        return max(0.0, min(1.0, float(options[i].get("fraction") or 0)))

    def feedback(self, data, answer):
        if not answer:
            return None
        options = self._options(data)
        i = answer.get("choice")
        return options[i].get("feedback") if isinstance(i, int) and 0 <= i < len(options) else None

    def summary(self, data, answer):
        return self._texts(data, [answer.get("choice")]) if answer else ""


class MultipleChoice(_Choice):
    id = "multiple"
    label = _l("multiple choice")

    def _choices(self, answer, size: int) -> list[int]:
        answer = _expect_mapping(answer)
        choices = answer.get("choices")
        if not isinstance(choices, list):
            raise _invalid(_l("a multiple-choice answer is {\"choices\": [<option>, ...]}"))
        out = [_index(c, size) for c in choices]
        if len(set(out)) != len(out):
            raise _invalid(_l("an option is chosen twice"))
        return out

    def validate_answer(self, data, answer):
        return {"choices": sorted(self._choices(answer, len(self._options(data))))}

    def from_shown(self, data, order, answer):
        shown = self._order(data, order)
        return {"choices": sorted(shown[p] for p in self._choices(answer, len(shown)))}

    def to_shown(self, data, order, answer):
        if answer is None:
            return None
        shown = self._order(data, order)
        return {"choices": sorted(shown.index(i) for i in answer.get("choices", []))}

    def score(self, data, answer):
        if not answer:
            return 0.0
        options = self._options(data)
        total = sum(float(options[i].get("fraction") or 0) for i in set(answer.get("choices") or [])
                    if isinstance(i, int) and 0 <= i < len(options))
        return max(0.0, min(1.0, round(total, 9)))

    def feedback(self, data, answer):
        if not answer:
            return None
        options = self._options(data)
        parts = [options[i].get("feedback") for i in answer.get("choices") or []
                 if isinstance(i, int) and 0 <= i < len(options)]
        return " ".join(p for p in parts if p) or None

    def summary(self, data, answer):
        return self._texts(data, answer.get("choices") or []) if answer else ""

    def _key(self, fractions):
        # the shares add up: every option earning something
        return [i for i, f in enumerate(fractions) if f > 0]


class TrueFalse(QuestionType):
    id = "truefalse"
    label = _l("true/false")

    def validate_answer(self, data, answer):
        answer = _expect_mapping(answer)
        value = answer.get("value")
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            value = value.strip().lower() == "true"
        if not isinstance(value, bool):
            raise _invalid(_l("a true/false answer is {\"value\": true} or {\"value\": false}"))
        return {"value": value}

    def public_view(self, data, order):
        return {"options": [{"value": True, "text": "true"}, {"value": False, "text": "false"}]}

    def score(self, data, answer):
        if not answer or not isinstance(answer.get("value"), bool):
            return 0.0
        return 1.0 if answer["value"] == bool(data.get("correct")) else 0.0

    def feedback(self, data, answer):
        if not answer or not isinstance(answer.get("value"), bool):
            return None
        return data.get("feedback_true" if answer["value"] else "feedback_false")

    def summary(self, data, answer):
        if not answer or not isinstance(answer.get("value"), bool):
            return ""
        return str(_l("True") if answer["value"] else _l("False"))

    def right_answer(self, data):
        return str(_l("True") if data.get("correct") else _l("False"))


class Matching(QuestionType):
    """Questions keep their order; the answers (pairs' and extra ones, each text once) are
    shuffled. An answer maps a question's index to the chosen answer's text."""

    id = "matching"
    label = _l("matching")

    def _choices(self, data) -> list[str]:
        seen: list[str] = []
        for text in [p["answer"] for p in data.get("pairs") or []] + list(data.get("extra_answers") or []):
            if text not in seen:
                seen.append(text)
        return seen

    def shuffle_order(self, data, rng):
        order = list(range(len(self._choices(data))))
        rng.shuffle(order)
        return order

    def reads_the_same(self, old, new):
        # the same questions and the same answers to choose from (shown shuffled anyway, and an
        # answer is stored as its text); which answer is right may change
        questions = [[p.get("question") for p in data.get("pairs") or []] for data in (old, new)]
        return questions[0] == questions[1] and sorted(self._choices(old)) == sorted(self._choices(new))

    def public_view(self, data, order):
        choices = self._choices(data)
        if sorted(order or []) != list(range(len(choices))):
            order = list(range(len(choices)))
        return {"questions": [{"value": str(i), "text": p["question"]} for i, p in enumerate(data.get("pairs") or [])],
                "answers": [choices[i] for i in order]}

    def validate_answer(self, data, answer):
        answer = _expect_mapping(answer)
        pairs = answer.get("pairs")
        if not isinstance(pairs, Mapping):
            raise _invalid(_l("a matching answer is {\"pairs\": {\"<question>\": \"<answer text>\", ...}}"))
        n = len(data.get("pairs") or [])
        choices = set(self._choices(data))
        out = {}
        for key, text in pairs.items():
            if not (isinstance(key, (str, int)) and not isinstance(key, bool) and str(key).isdigit()
                    and int(key) < n):
                raise _invalid(_l("question %(key)s is not one of 0 to %(last)s", key=repr(key), last=n - 1))
            if text is None or text == "":
                continue  # left unanswered
            if not isinstance(text, str) or text not in choices:
                raise _invalid(_l("question %(key)s: %(text)s is not one of the answers", key=key, text=repr(text)))
            out[str(int(key))] = text
        return {"pairs": dict(sorted(out.items(), key=lambda kv: int(kv[0])))}

    def score(self, data, answer):
        pairs = data.get("pairs") or []
        if not answer or not pairs:
            return 0.0
        given = answer.get("pairs") or {}
        right = sum(1 for i, p in enumerate(pairs) if given.get(str(i)) == p["answer"])
        return round(right / len(pairs), 9)

    @staticmethod
    def _pairs_text(data, chosen: Mapping) -> str:
        return LIST_SEPARATOR.join(f"{p['question']} → {chosen.get(str(i)) or '–'}"
                                   for i, p in enumerate(data.get("pairs") or []))

    def summary(self, data, answer):
        given = (answer or {}).get("pairs") or {}
        return self._pairs_text(data, given) if given else ""

    def right_answer(self, data):
        return self._pairs_text(data, {str(i): p["answer"] for i, p in enumerate(data.get("pairs") or [])})


class ShortAnswer(QuestionType):
    """`*` matches any run of characters; compared after NFC and whitespace folding,
    case-insensitively unless the item says `case_sensitive` (`\\*` is a literal star)."""

    id = "short"
    label = _l("short answer")

    @staticmethod
    def pattern(text: str, case_sensitive: bool) -> re.Pattern:
        folded = fold_text(text, case_sensitive)
        parts = re.split(r"(\\\*|\*)", folded)
        regex = "".join(".*" if p == "*" else re.escape("*") if p == "\\*" else re.escape(p) for p in parts)
        return re.compile(regex, re.DOTALL)

    def validate_answer(self, data, answer):
        answer = _expect_mapping(answer)
        text = answer.get("text")
        if not isinstance(text, str):
            raise _invalid(_l("a short answer is {\"text\": \"...\"}"))
        text = unicodedata.normalize("NFC", text).strip()
        if len(text) > MAX_SHORT_CHARS:
            raise _invalid(_l("a short answer takes at most %(most)s characters (got %(got)s)", most=MAX_SHORT_CHARS,
                                  got=len(text)))
        return {"text": text}

    def _best(self, data, answer):
        if not answer or not isinstance(answer.get("text"), str) or not answer["text"].strip():
            return None
        case = bool(data.get("case_sensitive"))
        given = fold_text(answer["text"], case)
        best = None
        for a in data.get("answers") or []:
            if self.pattern(str(a.get("text", "")), case).fullmatch(given):
                if best is None or float(a.get("fraction") or 0) > float(best.get("fraction") or 0):
                    best = a
        return best

    def score(self, data, answer):
        best = self._best(data, answer)
        return 0.0 if best is None else max(0.0, min(1.0, float(best.get("fraction") or 0)))

    def feedback(self, data, answer):
        best = self._best(data, answer)
        return None if best is None else best.get("feedback")

    def right_answer(self, data):
        answers = data.get("answers") or []
        best = max((float(a.get("fraction") or 0) for a in answers), default=0.0)
        return LIST_SEPARATOR.join(str(a.get("text", "")) for a in answers
                                   if best > 0 and float(a.get("fraction") or 0) == best)


class Numerical(QuestionType):
    id = "numerical"
    label = _l("numerical")

    def validate_answer(self, data, answer):
        answer = _expect_mapping(answer)
        if "value" not in answer or answer["value"] in (None, ""):
            raise _invalid(_l("a numerical answer is {\"value\": 12.5}"))
        return {"value": parse_number(answer["value"])}

    def _best(self, data, answer):
        if not answer or not isinstance(answer.get("value"), (int, float)) or isinstance(answer.get("value"), bool):
            return None
        x = float(answer["value"])
        best = None
        for a in data.get("answers") or []:
            value, tol = float(a.get("value") or 0), abs(float(a.get("tolerance") or 0))
            slack = 1e-9 * max(1.0, abs(value))  # 0.1 + 0.2 is 0.30000000000000004
            if value - tol - slack <= x <= value + tol + slack:
                if best is None or float(a.get("fraction") or 0) > float(best.get("fraction") or 0):
                    best = a
        return best

    def score(self, data, answer):
        best = self._best(data, answer)
        return 0.0 if best is None else max(0.0, min(1.0, float(best.get("fraction") or 0)))

    def feedback(self, data, answer):
        best = self._best(data, answer)
        return None if best is None else best.get("feedback")

    def summary(self, data, answer):
        value = (answer or {}).get("value")
        return _number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else ""

    def right_answer(self, data):
        answers = data.get("answers") or []
        best = max((float(a.get("fraction") or 0) for a in answers), default=0.0)
        return LIST_SEPARATOR.join(
            _number(a.get("value") or 0) + (f" ± {_number(a['tolerance'])}" if a.get("tolerance") else "")
            for a in answers if best > 0 and float(a.get("fraction") or 0) == best)


class Essay(QuestionType):
    id = "essay"
    label = _l("essay")
    manual = True

    def validate_answer(self, data, answer):
        answer = _expect_mapping(answer)
        text = answer.get("text")
        if not isinstance(text, str):
            raise _invalid(_l("an essay answer is {\"text\": \"...\"}"))
        text = unicodedata.normalize("NFC", text).strip()
        if len(text) > MAX_ESSAY_CHARS:
            raise _invalid(_l("an essay takes at most %(most)s characters (got %(got)s)", most=MAX_ESSAY_CHARS,
                                  got=len(text)))
        return {"text": text}

    def score(self, data, answer):
        return None


QUESTION_TYPES: dict[str, QuestionType] = {
    qt.id: qt for qt in (SingleChoice(), MultipleChoice(), TrueFalse(), Matching(), ShortAnswer(), Numerical(),
                         Essay())
}


def type_name(type_id: str) -> str:
    """The type's name in the reader's language (the id itself for an unknown one)."""
    found = QUESTION_TYPES.get(type_id)
    return str(found.label) if found else type_id


def qtype(type_id: str) -> QuestionType:
    try:
        return QUESTION_TYPES[type_id]
    except KeyError:
        raise ServiceError(_l("unknown question type %(type)s", type=repr(type_id)), field="qtype") from None
