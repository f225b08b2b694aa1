"""Business-hours arithmetic: how much working time lies between two instants, and when a number
of working seconds after an instant ends, in a desk's time zone, on its days, minus its holidays.

Windows are built per local date with zoneinfo, so a day that changes to or from summer time is
as long as the wall clock says (a 09:00-17:00 day is 8 hours either way).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import InvalidInput
from bot.slack.args import shown

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_DAYS = 3 * 366  # a schedule with no working day at all must not loop forever


@dataclass(frozen=True)
class BusinessHours:
    """A desk's working week: ISO weekdays (1 = Monday), a daily window, a zone and holidays."""

    zone: str = "UTC"
    days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    start: time = time(9, 0)
    end: time = time(17, 0)
    holidays: frozenset[date] = field(default_factory=frozenset)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def day_seconds(self) -> float:
        """The length of a normal working day."""
        return (
            datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)
        ).total_seconds()

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.days and day not in self.holidays

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The working window of a local date, as aware UTC instants."""
        tz = self.tz
        opens = datetime.combine(day, self.start, tzinfo=tz).astimezone(UTC)
        closes = datetime.combine(day, self.end, tzinfo=tz).astimezone(UTC)
        return opens, closes

    def windows_from(self, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working windows from the local day of `instant` onwards (at most three years)."""
        day = _aware(instant).astimezone(self.tz).date()
        for offset in range(_MAX_DAYS):
            current = day + timedelta(days=offset)
            if self.is_working_day(current):
                yield self.window(current)

    def is_open(self, instant: datetime) -> bool:
        """Whether the desk is working at this instant."""
        local = _aware(instant).astimezone(self.tz)
        if not self.is_working_day(local.date()):
            return False
        opens, closes = self.window(local.date())
        return opens <= _aware(instant) < closes

    def describe(self) -> str:
        """Like "Mon-Fri 09:00-17:00 Europe/London"."""
        return f"{describe_days(self.days)} {self.start:%H:%M}-{self.end:%H:%M} {self.zone}"


def business_seconds(hours: BusinessHours, start: datetime, end: datetime) -> float:
    """Working seconds between two instants (0 when end is not after start)."""
    start, end = _aware(start), _aware(end)
    if end <= start:
        return 0.0
    total = 0.0
    for opens, closes in hours.windows_from(start):
        if opens >= end:
            break
        overlap = (min(closes, end) - max(opens, start)).total_seconds()
        if overlap > 0:
            total += overlap
    return total


def add_business_seconds(hours: BusinessHours, start: datetime, seconds: float) -> datetime:
    """The instant at which `seconds` of working time after `start` have passed.

    Raises:
        InvalidInput: the desk has no working time at all in the next three years.
    """
    start = _aware(start)
    left = max(0.0, seconds)
    for opens, closes in hours.windows_from(start):
        if closes <= start:
            continue
        begin = max(opens, start)
        available = (closes - begin).total_seconds()
        if left <= available:
            return begin + timedelta(seconds=left)
        left -= available
    raise InvalidInput("This desk has no business hours; set them with `/commons desk hours`.")


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("business-hours arithmetic needs timezone-aware instants")
    return instant.astimezone(UTC)


# -- parsing and describing ------------------------------------------------------------------

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$", re.ASCII)
_DURATION = re.compile(r"^(\d{1,6}(?:\.\d{1,3})?)\s*(m|min|h|d)$", re.ASCII)


def parse_days(text: str) -> frozenset[int]:
    """`Mon-Fri`, `Mon,Wed,Fri`, `Sun-Thu`, `Mon-Wed,Fri` -> ISO weekdays.

    Raises:
        InvalidInput: with the accepted forms.
    """
    days: set[int] = set()
    for part in text.lower().split(","):
        bounds = part.strip().split("-")
        try:
            numbers = [DAY_NAMES.index(b.strip()[:3]) + 1 for b in bounds]
        except ValueError:
            numbers = []
        if len(numbers) == 1:
            days.add(numbers[0])
        elif len(numbers) == 2:
            first, last = numbers
            span = (last - first) % 7
            days.update(((first - 1 + i) % 7) + 1 for i in range(span + 1))
        else:
            raise InvalidInput(
                f"`{shown(text)}` is not a set of days. Write them like `Mon-Fri`, `Sun-Thu` or "
                "`Mon,Wed,Fri`."
            )
    return frozenset(days)


def describe_days(days: frozenset[int]) -> str:
    """ISO weekdays -> `Mon-Fri` or `Mon,Wed,Fri`."""
    ordered = sorted(days)
    if not ordered:
        return "no days"
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{DAY_NAMES[ordered[0] - 1].title()}-{DAY_NAMES[ordered[-1] - 1].title()}"
    return ",".join(DAY_NAMES[d - 1].title() for d in ordered)


def parse_window(text: str) -> tuple[time, time]:
    """`09:00-17:00` -> (09:00, 17:00); the end must be later the same day.

    Raises:
        InvalidInput: with an example.
    """
    parts = text.split("-")
    matches = [_TIME.match(p.strip()) for p in parts] if len(parts) == 2 else []
    if len(matches) != 2 or not all(matches):
        raise InvalidInput(f"`{shown(text)}` is not a time window. Write it like `09:00-17:00`.")
    start, end = (time(int(m.group(1)), int(m.group(2))) for m in matches if m)
    if end <= start:
        raise InvalidInput(
            f"`{shown(text)}` ends before it starts; windows past midnight are not supported."
        )
    return start, end


def parse_zone(text: str) -> str:
    """An IANA zone name, checked.

    Raises:
        InvalidInput: not a zone.
    """
    try:
        if not text or text.startswith(("/", ".")) or ".." in text:
            raise ValueError(text)
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(
            f"`{shown(text)}` is not a time zone. Use an IANA name like `Europe/London` or "
            "`America/New_York`."
        ) from None
    return text


def parse_duration(text: str, *, day_seconds: float) -> int:
    """`30m`, `4h`, `2d` (business days of this desk's length) -> whole business minutes.

    Raises:
        InvalidInput: with the accepted forms.
    """
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise InvalidInput(
            f"`{shown(text)}` is not a duration. Write business time like `30m`, `4h` or `2d` "
            "(a `d` is one working day of this desk)."
        )
    amount, unit = float(match.group(1)), match.group(2)
    seconds = {"m": 60.0, "min": 60.0, "h": 3600.0, "d": day_seconds}[unit] * amount
    minutes = round(seconds / 60)
    if minutes < 1:
        raise InvalidInput(f"`{shown(text)}` is too short; an SLA target is at least one minute.")
    return minutes


def describe_minutes(minutes: float) -> str:
    """Business minutes -> `45m`, `4h`, `1h 30m`."""
    whole = round(minutes)
    hours, rest = divmod(whole, 60)
    if hours and rest:
        return f"{hours}h {rest}m"
    return f"{hours}h" if hours else f"{rest}m"
