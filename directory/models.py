"""Tables of the directory: people, departments (Slack user groups), channels, roles."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class Role(StrEnum):
    """What a person may do in Commons; desk agents come from their desk's user group instead."""

    ADMIN = "admin"
    COMMS = "comms"
    MANAGER = "manager"
    MEMBER = "member"


class Person(SQLModel, table=True):
    """A person in the workspace (bots, deleted and guest accounts are not kept)."""

    __tablename__ = "person"

    slack_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(default="", max_length=255, index=True)
    real_name: str = Field(default="", max_length=255)
    display_name: str = Field(default="", max_length=255)
    tz: str = Field(default="UTC", max_length=64)
    title: str = Field(default="", max_length=255)
    email: str = Field(default="", max_length=255)
    active: bool = True
    synced_at: datetime


class Department(SQLModel, table=True):
    """A department: a Slack user group, optionally with the channel it posts to."""

    __tablename__ = "department"

    id: int | None = Field(default=None, primary_key=True)
    usergroup_id: str = Field(max_length=32, unique=True)
    handle: str = Field(default="", max_length=255, index=True)
    name: str = Field(default="", max_length=255)
    channel_id: str | None = Field(default=None, max_length=32)
    channel_set_by_admin: bool = False
    active: bool = True
    synced_at: datetime


class DepartmentMember(SQLModel, table=True):
    """Who is in which department (a person may be in several)."""

    __tablename__ = "department_member"
    __table_args__ = (Index("ix_department_member_person", "person_id"),)

    department_id: int = Field(foreign_key="department.id", primary_key=True)
    person_id: str = Field(foreign_key="person.slack_id", primary_key=True, max_length=32)


class Channel(SQLModel, table=True):
    """A channel Commons knows of, so that commands resolve #names without calling Slack."""

    __tablename__ = "channel"

    slack_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(default="", max_length=255, index=True)
    is_private: bool = False
    is_archived: bool = False
    bot_is_member: bool = False
    member_count: int = 0
    synced_at: datetime


class RoleAssignment(SQLModel, table=True):
    """A role given by an admin (COMMONS_ADMINS are admins without a row)."""

    __tablename__ = "role_assignment"

    person_id: str = Field(primary_key=True, max_length=32)
    role: str = Field(max_length=16)
    assigned_by: str = Field(max_length=32)
    assigned_at: datetime
