"""The help desks' operations: configure desks, open requests, move them through their life,
watch their SLAs in business hours, collect ratings and compute metrics.

Nothing here talks to Slack: messages are written to the delivery outbox in the caller's
transaction, and the Block Kit they carry comes from a `Renderer` the caller passes in.
"""

import math
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col, select

from bot.args import shown
from bot.clock import Clock
from bot.delivery import OutboundMessage, enqueue, open_campaign
from bot.errors import DomainError, FieldErrors, InvalidInput, NotFound, PermissionDenied
from bot.mrkdwn import Mrkdwn, counted, escape, user_text
from bot.templating import render
from directory import service as directory
from directory.models import Channel, Department, DepartmentMember
from helpdesk import hours as bh
from helpdesk.models import (
    ACTIVE_STATUSES,
    Desk,
    DeskAlias,
    DeskCategory,
    DeskHoliday,
    DeskSla,
    HelpRequest,
    Priority,
    Rating,
    SlaAlert,
    Status,
)

PACKAGE = "helpdesk"
RESERVED = {"list", "queue", "stats", "help", "mine"}
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
SLACK_USER = re.compile(r"[UW][A-Z0-9]{1,31}")
MAX_SUMMARY = 150
MAX_DETAILS = 2500
WARNING_SHARE = 0.75
FIRST_RESPONSE, RESOLUTION = "first_response", "resolution"
WARNING, BREACH = "warning", "breach"

# Business minutes (first response, resolution) when an admin has not set a priority's targets.
DEFAULT_SLA: dict[str, tuple[int, int]] = {
    Priority.URGENT: (60, 240),
    Priority.HIGH: (240, 480),
    Priority.NORMAL: (480, 1440),
    Priority.LOW: (960, 2400),
}

STATUS_LABELS: dict[str, str] = {
    Status.OPEN: "Open",
    Status.IN_PROGRESS: "In progress",
    Status.WAITING: "Waiting on requester",
    Status.RESOLVED: "Resolved",
    Status.CLOSED: "Closed",
}


# -- what the caller renders -----------------------------------------------------------------


@dataclass(frozen=True)
class RequestView:
    """A request as people see it: plain values, safe to pass between threads."""

    id: int
    desk_key: str
    desk_name: str
    channel_id: str
    requester_id: str
    opened_by: str
    assignee_id: str | None
    summary: str
    details: str
    priority: str
    category: str | None
    status: str
    source_link: str | None
    permalink: str | None
    created_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    rated: int | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Renderer(Protocol):
    """Block Kit for the messages the domain enqueues (helpdesk.blocks implements it)."""

    def parent_blocks(self, view: RequestView) -> list[dict[str, Any]]:
        """The parent message in the intake channel: summary, status and buttons."""
        ...

    def rating_blocks(self, view: RequestView) -> list[dict[str, Any]]:
        """The DM asking the requester to rate a resolved request."""
        ...


@dataclass(frozen=True)
class DeskInfo:
    """A desk's settings, for `/commons desk list|show` and the request modal."""

    key: str
    name: str
    channel_id: str
    usergroup_id: str
    lead_user_id: str | None
    escalation_channel_id: str | None
    hours: bh.BusinessHours
    reaction: str
    close_after_days: int
    aliases: list[str]
    categories: list[str]
    slas: dict[str, tuple[int, int]]


@dataclass(frozen=True)
class Opened:
    """The outcome of opening a request: the request, and whether it already existed."""

    view: RequestView
    existed: bool = False


@dataclass(frozen=True)
class Stats:
    """A desk's metrics (durations in business seconds, ages in calendar seconds)."""

    desk_name: str
    counts: dict[str, int]
    total: int
    first_response_median: float | None
    first_response_p90: float | None
    resolution_median: float | None
    resolution_p90: float | None
    breach_rate: float | None
    csat: float | None
    rated: int
    backlog: int
    backlog_oldest: float | None
    backlog_median: float | None
    warnings: list[str] = field(default_factory=list)


# -- metric formulas (pure) ------------------------------------------------------------------


def median(values: Sequence[float]) -> float | None:
    """The median, or None for no values."""
    return float(statistics.median(values)) if values else None


def p90(values: Sequence[float]) -> float | None:
    """The 90th percentile by nearest rank (the smallest value >= 90 % of the values)."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)])


def csat(scores: Sequence[int]) -> float | None:
    """Percentage of ratings that are 4 or 5, among rated requests."""
    if not scores:
        return None
    return 100.0 * sum(1 for s in scores if s >= 4) / len(scores)


def breach_rate(breached: int, total: int) -> float | None:
    """Percentage of requests that breached at least one SLA target."""
    return 100.0 * breached / total if total else None


# -- desks -----------------------------------------------------------------------------------


def business_hours(*, session: Session, desk: Desk) -> bh.BusinessHours:
    """The desk's working week, with its holidays."""
    holidays = session.exec(
        select(col(DeskHoliday.day)).where(DeskHoliday.desk_id == desk.id)
    ).all()
    start_h, start_m = (int(x) for x in desk.day_start.split(":"))
    end_h, end_m = (int(x) for x in desk.day_end.split(":"))
    return bh.BusinessHours(
        zone=desk.timezone,
        days=frozenset(int(d) for d in desk.work_days.split(",") if d),
        start=time(start_h, start_m),
        end=time(end_h, end_m),
        holidays=frozenset(holidays),
    )


def desk_keys(*, session: Session) -> list[str]:
    """The keys of active desks, sorted."""
    return list(
        session.exec(
            select(Desk.key).where(Desk.active == True).order_by(col(Desk.key))  # noqa: E712
        ).all()
    )


def find_desk(*, session: Session, reference: str, field: str | None = None) -> Desk:
    """An active desk by key, alias or name (any case).

    Args:
        field: the form field the reference came from, if any.

    Raises:
        NotFound: with the list of desks.
    """
    ref = reference.strip().lower()
    desk = session.exec(select(Desk).where(Desk.key == ref, Desk.active == True)).first()  # noqa: E712
    if desk is None:
        alias = session.get(DeskAlias, ref)
        if alias is not None:
            desk = session.get(Desk, alias.desk_id)
    if desk is None:
        desk = next(
            (
                d
                for d in session.exec(select(Desk).where(Desk.active == True)).all()  # noqa: E712
                if d.name.lower() == ref
            ),
            None,
        )
    if desk is None or not desk.active:
        keys = desk_keys(session=session)
        listing = ", ".join(f"`{k}`" for k in keys) if keys else "none yet (an admin adds them)"
        if not ref:
            raise InvalidInput(f"Pick a desk. Desks: {listing}.", field=field)
        raise NotFound(f"There is no desk `{shown(reference)}`. Desks: {listing}.", field=field)
    return desk


def is_agent(*, session: Session, desk: Desk, user_id: str) -> bool:
    """Whether the person is in the desk's user group."""
    found = session.exec(
        select(DepartmentMember.person_id)
        .join(Department, col(Department.id) == DepartmentMember.department_id)
        .where(Department.usergroup_id == desk.usergroup_id, DepartmentMember.person_id == user_id)
    ).first()
    return found is not None


def _admin_desk(
    session: Session, admins: Sequence[str], actor: str, key: str, *, active: bool = True
) -> Desk:
    directory.require_admin(session=session, admins=admins, user_id=actor)
    return find_desk(session=session, reference=key)


def add_desk(
    *,
    session: Session,
    clock: Clock,
    admins: Sequence[str],
    actor: str,
    key: str,
    name: str,
    channel: str,
    usergroup: str,
) -> Desk:
    """Create a desk (or bring back a removed one with the same key).

    Raises:
        PermissionDenied: not an admin.
        InvalidInput: a bad key, a channel Commons cannot post in, a key already taken.
        NotFound: an unknown channel or user group.
    """
    directory.require_admin(session=session, admins=admins, user_id=actor)
    return _save_desk(
        session,
        clock,
        actor,
        key=_new_key(session, key),
        name=_new_name(name),
        channel=_intake_channel(session, channel),
        department=directory.find_department(session=session, reference=usergroup),
    )


def _save_desk(
    session: Session,
    clock: Clock,
    actor: str,
    *,
    key: str,
    name: str,
    channel: Channel,
    department: Department,
) -> Desk:
    """Write a desk whose key, name, channel and agents were checked (a removed one comes back)."""
    now = clock.now()
    desk = session.exec(select(Desk).where(Desk.key == key)).first()
    if desk is None:
        desk = Desk(
            key=key,
            name=name,
            channel_id=channel.slack_id,
            usergroup_id=department.usergroup_id,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
    desk.name = name
    desk.channel_id = channel.slack_id
    desk.usergroup_id = department.usergroup_id
    desk.active = True
    desk.updated_at = now
    session.add(desk)
    session.flush()
    return desk


@dataclass(frozen=True)
class DeskForm:
    """The desk set-up form, as filled in (channel and user group as Slack ids)."""

    key: str
    name: str
    channel: str
    usergroup: str
    days: str
    start: str
    end: str
    zone: str


# The set-up form's fields that must not be left empty, and how to ask for each.
_REQUIRED = {
    "key": "a short key people type, such as it",
    "name": "the desk's name",
    "channel": "the channel where requests are posted",
    "usergroup": "the user group of the desk's agents",
    "days": "the working days",
    "start": "the opening time",
    "end": "the closing time",
    "zone": "the time zone",
}


def create_desk(
    *, session: Session, clock: Clock, admins: Sequence[str], actor: str, form: DeskForm
) -> Desk:
    """Create a desk and its hours from the set-up form, or say what is wrong with each field.

    Raises:
        PermissionDenied: not an admin.
        FieldErrors: by field name of DeskForm.
    """
    directory.require_admin(session=session, admins=admins, user_id=actor)
    missing = {
        name: f"Fill in {what}."
        for name, what in _REQUIRED.items()
        if not getattr(form, name).strip()
    }
    checks: dict[str, Callable[[], Any]] = {
        "key": lambda: _new_key(session, form.key),
        "name": lambda: _new_name(form.name),
        "channel": lambda: _intake_channel(session, form.channel),
        "usergroup": lambda: directory.find_department(session=session, reference=form.usergroup),
        "days": lambda: bh.parse_days(form.days),
        "end": lambda: bh.parse_window(f"{form.start}-{form.end}"),
        "zone": lambda: bh.parse_zone(form.zone),
    }
    checked: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field_name, check in checks.items():
        if field_name in missing:
            continue
        try:
            checked[field_name] = check()
        except DomainError as error:
            errors[field_name] = error.message
    if errors or missing:
        raise FieldErrors({**missing, **errors})
    desk = _save_desk(
        session,
        clock,
        actor,
        key=checked["key"],
        name=checked["name"],
        channel=checked["channel"],
        department=checked["usergroup"],
    )
    _set_hours(desk, checked["days"], checked["end"], checked["zone"], clock.now())
    session.add(desk)
    return desk


def _new_key(session: Session, key: str) -> str:
    """A key no active desk or alias has; lowercased."""
    key = key.strip().lower()
    if not KEY.match(key) or key in RESERVED:
        raise InvalidInput(
            f"`{shown(key)}` can't be a desk key: use up to 32 lowercase letters, digits, - or _ "
            f"(and not {', '.join(sorted(RESERVED))})."
        )
    if session.get(DeskAlias, key) is not None:
        raise InvalidInput(f"`{key}` is already another desk's alias.")
    desk = session.exec(select(Desk).where(Desk.key == key, Desk.active == True)).first()  # noqa: E712
    if desk is not None:
        raise InvalidInput(
            f"There is already a desk `{key}` ({desk.name}). Change it with the other "
            "`/commons desk` commands, or remove it first."
        )
    return key


def _new_name(name: str) -> str:
    if not name.strip():
        raise InvalidInput('Give the desk a name: `/commons desk add it "IT" #it-help @it`.')
    return name.strip()[:80]


def _intake_channel(session: Session, channel: str) -> Channel:
    """A channel Commons can post in that is no other desk's intake."""
    found = directory.find_channel(session=session, reference=channel)
    _check_intake_channel(found)
    other = session.exec(
        select(Desk).where(Desk.channel_id == found.slack_id, Desk.active == True)  # noqa: E712
    ).first()
    if other is not None:
        raise InvalidInput(f"<#{found.slack_id}> is already the intake channel of `{other.key}`.")
    return found


def _check_intake_channel(channel: Channel) -> None:
    if channel.is_archived:
        raise InvalidInput(f"<#{channel.slack_id}> is archived; pick a channel people still read.")
    if not channel.bot_is_member:
        raise InvalidInput(
            f"Commons is not in <#{channel.slack_id}>. Invite it there with `/invite @Commons` "
            "(and run `/commons sync`), then try again."
        )


def desk_form_choices(
    *, session: Session, admins: Sequence[str], actor: str, default_zone: str
) -> tuple[list[tuple[str, str]], str]:
    """What the desk set-up form offers an admin: (label, user group id) of every department,
    and the admin's own time zone.

    Raises:
        PermissionDenied: not an admin.
    """
    directory.require_admin(session=session, admins=admins, user_id=actor)
    departments = [
        (f"{d.name or d.handle} (@{d.handle})", d.usergroup_id)
        for d in directory.list_departments(session=session)
    ]
    return departments, directory.zone_of(session=session, user_id=actor, default=default_zone)


def remove_desk(
    *, session: Session, clock: Clock, admins: Sequence[str], actor: str, key: str
) -> Desk:
    """Stop a desk taking requests (its requests and settings are kept; `add` brings it back)."""
    desk = _admin_desk(session, admins, actor, key)
    desk.active = False
    desk.updated_at = clock.now()
    session.add(desk)
    return desk


def set_hours(
    *,
    session: Session,
    clock: Clock,
    admins: Sequence[str],
    actor: str,
    key: str,
    days: str,
    window: str,
    zone: str,
) -> tuple[Desk, bh.BusinessHours]:
    """Set business days, the daily window and the time zone; returns the desk and its hours."""
    desk = _admin_desk(session, admins, actor, key)
    _set_hours(desk, bh.parse_days(days), bh.parse_window(window), bh.parse_zone(zone), clock.now())
    session.add(desk)
    return desk, business_hours(session=session, desk=desk)


def _set_hours(
    desk: Desk, days: frozenset[int], window: tuple[time, time], zone: str, now: datetime
) -> None:
    """Set checked business days, daily window and zone on a desk."""
    start, end = window
    desk.timezone = zone
    desk.work_days = ",".join(str(d) for d in sorted(days))
    desk.day_start, desk.day_end = f"{start:%H:%M}", f"{end:%H:%M}"
    desk.updated_at = now


def set_holiday(
    *, session: Session, admins: Sequence[str], actor: str, key: str, day: date, remove: bool
) -> tuple[Desk, date]:
    """Add (or remove) a closed day."""
    desk = _admin_desk(session, admins, actor, key)
    parsed = day
    existing = session.get(DeskHoliday, (desk.id, parsed))
    if remove:
        if existing is None:
            raise NotFound(f"{parsed:%a %d %b %Y} is not a holiday of `{desk.key}`.")
        session.delete(existing)
    elif existing is None:
        assert desk.id is not None
        session.add(DeskHoliday(desk_id=desk.id, day=parsed))
    return desk, parsed


def set_sla(
    *,
    session: Session,
    admins: Sequence[str],
    actor: str,
    key: str,
    priority: str,
    first_response: str,
    resolution: str,
) -> tuple[Desk, int, int]:
    """Set a priority's targets (business time) at a desk."""
    desk = _admin_desk(session, admins, actor, key)
    wanted = parse_priority(priority)
    day = business_hours(session=session, desk=desk).day_seconds
    first = bh.parse_duration(first_response, day_seconds=day)
    resolve = bh.parse_duration(resolution, day_seconds=day)
    if resolve < first:
        raise InvalidInput("The resolution target can't be shorter than the first-response target.")
    assert desk.id is not None
    row = session.get(DeskSla, (desk.id, wanted.value)) or DeskSla(
        desk_id=desk.id,
        priority=wanted.value,
        first_response_minutes=first,
        resolution_minutes=resolve,
    )
    row.first_response_minutes, row.resolution_minutes = first, resolve
    session.add(row)
    return desk, first, resolve


def set_alias(
    *, session: Session, admins: Sequence[str], actor: str, key: str, alias: str, remove: bool
) -> Desk:
    """Add (or remove) another name for a desk."""
    desk = _admin_desk(session, admins, actor, key)
    alias = alias.lower().lstrip("@#")
    existing = session.get(DeskAlias, alias)
    if remove:
        if existing is None or existing.desk_id != desk.id:
            raise NotFound(f"`{shown(alias)}` is not an alias of `{desk.key}`.")
        session.delete(existing)
        return desk
    if not KEY.match(alias) or alias in RESERVED:
        raise InvalidInput(f"`{shown(alias)}` can't be an alias: use letters, digits, - or _.")
    taken = session.exec(select(Desk).where(Desk.key == alias)).first()
    if taken is not None or (existing is not None and existing.desk_id != desk.id):
        raise InvalidInput(f"`{shown(alias)}` already names another desk.")
    assert desk.id is not None
    session.add(DeskAlias(alias=alias, desk_id=desk.id))
    return desk


def set_category(
    *, session: Session, admins: Sequence[str], actor: str, key: str, name: str, remove: bool
) -> Desk:
    """Add (or remove) a category requesters can choose."""
    desk = _admin_desk(session, admins, actor, key)
    name = name.strip()[:64]
    if not name:
        raise InvalidInput("Name the category: `/commons desk category it Hardware`.")
    assert desk.id is not None
    existing = session.get(DeskCategory, (desk.id, name))
    if remove:
        if existing is None:
            raise NotFound(f"`{desk.key}` has no category `{shown(name, 64)}`.")
        session.delete(existing)
    elif existing is None:
        session.add(DeskCategory(desk_id=desk.id, name=name))
    return desk


def set_lead(
    *,
    session: Session,
    admins: Sequence[str],
    actor: str,
    key: str,
    user_id: str | None,
    channel: str | None,
) -> Desk:
    """Set who hears about breaches: a lead (DM), a channel, or both."""
    desk = _admin_desk(session, admins, actor, key)
    if user_id is not None:
        desk.lead_user_id = directory.find_person(session=session, reference=user_id).slack_id
    if channel is not None:
        found = directory.find_channel(session=session, reference=channel)
        _check_intake_channel(found)
        desk.escalation_channel_id = found.slack_id
    session.add(desk)
    return desk


def set_reaction(
    *, session: Session, admins: Sequence[str], actor: str, key: str, reaction: str
) -> Desk:
    """Set the emoji that turns a message in the intake channel into a request."""
    desk = _admin_desk(session, admins, actor, key)
    name = reaction.strip().strip(":").lower()
    if not re.match(r"^[a-z0-9_+'-]{1,64}$", name):
        raise InvalidInput(f"`{shown(reaction)}` is not an emoji name. Write it like `:ticket:`.")
    desk.reaction = name
    session.add(desk)
    return desk


def set_autoclose(
    *, session: Session, admins: Sequence[str], actor: str, key: str, days: int
) -> Desk:
    """Set after how many days a resolved request closes itself."""
    desk = _admin_desk(session, admins, actor, key)
    if not 1 <= days <= 90:
        raise InvalidInput(f"{days} is not a number of days from 1 to 90.")
    desk.close_after_days = days
    session.add(desk)
    return desk


def desk_info(*, session: Session, desk: Desk) -> DeskInfo:
    """Everything about a desk's settings."""
    aliases = session.exec(
        select(DeskAlias.alias).where(DeskAlias.desk_id == desk.id).order_by(col(DeskAlias.alias))
    ).all()
    categories = session.exec(
        select(DeskCategory.name)
        .where(DeskCategory.desk_id == desk.id)
        .order_by(col(DeskCategory.name))
    ).all()
    return DeskInfo(
        key=desk.key,
        name=desk.name,
        channel_id=desk.channel_id,
        usergroup_id=desk.usergroup_id,
        lead_user_id=desk.lead_user_id,
        escalation_channel_id=desk.escalation_channel_id,
        hours=business_hours(session=session, desk=desk),
        reaction=desk.reaction,
        close_after_days=desk.close_after_days,
        aliases=list(aliases),
        categories=list(categories),
        slas={p.value: sla_targets(session=session, desk=desk, priority=p.value) for p in Priority},
    )


def list_desks(*, session: Session) -> list[DeskInfo]:
    """Every active desk."""
    desks = session.exec(
        select(Desk).where(Desk.active == True).order_by(col(Desk.key))  # noqa: E712
    ).all()
    return [desk_info(session=session, desk=d) for d in desks]


def sla_targets(*, session: Session, desk: Desk, priority: str) -> tuple[int, int]:
    """(first response, resolution) in business minutes."""
    row = session.get(DeskSla, (desk.id, priority))
    if row is not None:
        return row.first_response_minutes, row.resolution_minutes
    return DEFAULT_SLA.get(priority, DEFAULT_SLA[Priority.NORMAL])


def parse_priority(text: str, *, field: str | None = None) -> Priority:
    """A priority name.

    Raises:
        InvalidInput: with the choices (about `field`, when it came from a form).
    """
    try:
        return Priority(text.strip().lower())
    except ValueError:
        choices = ", ".join(p.value for p in Priority)
        raise InvalidInput(
            f"`{shown(text)}` is not a priority. Priorities: {choices}.", field=field
        ) from None


# -- requests --------------------------------------------------------------------------------


def view_of(*, session: Session, request: HelpRequest) -> RequestView:
    """The plain view of a request."""
    desk = session.get(Desk, request.desk_id)
    assert desk is not None
    assert request.id is not None
    rating = session.get(Rating, request.id)
    return RequestView(
        id=request.id,
        desk_key=desk.key,
        desk_name=desk.name,
        channel_id=request.channel_id,
        requester_id=request.requester_id,
        opened_by=request.opened_by,
        assignee_id=request.assignee_id,
        summary=request.summary,
        details=request.details,
        priority=request.priority,
        category=request.category,
        status=request.status,
        source_link=request.source_link,
        permalink=request.permalink,
        created_at=request.created_at,
        first_response_at=request.first_response_at,
        resolved_at=request.resolved_at,
        rated=rating.score if rating else None,
    )


def _campaign(session: Session, clock: Clock, desk: Desk) -> str:
    campaign_id = f"helpdesk-desk-{desk.id}"
    open_campaign(
        session=session,
        clock=clock,
        campaign_id=campaign_id,
        kind="helpdesk",
        title=f"Help desk {desk.name}",
    )
    return campaign_id


def open_request(
    *,
    session: Session,
    clock: Clock,
    renderer: Renderer,
    desk_ref: str,
    requester_id: str,
    opened_by: str,
    summary: str,
    details: str = "",
    priority: str = "normal",
    category: str | None = None,
    source: str = "command",
    source_channel: str | None = None,
    source_ts: str | None = None,
    source_link: str | None = None,
) -> Opened:
    """Open a request: its parent message goes to the desk's intake channel through the outbox.

    A message already turned into a request (by shortcut or reaction) gives back that request.
    Errors name the form field they are about ("desk", "summary", "priority", "category").

    Raises:
        NotFound: no such desk (the message lists the desks).
        InvalidInput: an empty summary, an unknown priority or category.
    """
    desk = find_desk(session=session, reference=desk_ref, field="desk")
    summary = " ".join(summary.split())
    if not summary:
        raise InvalidInput(
            f"Say what you need: `/request {desk.key} &lt;one-line summary&gt;`, or `/request` "
            "for a form.",
            field="summary",
        )
    if len(summary) > MAX_SUMMARY:
        summary = summary[: MAX_SUMMARY - 1] + "…"
    wanted = parse_priority(priority, field="priority")
    if category:
        _check_category(session, desk, category)
    if source_channel and source_ts:
        existing = session.exec(
            select(HelpRequest).where(
                HelpRequest.source_channel == source_channel, HelpRequest.source_ts == source_ts
            )
        ).first()
        if existing is not None:
            return Opened(view=view_of(session=session, request=existing), existed=True)
    now = clock.now()
    request = HelpRequest(
        desk_id=desk.id or 0,
        requester_id=requester_id,
        opened_by=opened_by,
        summary=summary,
        details=details.strip()[:MAX_DETAILS],
        priority=wanted.value,
        category=category or None,
        source=source,
        source_channel=source_channel,
        source_ts=source_ts,
        source_link=source_link,
        channel_id=desk.channel_id,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    request.parent_key = f"helpdesk.r{request.id}.parent"
    session.add(request)
    view = view_of(session=session, request=request)
    enqueue(
        session=session,
        clock=clock,
        campaign_id=_campaign(session, clock, desk),
        messages=[
            OutboundMessage(
                target=desk.channel_id,
                text=render(PACKAGE, "parent.j2", view=view, label=view.status_label),
                blocks=renderer.parent_blocks(view),
                idempotency_key=request.parent_key,
            )
        ],
    )
    request.rendered_version = request.version
    session.add(request)
    return Opened(view=view)


def _check_category(session: Session, desk: Desk, category: str) -> None:
    known = desk_info(session=session, desk=desk).categories
    if category not in known:
        listing = ", ".join(escape(k) for k in known) or "none"
        raise InvalidInput(
            f"`{shown(category, 64)}` is not a category of {escape(desk.name)}. "
            f"Categories: {listing}.",
            field="category",
        )


@dataclass(frozen=True)
class RequestForm:
    """The request form as filled in. `category_desk`: the desk the chosen category belongs to
    (the form lists every desk's categories)."""

    desk: str
    summary: str
    details: str = ""
    priority: str = "normal"
    category: str | None = None
    category_desk: str | None = None


@dataclass(frozen=True)
class MessageSource:
    """A Slack message a request is made from, as Commons read it (never as a payload claims)."""

    channel: str
    ts: str
    link: str | None = None
    author: str | None = None
    text: str = ""


def submit_request(
    *,
    session: Session,
    clock: Clock,
    renderer: Renderer,
    actor: str,
    form: RequestForm,
    source: MessageSource | None = None,
) -> Opened:
    """Open a request from the form, as `actor`; from a message when `source` is given.

    The requester is the person acting. From someone else's message, its author is linked as
    the source and told by DM; unless the actor is an agent of the chosen desk, who files it on
    the author's behalf (the author is then the requester, and the parent message says who
    filed it).

    Raises:
        NotFound, InvalidInput: as `open_request`, with the field each error is about.
    """
    desk = find_desk(session=session, reference=form.desk, field="desk")
    if form.category and form.category_desk is not None:
        owner = find_desk(session=session, reference=form.category_desk, field="category")
        if owner.id != desk.id:
            raise InvalidInput(
                f"That category belongs to {escape(owner.name)}, not {escape(desk.name)}.",
                field="category",
            )
    author = source.author if source is not None else None
    on_behalf = bool(author and author != actor) and is_agent(
        session=session, desk=desk, user_id=actor
    )
    opened = open_request(
        session=session,
        clock=clock,
        renderer=renderer,
        desk_ref=desk.key,
        requester_id=author if on_behalf and author else actor,
        opened_by=actor,
        summary=form.summary,
        details=form.details,
        priority=form.priority or "normal",
        category=form.category or None,
        source="shortcut" if source is not None else "modal",
        source_channel=source.channel if source is not None else None,
        source_ts=source.ts if source is not None else None,
        source_link=source.link if source is not None else None,
    )
    if source is not None and author and author != opened.view.requester_id and not opened.existed:
        _tell_author(session, clock, opened.view, author=author, source=source)
    return opened


def _tell_author(
    session: Session, clock: Clock, view: RequestView, *, author: str, source: MessageSource
) -> None:
    """DM the author of a message someone else turned into their own request."""
    desk = find_desk(session=session, reference=view.desk_key)
    text = render(PACKAGE, "dm_source.j2", view=view, link=source.link, channel=source.channel)
    enqueue(
        session=session,
        clock=clock,
        campaign_id=_campaign(session, clock, desk),
        messages=[
            OutboundMessage(
                target=author, text=text, idempotency_key=f"helpdesk.r{view.id}.source.dm"
            )
        ],
    )


def open_from_reaction(
    *,
    session: Session,
    clock: Clock,
    renderer: Renderer,
    desk_ref: str,
    reactor: str,
    message: MessageSource,
) -> Opened:
    """A desk's reaction on a message in its intake channel: the message's author asked, so the
    request is theirs; the parent says who reacted."""
    text = message.text
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    return open_request(
        session=session,
        clock=clock,
        renderer=renderer,
        desk_ref=desk_ref,
        requester_id=message.author or reactor,
        opened_by=reactor,
        summary=first_line or "Request from a message",
        details=text,
        source="reaction",
        source_channel=message.channel,
        source_ts=message.ts,
        source_link=message.link,
    )


def reaction_desk(*, session: Session, channel_id: str, ts: str, reaction: str) -> str | None:
    """The key of the desk a reaction opens a request at, or None (another channel or emoji, or
    a reaction on a request's own parent message)."""
    key = desk_for_reaction(session=session, channel_id=channel_id, reaction=reaction)
    if key is None or is_request_parent(session=session, channel_id=channel_id, ts=ts):
        return None
    return key


def _load(session: Session, request_id: int) -> tuple[HelpRequest, Desk]:
    request = session.get(HelpRequest, request_id, with_for_update=True)
    if request is None:
        raise NotFound(f"There is no request #{request_id}.")
    desk = session.get(Desk, request.desk_id)
    assert desk is not None
    return request, desk


def _require_agent(session: Session, desk: Desk, actor: str, doing: str) -> None:
    if not is_agent(session=session, desk=desk, user_id=actor):
        raise PermissionDenied(
            f"Only {desk.name} agents (people in <!subteam^{desk.usergroup_id}>) can {doing}. "
            "Reply in the thread if you want to add something."
        )


def _change(
    session: Session,
    clock: Clock,
    renderer: Renderer,
    request: HelpRequest,
    desk: Desk,
    *,
    actor: str,
    note: str,
    tell_requester: bool = True,
    extra: list[OutboundMessage] | None = None,
) -> RequestView:
    """Record a change: bump the version (the parent is edited), note it in the thread, tell the
    requester by DM."""
    request.version += 1
    request.updated_at = clock.now()
    session.add(request)
    session.flush()
    view = view_of(session=session, request=request)
    base = f"helpdesk.r{request.id}.v{request.version}"
    text = render(PACKAGE, "note.j2", note=Mrkdwn(note), actor=Mrkdwn(f"<@{actor}>"), view=view)
    messages = [
        OutboundMessage(
            target=request.channel_id,
            text=text,
            idempotency_key=f"{base}.note",
            parent_key=request.parent_key,
        )
    ]
    if tell_requester and actor != request.requester_id:
        messages.append(
            OutboundMessage(
                target=request.requester_id,
                text=render(PACKAGE, "dm_update.j2", note=Mrkdwn(note), view=view),
                idempotency_key=f"{base}.dm",
            )
        )
    messages.extend(extra or [])
    enqueue(
        session=session,
        clock=clock,
        campaign_id=_campaign(session, clock, desk),
        messages=messages,
    )
    return view


def _stop_clock(session: Session, request: HelpRequest, desk: Desk, now: datetime) -> None:
    if request.waiting_since is None:
        request.waiting_since = now


def _restart_clock(session: Session, request: HelpRequest, desk: Desk, now: datetime) -> None:
    if request.waiting_since is not None:
        request.paused_seconds += bh.business_seconds(
            business_hours(session=session, desk=desk), request.waiting_since, now
        )
        request.waiting_since = None


def claim(
    *, session: Session, clock: Clock, renderer: Renderer, actor: str, request_id: int
) -> RequestView:
    """An agent takes the request: it is theirs and in progress.

    Raises:
        PermissionDenied: not an agent of the desk.
        InvalidInput: the request is resolved or closed, or already theirs.
    """
    return assign(
        session=session,
        clock=clock,
        renderer=renderer,
        actor=actor,
        request_id=request_id,
        assignee=actor,
    )


def assign(
    *,
    session: Session,
    clock: Clock,
    renderer: Renderer,
    actor: str,
    request_id: int,
    assignee: str,
) -> RequestView:
    """An agent gives the request to an agent (themselves when claiming).

    Raises:
        PermissionDenied: the actor is not an agent.
        InvalidInput: the assignee is not an agent; the request is not active; no change.
    """
    request, desk = _load(session, request_id)
    _require_agent(session, desk, actor, "claim or assign requests")
    if not SLACK_USER.fullmatch(assignee):
        raise InvalidInput("Pick the person to assign it to in *Assign to…*.")
    if request.status not in ACTIVE_STATUSES:
        raise InvalidInput(
            f"Request #{request.id} is {STATUS_LABELS[request.status].lower()}; reopen it first."
        )
    if not is_agent(session=session, desk=desk, user_id=assignee):
        raise InvalidInput(f"<@{assignee}> is not a {desk.name} agent; pick someone in the desk.")
    if request.assignee_id == assignee and request.status == Status.IN_PROGRESS:
        raise InvalidInput(f"Request #{request.id} is already <@{assignee}>'s and in progress.")
    now = clock.now()
    _restart_clock(session, request, desk, now)
    request.assignee_id = assignee
    request.status = Status.IN_PROGRESS
    note = (
        f"<@{actor}> took this request."
        if assignee == actor
        else f"<@{actor}> assigned this request to <@{assignee}>."
    )
    return _change(session, clock, renderer, request, desk, actor=actor, note=note)


def wait_on_requester(
    *, session: Session, clock: Clock, renderer: Renderer, actor: str, request_id: int
) -> RequestView:
    """An agent is waiting for the requester: the resolution clock stops until they reply."""
    request, desk = _load(session, request_id)
    _require_agent(session, desk, actor, "change a request's status")
    if request.status not in (Status.OPEN, Status.IN_PROGRESS):
        raise InvalidInput(
            f"Request #{request.id} is {STATUS_LABELS[request.status].lower()}; "
            "only open or in-progress requests can wait on the requester."
        )
    request.status = Status.WAITING
    if request.assignee_id is None:
        request.assignee_id = actor
    _stop_clock(session, request, desk, clock.now())
    return _change(
        session,
        clock,
        renderer,
        request,
        desk,
        actor=actor,
        note=f"Waiting on <@{request.requester_id}>: please answer in this thread.",
    )


def resolve(
    *, session: Session, clock: Clock, renderer: Renderer, actor: str, request_id: int
) -> RequestView:
    """An agent resolves the request; the requester is asked to rate it."""
    request, desk = _load(session, request_id)
    _require_agent(session, desk, actor, "resolve requests")
    if request.status not in ACTIVE_STATUSES:
        raise InvalidInput(
            f"Request #{request.id} is already {STATUS_LABELS[request.status].lower()}."
        )
    now = clock.now()
    _restart_clock(session, request, desk, now)
    request.status = Status.RESOLVED
    request.resolved_at = now
    request.assignee_id = request.assignee_id or actor
    _stop_clock(session, request, desk, now)
    rated = session.get(Rating, request.id) is not None
    view = view_of(session=session, request=request)
    extra = (
        []
        if rated
        else [
            OutboundMessage(
                target=request.requester_id,
                text=render(PACKAGE, "rate.j2", view=view),
                blocks=renderer.rating_blocks(view),
                idempotency_key=f"helpdesk.r{request.id}.v{request.version + 1}.rate",
            )
        ]
    )
    return _change(
        session,
        clock,
        renderer,
        request,
        desk,
        actor=actor,
        note=f"<@{actor}> resolved this request. It closes by itself in "
        f"{counted(desk.close_after_days, 'day')} unless <@{request.requester_id}> reopens it.",
        extra=extra,
    )


def reopen(
    *, session: Session, clock: Clock, renderer: Renderer, actor: str, request_id: int
) -> RequestView:
    """The requester or an agent reopens a resolved request."""
    request, desk = _load(session, request_id)
    if actor != request.requester_id and not is_agent(session=session, desk=desk, user_id=actor):
        raise PermissionDenied(
            f"Only <@{request.requester_id}> (who asked) or a {desk.name} agent can reopen "
            f"request #{request.id}."
        )
    if request.status != Status.RESOLVED:
        hint = (
            " It is closed: open a new request with `/request " + desk.key + " ...`."
            if request.status == Status.CLOSED
            else ""
        )
        raise InvalidInput(
            f"Request #{request.id} is {STATUS_LABELS[request.status].lower()}; "
            f"only resolved requests can be reopened.{hint}"
        )
    now = clock.now()
    _restart_clock(session, request, desk, now)
    request.status = Status.IN_PROGRESS if request.assignee_id else Status.OPEN
    request.resolved_at = None
    request.reopened += 1
    return _change(
        session,
        clock,
        renderer,
        request,
        desk,
        actor=actor,
        note=f"<@{actor}> reopened this request.",
    )


def thread_reply(
    *,
    session: Session,
    clock: Clock,
    renderer: Renderer,
    channel_id: str,
    thread_ts: str,
    user_id: str,
) -> RequestView | None:
    """Someone wrote in a request's thread: the first agent reply is the first response; the
    requester answering a request that waits on them puts it back in progress.

    Returns:
        The request when it changed, else None (also for threads that are not requests).
    """
    request = session.exec(
        select(HelpRequest)
        .where(HelpRequest.channel_id == channel_id, HelpRequest.parent_ts == thread_ts)
        .with_for_update()
    ).first()
    if request is None:
        return None
    desk = session.get(Desk, request.desk_id)
    assert desk is not None
    now = clock.now()
    if (
        request.first_response_at is None
        and request.status in ACTIVE_STATUSES
        and is_agent(session=session, desk=desk, user_id=user_id)
    ):
        request.first_response_at = now
        request.version += 1
        session.add(request)
        return view_of(session=session, request=request)
    if request.status == Status.WAITING and user_id == request.requester_id:
        _restart_clock(session, request, desk, now)
        request.status = Status.IN_PROGRESS
        return _change(
            session,
            clock,
            renderer,
            request,
            desk,
            actor=user_id,
            note=f"<@{user_id}> answered; back in progress.",
        )
    return None


# -- satisfaction ----------------------------------------------------------------------------


def rate(*, session: Session, clock: Clock, actor: str, request_id: int, score: int) -> RequestView:
    """The requester rates a resolved request 1-5, once.

    Raises:
        PermissionDenied: not the requester.
        InvalidInput: not resolved yet, a score out of range, already rated.
    """
    request, _ = _load(session, request_id)
    if actor != request.requester_id:
        raise PermissionDenied(f"Only <@{request.requester_id}> can rate request #{request.id}.")
    if request.status not in (Status.RESOLVED, Status.CLOSED):
        raise InvalidInput(f"Request #{request.id} is not resolved yet; rate it once it is.")
    if not 1 <= score <= 5:
        raise InvalidInput("A rating is from 1 to 5.")
    if not _insert_ignore(
        session,
        Rating,
        {"request_id": request.id, "score": score, "comment": "", "rated_at": clock.now()},
    ):
        raise InvalidInput(f"You have already rated request #{request.id}; one rating per request.")
    request.version += 1  # the parent shows the rating
    session.add(request)
    session.flush()
    return view_of(session=session, request=request)


def check_commentable(*, session: Session, actor: str, request_id: int) -> Rating:
    """The rating the person may still add a comment to.

    Raises:
        NotFound: no such request.
        PermissionDenied: not the requester.
        InvalidInput: not rated yet, or already commented.
    """
    request = session.get(HelpRequest, request_id)
    if request is None:
        raise NotFound(f"There is no request #{request_id}.")
    if actor != request.requester_id:
        raise PermissionDenied(f"Only <@{request.requester_id}> can comment on this rating.")
    rating = session.get(Rating, request_id)
    if rating is None:
        raise InvalidInput("Rate the request first (1-5), then add a comment.")
    if rating.comment:
        raise InvalidInput("You have already added a comment to this rating.")
    return rating


def add_comment(
    *, session: Session, clock: Clock, actor: str, request_id: int, comment: str
) -> RequestView:
    """The requester adds a comment to their rating, once.

    Raises:
        as `check_commentable`; InvalidInput (field "comment") for an empty comment.
    """
    request, _ = _load(session, request_id)
    rating = check_commentable(session=session, actor=actor, request_id=request_id)
    text = comment.strip()
    if not text:
        raise InvalidInput("The comment is empty.", field="comment")
    rating.comment = text[:MAX_DETAILS]
    session.add(rating)
    return view_of(session=session, request=request)


def _insert_ignore(session: Session, model: type[SQLModel], values: dict[str, Any]) -> bool:
    """Insert a row unless its key exists (also against a concurrent insert); True if inserted."""
    insert = (
        postgresql.insert(model)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(model)
    )
    result = session.execute(insert.values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


# -- lists and metrics -----------------------------------------------------------------------


def my_open(*, session: Session, user_id: str) -> list[RequestView]:
    """The person's requests that are not closed, oldest first."""
    rows = session.exec(
        select(HelpRequest)
        .where(
            HelpRequest.requester_id == user_id,
            col(HelpRequest.status).in_([*ACTIVE_STATUSES, Status.RESOLVED]),
        )
        .order_by(col(HelpRequest.created_at))
        .limit(40)
    ).all()
    return [view_of(session=session, request=r) for r in rows]


def queue(*, session: Session, desk_ref: str) -> tuple[Desk, list[RequestView]]:
    """A desk's active requests, oldest first."""
    desk = find_desk(session=session, reference=desk_ref)
    rows = session.exec(
        select(HelpRequest)
        .where(HelpRequest.desk_id == desk.id, col(HelpRequest.status).in_(ACTIVE_STATUSES))
        .order_by(col(HelpRequest.created_at))
        .limit(40)
    ).all()
    return desk, [view_of(session=session, request=r) for r in rows]


def stats(*, session: Session, clock: Clock, desk_ref: str) -> Stats:
    """A desk's metrics over all its requests."""
    desk = find_desk(session=session, reference=desk_ref)
    hours = business_hours(session=session, desk=desk)
    rows = session.exec(select(HelpRequest).where(HelpRequest.desk_id == desk.id)).all()
    counts = {s.value: 0 for s in Status}
    first: list[float] = []
    resolution: list[float] = []
    backlog: list[float] = []
    now = clock.now()
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
        if r.first_response_at is not None:
            first.append(bh.business_seconds(hours, r.created_at, r.first_response_at))
        if r.resolved_at is not None and r.status in (Status.RESOLVED, Status.CLOSED):
            spent = bh.business_seconds(hours, r.created_at, r.resolved_at) - r.paused_seconds
            resolution.append(max(0.0, spent))
        if r.status in ACTIVE_STATUSES:
            backlog.append((now - r.created_at).total_seconds())
    ids = [r.id for r in rows]
    breached = (
        session.exec(
            select(func.count(func.distinct(SlaAlert.request_id))).where(
                col(SlaAlert.request_id).in_(ids), SlaAlert.level == BREACH
            )
        ).one()
        if ids
        else 0
    )
    scores = (
        list(session.exec(select(Rating.score).where(col(Rating.request_id).in_(ids))).all())
        if ids
        else []
    )
    return Stats(
        desk_name=desk.name,
        counts=counts,
        total=len(rows),
        first_response_median=median(first),
        first_response_p90=p90(first),
        resolution_median=median(resolution),
        resolution_p90=p90(resolution),
        breach_rate=breach_rate(int(breached), len(rows)),
        csat=csat(scores),
        rated=len(scores),
        backlog=len(backlog),
        backlog_oldest=max(backlog) if backlog else None,
        backlog_median=median(backlog),
    )


# -- background work: parents, SLAs, closing -------------------------------------------------


@dataclass(frozen=True)
class ParentToEdit:
    """A parent message whose content is behind the request's state."""

    request_id: int
    version: int
    channel_id: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]


def posted_parents(*, session: Session) -> list[tuple[int, str, str]]:
    """Requests whose parent message was posted but not yet recorded: (id, channel, ts)."""
    from bot.models import Delivery

    rows = session.exec(
        select(HelpRequest.id, Delivery.channel, Delivery.ts)
        .join(Delivery, col(Delivery.idempotency_key) == HelpRequest.parent_key)
        .where(col(HelpRequest.parent_ts).is_(None), col(Delivery.ts).is_not(None))
        .limit(200)
    ).all()
    return [(int(i or 0), str(c), str(t)) for i, c, t in rows]


def record_parent(
    *, session: Session, clock: Clock, request_id: int, channel_id: str, ts: str, permalink: str
) -> None:
    """Note where the parent landed and DM the requester a link to it (once)."""
    request = session.get(HelpRequest, request_id, with_for_update=True)
    if request is None or request.parent_ts is not None:
        return
    desk = session.get(Desk, request.desk_id)
    assert desk is not None
    request.channel_id, request.parent_ts, request.permalink = channel_id, ts, permalink
    session.add(request)
    session.flush()
    view = view_of(session=session, request=request)
    messages = [
        OutboundMessage(
            target=request.requester_id,
            text=render(PACKAGE, "dm_opened.j2", view=view, opened_by=request.opened_by),
            idempotency_key=f"helpdesk.r{request.id}.opened.dm",
        )
    ]
    enqueue(
        session=session, clock=clock, campaign_id=_campaign(session, clock, desk), messages=messages
    )


def parents_to_edit(*, session: Session, renderer: Renderer) -> list[ParentToEdit]:
    """Parent messages that show an older state than their request's."""
    rows = session.exec(
        select(HelpRequest)
        .where(
            col(HelpRequest.parent_ts).is_not(None),
            col(HelpRequest.rendered_version) < col(HelpRequest.version),
        )
        .limit(100)
    ).all()
    edits = []
    for r in rows:
        view = view_of(session=session, request=r)
        edits.append(
            ParentToEdit(
                request_id=view.id,
                version=r.version,
                channel_id=r.channel_id,
                ts=r.parent_ts or "",
                text=render(PACKAGE, "parent.j2", view=view, label=view.status_label),
                blocks=renderer.parent_blocks(view),
            )
        )
    return edits


def parent_edited(*, session: Session, request_id: int, version: int) -> None:
    """Record that the parent shows `version` (never going backwards)."""
    request = session.get(HelpRequest, request_id)
    if request is not None and request.rendered_version < version:
        request.rendered_version = version
        session.add(request)


def close_resolved(*, session: Session, clock: Clock, renderer: Renderer) -> int:
    """Close requests resolved more than their desk's N days ago; returns how many."""
    now = clock.now()
    rows = session.exec(select(HelpRequest.id).where(HelpRequest.status == Status.RESOLVED)).all()
    closed = 0
    for request_id in rows:
        assert request_id is not None
        request, desk = _load(session, request_id)
        if request.status != Status.RESOLVED or request.resolved_at is None:
            continue
        if request.resolved_at + timedelta(days=desk.close_after_days) > now:
            continue
        request.status = Status.CLOSED
        request.closed_at = now
        _change(
            session,
            clock,
            renderer,
            request,
            desk,
            actor=request.assignee_id or request.requester_id,
            note=f"Closed automatically, {counted(desk.close_after_days, 'day')} after it was resolved.",
            tell_requester=False,
        )
        closed += 1
    return closed


def check_slas(*, session: Session, clock: Clock) -> int:
    """Warn at 75 % of each SLA target and escalate on breach, once each; returns alerts sent."""
    now = clock.now()
    active = session.exec(
        select(HelpRequest).where(col(HelpRequest.status).in_(ACTIVE_STATUSES))
    ).all()
    sent = 0
    desks: dict[int, tuple[Desk, bh.BusinessHours]] = {}
    for request in active:
        if request.desk_id not in desks:
            desk = session.get(Desk, request.desk_id)
            assert desk is not None
            desks[request.desk_id] = (desk, business_hours(session=session, desk=desk))
        desk, hours = desks[request.desk_id]
        first_target, resolution_target = sla_targets(
            session=session, desk=desk, priority=request.priority
        )
        elapsed = bh.business_seconds(hours, request.created_at, now)
        checks: list[tuple[str, float, float]] = []
        if request.first_response_at is None:
            checks.append((FIRST_RESPONSE, elapsed, first_target * 60.0))
        if request.status != Status.WAITING:
            checks.append((RESOLUTION, elapsed - request.paused_seconds, resolution_target * 60.0))
        for target, spent, limit in checks:
            if spent >= limit:
                _insert_ignore(
                    session,
                    SlaAlert,
                    {"request_id": request.id, "target": target, "level": WARNING, "at": now},
                )
                if _insert_ignore(
                    session,
                    SlaAlert,
                    {"request_id": request.id, "target": target, "level": BREACH, "at": now},
                ):
                    _alert(session, clock, request, desk, hours, target, BREACH, limit)
                    sent += 1
            elif spent >= WARNING_SHARE * limit and _insert_ignore(
                session,
                SlaAlert,
                {"request_id": request.id, "target": target, "level": WARNING, "at": now},
            ):
                _alert(session, clock, request, desk, hours, target, WARNING, limit)
                sent += 1
    return sent


def _alert(
    session: Session,
    clock: Clock,
    request: HelpRequest,
    desk: Desk,
    hours: bh.BusinessHours,
    target: str,
    level: str,
    limit: float,
) -> None:
    view = view_of(session=session, request=request)
    due = bh.add_business_seconds(
        hours, request.created_at, limit + request.paused_seconds * (target == RESOLUTION)
    )
    context = {
        "view": view,
        "target": "first response" if target == FIRST_RESPONSE else "resolution",
        "limit": bh.describe_minutes(limit / 60),
        "due": int(due.timestamp()),
        "group": desk.usergroup_id,
        "desk": desk.name,
        "lead": desk.lead_user_id,
        "escalation_channel": desk.escalation_channel_id,
    }
    base = f"helpdesk.r{request.id}.sla.{target}.{level}"
    messages = [
        OutboundMessage(
            target=request.channel_id,
            text=render(PACKAGE, f"sla_{level}.j2", where="thread", **context),
            idempotency_key=f"{base}.thread",
            parent_key=request.parent_key,
        )
    ]
    if level == WARNING and request.assignee_id:
        messages.append(
            OutboundMessage(
                target=request.assignee_id,
                text=render(PACKAGE, "sla_warning.j2", where="assignee", **context),
                idempotency_key=f"{base}.assignee",
            )
        )
    if level == BREACH:
        targets = [t for t in (desk.lead_user_id, desk.escalation_channel_id) if t]
        if not targets:
            targets = [desk.channel_id]
        for index, who in enumerate(targets):
            messages.append(
                OutboundMessage(
                    target=who,
                    text=render(PACKAGE, "sla_breach.j2", where="escalation", **context),
                    idempotency_key=f"{base}.escalation.{index}",
                )
            )
    enqueue(
        session=session, clock=clock, campaign_id=_campaign(session, clock, desk), messages=messages
    )


def desk_for_reaction(*, session: Session, channel_id: str, reaction: str) -> str | None:
    """The key of the desk whose intake channel and reaction these are, else None."""
    desk = session.exec(
        select(Desk).where(Desk.channel_id == channel_id, Desk.active == True)  # noqa: E712
    ).first()
    if desk is None or desk.reaction != reaction.split("::")[0]:
        return None
    return desk.key


def is_request_parent(*, session: Session, channel_id: str, ts: str) -> bool:
    """Whether a message is a request's parent (reactions on those are ignored)."""
    return (
        session.exec(
            select(HelpRequest.id).where(
                HelpRequest.channel_id == channel_id, HelpRequest.parent_ts == ts
            )
        ).first()
        is not None
    )


def user_text_of(text: str) -> Mrkdwn:
    """A person's text, safe in a message."""
    return user_text(text, may_notify_everyone=False)


def mark_changed(*, session: Session, request_id: int) -> None:
    """Have the parent message redrawn (e.g. to show a new rating), without a thread note."""
    request = session.get(HelpRequest, request_id, with_for_update=True)
    if request is not None:
        request.version += 1
        session.add(request)
