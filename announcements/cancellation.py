"""Stopping an announcement: its schedule, its reminders and its unsent messages; and, for
`/announce delete`, the posted messages to delete and what the author is told afterwards."""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from announcements.common import REMIND_KIND, campaign_of
from announcements.models import Announcement, AnnouncementPost, State
from announcements.policy import Policy, check_owner, editable
from announcements.posting import posted_deliveries
from bot.clock import Clock
from bot.errors import NotFound
from bot.models import Campaign, Schedule
from bot.outbox import delivery
from bot.scheduling import schedules
from bot.text.mrkdwn import counted, escape


@dataclass(frozen=True)
class Deletion:
    """What deleting an announcement's posted messages did, message by message."""

    announcement_id: int
    deleted: int = 0
    already_gone: int = 0
    # (channel, Slack's error) of each message that could not be deleted.
    failed: tuple[tuple[str, str], ...] = ()


def _post_ids(session: Session, announcement_id: int) -> list[int]:
    return [
        p
        for p in session.exec(
            select(AnnouncementPost.id)
            .where(AnnouncementPost.announcement_id == announcement_id)
            .order_by(col(AnnouncementPost.id))
        ).all()
        if p is not None
    ]


def stop(session: Session, clock: Clock, announcement_id: int) -> int:
    """Cancel an announcement's schedule, reminders and unsent messages; returns how many
    messages were withdrawn. Who may is the caller's to check."""
    announcement = session.get(Announcement, announcement_id)
    if announcement is None:
        return 0
    if announcement.schedule_id is not None:
        schedules.cancel(session=session, clock=clock, schedule_id=announcement.schedule_id)
    post_ids = _post_ids(session, announcement_id)
    if post_ids:
        reminders = session.exec(
            select(Schedule.id).where(
                Schedule.kind == REMIND_KIND,
                col(Schedule.ref_id).in_([str(p) for p in post_ids]),
                Schedule.state == schedules.ACTIVE,
            )
        ).all()
        for schedule_id in reminders:
            if schedule_id is not None:
                schedules.cancel(session=session, clock=clock, schedule_id=schedule_id)
    cancelled = 0
    campaign = campaign_of(announcement_id)
    if session.get(Campaign, campaign) is not None:
        cancelled = delivery.cancel_pending(session=session, campaign_id=campaign)
    announcement.state = State.CANCELLED.value
    announcement.updated_at = clock.now()
    session.add(announcement)
    return cancelled


def cancel(
    *, session: Session, clock: Clock, policy: Policy, user_id: str, announcement_id: int
) -> str:
    """Stop an announcement: its schedule, reminders and unsent messages.

    Raises:
        NotFound, PermissionDenied, InvalidInput: as for edits.
    """
    announcement = session.get(Announcement, announcement_id)
    if announcement is not None and announcement.state == State.POSTED.value:
        check_owner(session, policy, user_id, announcement)
        stopped = stop(session, clock, announcement_id)
        return (
            f"#{announcement_id} was already posted; its reminders are stopped"
            + (f" and {counted(stopped, 'unsent message')} cancelled" if stopped else "")
            + f". `/announce delete {announcement_id}` removes the posted messages."
        )
    editable(session, policy, user_id, announcement_id)
    stopped = stop(session, clock, announcement_id)
    extra = f" ({counted(stopped, 'unsent message')} withdrawn)" if stopped else ""
    return f":no_entry_sign: Announcement #{announcement_id} is cancelled{extra}; nothing more goes out."


def posted_messages(
    *, session: Session, clock: Clock, policy: Policy, user_id: str, announcement_id: int
) -> list[tuple[str, str]]:
    """Stop an announcement and return its posted messages (channel, ts) for deletion.

    Only its author, comms and admins may.

    Raises:
        NotFound: no such announcement.
        PermissionDenied: someone else's, and not comms.
    """
    announcement = session.get(Announcement, announcement_id)
    if announcement is None or announcement.state == State.DRAFT.value:
        raise NotFound(f"There is no announcement #{announcement_id}.")
    check_owner(session, policy, user_id, announcement)
    stop(session, clock, announcement_id)
    return [
        (row.channel or row.target, row.ts or "")
        for post_id in _post_ids(session, announcement_id)
        for row in posted_deliveries(session, post_id)
    ]


def deletion_text(deletion: Deletion) -> str:
    """What the author is told after the deletes: what went, what was gone, what is left."""
    parts = [f":wastebasket: Announcement #{deletion.announcement_id} is cancelled."]
    if deletion.deleted:
        parts.append(f"Deleted {counted(deletion.deleted, 'posted message')}.")
    if deletion.already_gone:
        was = "was" if deletion.already_gone == 1 else "were"
        parts.append(f"{counted(deletion.already_gone, 'message')} {was} already gone.")
    if deletion.failed:
        where = ", ".join(
            f"<#{channel}> ({escape(error)})" for channel, error in deletion.failed[:10]
        )
        parts.append(
            f"{counted(len(deletion.failed), 'message')} could not be deleted: {where}. "
            f"Delete {'it' if len(deletion.failed) == 1 else 'them'} in Slack, or run "
            f"`/announce delete {deletion.announcement_id}` again later."
        )
    if not (deletion.deleted or deletion.already_gone or deletion.failed):
        parts.append("It had no posted messages to delete.")
    return " ".join(parts)
