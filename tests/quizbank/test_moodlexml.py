"""Moodle XML: a Moodle export read into the documented shapes (categories, idnumber, tags,
each type), skipped questions listed by line, every problem of a bad file named by line,
entity declarations refused, and files written back that read as the same items."""
from pathlib import Path

import pytest

from lms.quizbank.formats import ItemFileError, moodlexml

DATA = Path(__file__).parent / "data"


def export():
    return moodlexml.parse((DATA / "moodle_export.xml").read_bytes(), "moodle_export.xml")


def errors_of(text: str) -> list[str]:
    with pytest.raises(ItemFileError) as caught:
        moodlexml.parse(text, "bad.xml")
    return caught.value.lines()


def wrap(*questions: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join(questions) + "\n</quiz>\n"


def test_a_moodle_export_reads_into_the_documented_shapes():
    items = export()
    assert [(i.code, i.qtype, i.line) for i in items] == [
        ("LDR-1.2-U-001", "single", 15), ("LDR-1.2-A-002", "multiple", 61), ("LDR-1.2-K-003", "truefalse", 96),
        ("LDR-1.2-K-004", "short", 125), ("LDR-1.2-A-005", "matching", 148), ("LDR-1.2-K-006", "numerical", 178),
        ("LDR-1.2-H-007", "essay", 203)]
    assert [(s.line, s.reason) for s in items.skipped] == [
        (85, "description: not imported"), (221, "question type 'calculated' is not supported: not imported")]
    assert {i.category for i in items} == {"LDR/1.2"}

    single, multiple, tf, short, matching, numerical, essay = items
    assert single.title == "Көшбасшылық стилі" and single.tags == ["level-U"]
    # question text keeps its HTML (sanitized on import); an answer in one <p> keeps its words
    assert single.text.startswith('<p dir="ltr"') and "<strong>ортақ шешімге</strong>" in single.text
    assert single.data["options"][0] == {"text": "Демократиялық", "fraction": 1.0, "feedback": "Дұрыс."}
    assert single.general_feedback == "Демократиялық стиль."
    assert multiple.data["shuffle"] is False
    assert [o["fraction"] for o in multiple.data["options"]] == [0.3333333, 0.3333333, 0.3333333, -1.0]
    # no idnumber: the name is the code when it looks like one
    assert (tf.code, tf.title) == ("LDR-1.2-K-003", None)
    assert tf.data == {"correct": True, "feedback_true": "Иә.", "feedback_false": "Жоқ, ол көшбасшы."}
    assert short.data == {"answers": [{"text": "feedback", "fraction": 1.0, "feedback": None},
                                      {"text": "feed*", "fraction": 0.5, "feedback": "Толық жазыңыз."}],
                          "case_sensitive": True}
    assert matching.data == {"pairs": [{"question": "Бағдаршам", "answer": "Түсінуді тексеру"},
                                       {"question": "Миға шабуыл", "answer": "Идея жинау"}],
                             "extra_answers": ["Бағалау"]}
    assert numerical.data["answers"] == [
        {"value": 80.0, "tolerance": 0.0, "fraction": 1.0, "feedback": None},
        {"value": 80.0, "tolerance": 4.0, "fraction": 0.5, "feedback": "Жақын."}]
    assert essay.data == {"grader_info": "Нақты мысал болуы керек."} and essay.tags == ["draft"]


def test_export_reads_back_as_the_same_items():
    items = export()
    again = moodlexml.parse(moodlexml.dump(items))
    assert [(i.content(), i.tags, i.category) for i in again] == [(i.content(), i.tags, i.category) for i in items]


def test_every_problem_is_named_by_the_line_of_its_question():
    lines = errors_of(wrap(
        '<question type="multichoice"><name><text>A</text></name>'
        '<questiontext format="html"><text>Pick</text></questiontext>'
        '<answer fraction="0"><text>a</text></answer><answer fraction="0"><text>b</text></answer></question>',
        '<question type="numerical">\n<questiontext><text>How many?</text></questiontext>'
        '<answer fraction="100"><text>ten</text></answer></question>',
        '<question type="truefalse"><questiontext><text>Sure?</text></questiontext>'
        '<answer fraction="0"><text>true</text></answer><answer fraction="0"><text>false</text></answer>'
        '</question>',
        '<question type="shortanswer"><questiontext><text><![CDATA[<img src="@@PLUGINFILE@@/a.png">]]></text>'
        '</questiontext><answer fraction="100"><text>x</text></answer></question>',
        '<question type="essay"><questiontext><text></text></questiontext></question>',
        '<question type="multichoice"><questiontext><text>Weights</text></questiontext>'
        '<answer fraction="fifty"><text>a</text></answer><answer fraction="100"><text>b</text></answer></question>',
    ))
    assert lines == [
        "bad.xml:3: question 'A': no option is right (one needs 100%, written =)",
        "bad.xml:4: answer 1: 'ten' is not a number",
        "bad.xml:6: a true/false question needs its right answer (T or F)",
        "bad.xml:7: embedded files (@@PLUGINFILE@@) are not supported; put images in the programme's materials",
        "bad.xml:8: the question has no text",
        "bad.xml:9: answer 1 fraction: 'fifty' is not a number",
    ]


def test_malformed_xml_names_its_line():
    assert errors_of('<?xml version="1.0"?>\n<quiz>\n<question type="essay">\n</quiz>\n') == [
        "bad.xml:4: not well-formed XML: mismatched tag (column 3)"]
    assert errors_of('<?xml version="1.0"?>\n<questions/>\n') == ["bad.xml:2: the root element must be <quiz>"]


@pytest.mark.parametrize("prolog", [
    # an external entity would read a server file into a question
    '<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>',
    # a billion laughs would expand to gigabytes
    '<!DOCTYPE quiz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
    '<!DOCTYPE quiz SYSTEM "http://example.com/quiz.dtd">',
])
def test_document_type_declarations_are_refused(prolog):
    text = ('<?xml version="1.0" encoding="UTF-8"?>\n' + prolog + '\n<quiz><question type="essay">'
            "<questiontext><text>&c;&secret;</text></questiontext></question></quiz>")
    assert errors_of(text) == ["bad.xml:2: a DOCTYPE or ENTITY declaration is not accepted (Moodle XML has none)"]


def test_declared_encodings_and_byte_order_marks_are_honoured():
    text = ('<?xml version="1.0" encoding="windows-1251"?>\n<quiz><question type="truefalse">'
            "<questiontext><text>Директор — лидер?</text></questiontext>"
            '<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer>'
            "</question></quiz>")
    assert moodlexml.parse(text.encode("cp1251"))[0].text == "Директор — лидер?"
    assert moodlexml.parse(text)[0].text == "Директор — лидер?"  # already decoded: the declaration is moot
    utf8 = b"\xef\xbb\xbf" + text.replace("windows-1251", "UTF-8").encode("utf-8")
    assert moodlexml.parse(utf8)[0].data["correct"] is True
