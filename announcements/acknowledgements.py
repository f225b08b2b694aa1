"""Must-reads: who acknowledged a post (once each), the reminders DM'd to those who have not,
and the count shown under the posted messages, refreshed in batches."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from announcements.models import Acknowledgement, Announcement, AnnouncementPost, State
from announcements.policy import audience_ids, may_see_announcement
from announcements.posting import posted_deliveries, schedule_reminder, send
from announcements.views import Renderer, post_view
from bot.clock import Clock
from bot.errors import NotFound
from bot.outbox.delivery import OutboundMessage
from bot.store import insert_ignore
from bot.text.mrkdwn import escape
from directory.visibility import ChannelMembers


@dataclass(frozen=True)
class CountRefresh:
    """A posted message whose acknowledgement count must be shown again."""

    channel: str
    ts: str
    blocks: list[dict[str, Any]]
    text: str


def require_post_visible(
    *, session: Session, members: ChannelMembers, post_id: int, user_id: str
) -> AnnouncementPost:
    """A posted must-read the person may act on: one in a public channel, or in a private one
    they are a member of (or their own).

    Raises:
        NotFound: no such post, one the person cannot see, or not a must-read.
    """
    post = session.get(AnnouncementPost, post_id)
    announcement = session.get(Announcement, post.announcement_id) if post is not None else None
    if (
        post is None
        or announcement is None
        or not announcement.must_read
        or not may_see_announcement(session, members, announcement, user_id)
    ):
        # One answer for all of these: the id of a private channel's post reveals nothing.
        raise NotFound("There is no must-read announcement here for you to acknowledge.")
    return post


def acknowledge(
    *, session: Session, clock: Clock, members: ChannelMembers, post_id: int, user_id: str
) -> bool:
    """Record that a person read a must-read post; a second click changes nothing.

    Returns:
        True when this click was the person's first.

    Raises:
        NotFound: no such post, or one in private channels the person is not in.
    """
    require_post_visible(session=session, members=members, post_id=post_id, user_id=user_id)
    inserted = session.execute(
        insert_ignore(
            session,
            Acknowledgement,
            ["post_id", "user_id"],
            post_id=post_id,
            user_id=user_id,
            acked_at=clock.now(),
        ).returning(col(Acknowledgement.user_id))
    ).first()
    if inserted is None:
        return False
    session.execute(
        update(AnnouncementPost)
        .where(col(AnnouncementPost.id) == post_id)
        .values(ack_count=AnnouncementPost.ack_count + 1)
    )
    return True


def remind(*, session: Session, clock: Clock, renderer: Renderer, post_id: int) -> int:
    """DM a reminder to everyone in the audience who has not acknowledged; returns how many."""
    post = session.get(AnnouncementPost, post_id)
    if post is None:
        return 0
    announcement = session.get(Announcement, post.announcement_id)
    if announcement is None or announcement.state == State.CANCELLED.value:
        return 0
    if post.reminders_sent >= announcement.max_reminders:
        return 0
    acked = set(
        session.exec(
            select(Acknowledgement.user_id).where(Acknowledgement.post_id == post_id)
        ).all()
    )
    missing = [u for u in audience_ids(session, announcement) if u not in acked]
    number = post.reminders_sent + 1
    blocks = renderer.reminder(post_view(session, announcement, post))
    send(
        session,
        clock,
        announcement,
        (
            OutboundMessage(
                target=user_id,
                text=f"Reminder: please read and acknowledge “{escape(announcement.title)}”.",
                blocks=blocks,
                idempotency_key=f"ann:remind:{post_id}:{number}:{user_id}",
            )
            for user_id in missing
        ),
    )
    post.reminders_sent = number
    session.add(post)
    if number < announcement.max_reminders and missing:
        schedule_reminder(session, clock, announcement, post_id)
    return len(missing)


def claim_count_refreshes(
    *, session: Session, renderer: Renderer, limit: int = 20
) -> list[CountRefresh]:
    """Posts whose shown count lags, claimed (each once across replicas), as messages to update."""
    stale = session.exec(
        select(AnnouncementPost)
        .where(col(AnnouncementPost.ack_count) != col(AnnouncementPost.shown_count))
        .limit(limit)
    ).all()
    refreshes: list[CountRefresh] = []
    for post in stale:
        count, shown = post.ack_count, post.shown_count
        claimed = session.execute(
            update(AnnouncementPost)
            .where(col(AnnouncementPost.id) == post.id, col(AnnouncementPost.shown_count) == shown)
            .values(shown_count=count)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            continue
        announcement = session.get(Announcement, post.announcement_id)
        if announcement is None:
            continue
        session.refresh(post)
        blocks = renderer.announcement(post_view(session, announcement, post))
        refreshes += [
            CountRefresh(
                channel=d.channel or d.target, ts=d.ts or "", blocks=blocks, text=announcement.title
            )
            for d in posted_deliveries(session, post.id or 0)
        ]
    return refreshes
