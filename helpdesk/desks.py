"""A desk as the other rules find it: by key, alias or name; its agents; its business hours;
its SLA targets by priority; and its settings as one plain `DeskInfo`."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time

from sqlmodel import Session, col, select

from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.slack.args import shown
from directory import service as directory
from directory.models import Department, DepartmentMember
from helpdesk import hours as bh
from helpdesk.models import Desk, DeskAlias, DeskCategory, DeskHoliday, DeskSla, Priority

# What a desk key or alias may be; the words `/request` keeps for its own verbs.
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
RESERVED = {"list", "queue", "stats", "help", "mine"}

# Business minutes (first response, resolution) when an admin has not set a priority's targets.
DEFAULT_SLA: dict[str, tuple[int, int]] = {
    Priority.URGENT: (60, 240),
    Priority.HIGH: (240, 480),
    Priority.NORMAL: (480, 1440),
    Priority.LOW: (960, 2400),
}


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


def admin_desk(*, session: Session, admins: Sequence[str], actor: str, key: str) -> Desk:
    """The desk an admin is changing.

    Raises:
        PermissionDenied: not an admin.
        NotFound: no such desk.
    """
    directory.require_admin(session=session, admins=admins, user_id=actor)
    return find_desk(session=session, reference=key)


def is_agent(*, session: Session, desk: Desk, user_id: str) -> bool:
    """Whether the person is in the desk's user group."""
    found = session.exec(
        select(DepartmentMember.person_id)
        .join(Department, col(Department.id) == DepartmentMember.department_id)
        .where(Department.usergroup_id == desk.usergroup_id, DepartmentMember.person_id == user_id)
    ).first()
    return found is not None


def require_agent(*, session: Session, desk: Desk, actor: str, doing: str) -> None:
    """Refuse someone who is not in the desk's user group.

    Raises:
        PermissionDenied: saying who can `doing`.
    """
    if not is_agent(session=session, desk=desk, user_id=actor):
        raise PermissionDenied(
            f"Only {desk.name} agents (people in <!subteam^{desk.usergroup_id}>) can {doing}. "
            "Reply in the thread if you want to add something."
        )


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


def sla_targets(*, session: Session, desk: Desk, priority: str) -> tuple[int, int]:
    """(first response, resolution) in business minutes."""
    row = session.get(DeskSla, (desk.id, priority))
    if row is not None:
        return row.first_response_minutes, row.resolution_minutes
    return DEFAULT_SLA.get(priority, DEFAULT_SLA[Priority.NORMAL])


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


def desk_for_reaction(*, session: Session, channel_id: str, reaction: str) -> str | None:
    """The key of the desk whose intake channel and reaction these are, else None."""
    desk = session.exec(
        select(Desk).where(Desk.channel_id == channel_id, Desk.active == True)  # noqa: E712
    ).first()
    if desk is None or desk.reaction != reaction.split("::")[0]:
        return None
    return desk.key
