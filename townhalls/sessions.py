"""Town halls themselves: what the host filled in (`TownHallInput`), checked into a
`CheckedTownHall`; creating one (the notice goes out now, its reminders and the host's digest
are scheduled); the ones coming up; the host's follow-up in the notice's thread; cancelling.

Field errors are keyed by the domain's names (`title`, `date`, `channels`, ...).
"""

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from announcements.policy import Policy, postable_channels
from bot.clock import Clock
from bot.errors import DomainError, FieldErrors, InvalidInput
from bot.models import Campaign, Schedule
from bot.outbox import delivery
from bot.scheduling import schedules
from bot.slack.args import parse_date, parse_time, parse_zone
from bot.text.mrkdwn import escape, user_text
from directory.models import Role
from directory.visibility import ChannelMembers
from townhalls.access import changeable, default_zone, require_host, visible
from townhalls.digest import QUESTIONS_KIND, schedule_digest
from townhalls.models import TownHall
from townhalls.notices import ChannelMessage, campaign_of, in_channels
from townhalls.reminders import (
    DEFAULT_REMINDERS,
    REMIND_KIND,
    REMINDER_CHOICES,
    schedule_reminders,
)
from townhalls.views import TownHallRenderer, view_of

MAX_TITLE = 150
MAX_AGENDA = 2500
MAX_PLACE = 500
MAX_FOLLOWUP = 2800
_MINUTES = re.compile(r"[0-9]{1,4}")
T = TypeVar("T")


@dataclass(frozen=True)
class TownHallInput:
    """What the host filled in, as plain strings (names are the form's domain fields)."""

    title: str = ""
    date: str = ""
    time: str = ""
    zone: str = ""
    duration: str = ""
    place: str = ""
    agenda: str = ""
    channels: Sequence[str] = ()
    reminders: Sequence[str] | None = None


@dataclass(frozen=True)
class CheckedTownHall:
    """A town hall whose every field is valid: ready to be announced."""

    title: str
    starts_at: datetime
    zone: str
    duration_minutes: int
    place: str
    agenda: str
    channels: tuple[str, ...]
    reminders: tuple[int, ...]


# -- checking ----------------------------------------------------------------------------------


def _checked(errors: dict[str, str], field: str, parse: Callable[[str], T], text: str) -> T | None:
    """`parse(text)`, or None with its refusal noted under `field`."""
    try:
        return parse(text)
    except DomainError as error:
        errors[field] = error.message
        return None


def _start(
    session: Session, clock: Clock, host_id: str, data: TownHallInput, errors: dict[str, str]
) -> tuple[datetime | None, str]:
    zone = (
        _checked(
            errors,
            "zone",
            parse_zone,
            data.zone.strip() or default_zone(session=session, user_id=host_id),
        )
        or "UTC"
    )
    if not data.date.strip():
        errors["date"] = "Pick the day of the town hall."
    if not data.time.strip():
        errors["time"] = "Pick the start time (HH:MM)."
    day = _checked(errors, "date", parse_date, data.date) if data.date.strip() else None
    at = _checked(errors, "time", parse_time, data.time) if data.time.strip() else None
    if day is None or at is None:
        return None, zone
    starts_at = datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    if starts_at <= clock.now():
        errors["time"] = "That time has passed: pick a start in the future."
    return starts_at, zone


def _channels(
    session: Session,
    policy: Policy,
    host_id: str,
    references: Sequence[str],
    errors: dict[str, str],
) -> list[str]:
    channels, problem = postable_channels(session, policy, host_id, references)
    if problem:
        errors["channels"] = problem
    elif not channels:
        errors["channels"] = "Pick at least one channel for the notice."
    return channels


def _reminders(data: TownHallInput, errors: dict[str, str]) -> list[int]:
    values = [str(m) for m in DEFAULT_REMINDERS] if data.reminders is None else data.reminders
    reminders: list[int] = []
    for value in values:
        if value.strip() not in REMINDER_CHOICES:
            errors["reminders"] = "Reminders are 1440 (a day), 60 or 15 minutes before."
            return reminders
        reminders.append(int(value.strip()))
    return sorted(set(reminders), reverse=True)


def check(
    *, session: Session, clock: Clock, policy: Policy, host_id: str, data: TownHallInput
) -> CheckedTownHall:
    """The host's input checked: title, start in the host's (or the chosen) zone, duration,
    place, agenda, channels the host may post in, reminders.

    Raises:
        FieldErrors: each wrong field, by domain field name.
    """
    errors: dict[str, str] = {}
    title = data.title.strip()
    if not title:
        errors["title"] = "Give the town hall a title."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"The title is too long: at most {MAX_TITLE} characters."
    starts_at, zone = _start(session, clock, host_id, data, errors)
    duration = data.duration.strip() or "60"
    if not _MINUTES.fullmatch(duration) or not 5 <= int(duration) <= 480:
        errors["duration"] = "The duration is 5 to 480 minutes."
    place, agenda = data.place.strip(), data.agenda.strip()
    if len(place) > MAX_PLACE:
        errors["place"] = f"The place or link is at most {MAX_PLACE} characters."
    if len(agenda) > MAX_AGENDA:
        errors["agenda"] = f"The agenda is at most {MAX_AGENDA:,} characters."
    channels = _channels(session, policy, host_id, data.channels, errors)
    reminders = _reminders(data, errors)
    if errors or starts_at is None:
        raise FieldErrors(errors or {"date": "Pick the day and start of the town hall."})
    return CheckedTownHall(
        title=title,
        starts_at=starts_at,
        zone=zone,
        duration_minutes=int(duration),
        place=place,
        agenda=agenda,
        channels=tuple(channels),
        reminders=tuple(reminders),
    )


# -- creating and listing ----------------------------------------------------------------------


def create(
    *,
    session: Session,
    clock: Clock,
    policy: Policy,
    renderer: TownHallRenderer,
    host_id: str,
    data: TownHallInput,
) -> TownHall:
    """Create a town hall: post its notice now, schedule its reminders and the host's questions.

    Raises:
        PermissionDenied: the host may not announce (members).
        FieldErrors: each wrong field, by domain field name.
    """
    role = require_host(session=session, policy=policy, user_id=host_id)
    checked = check(session=session, clock=clock, policy=policy, host_id=host_id, data=data)
    townhall = TownHall(
        host_id=host_id,
        title=checked.title,
        starts_at=checked.starts_at,
        timezone=checked.zone,
        duration_minutes=checked.duration_minutes,
        place=checked.place,
        agenda=checked.agenda,
        channels=json.dumps(list(checked.channels)),
        reminders=json.dumps(list(checked.reminders)),
        may_notify_everyone=role in (Role.ADMIN, Role.COMMS),
        created_at=clock.now(),
    )
    session.add(townhall)
    session.flush()
    in_channels(
        session,
        clock,
        townhall,
        ChannelMessage(
            text=f"Town hall: {escape(townhall.title)}",
            key="notice",
            blocks=renderer.townhall_notice(view_of(session, townhall)),
        ),
    )
    schedule_reminders(session, clock, townhall, list(checked.reminders))
    schedule_digest(session, clock, townhall)
    return townhall


def upcoming(
    *, session: Session, clock: Clock, members: ChannelMembers, user_id: str
) -> list[TownHall]:
    """Town halls that have not ended yet and that the person may see, soonest first."""
    rows = session.exec(
        select(TownHall).where(TownHall.state == "scheduled").order_by(col(TownHall.starts_at))
    ).all()
    now = clock.now()
    return [
        t
        for t in rows
        if t.starts_at + timedelta(minutes=t.duration_minutes) > now
        and visible(session=session, members=members, townhall=t, user_id=user_id)
    ][:30]


# -- the host's commands -----------------------------------------------------------------------


def followup(
    *, session: Session, clock: Clock, policy: Policy, user_id: str, townhall_id: int, text: str
) -> int:
    """Post the host's follow-up (recording link, answers) in the notice's thread; returns channels.

    Raises:
        NotFound, PermissionDenied: as usual.
        InvalidInput: before the start, empty or too long.
    """
    townhall = changeable(session, policy, user_id, townhall_id)
    if clock.now() < townhall.starts_at:
        raise InvalidInput(
            "The town hall has not started yet; post the follow-up afterwards (recording, answers)."
        )
    body = text.strip()
    if not body:
        raise InvalidInput(
            f"Write the follow-up after the id: `/townhall followup {townhall_id} Recording: &lt;link&gt;`."
        )
    if len(body) > MAX_FOLLOWUP:
        raise InvalidInput(f"The follow-up is at most {MAX_FOLLOWUP:,} characters.")
    townhall.followups += 1
    session.add(townhall)
    return in_channels(
        session,
        clock,
        townhall,
        ChannelMessage(
            text=f":memo: *Follow-up from <@{user_id}>*\n"
            + user_text(body, may_notify_everyone=townhall.may_notify_everyone),
            key=f"followup:{townhall.followups}",
            in_thread=True,
        ),
    )


def cancel(
    *, session: Session, clock: Clock, policy: Policy, user_id: str, townhall_id: int
) -> str:
    """Cancel a town hall: reminders and the questions DM stop; the notice's thread says so.

    Raises:
        NotFound, PermissionDenied: as usual.
    """
    townhall = changeable(session, policy, user_id, townhall_id)
    if townhall.state == "cancelled":
        return f"Town hall #{townhall_id} was already cancelled."
    townhall.state = "cancelled"
    session.add(townhall)
    for schedule_id in session.exec(
        select(Schedule.id).where(
            col(Schedule.kind).in_([REMIND_KIND, QUESTIONS_KIND]),
            (col(Schedule.ref_id) == str(townhall_id))
            | col(Schedule.ref_id).startswith(f"{townhall_id}:"),
            Schedule.state == schedules.ACTIVE,
        )
    ).all():
        if schedule_id is not None:
            schedules.cancel(session=session, clock=clock, schedule_id=schedule_id)
    if session.get(Campaign, campaign_of(townhall_id)) is not None:
        delivery.cancel_pending(session=session, campaign_id=campaign_of(townhall_id))
    in_channels(
        session,
        clock,
        townhall,
        ChannelMessage(
            text=f":no_entry_sign: This town hall is cancelled (by <@{user_id}>).",
            key="cancelled",
            in_thread=True,
        ),
    )
    return f":no_entry_sign: Town hall #{townhall_id} is cancelled; its threads say so."
