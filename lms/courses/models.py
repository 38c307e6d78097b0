"""Programmes as printed in the seeds: formats (hour-plan tables), modules, topics, materials.

Hours are kept per row exactly as the seed prints them ({format: {kind: hours, "total": n}}),
so the programme page can show the seed's own table and the checker can name every
discrepancy instead of hiding it.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.models import StoredFile, User  # noqa: F401  (plugins may reference core)
from lms.db import JSON_COMPARABLE, Base, UTCDateTime, utcnow

PROGRAMME_STATUSES = ("draft", "approved", "archived")
AUDIENCES = ("leaders", "teachers")
FORMAT_CODES = ("online", "full_time", "blended")
#: 1 academic hour = 45 minutes
HOUR_KINDS = ("webinar", "lesson", "theory", "practical", "defense", "testing", "self_study")
ACADEMIC_HOUR_MINUTES = 45


class Programme(Base):
    __tablename__ = "courses_programmes"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        CheckConstraint(f"status IN {PROGRAMME_STATUSES}", name="status"),
        CheckConstraint(f"audience IN {AUDIENCES}", name="audience"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    audience: Mapped[str] = mapped_column(String(16))
    #: the programme's nominal length in academic hours (80 for every seed)
    nominal_hours: Mapped[int] = mapped_column(default=80)
    title_kk: Mapped[str] = mapped_column(String(500))
    title_ru: Mapped[str | None] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    goal: Mapped[dict] = mapped_column(default=dict)
    objectives: Mapped[list] = mapped_column(default=list)
    outcomes: Mapped[list] = mapped_column(default=list)
    #: the seed file it was transcribed from
    source: Mapped[str | None] = mapped_column(String(300))
    #: discrepancies found in the seed while transcribing: [{line, text}]
    seed_notes: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    formats: Mapped[list["ProgrammeFormat"]] = relationship(
        back_populates="programme", cascade="all, delete-orphan", order_by="ProgrammeFormat.sort_order"
    )
    modules: Mapped[list["Module"]] = relationship(
        back_populates="programme", cascade="all, delete-orphan", order_by="Module.number"
    )
    topics: Mapped[list["Topic"]] = relationship(
        back_populates="programme", cascade="all, delete-orphan", order_by="Topic.sort_order"
    )

    @property
    def is_editable(self) -> bool:
        return self.status == "draft"

    def format(self, code: str) -> "ProgrammeFormat | None":
        return next((f for f in self.formats if f.code == code), None)

    def __repr__(self) -> str:
        return f"<Programme {self.code} v{self.version} {self.status}>"


class ProgrammeFormat(Base):
    """One hour-plan table of a programme: online, full-time or blended delivery."""

    __tablename__ = "courses_programme_formats"
    __table_args__ = (
        UniqueConstraint("programme_id", "code"),
        CheckConstraint(f"code IN {FORMAT_CODES}", name="code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("courses_programmes.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    sort_order: Mapped[int] = mapped_column(default=0)
    title: Mapped[dict] = mapped_column(default=dict)
    #: the table's hour columns in printed order
    kinds: Mapped[list] = mapped_column(default=list)
    #: the split the seed's prose declares, e.g. {contact: 40, self_study: 40, total: 80}
    declared: Mapped[dict] = mapped_column(default=dict)
    declared_line: Mapped[int | None]
    #: the table's «Барлығы» row as printed
    totals: Mapped[dict] = mapped_column(default=dict)
    source_line: Mapped[int | None]
    #: a shorter run of this format the seed allows, e.g. {factor: 0.5, line: 205}: "one-week
    #: full-time courses halve the plan's hours" (seed 000); empty where the seed allows none
    short_run: Mapped[dict] = mapped_column(default=dict, server_default=text("'{}'"))

    programme: Mapped[Programme] = relationship(back_populates="formats")


class Module(Base):
    __tablename__ = "courses_modules"
    __table_args__ = (UniqueConstraint("programme_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("courses_programmes.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title_kk: Mapped[str] = mapped_column(String(500))
    title_ru: Mapped[str | None] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    #: variative module: how many of its topics a participant chooses (None: all are taken)
    choose: Mapped[int | None]
    #: the module's own row as printed, per format code
    hours: Mapped[dict] = mapped_column(default=dict)

    programme: Mapped[Programme] = relationship(back_populates="modules")
    topics: Mapped[list["Topic"]] = relationship(back_populates="module", order_by="Topic.sort_order")


class Topic(Base):
    """A row of the hour plan: a module's topic, or a row outside the modules
    (diagnostic or final testing) when `module_id` is empty."""

    __tablename__ = "courses_topics"
    __table_args__ = (
        UniqueConstraint("programme_id", "code"),
        CheckConstraint("position IS NULL OR position IN ('start', 'end')", name="position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("courses_programmes.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("courses_modules.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    sort_order: Mapped[int] = mapped_column(default=0)
    #: for rows outside modules: before the first module or after the last
    position: Mapped[str | None] = mapped_column(String(8))
    title_kk: Mapped[str] = mapped_column(String(1000))
    title_ru: Mapped[str | None] = mapped_column(String(1000))
    title_en: Mapped[str | None] = mapped_column(String(1000))
    #: the row as printed, per format code: {"online": {"webinar": 1, "self_study": 1, "total": 2}}
    hours: Mapped[dict] = mapped_column(default=dict)
    source_line: Mapped[int | None]

    programme: Mapped[Programme] = relationship(back_populates="topics")
    module: Mapped[Module | None] = relationship(back_populates="topics")
    materials: Mapped[list["Material"]] = relationship(
        back_populates="topic", cascade="all, delete-orphan", order_by="Material.sort_order"
    )

    def planned(self, format_code: str, kind: str) -> float:
        return float((self.hours.get(format_code) or {}).get(kind) or 0)


#: who reads a material: everyone who may read the topic, or its staff only (a trainer's
#: guide or lesson scenario, seed 004 §7)
MATERIAL_AUDIENCES = ("all", "staff")


class Material(Base):
    """Study material of a topic, written in Markdown and stored sanitized, with a file when
    the trainer attaches one."""

    __tablename__ = "courses_materials"
    __table_args__ = (CheckConstraint(f"audience IN {MATERIAL_AUDIENCES}", name="audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("courses_topics.id", ondelete="CASCADE"), index=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(2), default="kk")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    #: an attached file (a presentation, a lesson plan: the seeds' teaching kit), stored once
    file_id: Mapped[int | None] = mapped_column(ForeignKey("core_files.id"))
    audience: Mapped[str] = mapped_column(String(8), default="all", server_default="all")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    topic: Mapped[Topic] = relationship(back_populates="materials")
    file: Mapped["StoredFile | None"] = relationship()


# --- delivery: cohorts, enrolments, sessions, attendance, self-study ---------------------

COHORT_STATUSES = ("planned", "running", "finished", "cancelled")
COHORT_LANGUAGES = ("kk", "ru", "mixed")
ENROLMENT_STATUSES = ("enrolled", "active", "completed", "withdrawn")
SESSION_STATUSES = ("scheduled", "cancelled")
ATTENDANCE_STATUSES = ("present", "late", "absent", "excused")
ATTENDANCE_SOURCES = ("manual", "report", "mapped")
SUBMISSION_STATUSES = ("submitted", "accepted", "returned")
#: the hour kinds delivered as scheduled sessions, per format (the rest: self-study,
#: defense and testing, are credited elsewhere)
CONTACT_KINDS = {"online": ("webinar",), "full_time": ("lesson",), "blended": ("theory", "practical")}


class Cohort(Base):
    """A programme version run for a group of participants in one format."""

    __tablename__ = "courses_cohorts"
    __table_args__ = (
        CheckConstraint(f"status IN {COHORT_STATUSES}", name="status"),
        CheckConstraint(f"language IN {COHORT_LANGUAGES}", name="language"),
        CheckConstraint(f"format_code IN {FORMAT_CODES}", name="format_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("courses_programmes.id"), index=True)
    format_code: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8), default="kk")
    start_date: Mapped[date]
    end_date: Mapped[date]
    capacity: Mapped[int | None]
    #: how many mini-groups the cohort is split into (the leaders' defense uses 5)
    mini_groups: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    #: local time of the sessions; stored times are UTC
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Almaty")
    #: the default meeting link (Zoom, Teams, Meet) for generated sessions
    meeting_url: Mapped[str | None] = mapped_column(String(500))
    #: 1, or the format's short-run factor for a shorter run (0.5: a one-week full-time run):
    #: every planned hour of the ledger, the schedule and the certificate is multiplied by it
    hours_factor: Mapped[float] = mapped_column(default=1.0, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[Programme] = relationship()
    enrolments: Mapped[list["Enrolment"]] = relationship(back_populates="cohort", cascade="all, delete-orphan")
    sessions: Mapped[list["WebinarSession"]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", order_by="WebinarSession.starts_at"
    )
    tasks: Mapped[list["SelfStudyTask"]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", order_by="SelfStudyTask.sort_order"
    )

    @property
    def contact_kinds(self) -> tuple[str, ...]:
        return CONTACT_KINDS[self.format_code]

    @property
    def short_run(self) -> bool:
        return self.hours_factor != 1


class Enrolment(Base):
    __tablename__ = "courses_enrolments"
    __table_args__ = (
        UniqueConstraint("cohort_id", "user_id"),
        CheckConstraint(f"status IN {ENROLMENT_STATUSES}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("courses_cohorts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="enrolled")
    mini_group: Mapped[int | None]
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    cohort: Mapped[Cohort] = relationship(back_populates="enrolments")
    user: Mapped["User"] = relationship()
    choices: Mapped[list["TopicChoice"]] = relationship(back_populates="enrolment", cascade="all, delete-orphan")


class TopicChoice(Base):
    """A participant's pick in a variative module ("choose 1 topic")."""

    __tablename__ = "courses_topic_choices"
    __table_args__ = (UniqueConstraint("enrolment_id", "topic_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("courses_enrolments.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("courses_modules.id"), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("courses_topics.id"), index=True)
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enrolment: Mapped[Enrolment] = relationship(back_populates="choices")
    topic: Mapped[Topic] = relationship()


class WebinarSession(Base):
    """One scheduled contact session of a cohort, covering hours of one topic (or, in a
    variative module whose topics carry no hours, of the module)."""

    __tablename__ = "courses_sessions"
    __table_args__ = (
        CheckConstraint(f"status IN {SESSION_STATUSES}", name="status"),
        CheckConstraint("academic_hours > 0", name="academic_hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("courses_cohorts.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("courses_modules.id"), index=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("courses_topics.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="webinar")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    academic_hours: Mapped[float]
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    meeting_url: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(String(500))

    cohort: Mapped[Cohort] = relationship(back_populates="sessions")
    module: Mapped[Module] = relationship()
    topic: Mapped[Topic | None] = relationship()

    @property
    def minutes(self) -> int:
        return round(self.academic_hours * ACADEMIC_HOUR_MINUTES)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)


class Attendance(Base):
    """Minutes one participant attended one session; the ledger credits at most the
    session's planned minutes."""

    __tablename__ = "courses_attendance"
    __table_args__ = (
        UniqueConstraint("session_id", "enrolment_id"),
        CheckConstraint(f"status IN {ATTENDANCE_STATUSES}", name="status"),
        CheckConstraint(f"source IN {ATTENDANCE_SOURCES}", name="source"),
        CheckConstraint("minutes >= 0", name="minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("courses_sessions.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("courses_enrolments.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    minutes: Mapped[int] = mapped_column(default=0)
    source: Mapped[str] = mapped_column(String(16), default="manual")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))

    session: Mapped[WebinarSession] = relationship()
    enrolment: Mapped[Enrolment] = relationship()


class AttendanceImport(Base):
    """A meeting provider's participant report applied to a session; rows that matched
    nobody wait here for manual mapping."""

    __tablename__ = "courses_attendance_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("courses_sessions.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    matched: Mapped[int] = mapped_column(default=0)
    #: [{"key", "name", "email", "minutes", "mapped_enrolment_id"}]
    unmatched: Mapped[list] = mapped_column(default=list)

    session: Mapped[WebinarSession] = relationship()


class SelfStudyTask(Base):
    """Self-study work on a topic; accepted work credits the task's hours."""

    __tablename__ = "courses_selfstudy_tasks"
    __table_args__ = (CheckConstraint("hours >= 0", name="hours"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("courses_cohorts.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("courses_topics.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    instructions: Mapped[str] = mapped_column(Text, default="")
    hours: Mapped[float]
    due_date: Mapped[date | None]
    sort_order: Mapped[int] = mapped_column(default=0)
    #: how many classmates' hand-ins each participant comments on (seed 004 §8: peer assessment
    #: runs beside the trainer's feedback); 0: none
    peer_reviews: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    #: success criteria as descriptors, one sentence each (seed 000: formative tasks "with
    #: descriptors"): the participant ticks those their work meets, the trainer those it does
    descriptors: Mapped[list[str]] = mapped_column(JSON_COMPARABLE, default=list, server_default=text("'[]'"))
    #: the self-check reference (seed 000: "өзін-өзі тексеру анықтамалары", answer keys and
    #: samples), Markdown, shown to a participant once they have handed in
    self_check: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    #: what the trainer's mark is out of (seed 000's full-time scale marks practical work on
    #: formative tasks); None: feedback only, no mark
    max_points: Mapped[float | None]

    cohort: Mapped[Cohort] = relationship(back_populates="tasks")
    topic: Mapped[Topic] = relationship()


class Submission(Base):
    """One hand-in of evidence for a task. Every hand-in is kept; the newest counts."""

    __tablename__ = "courses_submissions"
    __table_args__ = (CheckConstraint(f"status IN {SUBMISSION_STATUSES}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("courses_selfstudy_tasks.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("courses_enrolments.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(1000))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("core_files.id"))
    #: the participant's own assessment of the work (seed 004 §8: self-assessment), optional
    self_assessment: Mapped[str | None] = mapped_column(Text)
    #: the task's descriptors as they stood at the hand-in (an edit of the task changes no
    #: past tick), with the participant's own ticks and, once reviewed, the trainer's
    descriptors: Mapped[list[str] | None] = mapped_column(JSON_COMPARABLE)
    self_met: Mapped[list[bool] | None] = mapped_column(JSON_COMPARABLE)
    met: Mapped[list[bool] | None] = mapped_column(JSON_COMPARABLE)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    feedback: Mapped[str | None] = mapped_column(Text)
    #: the trainer's mark, out of the task's max_points; a participant's mark on a task is that of
    #: their newest marked hand-in (a resubmission waiting for review keeps the earlier mark)
    points: Mapped[float | None]
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))

    task: Mapped[SelfStudyTask] = relationship()
    enrolment: Mapped[Enrolment] = relationship()
    file: Mapped["StoredFile | None"] = relationship()


class PeerReview(Base):
    """A classmate's comment on a hand-in (seed 004 §8: peer assessment; no scale is given, so a
    comment, no mark). Assigned when the reviewer opens the task having handed in their own
    work; the author reads the comments without names, the trainer with them."""

    __tablename__ = "courses_peer_reviews"
    __table_args__ = (UniqueConstraint("submission_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("courses_submissions.id", ondelete="CASCADE"), index=True)
    #: the reviewing participant's enrolment
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("courses_enrolments.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str | None] = mapped_column(Text)
    written_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    submission: Mapped[Submission] = relationship()
    reviewer: Mapped[Enrolment] = relationship()


class Announcement(Base):
    """News a cohort's staff post to its participants (Moodle's announcements forum, Canvas's
    announcements): read on the course page, e-mailed when the author asks."""

    __tablename__ = "courses_announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("courses_cohorts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    #: as written (Markdown), and as shown (rendered and sanitized when saved)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: when its e-mails were queued; None when the author posted it without e-mail
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped["User | None"] = relationship()
