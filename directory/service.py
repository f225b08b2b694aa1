"""The directory's operations: apply a sync from Slack, roles, and who may post where.

Permission rules live here, not in listeners: comms and admins may post anywhere the bot is;
managers only to their departments' channels; members cannot announce.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.slack.args import shown
from directory.models import Channel, Department, DepartmentMember, Person, Role, RoleAssignment


@dataclass(frozen=True)
class PersonRecord:
    """A person as Slack's users.list reports them."""

    slack_id: str
    name: str
    real_name: str = ""
    display_name: str = ""
    tz: str = "UTC"
    title: str = ""
    email: str = ""
    is_bot: bool = False
    deleted: bool = False
    is_guest: bool = False


@dataclass(frozen=True)
class GroupRecord:
    """A user group as usergroups.list reports it, with its members."""

    usergroup_id: str
    handle: str
    name: str
    members: Sequence[str] = ()
    channels: Sequence[str] = ()


@dataclass(frozen=True)
class ChannelRecord:
    """A channel as conversations.list reports it."""

    slack_id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    bot_is_member: bool = False
    member_count: int = 0


@dataclass(frozen=True)
class SyncResult:
    """What a sync changed."""

    people: int
    left: int
    departments: int
    channels: int


@dataclass(frozen=True)
class Profile:
    """What Commons knows of one person, for /commons whoami."""

    slack_id: str
    real_name: str
    name: str
    tz: str
    role: Role
    role_source: str
    departments: list[str] = field(default_factory=list)
    department_channels: list[str] = field(default_factory=list)


def sync_people(
    *, session: Session, clock: Clock, people: Iterable[PersonRecord]
) -> tuple[int, int]:
    """Upsert active people; mark everyone else inactive. Returns (active, newly inactive)."""
    now = clock.now()
    seen: set[str] = set()
    for record in people:
        if record.is_bot or record.deleted or record.is_guest:
            continue
        seen.add(record.slack_id)
        person = session.get(Person, record.slack_id) or Person(
            slack_id=record.slack_id, synced_at=now
        )
        person.name = record.name
        person.real_name = record.real_name or record.name
        person.display_name = record.display_name
        person.tz = record.tz or "UTC"
        person.title = record.title
        person.email = record.email
        person.active = True
        person.synced_at = now
        session.add(person)
    session.flush()
    gone = session.exec(
        select(Person.slack_id).where(Person.active == True, col(Person.slack_id).not_in(seen))  # noqa: E712
    ).all()
    if gone:
        session.execute(
            update(Person).where(col(Person.slack_id).in_(gone)).values(active=False, synced_at=now)
        )
    return len(seen), len(gone)


def sync_departments(*, session: Session, clock: Clock, groups: Iterable[GroupRecord]) -> int:
    """Upsert departments from user groups with their members; retire groups that disappeared."""
    now = clock.now()
    active_people = set(session.exec(select(Person.slack_id).where(Person.active == True)).all())  # noqa: E712
    seen: set[str] = set()
    for group in groups:
        seen.add(group.usergroup_id)
        department = session.exec(
            select(Department).where(Department.usergroup_id == group.usergroup_id)
        ).first() or Department(usergroup_id=group.usergroup_id, synced_at=now)
        department.handle = group.handle
        department.name = group.name
        department.active = True
        department.synced_at = now
        if not department.channel_set_by_admin:
            department.channel_id = group.channels[0] if group.channels else department.channel_id
        session.add(department)
        session.flush()
        session.execute(
            delete(DepartmentMember).where(col(DepartmentMember.department_id) == department.id)
        )
        for member in dict.fromkeys(group.members):
            if member in active_people:
                session.add(DepartmentMember(department_id=department.id or 0, person_id=member))
    session.flush()
    session.execute(
        update(Department)
        .where(col(Department.usergroup_id).not_in(seen))
        .values(active=False, synced_at=now)
    )
    return len(seen)


def sync_channels(*, session: Session, clock: Clock, channels: Iterable[ChannelRecord]) -> int:
    """Upsert the channels Slack lists."""
    now = clock.now()
    count = 0
    for record in channels:
        channel = session.get(Channel, record.slack_id) or Channel(
            slack_id=record.slack_id, synced_at=now
        )
        channel.name = record.name
        channel.is_private = record.is_private
        channel.is_archived = record.is_archived
        channel.bot_is_member = record.bot_is_member
        channel.member_count = record.member_count
        channel.synced_at = now
        session.add(channel)
        count += 1
    return count


# -- roles -----------------------------------------------------------------------------------


def role_of(*, session: Session, admins: Sequence[str], user_id: str) -> tuple[Role, str]:
    """A person's role and where it comes from ("COMMONS_ADMINS", "assigned by @x", "default")."""
    if user_id in admins:
        return Role.ADMIN, "COMMONS_ADMINS"
    assignment = session.get(RoleAssignment, user_id)
    if assignment is not None:
        return Role(assignment.role), f"assigned by <@{assignment.assigned_by}>"
    return Role.MEMBER, "default"


def require_admin(*, session: Session, admins: Sequence[str], user_id: str) -> None:
    """Raise unless the person is an admin."""
    role, _ = role_of(session=session, admins=admins, user_id=user_id)
    if role is not Role.ADMIN:
        raise PermissionDenied(
            "Only Commons admins can do that. `/commons whoami` shows your role; "
            "an admin can change it with `/commons role @you &lt;role&gt;`."
        )


def set_role(
    *, session: Session, clock: Clock, admins: Sequence[str], actor: str, target: str, role: str
) -> tuple[Role, Role]:
    """Give `target` a role; returns (before, after).

    Raises:
        PermissionDenied: the actor is not an admin.
        InvalidInput: an unknown role, or a COMMONS_ADMINS person being changed.
        NotFound: the person is not in the directory.
    """
    require_admin(session=session, admins=admins, user_id=actor)
    try:
        wanted = Role(role.lower())
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise InvalidInput(f"`{role}` is not a role. Roles are: {choices}.") from None
    person = session.get(Person, target)
    if person is None or not person.active:
        raise NotFound(
            "That person is not in Commons' directory (guests and bots can't have roles)."
        )
    if target in admins:
        raise InvalidInput(
            f"{person.real_name} is an admin through the COMMONS_ADMINS setting; change that "
            "setting to change their role."
        )
    before, _ = role_of(session=session, admins=admins, user_id=target)
    if wanted is Role.MEMBER:
        existing = session.get(RoleAssignment, target)
        if existing is not None:
            session.delete(existing)
    else:
        assignment = session.get(RoleAssignment, target) or RoleAssignment(
            person_id=target, role=wanted.value, assigned_by=actor, assigned_at=clock.now()
        )
        assignment.role = wanted.value
        assignment.assigned_by = actor
        assignment.assigned_at = clock.now()
        session.add(assignment)
    return before, wanted


def assignments(*, session: Session, admins: Sequence[str]) -> list[tuple[str, Role, str]]:
    """Everyone with a role other than member: (user id, role, where it comes from)."""
    rows: list[tuple[str, Role, str]] = [(a, Role.ADMIN, "COMMONS_ADMINS") for a in admins]
    for assignment in session.exec(select(RoleAssignment).order_by(col(RoleAssignment.role))).all():
        if assignment.person_id not in admins:
            rows.append(
                (
                    assignment.person_id,
                    Role(assignment.role),
                    f"assigned by <@{assignment.assigned_by}>",
                )
            )
    return rows


# -- departments and channels ----------------------------------------------------------------


def link_department(
    *, session: Session, admins: Sequence[str], actor: str, usergroup: str, channel_id: str
) -> Department:
    """Set the channel a department posts to (admins only)."""
    require_admin(session=session, admins=admins, user_id=actor)
    department = find_department(session=session, reference=usergroup)
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise NotFound("Commons doesn't know that channel yet; try again after `/commons sync`.")
    if channel.is_archived:
        raise InvalidInput(f"#{channel.name} is archived; pick a channel people still read.")
    department.channel_id = channel_id
    department.channel_set_by_admin = True
    session.add(department)
    return department


def find_department_by_usergroup(*, session: Session, usergroup_id: str) -> Department | None:
    """The department of a Slack user group id, if Commons knows it."""
    return session.exec(select(Department).where(Department.usergroup_id == usergroup_id)).first()


def find_department(*, session: Session, reference: str) -> Department:
    """A department by user group id (S...) or handle (with or without @)."""
    ref = reference.strip().lstrip("@").lower()
    for department in session.exec(select(Department).where(Department.active == True)).all():  # noqa: E712
        if ref in (
            department.usergroup_id.lower(),
            department.handle.lower(),
            department.name.lower(),
        ):
            return department
    known = ", ".join(
        f"@{d.handle}"
        for d in session.exec(select(Department).where(Department.active == True)).all()  # noqa: E712
    )
    raise NotFound(
        f"There is no department `{shown(reference)}`. Departments: {known or 'none synced yet'}."
    )


def find_person(*, session: Session, reference: str) -> Person:
    """A person by Slack id or by name (with or without @)."""
    ref = reference.strip().lstrip("@")
    person = session.get(Person, ref)
    if person is None:
        lowered = ref.lower()
        person = next(
            (
                p
                for p in session.exec(select(Person).where(Person.active == True)).all()  # noqa: E712
                if lowered in (p.name.lower(), p.display_name.lower())
            ),
            None,
        )
    if person is None or not person.active:
        raise NotFound(f"There is no one called `{shown(reference)}` in Commons' directory.")
    return person


def find_channel(*, session: Session, reference: str) -> Channel:
    """A channel by id or by name (with or without #)."""
    ref = reference.strip().lstrip("#")
    channel = (
        session.get(Channel, ref)
        or session.exec(select(Channel).where(Channel.name == ref.lower())).first()
    )
    if channel is None:
        raise NotFound(
            f"Commons doesn't know a channel `{shown(reference)}`; check the name or run `/commons sync`."
        )
    return channel


def departments_of(*, session: Session, user_id: str) -> list[Department]:
    """The active departments a person belongs to."""
    return list(
        session.exec(
            select(Department)
            .join(DepartmentMember, col(DepartmentMember.department_id) == Department.id)
            .where(DepartmentMember.person_id == user_id, Department.active == True)  # noqa: E712
            .order_by(col(Department.name))
        ).all()
    )


def list_departments(*, session: Session) -> list[Department]:
    """Every active department (Slack user group), by name."""
    return list(
        session.exec(
            select(Department)
            .where(Department.active == True)  # noqa: E712
            .order_by(col(Department.name), col(Department.handle))
        ).all()
    )


def zone_of(*, session: Session, user_id: str, default: str) -> str:
    """A person's IANA zone from the directory (`default` when unknown)."""
    person = session.get(Person, user_id)
    return person.tz if person is not None and person.tz else default


def may_post_to(*, session: Session, admins: Sequence[str], user_id: str, channel_id: str) -> None:
    """Raise unless the person may announce in this channel.

    Raises:
        PermissionDenied: members; managers outside their departments' channels; a channel the
            bot is not in (Commons can only post where it is a member).
    """
    role, _ = role_of(session=session, admins=admins, user_id=user_id)
    channel = session.get(Channel, channel_id)
    name = f"<#{channel_id}>"
    if channel is not None and channel.is_archived:
        raise PermissionDenied(f"{name} is archived; nobody would see the announcement there.")
    if channel is None or not channel.bot_is_member:
        raise PermissionDenied(
            f"Commons is not in {name}. Invite it with `/invite @Commons` there first."
        )
    if role in (Role.ADMIN, Role.COMMS):
        return
    if role is Role.MANAGER:
        allowed = {
            d.channel_id for d in departments_of(session=session, user_id=user_id) if d.channel_id
        }
        if channel_id in allowed:
            return
        raise PermissionDenied(
            f"As a manager you can announce in your department's channels "
            f"({', '.join(f'<#{c}>' for c in sorted(allowed)) or 'none set yet'}), not in {name}. "
            "Ask communications to post company-wide."
        )
    raise PermissionDenied(
        "Announcements are for communications staff and managers. Ask your manager or "
        "communications to post it; an admin can change your role with `/commons role`."
    )


def profile(*, session: Session, admins: Sequence[str], user_id: str) -> Profile:
    """What Commons knows of a person."""
    person = session.get(Person, user_id)
    role, source = role_of(session=session, admins=admins, user_id=user_id)
    departments = departments_of(session=session, user_id=user_id)
    return Profile(
        slack_id=user_id,
        real_name=person.real_name if person else "",
        name=person.name if person else "",
        tz=person.tz if person else "UTC",
        role=role,
        role_source=source,
        departments=[d.name for d in departments],
        department_channels=[d.channel_id for d in departments if d.channel_id],
    )


def active_people_ids(
    *, session: Session, department_ids: Sequence[int] | None = None
) -> list[str]:
    """Active people, optionally only those in some departments."""
    query = select(Person.slack_id).where(Person.active == True)  # noqa: E712
    if department_ids is not None:
        query = query.join(
            DepartmentMember, col(DepartmentMember.person_id) == Person.slack_id
        ).where(col(DepartmentMember.department_id).in_(department_ids))
    return list(dict.fromkeys(session.exec(query.order_by(col(Person.slack_id))).all()))
