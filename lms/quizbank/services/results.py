"""What the test pages list: a participant's tests with their own attempts, and a test's
results per participant. Each list is read in a fixed number of statements."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from lms.core.models import User
from lms.core.services.errors import ServiceError
from lms.courses.models import Cohort, Enrolment
from lms.courses.services import competences
from lms.db import db
from lms.quizbank.models import SURVEY_KINDS, Attempt, AttemptSlot, Item, ItemVersion, Test
from lms.quizbank.qtypes import qtype
from lms.quizbank.services import attempts as attempt_service
from lms.quizbank.services import tests as test_service


@dataclass
class MyTest:
    test: Test
    #: state, closing, time limit and attempts as this participant meets them
    terms: attempt_service.Terms
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def in_progress(self) -> Attempt | None:
        return next((a for a in self.attempts if a.status == "in_progress"), None)

    @property
    def last_finished(self) -> Attempt | None:
        return next((a for a in reversed(self.attempts) if a.status == "finished"), None)

    @property
    def best(self) -> Attempt | None:
        return best_of(self.attempts)

    @property
    def can_start(self) -> bool:
        return (self.terms.state == "open" and self.test.kind not in SURVEY_KINDS and self.in_progress is None
                and len(self.attempts) < self.terms.attempts_allowed)


def best_of(attempts: list[Attempt]) -> Attempt | None:
    """The attempt that counts: the best finished one, the earlier of two equal."""
    done = [a for a in attempts if a.status == "finished" and a.percent is not None]
    return max(done, key=lambda a: (a.percent, -a.number)) if done else None


#: a participant's competence profile reads their tests in three stages (seed 000: the diagnostic
#: test gives the initial competence level, the final test the level formed)
PROFILE_STAGES = ("diagnostic", "module", "final")


@dataclass
class CompetenceProfile:
    framework: competences.Framework
    #: the stages with a result to show, in PROFILE_STAGES order
    stages: list[str]
    #: (competence, {stage: its TopicScore}) in the framework's order
    rows: list[tuple[competences.Competence, dict]]


def competence_profile(cohort: Cohort, rows: list[MyTest], language: str) -> CompetenceProfile | None:
    """Where a participant stands on each competence of the programme's framework at each stage
    (their `my_tests` rows): the best finished attempt at each test, the module tests' together,
    and only what each test's review options let them see (`attempts.result_view`). None
    without a framework."""
    framework = competences.framework_for(cohort.programme.code)
    if framework is None:
        return None
    topics: dict[str, list[dict]] = {}
    counted = [r.best for r in rows if r.test.kind in PROFILE_STAGES and r.best is not None]
    if counted:  # their slots, versions and items in three statements, not three per question
        db.session.scalars(select(Attempt).where(Attempt.id.in_([a.id for a in counted])).options(
            selectinload(Attempt.slots).selectinload(AttemptSlot.version).selectinload(ItemVersion.item))).all()
    for row in rows:
        best = row.best if row.test.kind in PROFILE_STAGES else None
        if best is not None:
            shown = attempt_service.result_view(best, language=language, topics=True).get("topics")
            if shown:
                topics.setdefault(row.test.kind, []).extend(shown)
    per_stage = {stage: {t.topic: t for t in competence_scores(found, framework)} for stage, found in topics.items()}
    stages = [s for s in PROFILE_STAGES if per_stage.get(s)]
    return CompetenceProfile(framework, stages, [(c, {s: per_stage[s][c.code] for s in stages if c.code in per_stage[s]})
                                                 for c in framework.competences])


def my_tests(cohort: Cohort, enrolment: Enrolment, now=None) -> list[MyTest]:
    """The cohort's published and closed tests, in the order the cohort meets them, each with
    this enrolment's attempts (and nobody else's)."""
    tests = test_service.tests_of(cohort)
    attempts: dict[int, list[Attempt]] = {}
    if tests:
        for a in db.session.scalars(select(Attempt).where(Attempt.enrolment_id == enrolment.id,
                                                          Attempt.test_id.in_([t.id for t in tests]))
                                    .order_by(Attempt.number)):
            attempts.setdefault(a.test_id, []).append(a)
    extra = attempt_service.granted_many([t.id for t in tests], [enrolment.id])
    rows = []
    for t in tests:
        terms = attempt_service.terms_for(t, extra.get((t.id, enrolment.id), attempt_service.NO_GRANT), now)
        rows.append(MyTest(t, terms, attempts.get(t.id, [])))
    return rows


@dataclass
class ResultRow:
    enrolment: Enrolment
    attempts: list[Attempt]
    #: the test's attempts plus any a trainer granted this participant
    allowed: int = 0
    #: minutes a trainer added to the time limit
    extra_minutes: int = 0
    #: a later closing time a trainer granted (None: the test's)
    closes_at: datetime | None = None
    #: an earlier opening time a trainer granted (None: the test's)
    opens_at: datetime | None = None

    @property
    def best(self) -> Attempt | None:
        return best_of(self.attempts)


@dataclass
class TestSummary:
    __test__ = False  # not a pytest class

    test: Test
    rows: list[ResultRow]
    finished: int
    in_progress: int
    passed: int
    pending_grading: int
    mean_percent: float | None
    #: attempts in progress: {attempt id: Progress} (who is stuck on a test day)
    progress: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Progress:
    answered: int
    questions: int
    last_answer_at: datetime | None


def progress_of(attempt_ids: list[int]) -> dict[int, Progress]:
    """Questions answered, out of how many, and the last answer's time, per attempt: one
    statement."""
    if not attempt_ids:
        return {}
    return {attempt_id: Progress(int(answered or 0), int(questions), last)
            for attempt_id, answered, questions, last in db.session.execute(
                select(AttemptSlot.attempt_id, func.count(AttemptSlot.answered_at), func.count(),
                       func.max(AttemptSlot.answered_at))
                .where(AttemptSlot.attempt_id.in_(attempt_ids)).group_by(AttemptSlot.attempt_id))}


def results(test: Test) -> TestSummary:
    """Every enrolment of the test's cohort (withdrawn ones too when they attempted), with its
    attempts; the best finished attempt counts for pass rate and mean."""
    enrolments = list(db.session.scalars(
        select(Enrolment).where(Enrolment.cohort_id == test.cohort_id).options(joinedload(Enrolment.user))))
    by_enrolment: dict[int, list[Attempt]] = {}
    for a in db.session.scalars(select(Attempt).where(Attempt.test_id == test.id).order_by(Attempt.number)):
        by_enrolment.setdefault(a.enrolment_id, []).append(a)
    extra = attempt_service.granted_many([test.id], [e.id for e in enrolments])
    rows = []
    for e in enrolments:
        if e.status == "withdrawn" and e.id not in by_enrolment:
            continue
        grant = extra.get((test.id, e.id), attempt_service.NO_GRANT)
        rows.append(ResultRow(e, by_enrolment.get(e.id, []), test.attempts_allowed + grant.count, grant.minutes,
                              attempt_service.personal_close(test, grant) if grant.closes_at else None,
                              attempt_service.personal_open(test, grant) if grant.opens_at else None))
    rows.sort(key=lambda r: r.enrolment.user.sort_key)
    bests = [r.best for r in rows if r.best is not None]
    all_attempts = [a for r in rows for a in r.attempts]
    return TestSummary(
        test=test, rows=rows,
        finished=sum(1 for a in all_attempts if a.status == "finished"),
        in_progress=sum(1 for a in all_attempts if a.status == "in_progress"),
        passed=sum(1 for a in bests if a.passed),
        pending_grading=sum(a.pending_grading or 0 for a in all_attempts),
        mean_percent=round(sum(a.percent for a in bests) / len(bests), 1) if bests else None,
        progress=progress_of([a.id for a in all_attempts if a.status == "in_progress"]),
    )


@dataclass(frozen=True)
class SlotResponse:
    """One question of one attempt, as Moodle's responses report lists it."""

    participant: str
    email: str
    attempt: int
    status: str
    slot: int
    code: str
    version: int
    qtype: str
    text: str
    #: the answer in the options' own words ("" when none was given)
    response: str
    right_answer: str
    score: float | None
    max_score: float
    #: a trainer set the points by hand (`attempts.override_score`)
    overridden: bool


def responses(test: Test) -> list[SlotResponse]:
    """Every question of every attempt at the test, by participant, attempt and slot, in two
    statements. For trainers reading answers after the test (an appeal, a bad item); the
    survey, which may be anonymous, has its own summary and is refused here."""
    if test.kind in SURVEY_KINDS:
        raise ServiceError(_l("A survey has its own summary; its answers are not listed here."))
    attempts: dict[int, tuple[Attempt, User]] = {a.id: (a, user) for a, user in db.session.execute(
        select(Attempt, User).join(Enrolment, Enrolment.id == Attempt.enrolment_id)
        .join(User, User.id == Enrolment.user_id).where(Attempt.test_id == test.id))}
    rows = []
    for s, v, code in db.session.execute(
            select(AttemptSlot, ItemVersion, Item.code).join(ItemVersion, ItemVersion.id == AttemptSlot.item_version_id)
            .join(Item, Item.id == ItemVersion.item_id).join(Attempt, Attempt.id == AttemptSlot.attempt_id)
            .where(Attempt.test_id == test.id)):
        a, user = attempts[s.attempt_id]
        kind = qtype(v.qtype)
        rows.append(((user.sort_key, a.number, s.slot), SlotResponse(
            user.full_name, user.email, a.number, a.status, s.slot, code, v.number, v.qtype, v.text,
            kind.summary(v.data, s.answer), kind.right_answer(v.data), s.score, s.max_score, s.overridden)))
    rows.sort(key=lambda pair: pair[0])
    return [row for _key, row in rows]


@dataclass
class TopicReport:
    """Each participant's best finished attempt, per topic (or module) of the programme, and
    the cohort's share of points on each: where a cohort stands before the course (the
    diagnostic test) or which topics the final test found weak."""

    by: str
    #: topic codes (or module numbers as text, or competence codes), in the programme's order
    keys: list[str]
    #: (enrolment, best attempt, {key: TopicScore})
    rows: list[tuple[Enrolment, Attempt, dict]]
    #: the cohort's points on each key as a percent of the points possible
    means: dict[str, float | None]
    #: {key: (module, key)}: where each key stands in the programme (`attempts.topic_order`)
    places: dict[str, tuple[int, str]] = field(default_factory=dict)


def framework_of(test: Test) -> competences.Framework | None:
    """The competence framework of the test's programme, if it has one."""
    return competences.framework_for(db.session.get(Cohort, test.cohort_id).programme.code)


def by_competence(framework: competences.Framework | None, view: dict) -> list[attempt_service.TopicScore]:
    """A result view's points per competence, where the programme has a framework and the view
    shows its points per topic (the review options may hide them); [] otherwise."""
    if framework is None or not view.get("topics"):
        return []
    return competence_scores(view["topics"], framework)


def competence_scores(topics: list[dict], framework: competences.Framework) -> list[attempt_service.TopicScore]:
    """A result view's points per topic (`attempts.result_view(topics=True)`) gathered per
    competence: where one attempt stands on each."""
    return _per_competence([attempt_service.TopicScore(t["topic"], t["module"], t["score"], t["max"], t["pending"])
                            for t in topics], framework)


def _per_competence(scores: list[attempt_service.TopicScore],
                    framework: competences.Framework) -> list[attempt_service.TopicScore]:
    """An attempt's topic scores gathered per competence: a topic counts for every competence
    that lists it. A competence none of whose topics the attempt drew is left out."""
    out = []
    for c in framework.competences:
        mine = [t for t in scores if t.topic in c.topics]
        if mine:
            out.append(attempt_service.TopicScore(c.code, 0, round(sum(t.score for t in mine), 4),
                                                  sum(t.max_score for t in mine), sum(t.pending for t in mine)))
    return out


def by_topic(test: Test, by: str = "topic") -> TopicReport:
    """The results page's best attempts, each scored per topic (`by="module"`: per module;
    `by="competence"`: per competence of the programme's framework, every competence in the
    framework's order, those the test did not ask about empty)."""
    framework = framework_of(test) if by == "competence" else None
    if by == "competence" and framework is None:
        raise ServiceError(_l("this test's programme has no competence framework"))
    best = [(r.enrolment, r.best) for r in results(test).rows if r.best is not None]
    slots: dict[int, list[AttemptSlot]] = {}
    if best:
        for s in db.session.scalars(
                select(AttemptSlot).where(AttemptSlot.attempt_id.in_([a.id for _e, a in best]))
                .options(joinedload(AttemptSlot.version).joinedload(ItemVersion.item))):
            slots.setdefault(s.attempt_id, []).append(s)
    rows, order = [], {}
    for enrolment, attempt in best:
        scores = attempt_service.topic_scores(slots.get(attempt.id, []), "topic" if framework else by)
        if framework is not None:
            scores = _per_competence(scores, framework)
        order.update({t.topic: (t.module, t.topic) for t in scores})
        rows.append((enrolment, attempt, {t.topic: t for t in scores}))
    if framework is not None:
        keys = [c.code for c in framework.competences]
        order = {k: (0, str(n)) for n, k in enumerate(keys, 1)}
    else:
        keys = sorted(order, key=lambda k: attempt_service.topic_order(*order[k]))
    means = {k: attempt_service.share_of(scores[k] for _e, _a, scores in rows if k in scores) for k in keys}
    return TopicReport(by, keys, rows, means, order)


@dataclass
class Growth:
    """Where the same participants stood on each topic (or module) in one test and later in
    another: the diagnostic at entry against the final at exit, the course's gain per topic."""

    keys: list[str]
    #: participants with a finished, graded attempt at both tests
    matched: int
    #: {key: (share before, share after)} over the matched participants' points, in percent
    shares: dict[str, tuple[float | None, float | None]]


def growth(before: Test, after: Test, by: str = "topic") -> Growth:
    """Both tests' best attempts per topic (`by_topic`), compared over the participants who took
    both: the points they earned on a topic's questions as a share of the points possible."""
    first, second = by_topic(before, by), by_topic(after, by)
    earlier = {e.id: scores for e, _a, scores in first.rows}
    pairs = [(earlier[e.id], scores) for e, _a, scores in second.rows if e.id in earlier]
    places = {**first.places, **second.places}
    keys = sorted(places, key=lambda k: attempt_service.topic_order(*places[k]))

    share = attempt_service.share_of
    return Growth(keys, len(pairs), {k: (share(b[k] for b, _a in pairs if k in b),
                                         share(a[k] for _b, a in pairs if k in a)) for k in keys})


@dataclass(frozen=True)
class Neighbours:
    """Where an attempt stands in the results page's order (participants by name, then
    attempt number): for stepping through them on the review page."""

    position: int
    total: int
    previous: int | None
    next: int | None


def neighbours(test: Test, attempt_id: int) -> Neighbours:
    """One statement: the attempts of the test in the results' order around `attempt_id`."""
    ids = list(db.session.scalars(
        select(Attempt.id).join(Enrolment, Enrolment.id == Attempt.enrolment_id).join(User, User.id == Enrolment.user_id)
        .where(Attempt.test_id == test.id).order_by(User.sort_key, User.id, Attempt.number)))
    k = ids.index(attempt_id)
    return Neighbours(k + 1, len(ids), ids[k - 1] if k > 0 else None, ids[k + 1] if k + 1 < len(ids) else None)


def counts_by_test(tests: list[Test]) -> dict[int, dict[str, int]]:
    """Finished and in-progress attempts and essays to grade, per test, in one statement."""
    if not tests:
        return {}
    out = {t.id: {"finished": 0, "in_progress": 0, "pending": 0} for t in tests}
    for test_id, status, n, pending in db.session.execute(
            select(Attempt.test_id, Attempt.status, func.count(), func.coalesce(func.sum(Attempt.pending_grading), 0))
            .where(Attempt.test_id.in_(list(out))).group_by(Attempt.test_id, Attempt.status)):
        out[test_id][status] = n
        out[test_id]["pending"] += int(pending or 0)
    return out


def answered_count(attempt: Attempt) -> int:
    return sum(1 for s in attempt.slots if s.answer is not None)


@dataclass(frozen=True)
class KindResult:
    """A participant's best finished attempt at the tests of one kind (one module)."""

    percent: float
    passed: bool
    finished_at: object
    test_id: int
    attempt_id: int | None = None


def best_results(cohort_id: int, kind: str = "final") -> dict[int, dict[int | None, KindResult]]:
    """{enrolment id: {module number (None for non-module tests): best result}} over the
    cohort's published or closed tests of `kind`, finished and fully graded attempts only.
    Other plugins (the gradebook, certificates, post-course needs) read results through this."""
    rows = db.session.execute(
        select(Attempt.enrolment_id, Test.module_number, Attempt.percent, Attempt.passed, Attempt.finished_at,
               Test.id, Attempt.id)
        .join(Test, Test.id == Attempt.test_id)
        .where(Test.cohort_id == cohort_id, Test.kind == kind, Test.status != "draft",
               Attempt.status == "finished", Attempt.pending_grading == 0, Attempt.percent.is_not(None)))
    out: dict[int, dict[int | None, KindResult]] = {}
    for enrolment_id, module, percent, passed, finished_at, test_id, attempt_id in rows:
        mine = out.setdefault(enrolment_id, {})
        best = mine.get(module)
        if best is None or percent > best.percent:
            mine[module] = KindResult(float(percent), bool(passed), finished_at, test_id, attempt_id)
    return out


def weak_topics(cohort_id: int, kind: str = "final", limit: int = 3,
                best: dict | None = None) -> dict[int, list[dict]]:
    """{enrolment id: [{"topic": "2.3", "percent": 0.0}, ...]}: the topics of each participant's
    best `kind` attempt (over `best_results`, read when not given) below that test's pass mark,
    weakest first, at most `limit`. The post-course support plan starts from them. Two
    statements for the whole cohort."""
    best = best_results(cohort_id, kind) if best is None else best
    chosen = {enrolment_id: max(by_module.values(), key=lambda r: r.percent)
              for enrolment_id, by_module in best.items() if by_module}
    chosen = {e: r for e, r in chosen.items() if r.attempt_id is not None}
    if not chosen:
        return {}
    slots: dict[int, list[AttemptSlot]] = {}
    pass_marks: dict[int, float] = {}
    for s, pass_percent in db.session.execute(
            select(AttemptSlot, Test.pass_percent).join(Attempt, Attempt.id == AttemptSlot.attempt_id)
            .join(Test, Test.id == Attempt.test_id)
            .where(AttemptSlot.attempt_id.in_([r.attempt_id for r in chosen.values()]))
            .options(joinedload(AttemptSlot.version).joinedload(ItemVersion.item))):
        slots.setdefault(s.attempt_id, []).append(s)
        pass_marks[s.attempt_id] = float(pass_percent)
    out = {}
    for enrolment_id, r in chosen.items():
        low = [t for t in attempt_service.topic_scores(slots.get(r.attempt_id, []))
               if t.percent is not None and t.percent < pass_marks.get(r.attempt_id, 50.0)]
        low.sort(key=lambda t: (t.percent, attempt_service.topic_order(t.module, t.topic)))
        out[enrolment_id] = [{"topic": t.topic, "percent": t.percent} for t in low[:limit]]
    return out
