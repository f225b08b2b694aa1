"""Small factories for service tests: rows written straight to the store, with defaults that make
a valid company (people, departments, channels, roles), a valid help desk (desks and requests),
announcements (and their posts) and town halls (and their questions).

Each takes the caller's session, writes and flushes one row (and what it cannot stand without),
and returns it; keyword arguments override any column. They check nothing: a test of a rule
builds its world here and asks the service.
"""

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from announcements.models import Announcement, AnnouncementPost
from bot.clock import FixedClock
from directory.models import Channel, Department, DepartmentMember, Person, Role, RoleAssignment
from helpdesk import parents
from helpdesk.blocks import RENDERER
from helpdesk.models import Desk, DeskSla, HelpRequest
from townhalls.models import Question, TownHall

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # a Tuesday, before a 09:00 UTC desk opens


# -- the directory ---------------------------------------------------------------------------


def person(session: Session, slack_id: str = "U0CAROL", **fields: Any) -> Person:
    """A person (named after their id unless `name` is given); an existing one is returned."""
    found = session.get(Person, slack_id)
    if found is not None:
        return found
    values: dict[str, Any] = {"name": slack_id.removeprefix("U0").lower(), "synced_at": NOW}
    row = Person(slack_id=slack_id, **{**values, **fields})
    session.add(row)
    session.flush()
    return row


def department(
    session: Session, handle: str = "it", *, members: Sequence[str] = (), **fields: Any
) -> Department:
    """A department (the user group `S0<HANDLE>`) with these people in it, created as needed."""
    values: dict[str, Any] = {
        "usergroup_id": f"S0{handle.upper()}",
        "name": handle.upper() if len(handle) <= 3 else handle.title(),
        "synced_at": NOW,
    }
    row = Department(handle=handle, **{**values, **fields})
    session.add(row)
    session.flush()
    for member in members:
        person(session, member)
        session.add(DepartmentMember(department_id=row.id or 0, person_id=member))
    session.flush()
    return row


def channel(session: Session, slack_id: str = "C0ITHELP", **fields: Any) -> Channel:
    """A channel Commons is in (unless `bot_is_member=False`); an existing one is returned."""
    found = session.get(Channel, slack_id)
    if found is not None:
        return found
    values: dict[str, Any] = {
        "name": slack_id.removeprefix("C0").lower(),
        "bot_is_member": True,
        "synced_at": NOW,
    }
    row = Channel(slack_id=slack_id, **{**values, **fields})
    session.add(row)
    session.flush()
    return row


# -- help desks ------------------------------------------------------------------------------


def desk(
    session: Session,
    key: str = "it",
    *,
    agents: Sequence[str] = ("U0BOB",),
    channel_id: str = "C0ITHELP",
    **fields: Any,
) -> Desk:
    """A desk taking requests in `channel_id`, answered by `agents` (its department, the user
    group `S0<KEY>`, is created with them); Mon-Fri 09:00-17:00 UTC unless told otherwise."""
    channel(session, channel_id)
    group = session.exec(select(Department).where(Department.handle == key)).first()
    if group is None:
        group = department(session, key, members=agents)
    values: dict[str, Any] = {
        "name": group.name,
        "usergroup_id": group.usergroup_id,
        "created_by": "U0ALICE",
        "created_at": NOW,
        "updated_at": NOW,
    }
    row = Desk(key=key, channel_id=channel_id, **{**values, **fields})
    session.add(row)
    session.flush()
    return row


def sla(session: Session, at: Desk, priority: str, first_response: int, resolution: int) -> DeskSla:
    """A priority's SLA targets at the desk, in business minutes."""
    row = DeskSla(
        desk_id=at.id or 0,
        priority=priority,
        first_response_minutes=first_response,
        resolution_minutes=resolution,
    )
    session.add(row)
    session.flush()
    return row


def request(session: Session, at: Desk, **fields: Any) -> HelpRequest:
    """An open request at the desk, from U0CAROL, opened at NOW, with its parent message in the
    outbox as opening it leaves it (give `parent_ts` for a parent that has landed in Slack)."""
    values: dict[str, Any] = {
        "requester_id": "U0CAROL",
        "opened_by": fields.get("requester_id", "U0CAROL"),
        "summary": "The VPN is down",
        "channel_id": at.channel_id,
        "created_at": NOW,
        "updated_at": NOW,
    }
    row = HelpRequest(desk_id=at.id or 0, **{**values, **fields})
    session.add(row)
    session.flush()
    clock = FixedClock(row.created_at)
    parents.post_parent(session=session, clock=clock, renderer=RENDERER, request=row, desk=at)
    session.flush()
    return row


# -- roles and channel membership ------------------------------------------------------------


def with_role(session: Session, slack_id: str, role: Role, **fields: Any) -> Person:
    """A person (created as needed) with a role an admin gave them."""
    found = person(session, slack_id, **fields)
    session.merge(
        RoleAssignment(person_id=slack_id, role=role.value, assigned_by="U0ALICE", assigned_at=NOW)
    )
    session.flush()
    return found


@dataclass(frozen=True)
class Members:
    """Slack's word on who is in which channel, as a test states it (channel id: user ids)."""

    of: Mapping[str, Collection[str]] = field(default_factory=dict)

    def is_member(self, channel_id: str, user_id: str) -> bool:
        """True when the test says the person is in the channel."""
        return user_id in self.of.get(channel_id, ())


# -- announcements and town halls ------------------------------------------------------------


def announcement(
    session: Session, *, channels: Sequence[str] = ("C0GENERAL",), **fields: Any
) -> Announcement:
    """An announcement by U0GRACE to `channels` (each created as needed: a `C0<NAME>` channel is
    named `<name>`, so C0GENERAL is #general), going out now, in the draft state."""
    for channel_id in channels:
        channel(session, channel_id)
    values: dict[str, Any] = {
        "author_id": "U0GRACE",
        "title": "Office closed on Friday",
        "body": "The office is closed on Friday for maintenance.",
        "created_at": NOW,
        "updated_at": NOW,
    }
    row = Announcement(channels=json.dumps(list(channels)), **{**values, **fields})
    session.add(row)
    session.flush()
    return row


def post(session: Session, of: Announcement, **fields: Any) -> AnnouncementPost:
    """An occurrence of the announcement that went out at NOW (to an audience of 10)."""
    values: dict[str, Any] = {"occurrence_at": NOW, "posted_at": NOW, "audience_count": 10}
    row = AnnouncementPost(announcement_id=of.id or 0, **{**values, **fields})
    session.add(row)
    session.flush()
    return row


def townhall(session: Session, *, channels: Sequence[str] = ("C0ENG",), **fields: Any) -> TownHall:
    """A town hall hosted by U0FRANK in `channels` (created as needed), starting two days after
    NOW for an hour, with the default reminders."""
    for channel_id in channels:
        channel(session, channel_id)
    values: dict[str, Any] = {
        "host_id": "U0FRANK",
        "title": "Q4 town hall",
        "starts_at": NOW + timedelta(days=2),
        "timezone": "UTC",
        "created_at": NOW,
    }
    row = TownHall(channels=json.dumps(list(channels)), **{**values, **fields})
    session.add(row)
    session.flush()
    return row


def question(session: Session, of: TownHall, **fields: Any) -> Question:
    """A question for the town hall, asked by U0CAROL at NOW."""
    values: dict[str, Any] = {
        "author_id": "U0CAROL",
        "text": "What is the roadmap?",
        "created_at": NOW,
    }
    row = Question(townhall_id=of.id or 0, **{**values, **fields})
    session.add(row)
    session.flush()
    return row


def as_utc(instant: datetime | None) -> datetime:
    """An instant read back from the store, in UTC (SQLite gives it back without its zone)."""
    assert instant is not None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)
