"""Posting: an announcement scheduled (once, or by its rule), each occurrence posted to its
channels through the outbox in the schedule's claiming transaction (with a reminder scheduled
for a must-read), and where its posted messages landed."""

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from announcements.common import (
    POST_KIND,
    REMIND_KIND,
    campaign_of,
    channels_of,
    post_key,
    post_key_prefix,
)
from announcements.models import Announcement, AnnouncementPost, State
from announcements.policy import audience_ids
from announcements.timing import add_working_days, when_text
from announcements.views import Renderer, post_view
from bot.clock import Clock
from bot.models import Delivery
from bot.outbox import delivery
from bot.outbox.delivery import OutboundMessage
from bot.scheduling import schedules
from bot.text.mrkdwn import escape


def send(
    session: Session, clock: Clock, announcement: Announcement, messages: Iterable[OutboundMessage]
) -> None:
    """Enqueue messages under the announcement's campaign (opened the first time, and shown to
    its author), in the caller's transaction."""
    delivery.enqueue(
        session=session,
        clock=clock,
        campaign_id=campaign_of(announcement.id),
        messages=messages,
        kind="announcement",
        title=announcement.title,
        owner_user_id=announcement.author_id,
    )


def schedule(session: Session, clock: Clock, announcement: Announcement) -> str:
    """Schedule an announcement that may go out (now, at its time, or by its rule); returns
    what its author is told."""
    now = clock.now()
    if announcement.when == "recurring" and announcement.rule:
        planned = schedules.schedule_recurring(
            session=session,
            clock=clock,
            kind=POST_KIND,
            ref_id=str(announcement.id),
            rule=schedules.Recurrence.from_json(announcement.rule),
            timezone=announcement.timezone,
            owner_user_id=announcement.author_id,
        )
        announcement.state = State.RECURRING.value
    else:
        at = announcement.at if announcement.when == "at" and announcement.at else now
        planned = schedules.schedule_once(
            session=session,
            # "Now" a moment ago is not past for the schedule (it allows a little lag).
            clock=clock,
            kind=POST_KIND,
            ref_id=str(announcement.id),
            # Approved after its time: it goes now rather than never.
            at=max(at, now),
            owner_user_id=announcement.author_id,
            timezone=announcement.timezone,
        )
        announcement.state = State.SCHEDULED.value
    announcement.schedule_id = planned.id
    announcement.updated_at = now
    session.add(announcement)
    if announcement.when == "now":
        return f"Announcement #{announcement.id} is going out now."
    return (
        f"Announcement #{announcement.id} is scheduled: {when_text(announcement)}. "
        f"`/announce cancel {announcement.id}` stops it."
    )


def post_occurrence(
    *,
    session: Session,
    clock: Clock,
    renderer: Renderer,
    announcement_id: int,
    occurrence: datetime,
    late: bool,
) -> AnnouncementPost | None:
    """Post one occurrence to its channels through the outbox (in the claiming transaction)."""
    announcement = session.get(Announcement, announcement_id)
    if announcement is None or announcement.state not in (
        State.SCHEDULED.value,
        State.RECURRING.value,
    ):
        return None
    existing = session.exec(
        select(AnnouncementPost).where(
            AnnouncementPost.announcement_id == announcement_id,
            AnnouncementPost.occurrence_at == occurrence,
        )
    ).first()
    if existing is not None:
        return existing
    now = clock.now()
    post = AnnouncementPost(
        announcement_id=announcement_id,
        occurrence_at=occurrence,
        posted_at=now,
        audience_count=len(audience_ids(session, announcement)),
    )
    session.add(post)
    session.flush()
    _enqueue_post(session, clock, renderer, announcement, post)
    if announcement.when != "recurring":
        announcement.state = State.POSTED.value
        announcement.updated_at = now
        session.add(announcement)
    if announcement.must_read and announcement.max_reminders > 0:
        schedule_reminder(session, clock, announcement, post.id or 0)
    return post


def _enqueue_post(
    session: Session,
    clock: Clock,
    renderer: Renderer,
    announcement: Announcement,
    post: AnnouncementPost,
) -> None:
    blocks = renderer.announcement(post_view(session, announcement, post))
    send(
        session,
        clock,
        announcement,
        [
            OutboundMessage(
                target=channel_id,
                text=escape(announcement.title),
                blocks=blocks,
                idempotency_key=post_key(post.id or 0, channel_id),
            )
            for channel_id in channels_of(announcement)
        ],
    )


def schedule_reminder(
    session: Session, clock: Clock, announcement: Announcement, post_id: int
) -> None:
    """The next must-read reminder of a post, its author's number of working days from now."""
    schedules.schedule_once(
        session=session,
        clock=clock,
        kind=REMIND_KIND,
        ref_id=str(post_id),
        at=add_working_days(clock.now(), announcement.remind_after_days, announcement.timezone),
        owner_user_id=announcement.author_id,
        timezone=announcement.timezone,
    )


def posted_deliveries(session: Session, post_id: int) -> list[Delivery]:
    """The outbox rows of a post that reached Slack (one per channel), oldest first."""
    return list(
        session.exec(
            select(Delivery)
            .where(
                col(Delivery.idempotency_key).startswith(post_key_prefix(post_id)),
                col(Delivery.ts).is_not(None),
            )
            .order_by(col(Delivery.id))
        ).all()
    )
