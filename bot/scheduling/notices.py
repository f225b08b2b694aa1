"""Telling the author of a schedule what happened to it (posted late, skipped), through the outbox."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.clock import Clock
from bot.models import Schedule
from bot.outbox import delivery
from bot.outbox.delivery import OutboundMessage

NOTICES_CAMPAIGN = "commons-notices"


def tell_owner(*, session: Session, clock: Clock, schedule: Schedule, text: str, key: str) -> bool:
    """DM the schedule's owner, once per `key`, in the caller's transaction; False if it has none."""
    if not schedule.owner_user_id:
        return False
    delivery.enqueue(
        session=session,
        clock=clock,
        campaign_id=NOTICES_CAMPAIGN,
        messages=[
            OutboundMessage(
                target=schedule.owner_user_id,
                text=text,
                idempotency_key=f"notice:schedule:{schedule.id}:{key}"[:255],
            )
        ],
        kind="notice",
        title="Notices to authors",
    )
    return True


def _local(instant: datetime, timezone: str) -> str:
    return instant.astimezone(ZoneInfo(timezone)).strftime("%a %d %b %Y %H:%M %Z")


def skipped_text(what: str, schedule: Schedule, occurrences: list[datetime]) -> str:
    """What an author reads when Commons was down past the grace window of a recurring post."""
    shown = ", ".join(_local(o, schedule.timezone) for o in occurrences[-3:])
    more = f" and {len(occurrences) - 3} earlier" if len(occurrences) > 3 else ""
    return (
        f":warning: Commons was unavailable when {what} was due ({shown}{more}), and it was too "
        "late to send without confusing people, so those occurrences were skipped. "
        "The next ones go out as planned."
    )


def late_text(what: str, schedule: Schedule, occurrence: datetime, sent_at: datetime) -> str:
    """What an author reads when a post went out later than planned."""
    minutes = max(1, round((sent_at - occurrence).total_seconds() / 60))
    return (
        f":hourglass: {what} was due {_local(occurrence, schedule.timezone)} but Commons was "
        f"unavailable; it went out {minutes} min late."
    )
