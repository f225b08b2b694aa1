"""One parser for what people type after a slash command: words, ids, people, channels, user
groups, dates, times and zones. Every feature reads its arguments through these functions, so
that a malformed argument always gets the same clear answer and never reaches the store."""

import re
import shlex
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import InvalidInput
from bot.text.mrkdwn import escape

# The store's id columns are INTEGER: 32-bit signed on PostgreSQL (SQLite's are 64-bit). Anything
# above cannot name a row on every store, so it is refused before a query could fail on it.
MAX_ID = 2**31 - 1

_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
_SUBTEAM = re.compile(r"^<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>$")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})", re.ASCII)


def words(text: str) -> list[str]:
    """Split command text like a shell would, so that "quoted phrases" stay together.

    An unclosed quote is read as plain words rather than refused.
    """
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def shown(token: str, limit: int = 40) -> str:
    """A person's token, shortened and escaped, to quote back to them in mrkdwn."""
    cut = token if len(token) <= limit else token[: limit - 3] + "..."
    return escape(cut)


def parse_id(token: str | None, *, usage: str, what: str = "number") -> int:
    """A row id as people type it: ASCII digits, optionally after `#`, within the store's range.

    Args:
        token: what was typed (None when nothing was).
        usage: the usage line to show when the token is missing or malformed (not escaped yet).
        what: what the id names, for the message ("request", "survey").

    Raises:
        InvalidInput: when the token is missing, is not a number, or is too large to be an id.
    """
    text = (token or "").strip().lstrip("#")
    if not text:
        raise InvalidInput(f"Say which {what}: `{escape(usage)}`.")
    if not _DIGITS.fullmatch(text) or int(text) > MAX_ID or int(text) == 0:
        article = "an" if what[:1].lower() in "aeiou" else "a"
        raise InvalidInput(
            f"`{shown(token or '')}` is not {article} {what} number. Use `{escape(usage)}`, "
            "with the number the list shows."
        )
    return int(text)


def parse_optional_id(token: str | None, *, usage: str, what: str = "number") -> int | None:
    """Like `parse_id`, but nothing typed means None."""
    if token is None or not token.strip():
        return None
    return parse_id(token, usage=usage, what=what)


def parse_count(token: str, *, what: str, low: int, high: int) -> int:
    """A whole number people type (days, people, a threshold), between low and high inclusive.

    Raises:
        InvalidInput: saying the range.
    """
    text = token.strip()
    if not _DIGITS.fullmatch(text) or not low <= int(text[:12]) <= high:
        raise InvalidInput(f"{what} is a whole number from {low} to {high}.")
    return int(text)


def user_ref(token: str) -> str:
    """`<@U123|alice>` -> U123; `@alice` or `alice` stay a name to look up."""
    match = _USER.match(token)
    return match.group(1) if match else token.lstrip("@")


def channel_ref(token: str) -> str:
    """`<#C123|general>` -> C123; `#general` -> general."""
    match = _CHANNEL.match(token)
    return match.group(1) if match else token.lstrip("#")


def usergroup_ref(token: str) -> str:
    """`<!subteam^S123|@it>` -> S123; `@it` -> it."""
    match = _SUBTEAM.match(token)
    return match.group(1) if match else token.lstrip("@")


def parse_zone(text: str) -> str:
    """An IANA time zone name such as `Europe/Berlin`.

    Raises:
        InvalidInput: for anything Python's zone database does not know.
    """
    name = text.strip()
    try:
        if not name or name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(
            f"`{shown(name)}` is not a time zone; use a name like Europe/Berlin or America/New_York.",
            field="zone",
        ) from None
    return name


def parse_date(text: str, *, field: str | None = None) -> date:
    """A calendar date written YYYY-MM-DD.

    Raises:
        InvalidInput: for anything else.
    """
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"`{shown(text)}` is not a date; write it as 2026-12-07.", field=field
        ) from None


def parse_time(text: str, *, field: str | None = None) -> time:
    """A wall-clock time written HH:MM (24-hour).

    Raises:
        InvalidInput: for anything else.
    """
    match = _TIME.fullmatch(text.strip())
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise InvalidInput(f"`{shown(text)}` is not a time; write it as 09:30.", field=field)
    return time(int(match.group(1)), int(match.group(2)))


def local_instant(day: date, at: time, zone: str) -> datetime:
    """The instant a wall-clock date and time name in a zone."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone))
