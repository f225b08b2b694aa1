"""Tables of announcements: drafts, posts, acknowledgements, saved templates and settings."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class State(StrEnum):
    """Where an announcement stands."""

    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    CHANGES_REQUESTED = "changes_requested"
    SCHEDULED = "scheduled"
    RECURRING = "recurring"
    POSTED = "posted"
    CANCELLED = "cancelled"


class Announcement(SQLModel, table=True):
    """What an author composed: the words, where it goes, when, and whether it must be read."""

    __tablename__ = "announcement"

    id: int | None = Field(default=None, primary_key=True)
    author_id: str = Field(max_length=32, index=True)
    title: str = Field(max_length=150)
    body: str = Field(sa_column=Column(Text, nullable=False))
    # JSON list of channel ids.
    channels: str = Field(sa_column=Column(Text, nullable=False))
    department_id: int | None = None
    must_read: bool = False
    remind_after_days: int = 2
    max_reminders: int = 2
    # "now", "at" or "recurring".
    when: str = Field(default="now", max_length=16)
    at: datetime | None = None
    rule: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    timezone: str = Field(default="UTC", max_length=64)
    state: str = Field(default=State.DRAFT.value, max_length=24, index=True)
    schedule_id: int | None = None
    may_notify_everyone: bool = False
    needs_approval: bool = False
    reviewer_id: str | None = Field(default=None, max_length=32)
    review_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    save_template_as: str | None = Field(default=None, max_length=64)
    created_at: datetime
    updated_at: datetime


class AnnouncementPost(SQLModel, table=True):
    """One occurrence of an announcement that went out (a recurring one has several)."""

    __tablename__ = "announcement_post"
    __table_args__ = (
        UniqueConstraint("announcement_id", "occurrence_at", name="uq_announcement_post"),
    )

    id: int | None = Field(default=None, primary_key=True)
    announcement_id: int = Field(foreign_key="announcement.id", index=True)
    occurrence_at: datetime
    posted_at: datetime
    audience_count: int = 0
    ack_count: int = 0
    # The count the posted message shows; the refresh tick updates messages where it lags.
    shown_count: int = 0
    reminders_sent: int = 0


class Acknowledgement(SQLModel, table=True):
    """One person's acknowledgement of one post (the primary key makes a second click a no-op)."""

    __tablename__ = "announcement_ack"

    post_id: int = Field(foreign_key="announcement_post.id", primary_key=True)
    user_id: str = Field(max_length=32, primary_key=True)
    acked_at: datetime


class SavedTemplate(SQLModel, table=True):
    """A template communications staff saved from an announcement."""

    __tablename__ = "announcement_template"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    title: str = Field(max_length=150)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_by: str = Field(max_length=32)
    created_at: datetime


class AnnouncementConfig(SQLModel, table=True):
    """Admin-set options of the feature (approval threshold, approval channel), one row a key."""

    __tablename__ = "announcement_config"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=255)
    updated_by: str = Field(max_length=32)
    updated_at: datetime
