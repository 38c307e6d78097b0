"""Core tables: people, their roles in contexts, where their schools are, the audit log."""
from __future__ import annotations

import hashlib

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from lms.core.collation import SORT_KEY_LENGTH, name_sort_key
from lms.db import JSON_COMPARABLE, Base, UTCDateTime, utcnow

SCHOOL_TYPES = ("hub", "magnet", "small_ungraded", "other")
LANGUAGES = ("kk", "ru", "en")
INSTRUCTION_LANGUAGES = ("kk", "ru", "mixed")


class Region(Base):
    __tablename__ = "core_regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_kk: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str | None] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))

    districts: Mapped[list["District"]] = relationship(back_populates="region")


class District(Base):
    __tablename__ = "core_districts"
    __table_args__ = (UniqueConstraint("region_id", "name_kk"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("core_regions.id"), index=True)
    name_kk: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str | None] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))

    region: Mapped[Region] = relationship(back_populates="districts")
    schools: Mapped[list["School"]] = relationship(back_populates="district")


class School(Base):
    __tablename__ = "core_schools"
    __table_args__ = (
        CheckConstraint(f"school_type IN {SCHOOL_TYPES}", name="school_type"),
        CheckConstraint(f"instruction_language IN {INSTRUCTION_LANGUAGES}", name="instruction_language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the code used in import files ("BIN" or the region's own school code)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("core_districts.id"), index=True)
    name_kk: Mapped[str] = mapped_column(String(300))
    name_ru: Mapped[str | None] = mapped_column(String(300))
    school_type: Mapped[str] = mapped_column(String(20), default="small_ungraded")
    instruction_language: Mapped[str] = mapped_column(String(8), default="kk")
    #: measured download speed in Mbit/s; rural lines are often 4 or less
    internet_mbps: Mapped[float | None]

    district: Mapped[District] = relationship(back_populates="schools")


def _sort_key_of_row(context) -> str:
    """The key of a row inserted without the ORM (a bulk insert of users)."""
    return name_sort_key(context.get_current_parameters().get("full_name"))


class User(UserMixin, Base):
    __tablename__ = "core_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    #: the name spelled to sort in the Kazakh alphabet's order (lms/core/collation.py); kept in
    #: step with full_name, so lists order and page by it in SQL
    sort_key: Mapped[str] = mapped_column(String(SORT_KEY_LENGTH), default=_sort_key_of_row, index=True)
    language: Mapped[str] = mapped_column(String(2), default="kk")
    school_id: Mapped[int | None] = mapped_column(ForeignKey("core_schools.id"), index=True)
    #: position at school: director, deputy, teacher, methodologist ...
    position: Mapped[str | None] = mapped_column(String(100))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    #: course news by e-mail (schedule changes, returned work, announcements, a certificate);
    #: sign-in links always go
    email_notices: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: the kinds of notice (plugins' `notice_kinds`) the holder turned off one by one, under the
    #: switch above; None: none. JSONB on PostgreSQL: plain json has no equality, and a
    #: SELECT DISTINCT over users (the staff of a cohort) compares every column
    notices_off: Mapped[list[str] | None] = mapped_column(JSON_COMPARABLE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: False while a current policy (Policy) may wait for the holder's acceptance: the pages then
    #: ask. A new account starts False and publishing a version sets it False for everyone it
    #: concerns (Moodle's user.policyagreed); signing in or the first page settles it, so a page
    #: costs no query to know that nothing waits. Accounts older than the policies start True
    policies_agreed: Mapped[bool] = mapped_column(default=False, server_default=true())
    #: when the person's personal data was erased on their request (core/services/erasure.py):
    #: the account stays as a pseudonym, disabled for good
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    school: Mapped[School | None] = relationship()
    role_assignments: Mapped[list["RoleAssignment"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @validates("full_name")
    def _keep_sort_key(self, _key, value):
        self.sort_key = name_sort_key(value)
        return value

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.is_active_account

    @property
    def credential_stamp(self) -> str:
        """Changes whenever the password does: it signs the sessions and the password links,
        so a new password ends the sessions and links made before it."""
        return hashlib.sha256((self.password_hash or "").encode()).hexdigest()[:16]

    def get_id(self) -> str:  # Flask-Login keeps this in the session and the remember cookie
        return f"{self.id}.{self.credential_stamp}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class RoleAssignment(Base):
    """A role held by a user in a context: system, or one programme, or one cohort."""

    __tablename__ = "core_role_assignments"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "context_level", "context_id"),
        CheckConstraint("context_level IN ('system', 'programme', 'cohort')", name="context_level"),
        CheckConstraint(
            "(context_level = 'system' AND context_id IS NULL)"
            " OR (context_level <> 'system' AND context_id IS NOT NULL)",
            name="context_id",
        ),
        Index("ix_core_role_assignments_context", "context_level", "context_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    context_level: Mapped[str] = mapped_column(String(16), default="system")
    context_id: Mapped[int | None]

    user: Mapped[User] = relationship(back_populates="role_assignments")


class AuditEntry(Base):
    """Every grade change, deletion and privileged act leaves one row here."""

    __tablename__ = "core_audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(default=dict)
    summary: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship()


class ApiToken(Base):
    """A bearer token for the JSON API (scope "api") or a calendar feed (scope "calendar").
    Only its SHA-256 is stored; the token itself is shown once, when created."""

    __tablename__ = "core_api_tokens"
    __table_args__ = (CheckConstraint("scope IN ('api', 'calendar')", name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    scope: Mapped[str] = mapped_column(String(16), default="api")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the first characters, so a person can tell their tokens apart
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class StoredFile(Base):
    """An uploaded file; the bytes live in the file store under their SHA-256."""

    __tablename__ = "core_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    mime_type: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


#: the site's policies: a notice on personal data for everyone, a confidentiality obligation for
#: the centre's staff (seed 002 §5)
POLICY_KINDS = ("privacy", "confidentiality")


class Policy(Base):
    """One version of a policy, in Kazakh and Russian. The newest version of each kind is the
    current one; an older version stays, with who accepted it, as the record of what they read."""

    __tablename__ = "core_policies"
    __table_args__ = (
        UniqueConstraint("kind", "version"),
        CheckConstraint(f"kind IN {POLICY_KINDS}", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int]
    title_kk: Mapped[str] = mapped_column(String(200))
    title_ru: Mapped[str] = mapped_column(String(200))
    text_kk: Mapped[str] = mapped_column(Text)
    text_ru: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))


class PolicyAcceptance(Base):
    """Who accepted which version, and when: the consent the law asks the centre to show."""

    __tablename__ = "core_policy_acceptances"
    __table_args__ = (UniqueConstraint("policy_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("core_policies.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    policy: Mapped[Policy] = relationship()


ERASURE_REQUEST_STATUSES = ("pending", "done", "refused", "withdrawn")


class ErasureRequest(Base):
    """A person's request that their personal data be erased (Moodle's data deletion request):
    it waits for an administrator, who erases (core/services/erasure.py) or refuses, saying why."""

    __tablename__ = "core_erasure_requests"
    __table_args__ = (CheckConstraint(f"status IN {ERASURE_REQUEST_STATUSES}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_users.id", ondelete="CASCADE"), index=True)
    #: what the person wrote with it (gone once the erasure is done: it is theirs)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("core_users.id", ondelete="SET NULL"))
    #: why it was refused, for the person to read
    answer: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class OutboxMessage(Base):
    """An e-mail waiting to go (or gone). `key` makes queueing idempotent: the same reminder
    queued twice is one message, so running a reminder job twice sends nothing twice."""

    __tablename__ = "core_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    to_email: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
