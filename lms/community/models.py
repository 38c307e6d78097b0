"""A cohort's discussions: threads of posts its people write to each other, during the course
and through the support year after it (seed 000 §4: the network community on the LMS)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.models import StoredFile, User  # noqa: F401
from lms.db import Base, UTCDateTime, utcnow


class Thread(Base):
    """A question or a topic someone opened, with the posts that answer it. Pinned threads head
    the list; a locked one takes no more replies. It lives in one cohort's discussions, or in a
    programme's network: everyone who takes or took the programme, in any cohort and year (seed
    000 §4: the network community on the LMS)."""

    __tablename__ = "community_threads"
    __table_args__ = (
        CheckConstraint("(cohort_id IS NULL) <> (programme_code IS NULL)", name="one_place"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("courses_cohorts.id", ondelete="CASCADE"), index=True)
    #: the programme's code (all its versions) of a network thread
    programme_code: Mapped[str | None] = mapped_column(String(32), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when its newest shown post was written: the list's order
    last_post_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: shown posts, the opening one included
    post_count: Mapped[int] = mapped_column(default=0)
    pinned: Mapped[bool] = mapped_column(default=False)
    locked: Mapped[bool] = mapped_column(default=False)
    #: its opening post is hidden: the title goes with it, for all but its author and the moderators
    title_hidden: Mapped[bool] = mapped_column(default=False, server_default=false())

    author: Mapped["User | None"] = relationship()


class Post(Base):
    """One message of a thread. An edit keeps the text it replaced in the audit log; a
    moderator hides a post rather than deleting it, and may show it again."""

    __tablename__ = "community_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("community_threads.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    #: as written (Markdown), and as shown (rendered and sanitized when saved)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    #: a file shared with the post (a lesson plan, a photo of the board), checked as every upload is
    file_id: Mapped[int | None] = mapped_column(ForeignKey("core_files.id"))

    thread: Mapped[Thread] = relationship()
    author: Mapped["User | None"] = relationship(foreign_keys=[author_id])
    file: Mapped["StoredFile | None"] = relationship()


class Subscription(Base):
    """Whoever opens or answers a thread follows it: a new reply is e-mailed to them (unless they
    turned course news off). Following can be stopped and taken up again from the thread."""

    __tablename__ = "community_subscriptions"
    __table_args__ = (UniqueConstraint("thread_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("community_threads.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    following: Mapped[bool] = mapped_column(default=True)


class ReadMark(Base):
    """The newest post a reader has seen in a thread: what is new to them is what came after."""

    __tablename__ = "community_reads"
    __table_args__ = (UniqueConstraint("thread_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("community_threads.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    seen_post_id: Mapped[int] = mapped_column(default=0)


class MailMode(Base):
    """How answers in followed threads reach a reader by e-mail: each as it is written (no row,
    the default) or one e-mail a day (Moodle's forum digest). `since`: the end of the last
    digest, the start of the next."""

    __tablename__ = "community_mail_modes"

    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), primary_key=True)
    daily: Mapped[bool] = mapped_column(default=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
