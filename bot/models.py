"""Tables of the shell: the installation, the delivery outbox, rate buckets, inbound events, schedules."""

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Installation(SQLModel, table=True):
    """The workspace and bot identity, refreshed from auth.test and team.info at every start."""

    __tablename__ = "installation"

    team_id: str = Field(primary_key=True, max_length=32)
    team_name: str = Field(default="", max_length=255)
    team_domain: str = Field(default="", max_length=255)
    bot_user_id: str = Field(max_length=32)
    bot_id: str = Field(default="", max_length=32)
    updated_at: datetime


class Campaign(SQLModel, table=True):
    """A group of deliveries sent for one purpose (an announcement, a survey's invitations)."""

    __tablename__ = "campaign"

    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(default="", max_length=64)
    title: str = Field(default="", max_length=255)
    owner_user_id: str | None = Field(default=None, max_length=32)
    created_at: datetime


class Delivery(SQLModel, table=True):
    """One outbound Slack message, posted exactly once by the sender (DESIGN.md section 5)."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_delivery_idempotency_key"),
        Index("ix_delivery_claim", "state", "not_before"),
        Index("ix_delivery_campaign_state", "campaign_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=255)
    campaign_id: str = Field(max_length=64, foreign_key="campaign.id")
    target: str = Field(max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    blocks: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    thread_ts: str | None = Field(default=None, max_length=32)
    parent_id: int | None = Field(default=None, foreign_key="delivery.id")
    state: str = Field(default="pending", max_length=16)
    not_before: datetime
    attempts: int = 0
    # True from just before a post until its outcome is recorded: a crash or a lost response in
    # between means the message may be in Slack already, so it is looked up before any re-post.
    in_doubt: bool = False
    last_attempt_at: datetime | None = None
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_expires_at: datetime | None = None
    channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, max_length=255)
    created_at: datetime
    sent_at: datetime | None = Field(default=None, index=True)


class RateBucket(SQLModel, table=True):
    """A token bucket shared by every replica through the store, one per Slack limit class."""

    __tablename__ = "rate_bucket"

    name: str = Field(primary_key=True, max_length=64)
    tokens: float
    refreshed_at: datetime
    paused_until: datetime | None = None


class ChannelPace(SQLModel, table=True):
    """When the next message may go to a channel (Slack allows about one per second each)."""

    __tablename__ = "channel_pace"

    target: str = Field(primary_key=True, max_length=32)
    next_at: datetime


class InboundEvent(SQLModel, table=True):
    """An Events API event already acted on: Slack's retries of it are ignored."""

    __tablename__ = "inbound_event"

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = Field(index=True)


class Schedule(SQLModel, table=True):
    """Something a feature wants done at an instant or on a recurrence (DESIGN.md section 6)."""

    __tablename__ = "schedule"
    __table_args__ = (Index("ix_schedule_due", "state", "next_run_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)
    ref_id: str = Field(max_length=64)
    rule: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    timezone: str = Field(default="UTC", max_length=64)
    next_run_at: datetime | None = None
    state: str = Field(default="active", max_length=16)
    grace_seconds: int = 900
    owner_user_id: str | None = Field(default=None, max_length=32)
    # Failed attempts at the current occurrence, and when the next attempt may be made.
    failures: int = 0
    retry_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class ScheduleRun(SQLModel, table=True):
    """One occurrence of a schedule, recorded once: ran, ran late, or skipped."""

    __tablename__ = "schedule_run"
    __table_args__ = (
        UniqueConstraint("schedule_id", "occurrence_at", name="uq_schedule_run_occurrence"),
    )

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="schedule.id", index=True)
    occurrence_at: datetime
    ran_at: datetime
    outcome: str = Field(max_length=16)
