"""What the scheduler runs for announcements, and the acknowledgement-count tick."""

import logging
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from announcements import acknowledgements, posting
from announcements.blocks import Renderer
from announcements.models import Announcement
from bot.clock import Clock
from bot.models import Schedule
from bot.scheduling.notices import late_text, skipped_text, tell_owner
from bot.store import Store
from bot.text.mrkdwn import escape

logger = logging.getLogger(__name__)

# How often posted must-read messages get their acknowledgement count refreshed (chat.update is
# Tier 3: counts are batched per message, never updated per click).
COUNT_REFRESH_SECONDS = 30.0


def _what(session: Session, schedule: Schedule) -> str:
    announcement = session.get(Announcement, int(schedule.ref_id))
    if announcement is None:
        return "your announcement"
    return f"your announcement “{escape(announcement.title)}”"


@dataclass
class PostHandler:
    """Posts an announcement's occurrence (kind announcements.post)."""

    clock: Clock
    renderer: Renderer

    def run(self, session: Session, schedule: Schedule, occurrence: datetime, late: bool) -> None:
        """Enqueue the posts in the claiming transaction; tell the author when it is late."""
        post = posting.post_occurrence(
            session=session,
            clock=self.clock,
            renderer=self.renderer,
            announcement_id=int(schedule.ref_id),
            occurrence=occurrence,
            late=late,
        )
        if post is not None and late:
            tell_owner(
                session=session,
                clock=self.clock,
                schedule=schedule,
                text=late_text(_what(session, schedule), schedule, occurrence, self.clock.now()),
                key=f"late:{occurrence.isoformat()}",
            )

    def skipped(self, session: Session, schedule: Schedule, occurrences: list[datetime]) -> None:
        """Tell the author which occurrences were skipped."""
        tell_owner(
            session=session,
            clock=self.clock,
            schedule=schedule,
            text=skipped_text(_what(session, schedule), schedule, occurrences),
            key=f"skipped:{occurrences[-1].isoformat()}",
        )


@dataclass
class RemindHandler:
    """DMs must-read reminders to those who have not acknowledged (kind announcements.remind)."""

    clock: Clock
    renderer: Renderer

    def run(self, session: Session, schedule: Schedule, occurrence: datetime, late: bool) -> None:
        """Enqueue the reminders in the claiming transaction."""
        acknowledgements.remind(
            session=session, clock=self.clock, renderer=self.renderer, post_id=int(schedule.ref_id)
        )

    def skipped(self, session: Session, schedule: Schedule, occurrences: list[datetime]) -> None:
        """One-off reminders are never skipped (they run late instead)."""


def refresh_counts(*, store: Store, client: WebClient, renderer: Renderer) -> int:
    """Update posted must-read messages whose acknowledgement count changed; returns how many.

    The claim (in one transaction) makes each change go out once across replicas; the Slack
    calls happen after the commit.
    """
    with store.unit_of_work(write=True) as session:
        refreshes = acknowledgements.claim_count_refreshes(session=session, renderer=renderer)
    for refresh in refreshes:
        try:
            client.chat_update(
                channel=refresh.channel, ts=refresh.ts, text=refresh.text, blocks=refresh.blocks
            )
        except SlackApiError as error:
            logger.warning(
                "could not refresh an acknowledgement count in %s: %s",
                refresh.channel,
                error.response.get("error"),
            )
    return len(refreshes)
