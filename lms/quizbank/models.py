"""Codified test banks, item versions, blueprints, tests and attempts.

An attempt freezes what it drew (item version, option order, seed): editing an item makes
a new version, so a past result never changes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, UTCDateTime, utcnow

ITEM_STATUSES = ("draft", "ready", "retired")
LEVELS = ("K", "U", "A", "H")  # knowledge, understanding, application, higher-order skills
QUESTION_TYPES = ("single", "multiple", "truefalse", "matching", "short", "numerical", "essay")
TEST_KINDS = ("diagnostic", "module", "final", "entry_survey", "exit_survey")
#: the kinds that ask their own questions, answered once, and draw nothing: the needs survey
#: before the course (seed 004) and the last-day survey
SURVEY_KINDS = ("entry_survey", "exit_survey")
TEST_STATUSES = ("draft", "published", "closed")
ATTEMPT_STATUSES = ("in_progress", "finished")
SURVEY_QUESTION_KINDS = ("likert", "open")


class Bank(Base):
    """A programme's codified bank of test items (codifier: <BANK>-<module>.<topic>-<level>-<NNN>)."""

    __tablename__ = "quizbank_banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    #: the programme it serves, by code (versions of a programme share their bank)
    programme_code: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list["Item"]] = relationship(back_populates="bank", order_by="Item.code")


class Item(Base):
    __tablename__ = "quizbank_items"
    __table_args__ = (
        UniqueConstraint("bank_id", "code"),
        CheckConstraint(f"status IN {ITEM_STATUSES}", name="status"),
        CheckConstraint(f"level IN {LEVELS}", name="level"),
        Index("ix_quizbank_items_topic", "bank_id", "topic_code", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("quizbank_banks.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    #: the programme topic ("2.3"), or the module ("M1") for banks drawn per module
    topic_code: Mapped[str] = mapped_column(String(16))
    module_number: Mapped[int]
    level: Mapped[str] = mapped_column(String(1), default="K")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    tags: Mapped[list] = mapped_column(default=list)
    #: how many attempts have drawn it (for even exposure)
    exposure: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    bank: Mapped[Bank] = relationship(back_populates="items")
    versions: Mapped[list["ItemVersion"]] = relationship(back_populates="item", order_by="ItemVersion.number",
                                                         cascade="all, delete-orphan")

    @property
    def current(self) -> "ItemVersion":
        return self.versions[-1]


class ItemVersion(Base):
    """What an item said at one time. Never edited once an attempt has shown it."""

    __tablename__ = "quizbank_item_versions"
    __table_args__ = (
        UniqueConstraint("item_id", "number"),
        CheckConstraint(f"qtype IN {QUESTION_TYPES}", name="qtype"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("quizbank_items.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    qtype: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2), default="kk")
    title: Mapped[str | None] = mapped_column(String(300))
    #: Markdown as written, and sanitized HTML for display
    text: Mapped[str] = mapped_column(Text)
    text_html: Mapped[str] = mapped_column(Text, default="")
    #: the type's own data: options with fractions and feedback, matching pairs,
    #: accepted answers, numeric value and tolerance (see quizbank/qtypes.py)
    data: Mapped[dict] = mapped_column(default=dict)
    general_feedback: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))

    item: Mapped[Item] = relationship(back_populates="versions")


class Blueprint(Base):
    """How a test is drawn: per-topic minimum and maximum, a total, optional level quotas."""

    __tablename__ = "quizbank_blueprints"
    __table_args__ = (UniqueConstraint("bank_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("quizbank_banks.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    total: Mapped[int]
    #: [{"topic": "2.3", "min": 1, "max": 3}]
    rules: Mapped[list] = mapped_column(default=list)
    #: {"K": 8, "U": 8, "A": 6, "H": 2}, optional
    level_quotas: Mapped[dict] = mapped_column(default=dict)

    bank: Mapped[Bank] = relationship()


class Test(Base):
    """A test a cohort takes: diagnostic, module, final or exit survey."""

    __test__ = False  # not a pytest class, whatever its name
    __tablename__ = "quizbank_tests"
    __table_args__ = (
        CheckConstraint(f"kind IN {TEST_KINDS}", name="kind"),
        CheckConstraint(f"status IN {TEST_STATUSES}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("courses_cohorts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    module_number: Mapped[int | None]
    blueprint_id: Mapped[int | None] = mapped_column(ForeignKey("quizbank_blueprints.id"))
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_limit_minutes: Mapped[int | None]
    #: seconds after the deadline during which answers still count (slow lines)
    grace_seconds: Mapped[int] = mapped_column(default=60)
    attempts_allowed: Mapped[int] = mapped_column(default=1)
    pass_percent: Mapped[float] = mapped_column(default=50.0)
    #: [{"min": 90, "label": {"kk": "өте жақсы", ...}}, ...] highest first
    bands: Mapped[list] = mapped_column(default=list)
    #: what the participant sees after finishing: {"score": true, "band": true, "answers": false}
    review_options: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: exit surveys: trainers see answers without names (each response still knows its
    #: enrolment, so the graduate's own answers can seed their support plan)
    anonymous: Mapped[bool] = mapped_column(default=True, server_default=true())

    blueprint: Mapped[Blueprint | None] = relationship()


class ExtraAttempts(Base):
    """What a trainer granted one participant beyond the test's own, as Moodle's user override
    does (the line dropped, the participant was ill or leaves early): more attempts, more
    minutes, an earlier opening or a later closing time. Every change is in the audit log with
    who made it."""

    __tablename__ = "quizbank_extra_attempts"
    __table_args__ = (UniqueConstraint("test_id", "enrolment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("quizbank_tests.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("courses_enrolments.id", ondelete="CASCADE"), index=True)
    count: Mapped[int] = mapped_column(default=0)
    #: minutes added to the test's time limit for this participant
    minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    #: a later closing time for this participant (None: the test's own)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: an earlier opening time for this participant (None: the test's own)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attempt(Base):
    __tablename__ = "quizbank_attempts"
    __table_args__ = (
        UniqueConstraint("test_id", "enrolment_id", "number"),
        CheckConstraint(f"status IN {ATTEMPT_STATUSES}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("quizbank_tests.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("courses_enrolments.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    seed: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when answers stop counting (plus the test's grace); None: no limit
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None]
    max_score: Mapped[float | None]
    percent: Mapped[float | None]
    band: Mapped[str | None] = mapped_column(String(100))
    passed: Mapped[bool | None]
    #: essays still to be graded by hand
    pending_grading: Mapped[int] = mapped_column(default=0)

    test: Mapped[Test] = relationship()
    slots: Mapped[list["AttemptSlot"]] = relationship(back_populates="attempt", order_by="AttemptSlot.slot",
                                                      cascade="all, delete-orphan")


class AttemptSlot(Base):
    """One drawn item of an attempt, frozen: its version and option order, and the answer."""

    __tablename__ = "quizbank_attempt_slots"
    #: the unique (attempt_id, slot) index serves every lookup by attempt; on PostgreSQL a fifth of
    #: each page is left free, so an answer's UPDATE stays on its page (a HOT update: no index
    #: touched) instead of moving the row and writing every index again
    __table_args__ = (UniqueConstraint("attempt_id", "slot"), {"postgresql_with": {"fillfactor": 80}})

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quizbank_attempts.id", ondelete="CASCADE"))
    slot: Mapped[int]
    item_version_id: Mapped[int] = mapped_column(ForeignKey("quizbank_item_versions.id"), index=True)
    #: the order options (or matching answers) were shown in, as indexes into the version's data
    option_order: Mapped[list] = mapped_column(default=list)
    answer: Mapped[dict | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None]
    max_score: Mapped[float] = mapped_column(default=1.0)
    feedback: Mapped[str | None] = mapped_column(Text)
    #: the participant marked it to come back to (Moodle's flag)
    flagged: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: a trainer set the points of an automatically scored question by hand (an appeal), with
    #: the reason in `feedback`; a regrade keeps them
    overridden: Mapped[bool] = mapped_column(default=False, server_default=false())

    attempt: Mapped[Attempt] = relationship(back_populates="slots")
    version: Mapped[ItemVersion] = relationship()


class SurveyQuestion(Base):
    """One question of an exit survey: a statement rated 1-5 (disagree..agree) or an open question."""

    __tablename__ = "quizbank_survey_questions"
    __table_args__ = (
        UniqueConstraint("test_id", "position"),
        CheckConstraint(f"kind IN {SURVEY_QUESTION_KINDS}", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("quizbank_tests.id", ondelete="CASCADE"), index=True)
    #: 1, 2, ... in the order shown
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8))
    #: {"kk": ..., "ru": ..., "en": ...}; Kazakh always present
    text: Mapped[dict] = mapped_column(default=dict)
    required: Mapped[bool] = mapped_column(default=True)


class SurveyResponse(Base):
    """A participant's one submission to an exit survey. It keeps its enrolment even when the
    survey is anonymous: only the pages and exports for trainers leave the name out."""

    __tablename__ = "quizbank_survey_responses"
    __table_args__ = (UniqueConstraint("test_id", "enrolment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[int] = mapped_column(ForeignKey("quizbank_tests.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("courses_enrolments.id", ondelete="CASCADE"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    answers: Mapped[list["SurveyAnswer"]] = relationship(back_populates="response", cascade="all, delete-orphan")


class SurveyAnswer(Base):
    """The answer to one question: a 1-5 value (Likert) or a text (open)."""

    __tablename__ = "quizbank_survey_answers"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id"),
        CheckConstraint("likert IS NULL OR (likert >= 1 AND likert <= 5)", name="likert"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("quizbank_survey_responses.id", ondelete="CASCADE"),
                                             index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quizbank_survey_questions.id", ondelete="CASCADE"),
                                             index=True)
    likert: Mapped[int | None]
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")
    question: Mapped[SurveyQuestion] = relationship()
