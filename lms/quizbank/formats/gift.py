"""GIFT as Moodle reads and writes it, with this project's conventions (docs/quizbank-items.md):
the item code and tags in a comment line before the question (`// [id:LDR-2.3-A-007]
[tag:level-A]`), `$CATEGORY: LDR/2.3` for the topic, `::LDR-2.3-A-007::` may repeat the code.

Questions are paragraphs (separated by blank lines). Forms read: multiple choice
(`=right ~wrong#feedback`, `~%50%` partial credit), multiple answers (`~%50%a ~%-100%b`, no `=`),
true/false (`T`, `F`, `TRUE`, `FALSE`, `#wrong feedback#right feedback`), short answer
(`=a =%50%b`, `*` wildcards), matching (`=a -> b`, `= -> extra`), numerical (`#5:0.5`,
`#1..5`, `#=5:0 =%50%5:2`), essay (`{}`), missing word (text after the braces: the gap
becomes "_____"), general feedback (`####`), format prefixes ([markdown] [html] [plain]
[moodle]) and escapes (`\\~ \\= \\# \\{ \\} \\: \\n \\\\`). Description items (no braces) are
skipped and listed with their line.

What Moodle's GIFT cannot say rides in the same comment (Moodle ignores comments), so an
export reads back whole: `[shuffle:false]` (choice options in the written order),
`[case:sensitive]` (short answers), and a line `// [grader] text` (an essay's grader
information, escaped as GIFT text)."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from lms.core.services.errors import about
from lms.quizbank.formats import (
    CODE_RE, GAP, ItemFileError, ParsedItem, ParsedItems, Skipped, answer_label, check_data, decode, fraction,
    normalize_category, number_text, option_label, percent_text,
)

# While a question is taken apart, escaped characters stand in private-use code points so
# that every remaining ~ = # { } : is syntax; they are put back in the texts at the end.
_ESCAPES = {"\\": "\ue000", "~": "\ue001", "=": "\ue002", "#": "\ue003", "{": "\ue004", "}": "\ue005",
            ":": "\ue006", "n": "\ue007"}
_RESTORE = str.maketrans({v: ("\n" if k == "n" else k) for k, v in _ESCAPES.items()})
_ESCAPE_RE = re.compile(r"\\([\\~=#{}:n])")
_PLACEHOLDERS = re.compile("[\ue000-\ue007]")

_FORMAT_RE = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.I)
_WEIGHT_RE = re.compile(r"^%\s*(-?\d+(?:\.\d+)?)\s*%")
_ID_RE = re.compile(r"\[id:([^\]]*)\]")
_TAG_RE = re.compile(r"\[tag:([^\]]*)\]")
_OPTION_RE = re.compile(r"\[(shuffle|case):([^\]]*)\]")
_GRADER_RE = re.compile(r"^\s*//\s*\[grader\] ?(.*)$")
_OPTIONS = {("shuffle", "true"): ("shuffle", True), ("shuffle", "false"): ("shuffle", False),
            ("case", "sensitive"): ("case_sensitive", True), ("case", "insensitive"): ("case_sensitive", False)}
#: which types each comment option belongs to
_OPTION_TYPES = {"shuffle": ("single", "multiple"), "case_sensitive": ("short",), "grader_info": ("essay",)}
_TF_RE = re.compile(r"^(T|F|TRUE|FALSE)\s*(#|$)", re.I)
_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE_RE = re.compile(rf"^({_NUM})\s*\.\.\s*({_NUM})$")
_VALUE_RE = re.compile(rf"^({_NUM})\s*(?::\s*({_NUM}))?$")


def _protect(text: str) -> str:
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(1)], text)


def _restore(text: str) -> str:
    return text.translate(_RESTORE)


def _clean(text: str) -> str:
    """A piece of the question as its final text: format prefix off, escapes resolved."""
    text = text.strip()
    m = _FORMAT_RE.match(text)
    if m:
        text = text[m.end():]
    return _restore(text).strip()


def _optional(text: str | None) -> str | None:
    if text is None:
        return None
    return _clean(text) or None


def _split_feedback(body: str) -> tuple[str, str | None]:
    text, sep, feedback = body.partition("#")
    return text, (feedback if sep else None)


def _weight(body: str, default: float, what, problems: list) -> tuple[float, str]:
    """`%50%text` -> (0.5, "text"); no weight -> (default, body)."""
    body = body.strip()
    m = _WEIGHT_RE.match(body)
    if not m:
        return default, body
    percent = float(m.group(1))
    if not -100 <= percent <= 100:
        problems.append(about(what, _l("weight %(weight)s is outside %(range)s", weight=f"{m.group(1)}%",
                                       range="-100%..100%")))
    return fraction(percent), body[m.end():].strip()


def _choice(answers: str, problems: list[str]) -> tuple[str, dict]:
    parts = re.split(r"([~=])", answers)
    if parts[0].strip():
        problems.append(_l("text before the first %(marks)s: %(text)s", marks="~ or =", text=repr(_clean(parts[0]))))
    options, single = [], False
    for i, (marker, body) in enumerate(zip(parts[1::2], parts[2::2]), 1):
        single = single or marker == "="
        share, body = _weight(body, 1.0 if marker == "=" else 0.0, option_label(i), problems)
        text, feedback = _split_feedback(body)
        options.append({"text": _clean(text), "fraction": share, "feedback": _optional(feedback)})
    return ("single" if single else "multiple"), {"options": options, "shuffle": True}


def _short(answers: str, problems: list[str]) -> dict:
    parts = re.split(r"(=)", answers)
    bodies = ([parts[0]] if parts[0].strip() else []) + parts[2::2]
    result = []
    for i, body in enumerate(bodies, 1):
        share, body = _weight(body, 1.0, answer_label(i), problems)
        text, feedback = _split_feedback(body)
        result.append({"text": _clean(text), "fraction": share, "feedback": _optional(feedback)})
    return {"answers": result, "case_sensitive": False}


def _matching(answers: str, problems: list[str]) -> dict:
    parts = re.split(r"(=)", answers)
    if parts[0].strip():
        problems.append(_l("text before the first %(marks)s: %(text)s", marks="=", text=repr(_clean(parts[0]))))
    pairs, extra = [], []
    for i, body in enumerate(parts[2::2], 1):
        if "->" not in body:
            problems.append(_l("pair %(number)s has no -> (write =question -> answer)", number=i))
            continue
        question, _, answer = body.partition("->")
        question, answer = _clean(question), _clean(answer)
        if not answer:
            problems.append(_l("pair %(number)s has no answer after ->", number=i))
        elif question:
            pairs.append({"question": question, "answer": answer})
        else:
            extra.append(answer)
    return {"pairs": pairs, "extra_answers": extra}


def _truefalse(answers: str) -> dict:
    value, *feedback = answers.split("#", 2)
    correct = value.strip().upper() in ("T", "TRUE")
    wrong = _optional(feedback[0]) if feedback else None  # shown to whoever answers wrongly
    right = _optional(feedback[1]) if len(feedback) > 1 else None
    return {"correct": correct, "feedback_true": right if correct else wrong,
            "feedback_false": wrong if correct else right}


def _numerical(answers: str, problems: list[str]) -> dict:
    body = answers[1:]  # after the leading #
    if "~" in body:
        problems.append(_l("numerical answers are written =value:tolerance, not with ~"))
        return {"answers": []}
    if "=" in body:
        parts = re.split(r"(=)", body)
        if parts[0].strip():
            problems.append(_l("text before the first %(marks)s: %(text)s", marks="=", text=repr(_clean(parts[0]))))
        bodies = parts[2::2]
    else:
        bodies = [body]
    result = []
    for i, item in enumerate(bodies, 1):
        share, item = _weight(item, 1.0, answer_label(i), problems)
        spec, feedback = _split_feedback(item)
        spec = _restore(spec).strip()
        if m := _RANGE_RE.match(spec):
            low, high = float(m.group(1)), float(m.group(2))
            if low > high:
                problems.append(about(answer_label(i), _l("range %(range)s runs backwards (write min..max)",
                                                          range=spec)))
            value, tolerance = round((low + high) / 2, 12), round(abs(high - low) / 2, 12)
        elif m := _VALUE_RE.match(spec):
            value, tolerance = float(m.group(1)), float(m.group(2) or 0)
        else:
            problems.append(about(answer_label(i), _l("%(text)s is not a number, value:tolerance or min..max",
                                                      text=repr(spec))))
            continue
        result.append({"value": value, "tolerance": tolerance, "fraction": share,
                       "feedback": _optional(feedback)})
    return {"answers": result}


def _question(content: list[tuple[int, str]], errors: list[tuple[int, str]],
              skipped: list[Skipped]) -> ParsedItem | None:
    line = content[0][0]
    raw = "\n".join(text for _, text in content)
    if _PLACEHOLDERS.search(raw):
        errors.append((line, _l("the question holds private-use characters U+E000..U+E007; remove them")))
        return None
    body = _protect(raw).strip()
    title = None
    if body.startswith("::"):
        end = body.find("::", 2)
        if end < 0:
            errors.append((line, _l("the title's closing :: is missing (write \\: for a literal colon)")))
            return None
        title = _restore(body[2:end]).strip() or None
        body = body[end + 2:]
    start = body.find("{")
    if start < 0:
        if "}" in body:
            errors.append((line, _l("} without { (write \\} for a literal brace)")))
        else:
            skipped.append(Skipped(line, _l("description (no answers): not imported")))
        return None
    end = body.find("}", start)
    if end < 0:
        errors.append((line, _l("the answers' { has no closing } (a blank line ends a question)")))
        return None
    problems: list = []
    if "{" in body[start + 1:end]:
        problems.append(_l("{ inside the answers (write \\{ for a literal brace)"))
    after = body[end + 1:]
    if "{" in after or "}" in after:
        problems.append(_l("more than one answer block {...} (write \\{ \\} for literal braces)"))
    before, answers = body[:start], body[start + 1:end]
    m = _FORMAT_RE.match(before)
    if m:
        before = before[m.end():]
    text = _restore(before + GAP + after if after.strip() else before).strip()
    if not text:
        problems.append(_l("the question has no text"))
    general_feedback = None
    if "####" in answers:
        answers, _, general = answers.partition("####")
        general_feedback = _optional(general)
    answers = answers.strip()
    if not answers:
        qtype, data = "essay", {"grader_info": None}
    elif answers.startswith("#"):
        qtype, data = "numerical", _numerical(answers, problems)
    elif "~" in answers:
        qtype, data = _choice(answers, problems)
    elif "=" in answers and "->" in answers:
        qtype, data = "matching", _matching(answers, problems)
    elif _TF_RE.match(answers):
        qtype, data = "truefalse", _truefalse(answers)
    else:
        qtype, data = "short", _short(answers, problems)
    if not problems:
        problems = check_data(qtype, data)
    errors.extend((line, problem) for problem in problems)
    if problems:
        return None
    code = title if title and CODE_RE.match(title) else None
    return ParsedItem(qtype=qtype, text=text, data=data, code=code, title=title,
                      general_feedback=general_feedback, line=line)


def parse(data: bytes | str, filename: str = "items.gift") -> ParsedItems:
    """Every question of a GIFT file; raises ItemFileError naming every problem by line."""
    lines = decode(data).splitlines()
    errors: list[tuple[int, str]] = []
    items = ParsedItems()
    category: str | None = None
    block: list[tuple[int, str]] = []

    def flush() -> None:
        nonlocal category
        comments = [(n, text) for n, text in block if text.lstrip().startswith("//")]
        content = [(n, text) for n, text in block if not text.lstrip().startswith("//")]
        block.clear()
        while content and content[0][1].lstrip().startswith("$CATEGORY:"):
            n, text = content.pop(0)
            value = normalize_category(text.split(":", 1)[1])
            if value:
                category = value
            else:
                errors.append((n, _l("$CATEGORY: names no category")))
        code, tags, options = None, [], {}
        for n, text in comments:
            if m := _GRADER_RE.match(text):
                options["grader_info"] = (n, _restore(_protect(m.group(1))).strip() or None)
                continue
            for m in _OPTION_RE.finditer(text):
                key = (m.group(1), m.group(2).strip().lower())
                if key in _OPTIONS:
                    options[_OPTIONS[key][0]] = (n, _OPTIONS[key][1])
                else:
                    errors.append((n, _l("%(option)s is not an option (use [shuffle:false], [shuffle:true],"
                                         " [case:sensitive] or [case:insensitive])",
                                         option=f"[{m.group(1)}:{m.group(2)}]")))
            for m in _ID_RE.finditer(text):
                value = m.group(1).strip()
                if not value:
                    errors.append((n, _l("[id:] is empty")))
                elif code is not None and value != code:
                    errors.append((n, _l("two codes for one question: %(code)s and %(other)s", code=code, other=value)))
                else:
                    code = value
            tags += [t.strip() for t in _TAG_RE.findall(text) if t.strip() and t.strip() not in tags]
        if not content:
            if code or tags or options:
                errors.append((comments[0][0], _l("this [id:...] / [tag:...] comment is not followed by a question in"
                                                  " the same paragraph (remove the blank line after it)")))
            return
        item = _question(content, errors, items.skipped)
        if item is None:
            return
        for key, (n, value) in options.items():
            if item.qtype in _OPTION_TYPES[key]:
                item.data[key] = value
            else:
                name = "[grader]" if key == "grader_info" else "[shuffle:...]" if key == "shuffle" else "[case:...]"
                errors.append((n, _l("%(option)s does not apply to a %(type)s question", option=name, type=item.qtype)))
        item.code = code or item.code
        if item.title == item.code:
            item.title = None  # the title only repeated the code
        item.tags, item.category = tags, category
        items.append(item)

    for number, text in enumerate(lines, 1):
        if text.strip():
            block.append((number, text))
        elif block:
            flush()
    if block:
        flush()
    if errors:
        raise ItemFileError(filename, errors)
    return items


# --- writing ----------------------------------------------------------------------------

def _esc(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def _esc_answer(text: str) -> str:
    """An answer text that starts like a format prefix keeps it behind an explicit one."""
    return ("[markdown]" if _FORMAT_RE.match(text) else "") + _esc(text)


def _feedback(feedback: str | None) -> str:
    return f"#{_esc_answer(feedback)}" if feedback else ""


def _weighted(marker: str, share: float, default: float, text: str) -> str:
    weight = f"%{percent_text(share)}%" if share != default or text.startswith("%") else ""
    return f"{marker}{weight}{_esc_answer(text)}"


def _answers(item: ParsedItem) -> tuple[list[str], bool]:
    """The answer lines of an item and whether they fit on the question's line."""
    data = item.data
    if item.qtype in ("single", "multiple"):
        lines = []
        for option in data["options"]:
            full = item.qtype == "single" and option["fraction"] == 1
            lines.append(_weighted("=" if full else "~", option["fraction"], 1.0 if full else 0.0, option["text"])
                         + _feedback(option.get("feedback")))
        return lines, False
    if item.qtype == "short":
        return [_weighted("=", a["fraction"], 1.0, a["text"]) + _feedback(a.get("feedback"))
                for a in data["answers"]], False
    if item.qtype == "matching":
        return ([f"={_esc(p['question'])} -> {_esc(p['answer'])}" for p in data["pairs"]]
                + [f"= -> {_esc(a)}" for a in data.get("extra_answers", [])]), False
    if item.qtype == "truefalse":
        right, wrong = ((data.get("feedback_true"), data.get("feedback_false")) if data["correct"]
                        else (data.get("feedback_false"), data.get("feedback_true")))
        text = "TRUE" if data["correct"] else "FALSE"
        if wrong or right:
            text += f"#{_esc_answer(wrong) if wrong else ''}"
        if right:
            text += f"#{_esc_answer(right)}"
        return [text], True
    if item.qtype == "numerical":
        def spec(a):
            return number_text(a["value"]) + (f":{number_text(a['tolerance'])}" if a["tolerance"] else "")

        answers = data["answers"]
        if len(answers) == 1 and answers[0]["fraction"] == 1:
            return [f"#{spec(answers[0])}{_feedback(answers[0].get('feedback'))}"], True
        return ["#"] + [f"={'' if a['fraction'] == 1 else '%' + percent_text(a['fraction']) + '%'}{spec(a)}"
                        f"{_feedback(a.get('feedback'))}" for a in answers], False
    return [], True  # essay


def dump(items: list[ParsedItem], format_prefix: bool = True) -> str:
    """GIFT that `parse` reads back as the same items (and Moodle imports). Without
    `format_prefix` the questions lose the [markdown] that tells Moodle how to read them
    (people editing one question here need not see it; this parser reads Markdown anyway)."""
    out: list[str] = []
    category = None
    for item in items:
        if item.category and item.category != category:
            out += [f"$CATEGORY: {item.category}", ""]
            category = item.category
        meta = ([f"[id:{item.code}]"] if item.code else []) + [f"[tag:{t}]" for t in item.tags]
        if item.qtype in ("single", "multiple") and not item.data.get("shuffle", True):
            meta.append("[shuffle:false]")
        if item.qtype == "short" and item.data.get("case_sensitive"):
            meta.append("[case:sensitive]")
        if meta:
            out.append("// " + " ".join(meta))
        if item.qtype == "essay" and item.data.get("grader_info"):
            out.append(f"// [grader] {_esc(item.data['grader_info'])}")
        name = item.title or item.code
        head = f"::{_esc(name)}::" if name else ""
        pieces = item.text.split(GAP)
        before, after = (pieces[0], pieces[1]) if len(pieces) == 2 and pieces[1].strip() else (item.text, "")
        answers, inline = _answers(item)
        if item.general_feedback:
            answers.append(f"####{_esc_answer(item.general_feedback)}")
        if not answers:
            block = "{}"
        elif inline or after:
            block = "{" + " ".join(answers) + "}"
        else:
            block = "{\n" + "\n".join(f"\t{a}" for a in answers) + "\n}"
        prefix = "[markdown]" if format_prefix or _FORMAT_RE.match(before) else ""
        out += [f"{head}{prefix}{_esc(before)}{block}{_esc(after)}", ""]
    return "\n".join(out)
