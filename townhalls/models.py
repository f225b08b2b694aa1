"""Tables of town halls: the meeting, the questions people send in, and their upvotes.

The table names are those the town halls had inside announcements (migration 0004), so moving
the models here needed no migration.
"""

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel


class TownHall(SQLModel, table=True):
    """A town-hall meeting: its notice, reminders, and the questions people send in."""

    __tablename__ = "townhall"

    id: int | None = Field(default=None, primary_key=True)
    host_id: str = Field(max_length=32, index=True)
    title: str = Field(max_length=150)
    starts_at: datetime
    timezone: str = Field(max_length=64)
    duration_minutes: int = 60
    place: str = Field(default="", max_length=500)
    agenda: str = Field(default="", sa_column=Column(Text, nullable=False))
    channels: str = Field(sa_column=Column(Text, nullable=False))
    # JSON list of minutes before the start at which a reminder goes out.
    reminders: str = Field(default="[1440, 60]", max_length=255)
    may_notify_everyone: bool = False
    state: str = Field(default="scheduled", max_length=16)
    followups: int = 0
    created_at: datetime


class Question(SQLModel, table=True):
    """A question for a town hall. Anonymous ones have no author id at all."""

    __tablename__ = "townhall_question"

    id: int | None = Field(default=None, primary_key=True)
    townhall_id: int = Field(foreign_key="townhall.id", index=True)
    author_id: str | None = Field(default=None, max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    votes: int = 0
    created_at: datetime


class Upvote(SQLModel, table=True):
    """One person's vote for one question (the primary key makes a second vote a no-op)."""

    __tablename__ = "townhall_upvote"

    question_id: int = Field(foreign_key="townhall_question.id", primary_key=True)
    user_id: str = Field(max_length=32, primary_key=True)
