"""What the announcement modules share: schedule kinds, the compose form's limits and choices,
outbox names, and small readings (a whole number as people type it, an announcement's channels)."""

import json
import re

from announcements.models import Announcement

# The schedule kinds stored schedules carry: never rename them.
POST_KIND = "announcements.post"
REMIND_KIND = "announcements.remind"

MAX_TITLE = 150
MAX_BODY = 3000
MAX_CHANNELS = 10
REMIND_CHOICES = (1, 2, 3, 5)
DEFAULT_REMIND_DAYS = 2
MAX_REMINDERS = 2
REPEATS = {
    "daily": "Every day",
    "weekdays": "Every weekday (Mon-Fri)",
    "weekly": "Every week on the chosen days",
    "monthly_day": "Every month on a day",
    "monthly_nth": "Every month on the nth weekday",
}


def number(text: str, digits: int = 9) -> int | None:
    """A whole number as people type it in a form (ASCII digits only), or None."""
    stripped = text.strip()
    return int(stripped) if re.fullmatch(f"[0-9]{{1,{digits}}}", stripped) else None


def channels_of(announcement: Announcement) -> list[str]:
    """The channel ids an announcement goes to."""
    return list(json.loads(announcement.channels))


def campaign_of(announcement_id: int | None) -> str:
    """The outbox campaign of everything an announcement sends."""
    return f"announcement-{announcement_id}"


def post_key_prefix(post_id: int) -> str:
    """The start of the outbox keys of a post's messages, one per channel."""
    return f"ann:post:{post_id}:"


def post_key(post_id: int, channel_id: str) -> str:
    """The outbox key of a post in a channel (used to find its ts for updates and deletes)."""
    return f"{post_key_prefix(post_id)}{channel_id}"
