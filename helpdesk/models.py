"""Tables of the help desks: desks and their settings, requests, SLA alerts and ratings."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Status(StrEnum):
    """Where a request stands; the order is its usual life."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(StrEnum):
    """How urgent a request is; each has its own SLA targets."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


ACTIVE_STATUSES = (Status.OPEN, Status.IN_PROGRESS, Status.WAITING)


class Desk(SQLModel, table=True):
    """A department's help desk: where its requests go, who answers, and when."""

    __tablename__ = "helpdesk_desk"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=80)
    channel_id: str = Field(max_length=32)
    usergroup_id: str = Field(max_length=32)
    # Escalations go to the lead by DM, or to this channel when no lead is set.
    lead_user_id: str | None = Field(default=None, max_length=32)
    escalation_channel_id: str | None = Field(default=None, max_length=32)
    timezone: str = Field(default="UTC", max_length=64)
    # Business hours: ISO weekdays (1 = Monday) as "1,2,3,4,5", and the daily window "HH:MM".
    work_days: str = Field(default="1,2,3,4,5", max_length=32)
    day_start: str = Field(default="09:00", max_length=5)
    day_end: str = Field(default="17:00", max_length=5)
    reaction: str = Field(default="ticket", max_length=64)
    close_after_days: int = 3
    active: bool = True
    created_by: str = Field(max_length=32)
    created_at: datetime
    updated_at: datetime


class DeskAlias(SQLModel, table=True):
    """Another name people can use for a desk (`tech` for `it`)."""

    __tablename__ = "helpdesk_alias"

    alias: str = Field(primary_key=True, max_length=32)
    desk_id: int = Field(foreign_key="helpdesk_desk.id", index=True)


class DeskHoliday(SQLModel, table=True):
    """A day the desk is closed (in its own time zone)."""

    __tablename__ = "helpdesk_holiday"

    desk_id: int = Field(foreign_key="helpdesk_desk.id", primary_key=True)
    day: date = Field(primary_key=True)


class DeskSla(SQLModel, table=True):
    """SLA targets of one priority at one desk, in business minutes."""

    __tablename__ = "helpdesk_sla"

    desk_id: int = Field(foreign_key="helpdesk_desk.id", primary_key=True)
    priority: str = Field(primary_key=True, max_length=16)
    first_response_minutes: int
    resolution_minutes: int


class DeskCategory(SQLModel, table=True):
    """An optional category requesters can pick at a desk."""

    __tablename__ = "helpdesk_category"

    desk_id: int = Field(foreign_key="helpdesk_desk.id", primary_key=True)
    name: str = Field(primary_key=True, max_length=64)


class HelpRequest(SQLModel, table=True):
    """One request: a parent message in the desk's channel, its thread, an owner and a clock."""

    __tablename__ = "helpdesk_request"
    __table_args__ = (
        UniqueConstraint("source_channel", "source_ts", name="uq_helpdesk_request_source"),
        Index("ix_helpdesk_request_desk_status", "desk_id", "status"),
        Index("ix_helpdesk_request_requester_status", "requester_id", "status"),
        Index("ix_helpdesk_request_parent", "channel_id", "parent_ts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    desk_id: int = Field(foreign_key="helpdesk_desk.id")
    requester_id: str = Field(max_length=32)
    opened_by: str = Field(max_length=32)
    summary: str = Field(max_length=150)
    details: str = Field(default="", sa_column=Column(Text, nullable=False))
    priority: str = Field(default="normal", max_length=16)
    category: str | None = Field(default=None, max_length=64)
    status: str = Field(default="open", max_length=16)
    assignee_id: str | None = Field(default=None, max_length=32)
    source: str = Field(default="command", max_length=16)
    source_channel: str | None = Field(default=None, max_length=32)
    source_ts: str | None = Field(default=None, max_length=32)
    source_link: str | None = Field(default=None, max_length=512)
    # The parent message: its outbox key, then where it landed once posted.
    parent_key: str = Field(default="", max_length=255)
    channel_id: str = Field(max_length=32)
    parent_ts: str | None = Field(default=None, max_length=32)
    permalink: str | None = Field(default=None, max_length=512)
    # Every change bumps version; the parent message is edited until rendered_version catches up.
    version: int = 1
    rendered_version: int = 0
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    # Business seconds spent waiting on the requester (the resolution clock stops meanwhile).
    paused_seconds: float = 0.0
    waiting_since: datetime | None = None
    reopened: int = 0


class SlaAlert(SQLModel, table=True):
    """A warning (75 %) or a breach of one SLA target, recorded once per request."""

    __tablename__ = "helpdesk_sla_alert"

    request_id: int = Field(foreign_key="helpdesk_request.id", primary_key=True)
    target: str = Field(primary_key=True, max_length=16)
    level: str = Field(primary_key=True, max_length=16)
    at: datetime


class Rating(SQLModel, table=True):
    """The requester's satisfaction with a resolved request: one per request."""

    __tablename__ = "helpdesk_rating"

    request_id: int = Field(foreign_key="helpdesk_request.id", primary_key=True)
    score: int
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    rated_at: datetime
