"""What authors and communications see of announcements: the list of upcoming, recurring and
waiting ones, and the acknowledgement figures of a must-read."""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from announcements.common import channels_of
from announcements.models import Announcement, AnnouncementPost, State
from announcements.policy import (
    Policy,
    is_comms,
    may_see_announcement,
    require_announcer,
    zone_of,
)
from announcements.timing import when_text
from bot.errors import InvalidInput, NotFound, PermissionDenied
from directory.visibility import ChannelMembers

LISTED_STATES = (
    State.SCHEDULED.value,
    State.RECURRING.value,
    State.PENDING_APPROVAL.value,
    State.CHANGES_REQUESTED.value,
)


@dataclass(frozen=True)
class Listed:
    """One line of /announce list."""

    announcement_id: int
    title: str
    state: str
    when: str
    channels: list[str]
    author_id: str


@dataclass(frozen=True)
class Stats:
    """Acknowledgements of an announcement's latest post."""

    announcement_id: int
    title: str
    audience: int
    acknowledged: int
    reminders_sent: int
    posts: int

    @property
    def rate(self) -> float:
        """Acknowledged share of the audience, 0 to 1."""
        return self.acknowledged / self.audience if self.audience else 0.0


def listing(*, session: Session, policy: Policy, user_id: str) -> list[Listed]:
    """Upcoming, recurring and waiting announcements: one's own, or everyone's for comms.

    Raises:
        PermissionDenied: members.
    """
    require_announcer(session=session, policy=policy, user_id=user_id)
    query = select(Announcement).where(col(Announcement.state).in_(LISTED_STATES))
    if not is_comms(session, policy, user_id):
        query = query.where(Announcement.author_id == user_id)
    zone = zone_of(session, user_id)
    rows = session.exec(query.order_by(col(Announcement.id))).all()
    return [
        Listed(
            announcement_id=a.id or 0,
            title=a.title,
            state=a.state,
            when=when_text(a, zone),
            channels=channels_of(a),
            author_id=a.author_id,
        )
        for a in rows[:50]
    ]


def stats(
    *,
    session: Session,
    policy: Policy,
    members: ChannelMembers,
    user_id: str,
    announcement_id: int,
) -> Stats:
    """The acknowledgement rate of an announcement's latest post: for its author, and for
    comms and admins who may see it (one posted only in private channels: their members).

    Raises:
        NotFound: no such announcement, or one only in private channels the person is not in.
        PermissionDenied: someone else's, and not comms.
        InvalidInput: it is not a must-read, or has not gone out yet.
    """
    announcement = session.get(Announcement, announcement_id)
    if (
        announcement is None
        or announcement.state == State.DRAFT.value
        or not may_see_announcement(session, members, announcement, user_id)
    ):
        raise NotFound(
            f"There is no announcement #{announcement_id} you can see; `/announce list` shows yours."
        )
    if announcement.author_id != user_id and not is_comms(session, policy, user_id):
        raise PermissionDenied(
            "Only the author, communications staff and admins see these figures."
        )
    if not announcement.must_read:
        raise InvalidInput(
            f"#{announcement_id} is not a must-read, so nobody is asked to acknowledge it."
        )
    posts = session.exec(
        select(AnnouncementPost)
        .where(AnnouncementPost.announcement_id == announcement_id)
        .order_by(col(AnnouncementPost.occurrence_at).desc())
    ).all()
    if not posts:
        raise InvalidInput(f"#{announcement_id} has not gone out yet ({when_text(announcement)}).")
    latest = posts[0]
    return Stats(
        announcement_id=announcement_id,
        title=announcement.title,
        audience=latest.audience_count,
        acknowledged=latest.ack_count,
        reminders_sent=latest.reminders_sent,
        posts=len(posts),
    )
