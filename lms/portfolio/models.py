"""Portfolios, project works, rubrics, defense panels, gradebook marks and certificates.

A rubric is frozen once an assessment uses it (a change makes a new version); each
assessor's scores are their own row, hidden from the other assessors until they submit;
a certificate keeps the PDF made when it was issued and the facts it states."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.models import StoredFile
from lms.courses.models import Enrolment  # noqa: F401  (relationship target: a portfolio needs courses)
from lms.db import Base, UTCDateTime, utcnow

ARTEFACT_KINDS = ("file", "link", "text")
#: infoteka: the seed 000 library of links; work: anything a participant made; submission:
#: a portfolio handed in for assessment (seed 004 module 8)
ARTEFACT_SECTIONS = ("infoteka", "work", "submission")
PROJECT_MODES = ("group", "individual")
AGGREGATIONS = ("mean", "median")
DEFENSE_STATUSES = ("scheduled", "scoring", "reconcile", "decided", "released")
ASSESSMENT_STATUSES = ("draft", "submitted")


class Artefact(Base):
    """One thing in a participant's portfolio: a file, a link or a text, attached to a module
    or topic of the programme."""

    __tablename__ = "portfolio_artefacts"
    __table_args__ = (
        CheckConstraint(f"kind IN {ARTEFACT_KINDS}", name="kind"),
        CheckConstraint(f"section IN {ARTEFACT_SECTIONS}", name="section"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("courses_enrolments.id", ondelete="CASCADE"), index=True)
    section: Mapped[str] = mapped_column(String(16), default="work")
    kind: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(300))
    #: infoteka category: normative acts, practical resources, teaching aids, articles ...
    category: Mapped[str | None] = mapped_column(String(40))
    module_number: Mapped[int | None]
    topic_code: Mapped[str | None] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(2000))
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("core_files.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    file: Mapped[StoredFile | None] = relationship()


class ShareLink(Base):
    """A read-only link to one portfolio; the token is stored hashed and the link expires."""

    __tablename__ = "portfolio_share_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("courses_enrolments.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Rubric(Base):
    """Criteria x levels with points and descriptors, and the table from points to a grade.
    Frozen (frozen_at set) once an assessment uses it; a change is a new version."""

    __tablename__ = "portfolio_rubrics"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(default=1)
    programme_code: Mapped[str | None] = mapped_column(String(32), index=True)
    #: {"kk": ..., "ru": ..., "en": ...}
    title: Mapped[dict] = mapped_column(default=dict)
    #: [{"code": "c1", "title": {...}, "levels": [{"points": 0, "title": {...}, "descriptor": {...}}]}]
    criteria: Mapped[list] = mapped_column(default=list)
    #: [{"min": 9, "max": 10, "grade": "5", "label": {...}, "passed": true}], highest first
    conversion: Mapped[list] = mapped_column(default=list)
    max_points: Mapped[float] = mapped_column(default=0)
    source: Mapped[str | None] = mapped_column(String(300))
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProjectWork(Base):
    """The project a cohort defends: done by mini-groups or by each participant."""

    __tablename__ = "portfolio_projects"
    __table_args__ = (CheckConstraint(f"mode IN {PROJECT_MODES}", name="mode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("courses_cohorts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(16))
    rubric_id: Mapped[int | None] = mapped_column(ForeignKey("portfolio_rubrics.id"))
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    rubric: Mapped[Rubric | None] = relationship()


class ProjectSubmission(Base):
    """One version of a project handed in (by a group member for the group, or by the
    participant); every version is kept."""

    __tablename__ = "portfolio_submissions"
    __table_args__ = (UniqueConstraint("project_id", "team_key", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("portfolio_projects.id", ondelete="CASCADE"), index=True)
    #: "g3" for mini-group 3, "e17" for enrolment 17: who the version belongs to
    team_key: Mapped[str] = mapped_column(String(20))
    number: Mapped[int] = mapped_column(default=1)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("courses_enrolments.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("core_files.id", ondelete="RESTRICT"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    late: Mapped[bool] = mapped_column(default=False)

    file: Mapped[StoredFile | None] = relationship()


class DefenseSession(Base):
    """A defense day of a cohort: a panel (one chair), a rubric, how scores are combined and
    the spread above which the chair must reconcile."""

    __tablename__ = "portfolio_defense_sessions"
    __table_args__ = (CheckConstraint(f"aggregation IN {AGGREGATIONS}", name="aggregation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("courses_cohorts.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("portfolio_projects.id", ondelete="SET NULL"))
    rubric_id: Mapped[int] = mapped_column(ForeignKey("portfolio_rubrics.id"))
    title: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meeting_url: Mapped[str | None] = mapped_column(String(2000))
    aggregation: Mapped[str] = mapped_column(String(8), default="mean")
    #: highest minus lowest assessor total above which the chair reconciles
    spread_threshold: Mapped[float] = mapped_column(default=3.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    rubric: Mapped[Rubric] = relationship()
    members: Mapped[list["PanelMember"]] = relationship(back_populates="session", cascade="all, delete-orphan")
    defenses: Mapped[list["Defense"]] = relationship(back_populates="session", cascade="all, delete-orphan",
                                                     order_by="Defense.starts_at")


class PanelMember(Base):
    __tablename__ = "portfolio_panel_members"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("portfolio_defense_sessions.id", ondelete="CASCADE"),
                                            index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id"), index=True)
    is_chair: Mapped[bool] = mapped_column(default=False)

    session: Mapped[DefenseSession] = relationship(back_populates="members")


class Defense(Base):
    """One time slot: a mini-group or a participant defends; its scores, the decided grade
    and when it was released to the participants."""

    __tablename__ = "portfolio_defenses"
    __table_args__ = (CheckConstraint(f"status IN {DEFENSE_STATUSES}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("portfolio_defense_sessions.id", ondelete="CASCADE"),
                                            index=True)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    minutes: Mapped[int] = mapped_column(default=7)
    #: who defends: a mini-group of the cohort, or one enrolment
    mini_group: Mapped[int | None]
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("courses_enrolments.id", ondelete="CASCADE"),
                                                     index=True)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    #: the aggregated (or reconciled) points, the grade the conversion gives, pass
    points: Mapped[float | None]
    grade: Mapped[str | None] = mapped_column(String(20))
    passed: Mapped[bool | None]
    reconciled_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    reconciliation_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback: Mapped[str | None] = mapped_column(Text)

    session: Mapped[DefenseSession] = relationship(back_populates="defenses")
    assessments: Mapped[list["Assessment"]] = relationship(back_populates="defense", cascade="all, delete-orphan")


class Assessment(Base):
    """One assessor's scoring of one defense: points and a comment per criterion."""

    __tablename__ = "portfolio_assessments"
    __table_args__ = (
        UniqueConstraint("defense_id", "assessor_id"),
        CheckConstraint(f"status IN {ASSESSMENT_STATUSES}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    defense_id: Mapped[int] = mapped_column(ForeignKey("portfolio_defenses.id", ondelete="CASCADE"), index=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("core_users.id"), index=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("portfolio_rubrics.id"))
    #: {"c1": {"points": 2, "comment": "..."}, ...}
    scores: Mapped[dict] = mapped_column(default=dict)
    total: Mapped[float | None]
    status: Mapped[str] = mapped_column(String(16), default="draft")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    defense: Mapped[Defense] = relationship(back_populates="assessments")


class GradebookMark(Base):
    """A mark given by hand for a gradebook component that no other record supplies
    (activity, practical work in a full-time course)."""

    __tablename__ = "portfolio_gradebook_marks"
    __table_args__ = (UniqueConstraint("enrolment_id", "component"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("courses_enrolments.id", ondelete="CASCADE"), index=True)
    component: Mapped[str] = mapped_column(String(40))
    points: Mapped[float]
    note: Mapped[str | None] = mapped_column(Text)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CohortScheme(Base):
    """The grading scheme a cohort is assessed by (content/certification/<PROGRAMME>.yaml as it
    read when the cohort was created): a later change to the file applies to new cohorts, so a
    running or finished cohort's gradebook and certificates keep the rules announced to it."""

    __tablename__ = "portfolio_cohort_schemes"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("courses_cohorts.id", ondelete="CASCADE"), unique=True)
    #: the file's mapping (programme, gradebook, certificate), as read
    data: Mapped[dict] = mapped_column(default=dict)
    source: Mapped[str | None] = mapped_column(String(300))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Certificate(Base):
    """A certificate as issued: its number, what it states (frozen), the stored PDF, and its
    revocation if any. Never regenerated silently."""

    __tablename__ = "portfolio_certificates"
    __table_args__ = (
        # one valid certificate per enrolment, even when two issues race; a revoked one may be replaced
        Index("uq_portfolio_certificates_valid_enrolment", "enrolment_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("courses_enrolments.id", ondelete="RESTRICT"), index=True)
    language: Mapped[str] = mapped_column(String(2), default="kk")
    holder_name: Mapped[str] = mapped_column(String(300))
    programme_code: Mapped[str] = mapped_column(String(32))
    programme_title: Mapped[str] = mapped_column(String(500))
    hours: Mapped[float]
    completed_on: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    file_id: Mapped[int] = mapped_column(ForeignKey("core_files.id", ondelete="RESTRICT"))
    sha256: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    enrolment: Mapped["Enrolment"] = relationship()
    file: Mapped[StoredFile] = relationship()
