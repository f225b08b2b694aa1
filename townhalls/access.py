"""Who may do what with town halls: who may hold one (whoever may announce: managers, comms,
admins, in every chosen channel), who may see one (a town hall announced only in private
channels: those channels' members, asked through a `ChannelMembers` the caller passes, and its
host), and who may change one (its host, comms and admins)."""

from sqlmodel import Session

from announcements.policy import Policy
from bot.errors import NotFound, PermissionDenied
from directory import service as directory
from directory.models import Role
from directory.visibility import ChannelMembers, may_see
from townhalls.models import TownHall
from townhalls.notices import channels_of
from townhalls.views import TownHallView, view_of

HIDDEN = "There is no town hall #{id} you can see; `/townhall list` shows the ones coming up."


def _role(session: Session, policy: Policy, user_id: str) -> Role:
    return directory.role_of(session=session, admins=policy.admins, user_id=user_id)[0]


def require_host(*, session: Session, policy: Policy, user_id: str) -> Role:
    """Raise unless the person may announce a town hall (managers, comms, admins).

    Raises:
        PermissionDenied: members, told what they can do instead.
    """
    role = _role(session, policy, user_id)
    if role is Role.MEMBER:
        raise PermissionDenied(
            "Town halls are announced by managers and communications staff. Ask your manager to "
            "hold one, or an admin to change your role with `/commons role`. Anyone can ask and "
            "upvote questions under a town hall's notice."
        )
    return role


def default_zone(*, session: Session, user_id: str) -> str:
    """The zone the modal starts with: the host's."""
    return directory.zone_of(session=session, user_id=user_id, default="UTC")


def visible(*, session: Session, members: ChannelMembers, townhall: TownHall, user_id: str) -> bool:
    """True when the person may see the town hall: it went to a public channel, they are in one
    of its private channels, or they host it."""
    if townhall.host_id == user_id:
        return True
    return may_see(
        session=session, members=members, channel_ids=channels_of(townhall), user_id=user_id
    )


def visible_or_hidden(
    session: Session, members: ChannelMembers, townhall_id: int, user_id: str
) -> TownHall:
    """A town hall the person may see.

    Raises:
        NotFound: none, or not theirs to see (the same answer: a private one's id reveals nothing).
    """
    townhall = session.get(TownHall, townhall_id)
    if townhall is None or not visible(
        session=session, members=members, townhall=townhall, user_id=user_id
    ):
        raise NotFound(HIDDEN.format(id=townhall_id))
    return townhall


def require_visible(
    *, session: Session, members: ChannelMembers, townhall_id: int, user_id: str
) -> TownHallView:
    """A town hall the person may see, for display.

    Raises:
        NotFound: no such town hall, or one only in private channels the person is not in.
    """
    return view_of(session, visible_or_hidden(session, members, townhall_id, user_id))


def changeable(session: Session, policy: Policy, user_id: str, townhall_id: int) -> TownHall:
    """A town hall the person may follow up on or cancel: its host's, or anyone's for comms.

    Raises:
        NotFound: no such town hall.
        PermissionDenied: someone else's, and not comms.
    """
    townhall = session.get(TownHall, townhall_id)
    if townhall is None:
        raise NotFound(HIDDEN.format(id=townhall_id))
    if townhall.host_id != user_id and _role(session, policy, user_id) not in (
        Role.ADMIN,
        Role.COMMS,
    ):
        raise PermissionDenied(
            f"Town hall #{townhall.id} is <@{townhall.host_id}>'s; only the host, communications "
            "staff and admins can do that."
        )
    return townhall
