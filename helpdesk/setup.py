"""Admins set desks up: the set-up form (checked into a `DeskSetup`), `desk add` (a `NewDesk`),
and removing a desk; the rules on keys, names, intake channels and hours that settings share."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import TypeVar

from sqlmodel import Session, select

from bot.clock import Clock
from bot.errors import DomainError, FieldErrors, InvalidInput
from bot.slack.args import shown
from directory import service as directory
from directory.models import Channel, Department
from helpdesk import hours as bh
from helpdesk.desks import KEY, RESERVED, admin_desk
from helpdesk.models import Desk, DeskAlias

T = TypeVar("T")


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


@dataclass(frozen=True)
class NewDesk:
    """`/commons desk add`, as typed: key, name, and references to the channel and user group."""

    key: str
    name: str
    channel: str
    usergroup: str


@dataclass(frozen=True)
class CheckedDesk:
    """A desk's key and name, its intake channel and its agents' department, all checked."""

    key: str
    name: str
    channel: Channel
    department: Department


@dataclass(frozen=True)
class DeskSetup:
    """The set-up form, checked: the desk, and its working days, daily window and zone."""

    desk: CheckedDesk
    days: frozenset[int]
    window: tuple[time, time]
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


def add_desk(
    *, session: Session, clock: Clock, admins: Sequence[str], actor: str, desk: NewDesk
) -> Desk:
    """Create a desk (or bring back a removed one with the same key).

    Raises:
        PermissionDenied: not an admin.
        InvalidInput: a bad key, a channel Commons cannot post in, a key already taken.
        NotFound: an unknown channel or user group.
    """
    directory.require_admin(session=session, admins=admins, user_id=actor)
    checked = CheckedDesk(
        key=new_key(session=session, key=desk.key),
        name=_new_name(desk.name),
        channel=intake_channel(session=session, channel=desk.channel),
        department=directory.find_department(session=session, reference=desk.usergroup),
    )
    return _save_desk(session, clock, actor, checked)


def create_desk(
    *, session: Session, clock: Clock, admins: Sequence[str], actor: str, form: DeskForm
) -> Desk:
    """Create a desk and its hours from the set-up form, or say what is wrong with each field.

    Raises:
        PermissionDenied: not an admin.
        FieldErrors: by field name of DeskForm.
    """
    directory.require_admin(session=session, admins=admins, user_id=actor)
    setup = check_desk_form(session=session, form=form)
    desk = _save_desk(session, clock, actor, setup.desk)
    apply_hours(desk, setup.days, setup.window, setup.zone, clock.now())
    session.add(desk)
    return desk


def check_desk_form(*, session: Session, form: DeskForm) -> DeskSetup:
    """The set-up form checked field by field: every empty or wrong field is reported at once.

    Raises:
        FieldErrors: by field name of DeskForm (an empty field is not checked further).
    """
    missing = {
        name: f"Fill in {what}."
        for name, what in _REQUIRED.items()
        if not getattr(form, name).strip()
    }
    errors: dict[str, str] = {}

    def checked(name: str, check: Callable[[], T]) -> T | None:
        if name in missing:
            return None
        try:
            return check()
        except DomainError as error:
            errors[name] = error.message
            return None

    key = checked("key", lambda: new_key(session=session, key=form.key))
    name = checked("name", lambda: _new_name(form.name))
    channel = checked("channel", lambda: intake_channel(session=session, channel=form.channel))
    department = checked(
        "usergroup", lambda: directory.find_department(session=session, reference=form.usergroup)
    )
    days = checked("days", lambda: bh.parse_days(form.days))
    window = checked("end", lambda: bh.parse_window(f"{form.start}-{form.end}"))
    zone = checked("zone", lambda: bh.parse_zone(form.zone))
    if (
        errors
        or missing
        or key is None
        or name is None
        or channel is None
        or department is None
        or days is None
        or window is None
        or zone is None
    ):  # a check that gave nothing recorded why, in `errors`
        raise FieldErrors({**missing, **errors})
    return DeskSetup(CheckedDesk(key, name, channel, department), days, window, zone)


def remove_desk(
    *, session: Session, clock: Clock, admins: Sequence[str], actor: str, key: str
) -> Desk:
    """Stop a desk taking requests (its requests and settings are kept; `add` brings it back)."""
    desk = admin_desk(session=session, admins=admins, actor=actor, key=key)
    desk.active = False
    desk.updated_at = clock.now()
    session.add(desk)
    return desk


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


def _save_desk(session: Session, clock: Clock, actor: str, checked: CheckedDesk) -> Desk:
    """Write a desk whose key, name, channel and agents were checked (a removed one comes back)."""
    now = clock.now()
    desk = session.exec(select(Desk).where(Desk.key == checked.key)).first()
    if desk is None:
        desk = Desk(
            key=checked.key,
            name=checked.name,
            channel_id=checked.channel.slack_id,
            usergroup_id=checked.department.usergroup_id,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
    desk.name = checked.name
    desk.channel_id = checked.channel.slack_id
    desk.usergroup_id = checked.department.usergroup_id
    desk.active = True
    desk.updated_at = now
    session.add(desk)
    session.flush()
    return desk


def new_key(*, session: Session, key: str) -> str:
    """A key no active desk or alias has; lowercased.

    Raises:
        InvalidInput: not a key, a reserved word, or taken.
    """
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


def intake_channel(*, session: Session, channel: str) -> Channel:
    """A channel Commons can post in that is no other desk's intake.

    Raises:
        NotFound: an unknown channel.
        InvalidInput: archived, without Commons, or another desk's.
    """
    found = directory.find_channel(session=session, reference=channel)
    check_postable(found)
    other = session.exec(
        select(Desk).where(Desk.channel_id == found.slack_id, Desk.active == True)  # noqa: E712
    ).first()
    if other is not None:
        raise InvalidInput(f"<#{found.slack_id}> is already the intake channel of `{other.key}`.")
    return found


def check_postable(channel: Channel) -> None:
    """Refuse a channel people no longer read, or one Commons is not in.

    Raises:
        InvalidInput: saying what to do.
    """
    if channel.is_archived:
        raise InvalidInput(f"<#{channel.slack_id}> is archived; pick a channel people still read.")
    if not channel.bot_is_member:
        raise InvalidInput(
            f"Commons is not in <#{channel.slack_id}>. Invite it there with `/invite @Commons` "
            "(and run `/commons sync`), then try again."
        )


def apply_hours(
    desk: Desk, days: frozenset[int], window: tuple[time, time], zone: str, now: datetime
) -> None:
    """Set checked business days, daily window and zone on a desk."""
    start, end = window
    desk.timezone = zone
    desk.work_days = ",".join(str(d) for d in sorted(days))
    desk.day_start, desk.day_end = f"{start:%H:%M}", f"{end:%H:%M}"
    desk.updated_at = now
