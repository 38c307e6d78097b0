"""Programmes as printed in the seeds: formats (hour-plan tables), modules, topics, materials.

Hours are kept per row exactly as the seed prints them ({format: {kind: hours, "total": n}}),
so the programme page can show the seed's own table and the checker can name every
discrepancy instead of hiding it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, UTCDateTime, utcnow

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


class Material(Base):
    """Study material of a topic, written in Markdown and stored sanitized."""

    __tablename__ = "courses_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("courses_topics.id", ondelete="CASCADE"), index=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(2), default="kk")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    topic: Mapped[Topic] = relationship(back_populates="materials")
