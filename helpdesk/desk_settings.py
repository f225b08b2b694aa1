"""An admin's changes to a desk's settings: business hours and holidays, SLA targets, aliases,
categories, who hears about breaches, the intake reaction and when resolved requests close."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, SQLModel, select

from bot.clock import Clock
from bot.errors import InvalidInput, NotFound
from bot.slack.args import shown
from directory import service as directory
from helpdesk import hours as bh
from helpdesk.desks import KEY, RESERVED, admin_desk, business_hours, parse_priority
from helpdesk.models import Desk, DeskAlias, DeskCategory, DeskHoliday, DeskSla
from helpdesk.setup import apply_hours, check_postable

EMOJI_NAME = re.compile(r"^[a-z0-9_+'-]{1,64}$")


@dataclass(frozen=True)
class HoursText:
    """A desk's working time as an admin typed it: `Mon-Fri`, `09:00-17:00`, `Europe/London`."""

    days: str
    window: str
    zone: str


@dataclass(frozen=True)
class TargetsText:
    """One priority's SLA targets as an admin typed them, in business time: `high`, `1h`, `8h`."""

    priority: str
    first_response: str
    resolution: str


def set_hours(
    *,
    session: Session,
    clock: Clock,
    admins: Sequence[str],
    actor: str,
    key: str,
    hours: HoursText,
) -> tuple[Desk, bh.BusinessHours]:
    """Set business days, the daily window and the time zone; returns the desk and its hours.

    Raises:
        PermissionDenied: not an admin.
        NotFound: no such desk.
        InvalidInput: days, window or zone that do not parse.
    """
    desk = admin_desk(session=session, admins=admins, actor=actor, key=key)
    days, window = bh.parse_days(hours.days), bh.parse_window(hours.window)
    apply_hours(desk, days, window, bh.parse_zone(hours.zone), clock.now())
    session.add(desk)
    return desk, business_hours(session=session, desk=desk)


def set_holiday(
    *, session: Session, admins: Sequence[str], actor: str, key: str, day: date, remove: bool
) -> tuple[Desk, date]:
    """Add (or remove) a closed day.

    Raises:
        NotFound: removing a day that is not a holiday.
    """
    desk = admin_desk(session=session, admins=admins, actor=actor, key=key)
    assert desk.id is not None
    _add_or_remove(
        session,
        session.get(DeskHoliday, (desk.id, day)),
        DeskHoliday(desk_id=desk.id, day=day),
        remove=remove,
        missing=f"{day:%a %d %b %Y} is not a holiday of `{desk.key}`.",
    )
    return desk, day


def set_sla(
    *, session: Session, admins: Sequence[str], actor: str, key: str, targets: TargetsText
) -> tuple[Desk, int, int]:
    """Set a priority's targets (business time) at a desk; returns them in business minutes.

    Raises:
        InvalidInput: an unknown priority, a bad duration, a resolution shorter than the first
            response.
    """
    desk = admin_desk(session=session, admins=admins, actor=actor, key=key)
    wanted = parse_priority(targets.priority)
    day = business_hours(session=session, desk=desk).day_seconds
    first = bh.parse_duration(targets.first_response, day_seconds=day)
    resolve = bh.parse_duration(targets.resolution, day_seconds=day)
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
    """Add (or remove) another name for a desk.

    Raises:
        InvalidInput: not a key, or one that names another desk.
        NotFound: removing an alias the desk does not have.
    """
    desk = admin_desk(session=session, admins=admins, actor=actor, key=key)
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
    """Add (or remove) a category requesters can choose.

    Raises:
        InvalidInput: an empty name.
        NotFound: removing a category the desk does not have.
    """
    desk = admin_desk(session=session, admins=admins, actor=actor, key=key)
    name = name.strip()[:64]
    if not name:
        raise InvalidInput("Name the category: `/commons desk category it Hardware`.")
    assert desk.id is not None
    _add_or_remove(
        session,
        session.get(DeskCategory, (desk.id, name)),
        DeskCategory(desk_id=desk.id, name=name),
        remove=remove,
        missing=f"`{desk.key}` has no category `{shown(name, 64)}`.",
    )
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
    """Set who hears about breaches: a lead (DM), a channel, or both.

    Raises:
        NotFound: an unknown person or channel.
        InvalidInput: a channel people no longer read or Commons is not in.
    """
    desk = admin_desk(session=session, admins=admins, actor=actor, key=key)
    if user_id is not None:
        desk.lead_user_id = directory.find_person(session=session, reference=user_id).slack_id
    if channel is not None:
        found = directory.find_channel(session=session, reference=channel)
        check_postable(found)
        desk.escalation_channel_id = found.slack_id
    session.add(desk)
    return desk


def set_reaction(
    *, session: Session, admins: Sequence[str], actor: str, key: str, reaction: str
) -> Desk:
    """Set the emoji that turns a message in the intake channel into a request.

    Raises:
        InvalidInput: not an emoji name.
    """
    desk = admin_desk(session=session, admins=admins, actor=actor, key=key)
    name = reaction.strip().strip(":").lower()
    if not EMOJI_NAME.match(name):
        raise InvalidInput(f"`{shown(reaction)}` is not an emoji name. Write it like `:ticket:`.")
    desk.reaction = name
    session.add(desk)
    return desk


def set_autoclose(
    *, session: Session, admins: Sequence[str], actor: str, key: str, days: int
) -> Desk:
    """Set after how many days a resolved request closes itself.

    Raises:
        InvalidInput: not from 1 to 90 days.
    """
    desk = admin_desk(session=session, admins=admins, actor=actor, key=key)
    if not 1 <= days <= 90:
        raise InvalidInput(f"{days} is not a number of days from 1 to 90.")
    desk.close_after_days = days
    session.add(desk)
    return desk


def _add_or_remove(
    session: Session, existing: SQLModel | None, new: SQLModel, *, remove: bool, missing: str
) -> None:
    """Add `new` unless its row exists, or remove the existing row.

    Raises:
        NotFound: removing a row that is not there, saying `missing`.
    """
    if remove:
        if existing is None:
            raise NotFound(missing)
        session.delete(existing)
    elif existing is None:
        session.add(new)
