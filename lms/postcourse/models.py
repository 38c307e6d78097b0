"""A year of support after the course: each graduate's support plan (every version kept),
its activities, group events with attendance, consultations, lesson observations and
evidence of publications, talks, contests and development programmes."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, UTCDateTime, utcnow

STAGES = ("organisational", "implementation", "reflection")
PLAN_STATUSES = ("draft", "agreed", "accepted", "closed")
ACTIVITY_STATUSES = ("planned", "done", "cancelled")
EVENT_KINDS = ("seminar", "webinar", "master_class", "round_table", "forum", "conference", "final_event")
CHANNELS = ("email", "phone", "whatsapp", "telegram", "zoom", "teams", "meet", "in_person")
OBSERVATION_KINDS = ("lesson_video", "plan_analysis", "lesson_visit")
EVIDENCE_KINDS = ("publication", "talk", "contest", "development_programme", "master_class_collection",
                  "recommendations", "other")
EVIDENCE_LEVELS = ("school", "district", "regional", "republican", "international")


class SupportPlan(Base):
    """One graduate's plan for the year after the course, opened when the enrolment completes
    (stages dated from the completion date). `version` counts its agreed changes."""

    __tablename__ = "postcourse_plans"
    __table_args__ = (CheckConstraint(f"status IN {PLAN_STATUSES}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("courses_enrolments.id", ondelete="CASCADE"),
                                              unique=True)
    #: the support model it follows (content/postcourse/<code>.yaml)
    model_code: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    #: needs found in month 1: {"weakest": [{"module": 3, "percent": 40.0}, ...], "final": {...},
    #: "weak_topics": [{"topic": "2.3", "percent": 0.0}, ...], "survey": [...], "note": "..."}
    needs: Mapped[dict] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(default=1)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    activities: Mapped[list["PlanActivity"]] = relationship(back_populates="plan", cascade="all, delete-orphan",
                                                            order_by="PlanActivity.due_on")


class PlanVersion(Base):
    """What a plan said when it was agreed or adjusted: needs and activities as JSON."""

    __tablename__ = "postcourse_plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("postcourse_plans.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    snapshot: Mapped[dict] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlanActivity(Base):
    """An activity of the plan, from its support model's menu, due by a date."""

    __tablename__ = "postcourse_activities"
    __table_args__ = (
        CheckConstraint(f"stage IN {STAGES}", name="stage"),
        CheckConstraint(f"status IN {ACTIVITY_STATUSES}", name="status"),
        Index("ix_postcourse_activities_due", "status", "due_on"),
        #: the dashboard's per-plan probes (overdue? due soon? all done?)
        Index("ix_postcourse_activities_plan_status_due", "plan_id", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("postcourse_plans.id", ondelete="CASCADE"), index=True)
    #: the menu entry's code in the support model, e.g. "publication"
    activity_type: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    stage: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    done_on: Mapped[date | None] = mapped_column(Date)
    #: what completes it (recommendations, an article, a certificate ...), from the model
    completion_form: Mapped[str | None] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[SupportPlan] = relationship(back_populates="activities")


class GroupEvent(Base):
    """A seminar, webinar, master class, round table, forum, conference or the final
    reflection event for a cohort's graduates."""

    __tablename__ = "postcourse_events"
    __table_args__ = (
        CheckConstraint(f"kind IN {EVENT_KINDS}", name="kind"),
        CheckConstraint(f"stage IN {STAGES}", name="stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("courses_cohorts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    meeting_url: Mapped[str | None] = mapped_column(String(2000))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))

    attendance: Mapped[list["EventAttendance"]] = relationship(back_populates="event", cascade="all, delete-orphan")


class EventAttendance(Base):
    __tablename__ = "postcourse_event_attendance"
    __table_args__ = (UniqueConstraint("event_id", "plan_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("postcourse_events.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("postcourse_plans.id", ondelete="CASCADE"), index=True)
    attended: Mapped[bool] = mapped_column(default=True)

    event: Mapped[GroupEvent] = relationship(back_populates="attendance")


class Contact(Base):
    """A consultation logged: when, over which channel, about what, with what outcome."""

    __tablename__ = "postcourse_contacts"
    __table_args__ = (CheckConstraint(f"channel IN {CHANNELS}", name="channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("postcourse_plans.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("postcourse_activities.id", ondelete="SET NULL"))
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(16))
    group: Mapped[bool] = mapped_column(default=False)
    topic: Mapped[str] = mapped_column(String(300))
    outcome: Mapped[str | None] = mapped_column(Text)
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsultationRequest(Base):
    """A graduate asking for a consultation from their own plan page (the seed's trajectory is
    the graduate's choice too): what about, how they would like it, and the consultation that
    answered it once one is logged."""

    __tablename__ = "postcourse_requests"
    __table_args__ = (CheckConstraint(f"channel IS NULL OR channel IN {CHANNELS}", name="channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("postcourse_plans.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("postcourse_contacts.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Observation(Base):
    """A lesson observed (a video link or a visit) or a lesson plan analysed, with feedback."""

    __tablename__ = "postcourse_observations"
    __table_args__ = (CheckConstraint(f"kind IN {OBSERVATION_KINDS}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("postcourse_plans.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("postcourse_activities.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    observed_on: Mapped[date] = mapped_column(Date)
    url: Mapped[str | None] = mapped_column(String(2000))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("core_files.id", ondelete="RESTRICT"))
    feedback: Mapped[str | None] = mapped_column(Text)
    observer_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))


class Evidence(Base):
    """What a graduate produced: a publication, a talk, a contest, a full development
    programme ..., at a level, as a link or a file."""

    __tablename__ = "postcourse_evidence"
    __table_args__ = (
        CheckConstraint(f"kind IN {EVIDENCE_KINDS}", name="kind"),
        CheckConstraint(f"level IN {EVIDENCE_LEVELS}", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("postcourse_plans.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("postcourse_activities.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16), default="school")
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(2000))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("core_files.id", ondelete="RESTRICT"))
    happened_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
