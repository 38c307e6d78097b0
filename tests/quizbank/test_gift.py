"""GIFT: Moodle's own constructs read into the documented data shapes, every problem of a
bad file named by line, and files written back that read as the same items (also through
Moodle XML)."""
from pathlib import Path

import pytest

from lms.quizbank.formats import ItemFileError, detect_format, gift, moodlexml, parse

DATA = Path(__file__).parent / "data"


def constructs():
    return gift.parse((DATA / "moodle_constructs.gift").read_text(encoding="utf-8"), "moodle_constructs.gift")


def by_code(items):
    return {item.code: item for item in items}


def same(a, b):
    """Two item lists say the same: codes, types, titles, texts, data, feedback, tags, categories."""
    assert [(i.content(), i.tags, i.category) for i in a] == [(i.content(), i.tags, i.category) for i in b]


def test_moodle_constructs_read_into_the_documented_shapes():
    items = constructs()
    assert len(items) == 11
    assert [(s.line, s.reason) for s in items.skipped] == [(53, "description (no answers): not imported")]
    item = by_code(items)

    tomb = item["LDR-2.3-K-001"]
    assert (tomb.qtype, tomb.title, tomb.line, tomb.category) == ("single", None, 7, "LDR/2.3")
    assert tomb.tags == ["level-K", "topic-2.3"]
    assert tomb.data == {"options": [
        {"text": "Grant", "fraction": 0.0, "feedback": None},
        {"text": "Jefferson", "fraction": 0.0, "feedback": None},
        {"text": "no one", "fraction": 1.0, "feedback": "Right: nobody is buried there."}], "shuffle": True}

    multiple = item["LDR-2.3-U-002"]
    assert multiple.qtype == "multiple" and multiple.title == "Tomb, multiple answers"
    assert [(o["text"], o["fraction"]) for o in multiple.data["options"]] == [
        ("No one", -1.0), ("Grant", 0.5), ("Grant's wife", 0.5), ("Grant's father", -1.0)]
    assert multiple.data["options"][2]["feedback"] == "Julia Dent Grant."

    # {FALSE#feedback for a wrong answer#feedback for a right one}
    tf = item["LDR-2.3-K-003"]
    assert tf.qtype == "truefalse" and tf.data == {
        "correct": False, "feedback_true": "No one is buried in Grant's tomb.", "feedback_false": "You got it!"}

    matching = item["LDR-2.3-A-004"]
    assert matching.qtype == "matching" and matching.data == {
        "pairs": [{"question": "Canada", "answer": "Ottawa"}, {"question": "Italy", "answer": "Rome"},
                  {"question": "Japan", "answer": "Tokyo"}, {"question": "India", "answer": "New Delhi"}],
        "extra_answers": ["London"]}
    assert matching.general_feedback == "It is good to know the capitals."

    short = item["LDR-2.4-K-005"]
    assert short.category == "LDR/2.4" and short.qtype == "short"
    assert short.data == {"answers": [
        {"text": "four", "fraction": 1.0, "feedback": None}, {"text": "4", "fraction": 1.0, "feedback": None},
        {"text": "fo*r", "fraction": 0.5, "feedback": "Almost: check the spelling."}], "case_sensitive": False}

    assert item["LDR-2.4-A-006"].data == {"answers": [
        {"value": 1822.0, "tolerance": 0.0, "fraction": 1.0, "feedback": "Correct! Full credit."},
        {"value": 1822.0, "tolerance": 2.0, "fraction": 0.5,
         "feedback": "He was born in 1822. Half credit for being close."}]}
    # a range min..max is its midpoint ± half the width
    assert item["LDR-2.4-A-007"].data == {"answers": [{"value": 3.0, "tolerance": 2.0, "fraction": 1.0,
                                                      "feedback": None}]}
    assert item["LDR-2.4-A-008"].data["answers"][0] == {"value": 3.1415, "tolerance": 0.0005,
                                                        "fraction": 1.0, "feedback": None}

    essay = item["LDR-2.4-H-009"]
    assert (essay.qtype, essay.data, essay.tags) == ("essay", {"grader_info": None}, ["draft"])

    gap = item["LDR-2.4-K-010"]
    assert gap.qtype == "single" and gap.text == "Moodle costs _____ to download."
    assert [o["text"] for o in gap.data["options"] if o["fraction"] == 1] == ["nothing"]

    escaped = item["LDR-2.4-U-011"]
    assert escaped.title == "Escapes: colons"
    assert escaped.text == "Which is **true** about the {braces}?"
    assert escaped.data["options"][0] == {"text": "= means right, ~ means wrong", "fraction": 1.0,
                                          "feedback": "Yes: both need a backslash."}
    assert escaped.data["options"][1]["text"] == "# is a comment"


def test_titles_formats_and_escapes():
    items = gift.parse(
        "// [tag:level-A] [tag:topic-2.3]\n"
        "::LDR-2.3-A-012::[html]<p>Line one\\nline two</p>{TRUE}\n"
        "\n"
        "::A title:: [plain] Multi-line\n"
        "question text{\n"
        "  =[plain]yes#[html]<b>good</b>\n"
        "  ~no\n"
        "}\n"
        "\n"
        "Is it {T#wrong#right} or not?\n", "t.gift")
    code_title, multiline, tf = items
    # a title that is a code is the code (and not kept as a title)
    assert (code_title.code, code_title.title) == ("LDR-2.3-A-012", None)
    assert code_title.text == "<p>Line one\nline two</p>" and code_title.tags == ["level-A", "topic-2.3"]
    assert (multiline.code, multiline.title, multiline.text) == (None, "A title", "Multi-line\nquestion text")
    assert multiline.data["options"][0] == {"text": "yes", "fraction": 1.0, "feedback": "<b>good</b>"}
    assert multiline.line == 4
    assert tf.text == "Is it _____ or not?"
    assert tf.data == {"correct": True, "feedback_true": "right", "feedback_false": "wrong"}
    assert tf.category is None


@pytest.mark.parametrize("answers, correct", [("T", True), ("TRUE", True), ("F", False), ("FALSE", False),
                                              ("true", True)])
def test_true_false_spellings(answers, correct):
    (item,) = gift.parse(f"The sky is blue.{{{answers}}}")
    assert item.qtype == "truefalse" and item.data["correct"] is correct


def test_numeric_forms():
    items = gift.parse("A {#5:0.5}\n\nB {#0.1..0.3}\n\nC {#-2}\n\nD {#=10:1#close enough =%25%10:5#far}\n\n"
                       "E {#1.5e3:10}\n")
    assert [i.data["answers"][0]["value"] for i in items] == [5.0, 0.2, -2.0, 10.0, 1500.0]
    assert [i.data["answers"][0]["tolerance"] for i in items] == [0.5, 0.1, 0.0, 1.0, 10.0]
    assert items[3].data["answers"][1] == {"value": 10.0, "tolerance": 5.0, "fraction": 0.25, "feedback": "far"}


def test_a_bad_file_names_every_problem_by_line():
    with pytest.raises(ItemFileError) as caught:
        gift.parse((DATA / "broken.gift").read_text(encoding="utf-8"), "broken.gift")
    assert caught.value.lines() == [
        "broken.gift:3: the answers' { has no closing } (a blank line ends a question)",
        "broken.gift:5: no option is right (mark one with =, or give ~%n% weights adding up to 100%)",
        "broken.gift:7: the positive weights add up to 80%, not 100%",
        "broken.gift:9: option 2: weight 150% is outside -100%..100%",
        "broken.gift:11: pair 2 has no -> (write =question -> answer)",
        "broken.gift:13: answer 1: 'five' is not a number, value:tolerance or min..max",
        "broken.gift:15: answer 1: range 5..1 runs backwards (write min..max)",
        "broken.gift:17: this [id:...] / [tag:...] comment is not followed by a question in the same"
        " paragraph (remove the blank line after it)",
        "broken.gift:21: more than one answer block {...} (write \\{ \\} for literal braces)",
        "broken.gift:23: a matching question needs at least two pairs (=question -> answer)",
    ]
    assert caught.value.message == "broken.gift: 10 errors; nothing was imported"


def test_windows_1251_and_bom_are_read():
    text = "// [id:LDR-2.3-K-001]\nКто руководит школой?{=Директор ~Ученик}\n"  # cp1251 has no Kazakh letters
    assert gift.parse(text.encode("cp1251"))[0].data["options"][0]["text"] == "Директор"
    assert gift.parse(b"\xef\xbb\xbf" + text.encode("utf-8"))[0].code == "LDR-2.3-K-001"


def test_export_reads_back_as_the_same_items():
    items = constructs()
    text = gift.dump(items)
    same(gift.parse(text), items)
    # what Moodle's GIFT needs: categories, code comments, escapes, blank lines between questions
    assert "$CATEGORY: LDR/2.4\n\n// [id:LDR-2.4-K-005]\n" in text
    assert "::Escapes\\: colons::[markdown]Which is **true** about the \\{braces\\}?{\n\t=\\= means right" in text
    assert "[markdown]Moodle costs {~lots of money =nothing ~a small amount} to download." in text
    assert "{FALSE#No one is buried in Grant's tomb.#You got it!}" in text


def test_gift_to_moodle_xml_to_gift_is_equivalent():
    items = constructs()
    xml = moodlexml.dump(items)
    assert detect_format(xml) == "xml" and detect_format(gift.dump(items)) == "gift"
    through_xml = parse(xml, "x.xml")
    same(through_xml, items)
    same(gift.parse(gift.dump(through_xml)), items)
    assert '<question type="matching">' in xml and "<single>false</single>" in xml
    assert "<category><text>$course$/top/LDR/2.3</text></category>" in xml


def test_text_that_looks_like_syntax_survives_a_round_trip():
    from lms.quizbank.formats import ParsedItem

    items = [
        ParsedItem("short", "Path C:\\temp\\new and 50% {x}", {"answers": [
            {"text": "%50% literally", "fraction": 1.0, "feedback": "a #hash and =sign\nand a new line"}],
            "case_sensitive": False}, code="LDR-2.3-K-001", category="LDR/2.3", tags=["lang-ru"]),
        ParsedItem("multiple", "Ends with a gap _____", {"options": [
            {"text": "[plain] kept", "fraction": 0.3333333, "feedback": None},
            {"text": "b", "fraction": 0.3333333, "feedback": None},
            {"text": "c", "fraction": 0.3333334, "feedback": None},
            {"text": "d", "fraction": -0.5, "feedback": None}], "shuffle": True}, title="Title: with colon",
            category="LDR/2.4"),
        ParsedItem("numerical", "Tiny", {"answers": [
            {"value": 1e-05, "tolerance": 0.1, "fraction": 1.0, "feedback": None}]}, category="LDR/2.4"),
        ParsedItem("essay", "Essay", {"grader_info": None}, general_feedback="See [the rubric](https://x.kz).",
                   category="LDR/2.5"),
    ]
    same(gift.parse(gift.dump(items)), items)
    same(moodlexml.parse(moodlexml.dump(items)), items)


def test_what_moodle_gift_cannot_say_rides_in_the_comment():
    items = gift.parse("// [id:LDR-2.3-K-001] [shuffle:false]\nPick.{=a ~b}\n\n"
                       "// [case:sensitive]\nName him.{=Abai}\n\n"
                       "// [tag:level-H]\n// [grader] Look for an example\\: one school\\nand one class.\nWrite.{}\n")
    assert items[0].data == {"options": [{"text": "a", "fraction": 1.0, "feedback": None},
                                         {"text": "b", "fraction": 0.0, "feedback": None}], "shuffle": False}
    assert items[1].data["case_sensitive"] is True
    assert items[2].data == {"grader_info": "Look for an example: one school\nand one class."}
    assert items[2].tags == ["level-H"]
    text = gift.dump(items)
    assert "// [id:LDR-2.3-K-001] [shuffle:false]\n" in text and "// [case:sensitive]\n" in text
    assert "// [tag:level-H]\n// [grader] Look for an example\\: one school\\nand one class.\n" in text
    assert [(i.content(), i.tags) for i in gift.parse(text)] == [(i.content(), i.tags) for i in items]

    with pytest.raises(ItemFileError) as caught:
        gift.parse("// [shuffle:false]\nName him.{=Abai}\n\n// [case:upper]\nName him.{=Abai}\n", "t.gift")
    assert caught.value.lines() == [
        "t.gift:1: [shuffle:...] does not apply to a short question",
        "t.gift:4: [case:upper] is not an option (use [shuffle:false], [shuffle:true], [case:sensitive]"
        " or [case:insensitive])"]
