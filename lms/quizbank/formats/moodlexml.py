"""Moodle XML (`<quiz><question type="...">`), read with expat so every question keeps its line.

Types read: multichoice (`<single>` true: single choice, false: multiple answers), truefalse,
shortanswer, matching, numerical (tolerance), essay; category questions set the category of
those after them (`$course$/top/LDR/2.3` or a plain path); `<idnumber>` is the code,
`<tags>` the tags. Descriptions and other types (cloze, calculated, drag and drop) are
skipped and listed with their line. A document type declaration is refused outright:
entities are how XML bombs and external-entity reads work, and Moodle never writes one."""
from __future__ import annotations

import re
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

from flask_babel import lazy_gettext as _l

from lms.core.services.errors import about
from lms.quizbank.formats import (
    CODE_RE, ItemFileError, ParsedItem, ParsedItems, Skipped, answer_label, check_data, fraction,
    normalize_category, number_text, percent_text,
)

SUPPORTED = ("multichoice", "truefalse", "shortanswer", "matching", "numerical", "essay")
_NUMBER_RE = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")
#: an answer Moodle's editor wrapped in one paragraph: keep the words
_PARAGRAPH_RE = re.compile(r"^\s*<p(?:\s[^>]*)?>(.*?)</p>\s*$", re.S | re.I)


class _Refused(Exception):
    pass


class _Node:
    __slots__ = ("tag", "attrib", "children", "chunks", "line")

    def __init__(self, tag: str, attrib: dict, line: int):
        self.tag, self.attrib, self.line = tag, attrib, line
        self.children: list[_Node] = []
        self.chunks: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def find(self, path: str) -> "_Node | None":
        node = self
        for tag in path.split("/"):
            node = next((c for c in node.children if c.tag == tag), None)
            if node is None:
                return None
        return node

    def findall(self, tag: str) -> list["_Node"]:
        return [c for c in self.children if c.tag == tag]

    def value(self, path: str, default: str = "") -> str:
        node = self.find(path)
        return node.text if node is not None else default


def _tree(data: bytes | str) -> _Node:
    """The document as _Nodes with lines; raises (line, reason) as _Refused or expat.ExpatError."""
    if isinstance(data, str):
        parser = expat.ParserCreate("UTF-8")  # the text is already decoded: ignore its declaration
        data = data.lstrip("\ufeff").encode("utf-8")
    else:
        parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    root = _Node("", {}, 0)
    stack = [root]

    def refuse(*_args):
        raise _Refused(parser.CurrentLineNumber)

    def start(tag, attrib):
        node = _Node(tag, attrib, parser.CurrentLineNumber)
        stack[-1].children.append(node)
        stack.append(node)

    def end(_tag):
        stack.pop()

    def chars(text):
        stack[-1].chunks.append(text)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.Parse(data, True)
    return root


def _text(node: _Node | None) -> tuple[str, str]:
    """(text, format) of an element holding <text> (questiontext, feedback, answer...)."""
    if node is None:
        return "", ""
    return node.value("text").strip(), node.attrib.get("format", "")


def _answer_text(node: _Node | None) -> str:
    text, fmt = _text(node)
    if fmt == "html" and (m := _PARAGRAPH_RE.match(text)) and "<p" not in m.group(1).lower():
        text = m.group(1).strip()
    return text


def _optional(node: _Node | None) -> str | None:
    return _answer_text(node) or None


def _flag(node: _Node, path: str, default: bool) -> bool:
    value = node.value(path).strip().lower()
    return default if not value else value in ("1", "true", "yes")


def _number(text: str, what, problems: list) -> float:
    text = text.strip()
    if not _NUMBER_RE.match(text):
        problems.append(about(what, _l("%(text)s is not a number", text=repr(text))))
        return 0.0
    return float(text)


def _share(answer: _Node, what, problems: list) -> float:
    percent = _number(answer.attrib.get("fraction", "0"), _l("%(what)s fraction", what=what), problems)
    if not -100 <= percent <= 100:
        problems.append(about(what, _l("fraction %(value)s is outside -100..100", value=number_text(percent))))
    return fraction(percent)


def _question(node: _Node, problems: list) -> tuple[str, dict]:
    kind = node.attrib.get("type")
    answers = node.findall("answer")
    if kind == "multichoice":
        options = [{"text": _answer_text(a), "fraction": _share(a, answer_label(i), problems),
                    "feedback": _optional(a.find("feedback"))} for i, a in enumerate(answers, 1)]
        qtype = "single" if _flag(node, "single", True) else "multiple"
        return qtype, {"options": options, "shuffle": _flag(node, "shuffleanswers", True)}
    if kind == "truefalse":
        data = {"correct": None, "feedback_true": None, "feedback_false": None}
        for answer in answers:
            value = _answer_text(answer).lower()
            if value not in ("true", "false"):
                problems.append(_l("a true/false answer must be true or false, not %(value)s", value=repr(value)))
                continue
            data[f"feedback_{value}"] = _optional(answer.find("feedback"))
            if _share(answer, answer_label(value), problems) > 0:
                data["correct"] = value == "true"
        return "truefalse", data
    if kind == "shortanswer":
        return "short", {
            "answers": [{"text": _answer_text(a), "fraction": _share(a, answer_label(i), problems),
                         "feedback": _optional(a.find("feedback"))} for i, a in enumerate(answers, 1)],
            "case_sensitive": _flag(node, "usecase", False)}
    if kind == "matching":
        pairs, extra = [], []
        for sub in node.findall("subquestion"):
            question, answer = _answer_text(sub), _answer_text(sub.find("answer"))
            if question:
                pairs.append({"question": question, "answer": answer})
            elif answer:
                extra.append(answer)
        return "matching", {"pairs": pairs, "extra_answers": extra}
    if kind == "numerical":
        result = []
        for i, answer in enumerate(answers, 1):
            value = _answer_text(answer)
            if value == "*":
                problems.append(about(answer_label(i), _l("'*' (any number) is not supported")))
                continue
            result.append({"value": _number(value, answer_label(i), problems),
                           "tolerance": _number(answer.value("tolerance", "0") or "0",
                                                _l("%(what)s tolerance", what=answer_label(i)), problems),
                           "fraction": _share(answer, answer_label(i), problems),
                           "feedback": _optional(answer.find("feedback"))})
        return "numerical", {"answers": result}
    grader_info = _optional(node.find("graderinfo"))
    return "essay", {"grader_info": grader_info}


def parse(data: bytes | str, filename: str = "items.xml") -> ParsedItems:
    """Every question of a Moodle XML file; raises ItemFileError naming every problem by line."""
    try:
        root = _tree(data)
    except _Refused as exc:
        raise ItemFileError(filename, [(exc.args[0], _l("a DOCTYPE or ENTITY declaration is not accepted (Moodle XML"
                                                        " has none)"))]) from None
    except expat.ExpatError as exc:
        raise ItemFileError(filename, [(exc.lineno, _l("not well-formed XML: %(error)s (column %(column)s)",
                                                       error=expat.ErrorString(exc.code), column=exc.offset + 1))]
                            ) from None
    quiz = root.children[0] if root.children else None
    if quiz is None or quiz.tag != "quiz":
        raise ItemFileError(filename, [(quiz.line if quiz else 1, _l("the root element must be <quiz>"))])
    errors: list[tuple[int, str]] = []
    items = ParsedItems()
    category = None
    for node in quiz.findall("question"):
        kind = node.attrib.get("type", "")
        if kind == "category":
            category = normalize_category(node.value("category/text")) or category
            continue
        if kind not in SUPPORTED:
            items.skipped.append(Skipped(node.line, _l("description: not imported")
                                         if kind == "description" else
                                         _l("question type %(type)s is not supported: not imported",
                                            type=repr(kind))))
            continue
        problems: list = []
        text, fmt = _text(node.find("questiontext"))
        if not text:
            problems.append(_l("the question has no text"))
        if "@@PLUGINFILE@@" in node.value("questiontext/text"):
            problems.append(_l("embedded files (@@PLUGINFILE@@) are not supported; put images in the programme's"
                               " materials"))
        qtype, data = _question(node, problems)
        if not problems:
            problems = check_data(qtype, data)
        name = node.value("name/text").strip() or None
        named = _l("question %(name)s", name=repr(name)) if name else None
        errors.extend((node.line, about(named, p) if named else p) for p in problems)
        if problems:
            continue
        idnumber = node.value("idnumber").strip() or None
        code = idnumber or (name if name and CODE_RE.match(name) else None)
        tags = []
        for tag in node.findall("tags"):
            for t in tag.findall("tag"):
                value = t.value("text").strip()
                if value and value not in tags:
                    tags.append(value)
        items.append(ParsedItem(
            qtype=qtype, text=text, data=data, code=code, title=None if name == code else name,
            category=category, tags=tags, general_feedback=_optional(node.find("generalfeedback")),
            line=node.line))
    if errors:
        raise ItemFileError(filename, errors)
    return items


# --- writing ----------------------------------------------------------------------------

def _t(value: str | None) -> str:
    return f"<text>{escape(value or '')}</text>"


def _fb(tag: str, value: str | None, indent: str) -> str:
    return f'{indent}<{tag} format="markdown">{_t(value)}</{tag}>'


def _answer(share: float, text: str, feedback: str | None, fmt: str, extra: str = "") -> list[str]:
    return [f'    <answer fraction="{percent_text(share)}" format="{fmt}">',
            f"      {_t(text)}",
            _fb("feedback", feedback, "      ")] + ([extra] if extra else []) + ["    </answer>"]


def _body(item: ParsedItem) -> list[str]:
    data = item.data
    if item.qtype in ("single", "multiple"):
        out = [f"    <single>{'true' if item.qtype == 'single' else 'false'}</single>",
               f"    <shuffleanswers>{'true' if data.get('shuffle', True) else 'false'}</shuffleanswers>",
               "    <answernumbering>abc</answernumbering>"]
        for o in data["options"]:
            out += _answer(o["fraction"], o["text"], o.get("feedback"), "markdown")
        return out
    if item.qtype == "truefalse":
        return (_answer(1.0 if data["correct"] else 0.0, "true", data.get("feedback_true"), "moodle_auto_format")
                + _answer(0.0 if data["correct"] else 1.0, "false", data.get("feedback_false"),
                          "moodle_auto_format"))
    if item.qtype == "short":
        out = [f"    <usecase>{1 if data.get('case_sensitive') else 0}</usecase>"]
        for a in data["answers"]:
            out += _answer(a["fraction"], a["text"], a.get("feedback"), "moodle_auto_format")
        return out
    if item.qtype == "matching":
        out = ["    <shuffleanswers>true</shuffleanswers>"]
        subs = [(p["question"], p["answer"]) for p in data["pairs"]] + [("", a) for a in data.get("extra_answers", [])]
        for question, answer in subs:
            out += ['    <subquestion format="markdown">', f"      {_t(question)}",
                    f"      <answer>{_t(answer)}</answer>", "    </subquestion>"]
        return out
    if item.qtype == "numerical":
        out = []
        for a in data["answers"]:
            out += _answer(a["fraction"], number_text(a["value"]), a.get("feedback"), "moodle_auto_format",
                           f"      <tolerance>{number_text(a['tolerance'])}</tolerance>")
        return out + ["    <unitgradingtype>0</unitgradingtype>", "    <unitpenalty>0</unitpenalty>",
                      "    <showunits>3</showunits>", "    <unitsleft>0</unitsleft>"]
    return ["    <responseformat>editor</responseformat>", "    <responserequired>1</responserequired>",
            "    <responsefieldlines>15</responsefieldlines>", "    <attachments>0</attachments>",
            _fb("graderinfo", data.get("grader_info"), "    "),
            '    <responsetemplate format="markdown"><text></text></responsetemplate>']


_MOODLE_TYPES = {"single": "multichoice", "multiple": "multichoice", "truefalse": "truefalse",
                 "short": "shortanswer", "matching": "matching", "numerical": "numerical", "essay": "essay"}


def dump(items: list[ParsedItem]) -> str:
    """Moodle XML that Moodle imports and `parse` reads back as the same items."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    category = None
    for item in items:
        if item.category and item.category != category:
            category = item.category
            out += ['  <question type="category">',
                    f"    <category>{_t('$course$/top/' + category)}</category>",
                    "  </question>"]
        out += [f"  <question type={quoteattr(_MOODLE_TYPES[item.qtype])}>",
                f"    <name>{_t(item.title or item.code)}</name>",
                f'    <questiontext format="markdown">{_t(item.text)}</questiontext>',
                _fb("generalfeedback", item.general_feedback, "    "),
                "    <defaultgrade>1</defaultgrade>",
                "    <penalty>0.3333333</penalty>",
                "    <hidden>0</hidden>",
                f"    <idnumber>{escape(item.code or '')}</idnumber>"]
        out += _body(item)
        if item.tags:
            out += ["    <tags>"] + [f"      <tag>{_t(t)}</tag>" for t in item.tags] + ["    </tags>"]
        out.append("  </question>")
    out.append("</quiz>")
    return "\n".join(out) + "\n"
