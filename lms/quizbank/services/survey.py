"""Surveys, the needs survey before the course and the exit survey on its last day (seed 004):
Likert statements (1-5, disagree..agree) and open questions, answered once per participant
while the survey is open, summarised per cohort.

A response always keeps its enrolment: the post-course plugin reads a graduate's own answers
(`answers_of`) to pre-fill their support plan (seed 004: the trainer reads the last-day survey
to find each participant's needs). "Anonymous" is a promise about what trainers see: the
summary and its export then carry no names, no submission times and no order that follows
who answered when. Submissions are not written to the audit log, for the same reason.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import yaml
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from lms.core.i18n import localized
from lms.core.models import User
from lms.core.services import audit
from lms.core.services.errors import Conflict, ServiceError, about, joined
from lms.courses.models import Enrolment
from lms.db import db, utcnow
from lms.quizbank.models import SURVEY_KINDS, SURVEY_QUESTION_KINDS, SurveyAnswer, SurveyQuestion, SurveyResponse, Test
from lms.quizbank.services import tests as test_service
from lms.quizbank.services.attempts import ACTIVE_ENROLMENT

SURVEYS_DIR = Path(__file__).resolve().parents[3] / "content" / "surveys"
DEFAULT_FILE = SURVEYS_DIR / "exit.yaml"
#: the questions a new survey of each kind starts from
DEFAULT_FILES = {"exit_survey": DEFAULT_FILE, "entry_survey": SURVEYS_DIR / "entry.yaml"}
LANGS = ("kk", "ru", "en")
_QUESTIONS = _lp("survey field", "questions")
LIKERT_VALUES = (1, 2, 3, 4, 5)
MAX_QUESTIONS = 50
MAX_QUESTION_CHARS = 1000
MAX_ANSWER_CHARS = 5000
#: the textarea format: "L: statement" (1-5 scale) or "O: question"; "*" after the letter
#: makes it required; " | " separates Kazakh | Russian | English
KIND_LETTERS = {"L": "likert", "O": "open"}


# --- reading -------------------------------------------------------------------------------

def is_survey(test: Test) -> bool:
    return test.kind in SURVEY_KINDS


def _require_survey(test: Test) -> None:
    if not is_survey(test):
        raise ServiceError(_l("test %(title)s is a %(kind)s test, not a survey", title=repr(test.title),
                              kind=test.kind), field="kind")


def questions_of(test: Test) -> list[SurveyQuestion]:
    return list(db.session.scalars(select(SurveyQuestion).where(SurveyQuestion.test_id == test.id)
                                   .order_by(SurveyQuestion.position)))


def response_of(test: Test, enrolment: Enrolment) -> SurveyResponse | None:
    return db.session.scalar(select(SurveyResponse).where(SurveyResponse.test_id == test.id,
                                                          SurveyResponse.enrolment_id == enrolment.id))


@lru_cache(maxsize=4)
def _read_file(path: str, mtime: float) -> dict:
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ServiceError(f"{p}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("questions"), list):
        raise ServiceError(f"{p}: expected a mapping with a list of questions")
    scale = data.get("scale") or {}
    if not isinstance(scale, Mapping) or sorted(str(k) for k in scale) != [str(v) for v in LIKERT_VALUES]:
        raise ServiceError(f"{p}: scale: give a label for each of 1, 2, 3, 4 and 5")
    errors: list = []
    labels = {int(k): _text(v, f"{p}: scale {k}", errors) for k, v in scale.items()}
    if errors:
        raise ServiceError(joined(errors))
    return {"questions": clean_questions(data["questions"], where=f"{p}: question"), "scale": labels}


def default_survey(path: Path | str = DEFAULT_FILE) -> dict:
    """{"questions": [...clean questions], "scale": {1: {"kk": ...}, ...}} from the YAML file."""
    p = Path(path)
    try:
        mtime = p.stat().st_mtime
    except OSError:
        raise ServiceError(f"{p}: the default survey file is missing") from None
    return _read_file(str(p), mtime)


def scale_labels(lang: str | None = None) -> dict[int, str]:
    """The agree scale's labels in `lang` (the current language by default)."""
    return {k: localized(v, lang=lang) for k, v in default_survey()["scale"].items()}


# --- questions -----------------------------------------------------------------------------

def _text(value, label, errors: list) -> dict | None:
    """{"kk", "ru", "en"} with Kazakh present; a plain string is Kazakh."""
    where = _l("%(where)s, text", where=label)
    if isinstance(value, str):
        value = {"kk": value}
    if not isinstance(value, Mapping):
        errors.append(about(where, _l("required (Kazakh, with Russian and English if you have them)")))
        return None
    unknown = sorted(str(k) for k in value if k not in LANGS)
    if unknown:
        errors.append(about(where, _l("unknown language(s) %(languages)s (kk, ru, en)", languages=", ".join(unknown))))
    text = {lang: " ".join(str(value[lang]).split()) for lang in LANGS if value.get(lang) and str(value[lang]).strip()}
    if not text.get("kk"):
        errors.append(about(where, _l("the Kazakh text is required")))
        return None
    long = [lang for lang, t in text.items() if len(t) > MAX_QUESTION_CHARS]
    if long:
        errors.append(about(_l("%(where)s, text (%(languages)s)", where=label, languages=", ".join(long)),
                            _l("at most %(count)s characters", count=MAX_QUESTION_CHARS)))
    return text


def clean_questions(questions, *, where: str | None = None) -> list[dict]:
    """Each question as {"kind", "text", "required"}; one refusal lists every problem, each
    named by its line (questions parsed from text carry "line") or its number."""
    if not isinstance(questions, list):
        raise ServiceError(about(_QUESTIONS, _l("expected a list")), field="questions")
    if len(questions) > MAX_QUESTIONS:
        raise ServiceError(about(_QUESTIONS, _l("at most %(count)s (got %(value)s)", count=MAX_QUESTIONS,
                                                value=len(questions))), field="questions")
    errors: list = []
    clean: list[dict] = []
    for k, q in enumerate(questions, start=1):
        number = _l("question %(number)s", number=k) if where is None else f"{where} {k}"
        if not isinstance(q, Mapping):
            errors.append(about(number, _l("expected kind and text")))
            continue
        label = _l("line %(number)s", number=q["line"]) if q.get("line") else number
        unknown = sorted(set(q) - {"kind", "text", "required", "line"})
        if unknown:
            errors.append(about(label, _l("unknown key(s) %(keys)s (kind, text, required)", keys=", ".join(unknown))))
        kind = q.get("kind")
        if kind not in SURVEY_QUESTION_KINDS:
            errors.append(about(_l("%(where)s, kind", where=label), _l("likert or open (got %(value)s)",
                                                                      value=repr(kind))))
        required = q.get("required", True)
        if not isinstance(required, bool):
            errors.append(about(_l("%(where)s, required", where=label), _l("true or false (got %(value)s)",
                                                                          value=repr(required))))
        text = _text(q.get("text"), label, errors)
        if text is not None and kind in SURVEY_QUESTION_KINDS and isinstance(required, bool):
            clean.append({"kind": kind, "text": text, "required": required})
    if errors:
        raise ServiceError(joined(errors), field="questions")
    return clean


def parse_questions(source: str) -> list[dict]:
    """The textarea format, one question a line: "L: statement" or "O: question", "L*:" /
    "O*:" for a required one, "kk | ru | en" texts. Blank lines and "#" lines are skipped."""
    questions: list[dict] = []
    errors: list = []
    for n, raw in enumerate(source.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        head, sep, rest = line.partition(":")
        head = head.strip().upper()
        required = head.endswith("*")
        letter = head.rstrip("*").strip()
        if not sep or letter not in KIND_LETTERS or head.count("*") > 1:
            errors.append(about(_l("line %(number)s", number=n),
                                _l("start with 'L:' (a statement rated 1-5) or 'O:' (an open question), 'L*:' or"
                                   " 'O*:' when an answer is required (got %(line)s)", line=repr(line[:40]))))
            continue
        parts = [p.strip() for p in rest.split("|")]
        if len(parts) > len(LANGS):
            errors.append(about(_l("line %(number)s", number=n),
                                _l("at most three texts, Kazakh | Russian | English")))
            continue
        questions.append({"kind": KIND_LETTERS[letter], "required": required, "line": n,
                          "text": {lang: p for lang, p in zip(LANGS, parts) if p}})
    if errors:  # with what the readable lines get wrong, so one refusal names every line
        try:
            clean_questions(questions)
        except ServiceError as exc:
            errors.extend(message for _field, message in exc.problems)
        raise ServiceError(joined(errors), field="questions")
    return questions


def format_questions(questions) -> str:
    """The textarea format of questions (rows or dicts), the inverse of `parse_questions`."""
    lines = []
    for q in questions:
        kind, text, required = (q["kind"], q["text"], q["required"]) if isinstance(q, Mapping) \
            else (q.kind, q.text, q.required)
        letter = next(k for k, v in KIND_LETTERS.items() if v == kind)
        texts = [text.get(lang, "") for lang in LANGS]
        while texts and not texts[-1]:
            texts.pop()
        lines.append(f"{letter}{'*' if required else ''}: " + " | ".join(texts))
    return "\n".join(lines)


def _require_draft(test: Test) -> None:
    _require_survey(test)
    if test.status != "draft":
        raise Conflict(_l("survey %(title)s is published: its questions no longer change", title=repr(test.title))
                       if test.status == "published" else
                       _l("survey %(title)s is closed: its questions no longer change", title=repr(test.title)),
                       field="questions")


def _replace(test: Test, clean: list[dict]) -> list[SurveyQuestion]:
    db.session.execute(delete(SurveyQuestion).where(SurveyQuestion.test_id == test.id)
                       .execution_options(synchronize_session="fetch"))
    db.session.flush()
    rows = [SurveyQuestion(test_id=test.id, position=n, kind=q["kind"], text=q["text"], required=q["required"])
            for n, q in enumerate(clean, start=1)]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def set_questions(test: Test, questions, actor) -> list[SurveyQuestion]:
    """Replace a draft survey's questions (a list of {kind, text, required}, or the textarea
    format as a string). Nobody has answered a draft, so nothing else changes."""
    _require_draft(test)
    clean = clean_questions(parse_questions(questions) if isinstance(questions, str) else questions)
    old = format_questions(questions_of(test))
    rows = _replace(test, clean)
    new = format_questions(rows)
    if new != old:
        audit.record(actor, "survey_questions_set", test, f"{test.title}: {len(rows)} question(s)",
                     old=old, new=new)
    return rows


def add_default_questions(test: Test, actor, path: Path | str | None = None) -> list[SurveyQuestion]:
    """The default questions of the survey's kind (content/surveys/exit.yaml, entry.yaml) for a
    draft survey that has no questions yet; a survey with questions keeps them (returns [])."""
    _require_draft(test)
    if questions_of(test):
        return []
    rows = _replace(test, default_survey(path or DEFAULT_FILES.get(test.kind, DEFAULT_FILE))["questions"])
    audit.record(actor, "survey_questions_set", test, f"{test.title}: {len(rows)} default question(s)",
                 new=format_questions(rows))
    return rows


def set_anonymous(test: Test, anonymous: bool, actor) -> Test:
    """Only while a draft: once participants can answer, the promise they read stays."""
    _require_draft(test)
    if not isinstance(anonymous, bool):
        raise ServiceError(f"anonymous: true or false (got {anonymous!r})", field="anonymous")
    if test.anonymous != anonymous:
        test.anonymous = anonymous
        db.session.flush()
        audit.record(actor, "test_updated", test, f"{test.kind} {test.title}: anonymous",
                     old={"anonymous": not anonymous}, new={"anonymous": anonymous})
    return test


def publish_problems(test: Test) -> list:
    """Why an exit survey cannot be published (blueprints.publish asks): it asks its own
    questions and draws nothing."""
    problems = []
    if test.blueprint_id is not None:
        problems.append(_l("a survey draws no items: remove its blueprint"))
    count = db.session.scalar(select(func.count()).select_from(SurveyQuestion)
                              .where(SurveyQuestion.test_id == test.id))
    if not count:
        problems.append(_l("a survey needs at least one question"))
    return problems


# --- answering -----------------------------------------------------------------------------

def check_answers(questions: list[SurveyQuestion], answers: Mapping) -> tuple[dict[int, int | str], dict[int, object]]:
    """({question id: 1-5 or text}, {question id: problem}). `answers` maps question ids (int
    or str) to a value; empty values are no answer."""
    by_id = {q.id: q for q in questions}
    given: dict[int, object] = {}
    errors: dict[int, object] = {}  # lazy translations, read in the reader's language
    for key, value in answers.items():
        qid = int(key) if isinstance(key, str) and key.strip().isdigit() else key
        if qid not in by_id:
            raise ServiceError(_l("no question %(key)s in this survey", key=repr(key)), field="answers")
        given[qid] = value
    clean: dict[int, int | str] = {}
    for q in questions:
        value = given.get(q.id)
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if q.required:
                errors[q.id] = _l("question %(n)s: an answer is required", n=q.position)
            continue
        if q.kind == "likert":
            if isinstance(value, str) and value.isdigit():
                value = int(value)
            if isinstance(value, bool) or value not in LIKERT_VALUES:
                errors[q.id] = _l("question %(n)s: choose 1 to 5 (got %(value)s)", n=q.position, value=repr(value))
                continue
        else:
            value = str(value)
            if len(value) > MAX_ANSWER_CHARS:
                errors[q.id] = _l("question %(n)s: at most %(most)s characters (%(got)s given)", n=q.position,
                                  most=MAX_ANSWER_CHARS, got=len(value))
                continue
        clean[q.id] = value
    return clean, errors


def submit(test: Test, enrolment: Enrolment, answers: Mapping, actor, now: datetime | None = None) -> SurveyResponse:
    """A participant's answers, once: while the survey is open, every required question
    answered. A second submission (another tab, a retry) is refused and the first stays."""
    _require_survey(test)
    if enrolment.cohort_id != test.cohort_id:
        raise ServiceError(_l("survey '%(title)s' belongs to another cohort", title=test.title), field="enrolment")
    if enrolment.status not in ACTIVE_ENROLMENT:
        raise Conflict(_l("the enrolment is %(status)s: a withdrawn participant answers no survey",
                          status=enrolment.status), field="enrolment")
    state = test_service.state(test, now)
    if state != "open":
        raise Conflict(_l("survey '%(title)s' is %(state)s: it takes no answers", title=test.title, state=state),
                       field="test")
    if response_of(test, enrolment) is not None:
        raise Conflict(_l("you have already answered '%(title)s'", title=test.title), field="answers")
    questions = questions_of(test)
    clean, errors = check_answers(questions, answers)
    if errors:
        raise ServiceError(joined(errors.values()), field=f"q-{next(iter(errors))}")
    by_id = {q.id: q for q in questions}
    response = SurveyResponse(test_id=test.id, enrolment_id=enrolment.id, submitted_at=now or utcnow())
    response.answers = [SurveyAnswer(question_id=qid, likert=value if by_id[qid].kind == "likert" else None,
                                     text=value if by_id[qid].kind == "open" else None)
                        for qid, value in clean.items()]
    try:
        with db.session.begin_nested():
            db.session.add(response)
            db.session.flush()
    except IntegrityError:  # the same participant's other tab answered a moment ago
        raise Conflict(_l("you have already answered '%(title)s'", title=test.title), field="answers") from None
    return response


# --- the summary ---------------------------------------------------------------------------

@dataclass
class OpenAnswer:
    text: str
    #: None when the survey is anonymous
    name: str | None = None


@dataclass
class QuestionSummary:
    question: SurveyQuestion
    #: Likert: how many chose 1..5
    counts: dict[int, int] = field(default_factory=lambda: {v: 0 for v in LIKERT_VALUES})
    n: int = 0
    mean: float | None = None
    answers: list[OpenAnswer] = field(default_factory=list)

    def percent(self, value: int) -> float:
        return 100.0 * self.counts[value] / self.n if self.n else 0.0


@dataclass
class SurveySummary:
    test: Test
    anonymous: bool
    questions: list[QuestionSummary]
    #: every response, and those of participants still enrolled (the rate's numerator)
    responses: int
    respondents: int
    enrolled: int

    @property
    def rate(self) -> float | None:
        return self.respondents / self.enrolled if self.enrolled else None


def _respondent_rows(test: Test):
    """(response id, enrolment id, status, name, submitted at) for each response: one statement."""
    return db.session.execute(
        select(SurveyResponse.id, Enrolment.id, Enrolment.status, User.full_name, SurveyResponse.submitted_at)
        .join(Enrolment, Enrolment.id == SurveyResponse.enrolment_id).join(User, User.id == Enrolment.user_id)
        .where(SurveyResponse.test_id == test.id)).all()


def _answer_rows(test: Test):
    return db.session.execute(
        select(SurveyAnswer.response_id, SurveyAnswer.question_id, SurveyAnswer.likert, SurveyAnswer.text)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.test_id == test.id)).all()


def summary(test: Test) -> SurveySummary:
    """Per Likert question: counts of 1..5, mean and n; open answers listed, with names only
    when the survey is not anonymous (then by name; anonymous ones in text order, so their
    order tells nothing); response rate = respondents still enrolled / active enrolments.
    Four statements whatever the cohort's size."""
    _require_survey(test)
    questions = questions_of(test)
    respondents = _respondent_rows(test)
    name_of = {rid: name for rid, _eid, _st, name, _at in respondents}
    items = {q.id: QuestionSummary(q) for q in questions}
    for response_id, question_id, likert, text in _answer_rows(test):
        item = items.get(question_id)
        if item is None:
            continue
        if item.question.kind == "likert" and likert in LIKERT_VALUES:
            item.counts[likert] += 1
            item.n += 1
        elif item.question.kind == "open" and text:
            item.answers.append(OpenAnswer(text, None if test.anonymous else name_of.get(response_id)))
            item.n += 1
    for item in items.values():
        if item.question.kind == "likert" and item.n:
            item.mean = sum(v * c for v, c in item.counts.items()) / item.n
        item.answers.sort(key=(lambda a: (a.text.casefold(), a.text)) if test.anonymous
                          else (lambda a: ((a.name or "").casefold(), a.text.casefold())))
    enrolled = db.session.scalar(select(func.count()).select_from(Enrolment).where(
        Enrolment.cohort_id == test.cohort_id, Enrolment.status.in_(ACTIVE_ENROLMENT)))
    return SurveySummary(test=test, anonymous=test.anonymous, questions=[items[q.id] for q in questions],
                         responses=len(respondents),
                         respondents=sum(1 for _r, _e, status, _n, _a in respondents if status in ACTIVE_ENROLMENT),
                         enrolled=enrolled or 0)


def export_rows(test: Test, lang: str = "kk") -> tuple[list[str], list[list]]:
    """One row per response, one column per question (1-5 or the text). Anonymous: no name,
    no time, rows in the order of their answers (not of who answered when)."""
    _require_survey(test)
    questions = questions_of(test)
    values: dict[int, dict[int, object]] = {}
    for response_id, question_id, likert, text in _answer_rows(test):
        values.setdefault(response_id, {})[question_id] = likert if likert is not None else text
    header = [f"{q.position}. {localized(q.text, lang=lang)}" + (" (1-5)" if q.kind == "likert" else "")
              for q in questions]
    rows = []
    for response_id, _eid, _status, name, submitted_at in _respondent_rows(test):
        cells = [values.get(response_id, {}).get(q.id) for q in questions]
        rows.append(cells if test.anonymous else [name, submitted_at.isoformat(timespec="minutes"), *cells])
    if test.anonymous:
        rows.sort(key=lambda r: [("" if v is None else str(v)) for v in r])
        return header, rows
    rows.sort(key=lambda r: (str(r[0]).casefold(), r[1]))
    return ["name", "submitted_at", *header], rows


# --- for the post-course plugin ------------------------------------------------------------

def answers_of(enrolment: Enrolment) -> list[dict]:
    """The participant's own exit-survey answers, every question of each survey they answered
    (None where they left an optional one empty), in survey then question order. Plain data:
    {test_id, test_title, submitted_at, position, kind, question ({kk, ru, en}), likert, text}.
    Only for showing or pre-filling the participant's own plan: never to trainers of an
    anonymous survey."""
    rows = db.session.execute(
        select(Test.id, Test.title, SurveyResponse.id, SurveyResponse.submitted_at, SurveyQuestion.position,
               SurveyQuestion.kind, SurveyQuestion.text, SurveyAnswer.likert, SurveyAnswer.text)
        .join(SurveyResponse, SurveyResponse.test_id == Test.id)
        .join(SurveyQuestion, SurveyQuestion.test_id == Test.id)
        .outerjoin(SurveyAnswer, (SurveyAnswer.response_id == SurveyResponse.id)
                   & (SurveyAnswer.question_id == SurveyQuestion.id))
        .where(SurveyResponse.enrolment_id == enrolment.id, Test.kind == "exit_survey")
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id, SurveyQuestion.position)).all()
    return [{"test_id": test_id, "test_title": title, "submitted_at": submitted_at, "position": position,
             "kind": kind, "question": dict(question), "likert": likert, "text": text}
            for test_id, title, _rid, submitted_at, position, kind, question, likert, text in rows]
