"""An announcement as messages show it (the plain `PostView` and `Review`), and the `Renderer`
protocol through which the domain gets the Block Kit of what it enqueues without importing Slack
(announcements.blocks implements it)."""

from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel import Session

from announcements.models import Announcement, AnnouncementPost
from announcements.policy import audience_ids
from bot.text.mrkdwn import Mrkdwn, user_text


@dataclass(frozen=True)
class PostView:
    """What a posted announcement shows: everything the Renderer needs, already safe mrkdwn."""

    announcement_id: int
    post_id: int | None
    title: str
    body: Mrkdwn
    author_id: str
    must_read: bool
    ack_count: int = 0
    audience_count: int = 0
    late: bool = False


@dataclass(frozen=True)
class Review:
    """What a reviewer sees in an approval request."""

    announcement_id: int
    author_id: str
    reason: str
    summary: str
    post: PostView


class Renderer(Protocol):
    """Builds the Block Kit (as dicts) of the messages announcements enqueue."""

    def announcement(self, post: PostView) -> list[dict[str, Any]]:
        """The posted announcement."""
        ...

    def reminder(self, post: PostView) -> list[dict[str, Any]]:
        """A DM reminding someone to acknowledge."""
        ...

    def approval_request(self, review: Review) -> list[dict[str, Any]]:
        """The message reviewers act on."""
        ...


def post_view(
    session: Session, announcement: Announcement, post: AnnouncementPost | None = None
) -> PostView:
    """The announcement as it shows in Slack (before it is posted: with its expected audience)."""
    return PostView(
        announcement_id=announcement.id or 0,
        post_id=post.id if post else None,
        title=announcement.title,
        body=user_text(announcement.body, may_notify_everyone=announcement.may_notify_everyone),
        author_id=announcement.author_id,
        must_read=announcement.must_read,
        ack_count=post.ack_count if post else 0,
        audience_count=post.audience_count if post else len(audience_ids(session, announcement)),
    )
