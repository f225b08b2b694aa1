"""Who may do what with announcements, and when one needs approval.

Comms and admins post anywhere the bot is, managers in their departments' channels, members
nowhere (directory.service). A post by someone who is not comms or an admin that reaches more
people than the approval threshold (default 500; the channels' member counts added up, or the
department's size), or goes to a company-wide channel (#general or #announcements), waits for a
comms person or an admin to approve it. Admins set the threshold and where approval requests go.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from announcements.common import channels_of, number
from announcements.models import Announcement, AnnouncementConfig, State
from bot.clock import Clock
from bot.errors import InvalidInput, NotFound, PermissionDenied
from directory import service as directory
from directory.models import Channel, Department, Role
from directory.visibility import ChannelMembers, may_see

DEFAULT_APPROVAL_THRESHOLD = 500
COMPANY_WIDE_NAMES = ("general", "announcements")


@dataclass(frozen=True)
class Policy:
    """The settings that decide who may do what."""

    admins: Sequence[str]


# -- roles -----------------------------------------------------------------------------------


def _role(session: Session, policy: Policy, user_id: str) -> Role:
    return directory.role_of(session=session, admins=policy.admins, user_id=user_id)[0]


def is_comms(session: Session, policy: Policy, user_id: str) -> bool:
    """Communications staff or an admin (they post anywhere and approve)."""
    return _role(session, policy, user_id) in (Role.ADMIN, Role.COMMS)


def require_announcer(*, session: Session, policy: Policy, user_id: str) -> Role:
    """Raise unless the person may announce somewhere (comms, admins, managers).

    Raises:
        PermissionDenied: members.
    """
    role = _role(session, policy, user_id)
    if role is Role.MEMBER:
        raise PermissionDenied(
            "Announcements are for communications staff and managers. Ask your manager or "
            "communications to post it; an admin can change your role with `/commons role`."
        )
    return role


def zone_of(session: Session, user_id: str, default: str = "UTC") -> str:
    """A person's IANA zone from the directory."""
    return directory.zone_of(session=session, user_id=user_id, default=default)


def postable_channels(
    session: Session, policy: Policy, user_id: str, references: Sequence[str]
) -> tuple[list[str], str | None]:
    """The channels' ids, each once, and why the person may not post in one of them (None
    when they may post in all; the ids are then those up to the refused one)."""
    ids: list[str] = []
    for reference in references:
        try:
            channel = directory.find_channel(session=session, reference=reference)
            directory.may_post_to(
                session=session, admins=policy.admins, user_id=user_id, channel_id=channel.slack_id
            )
        except (NotFound, PermissionDenied) as error:
            return ids, error.message
        if channel.slack_id not in ids:
            ids.append(channel.slack_id)
    return ids, None


def reviewers(session: Session, policy: Policy) -> list[str]:
    """Everyone who may approve: comms people and admins, each once."""
    people = [
        user_id
        for user_id, role, _ in directory.assignments(session=session, admins=policy.admins)
        if role in (Role.ADMIN, Role.COMMS)
    ]
    return list(dict.fromkeys(people))


# -- one announcement ------------------------------------------------------------------------


def check_owner(session: Session, policy: Policy, user_id: str, announcement: Announcement) -> None:
    """Raise unless the person wrote it, or is comms.

    Raises:
        PermissionDenied: someone else's, and not comms.
    """
    if announcement.author_id != user_id and not is_comms(session, policy, user_id):
        raise PermissionDenied(
            f"#{announcement.id} is <@{announcement.author_id}>'s; only they, communications "
            "staff and admins can change it."
        )


def editable(session: Session, policy: Policy, user_id: str, announcement_id: int) -> Announcement:
    """An announcement the person may still change (edit or cancel).

    Raises:
        NotFound: no such announcement (drafts count as none).
        PermissionDenied: someone else's, and not comms.
        InvalidInput: posted or cancelled already.
    """
    announcement = session.get(Announcement, announcement_id)
    if announcement is None or announcement.state == State.DRAFT.value:
        raise NotFound(f"There is no announcement #{announcement_id}; `/announce list` shows them.")
    check_owner(session, policy, user_id, announcement)
    if announcement.state in (State.POSTED.value, State.CANCELLED.value):
        raise InvalidInput(
            f"#{announcement_id} is {announcement.state} already; compose a new one with "
            "`/announce`."
        )
    return announcement


def may_see_announcement(
    session: Session, members: ChannelMembers, announcement: Announcement, user_id: str
) -> bool:
    """Its author, or someone who may see one of its channels (a private one: its members)."""
    return announcement.author_id == user_id or may_see(
        session=session, members=members, channel_ids=channels_of(announcement), user_id=user_id
    )


def audience_ids(session: Session, announcement: Announcement) -> list[str]:
    """Who is expected to read it: the chosen department; else the departments whose channels
    it goes to (when every channel is a department's); else everyone in the directory."""
    if announcement.department_id is not None:
        return directory.active_people_ids(
            session=session, department_ids=[announcement.department_id]
        )
    channels = set(channels_of(announcement))
    departments = session.exec(
        select(Department).where(
            Department.active == True,  # noqa: E712
            col(Department.channel_id).in_(channels),
        )
    ).all()
    if departments and channels <= {d.channel_id for d in departments}:
        return directory.active_people_ids(
            session=session, department_ids=[d.id for d in departments if d.id is not None]
        )
    return directory.active_people_ids(session=session)


def approval_reason(session: Session, policy: Policy, announcement: Announcement) -> str:
    """Why it needs approval, in words ("" when it does not)."""
    if is_comms(session, policy, announcement.author_id):
        return ""
    threshold = approval_threshold(session=session)
    reach = 0
    for channel_id in channels_of(announcement):
        channel = session.get(Channel, channel_id)
        if channel is None:
            continue
        if channel.name in COMPANY_WIDE_NAMES:
            return f"<#{channel_id}> is a company-wide channel"
        reach += channel.member_count
    if announcement.department_id is not None:
        reach = len(audience_ids(session, announcement))
    if reach > threshold:
        return f"it reaches {reach:,} people (more than {threshold:,})"
    return ""


# -- the admins' settings --------------------------------------------------------------------


def _config(session: Session, key: str) -> str | None:
    row = session.get(AnnouncementConfig, key)
    return row.value if row else None


def approval_threshold(*, session: Session) -> int:
    """More people than this need approval (for authors who are not comms or admins)."""
    value = _config(session, "approval_threshold")
    return int(value) if value else DEFAULT_APPROVAL_THRESHOLD


def approval_channel(*, session: Session) -> str | None:
    """Where approval requests go; None means: a DM to every comms person and admin."""
    return _config(session, "approval_channel") or None


def set_config(
    *, session: Session, clock: Clock, policy: Policy, actor: str, key: str, value: str
) -> str:
    """Admins set `threshold <n>` or `approvals #channel|dm`. Returns a confirmation.

    Raises:
        PermissionDenied: the actor is not an admin.
        InvalidInput: an unknown key or a bad value.
    """
    directory.require_admin(session=session, admins=policy.admins, user_id=actor)
    if key == "threshold":
        name, (stored, said) = "approval_threshold", _threshold(value)
    elif key == "approvals":
        name, (stored, said) = "approval_channel", _approvals(session, value)
    else:
        raise InvalidInput(
            "Use `/announce config threshold &lt;people&gt;` or "
            "`/announce config approvals #channel|dm`."
        )
    row = session.get(AnnouncementConfig, name) or AnnouncementConfig(
        key=name, value="", updated_by=actor, updated_at=clock.now()
    )
    row.value, row.updated_by, row.updated_at = stored, actor, clock.now()
    session.add(row)
    return said


def _threshold(value: str) -> tuple[str, str]:
    people = number(value, 7)
    if people is None or not 1 <= people <= 1_000_000:
        raise InvalidInput("The threshold is a number of people, e.g. `threshold 500`.")
    return str(people), f"Approval is now needed above {people:,} people."


def _approvals(session: Session, value: str) -> tuple[str, str]:
    if value.lower() in ("dm", "dms", "none", ""):
        return "", "Approval requests now go by DM to every comms person and admin."
    channel = directory.find_channel(session=session, reference=value)
    if not channel.bot_is_member or channel.is_archived:
        raise InvalidInput(f"Commons is not in <#{channel.slack_id}>; invite it there first.")
    return channel.slack_id, f"Approval requests now go to <#{channel.slack_id}>."
