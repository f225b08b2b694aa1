"""Time, injected: services take a Clock; only SystemClock reads the real time."""

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What a service needs to know about time."""

    def now(self) -> datetime:
        """The current instant, timezone-aware in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to: for tests and replays."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by delta and return the new instant."""
        self._now += delta
        return self._now

    def advance_to(self, instant: datetime) -> datetime:
        """Move forward to an instant; one already past leaves the clock where it is."""
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = max(self._now, instant.astimezone(UTC))
        return self._now

    def set(self, instant: datetime) -> None:
        """Jump to an instant."""
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = instant.astimezone(UTC)


class ShiftedClock:
    """The real clock, moved forward on demand: the sandbox's `wait` and day-spanning tests.

    Time keeps running between moves, so the ticks and Slack's pacing still see seconds pass;
    after it starts (at `start`, past or future, or now) it never moves back.
    """

    def __init__(self, base: Clock | None = None, *, start: datetime | None = None) -> None:
        self._base = base or SystemClock()
        self._offset = timedelta(0)
        self._lock = threading.Lock()
        if start is not None:
            if start.tzinfo is None:
                raise ValueError("ShiftedClock needs a timezone-aware datetime")
            self._offset = start - self._base.now()

    def now(self) -> datetime:
        with self._lock:
            return self._base.now() + self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by delta (never back) and return the new instant."""
        with self._lock:
            self._offset += max(delta, timedelta(0))
            return self._base.now() + self._offset

    def advance_to(self, instant: datetime) -> datetime:
        """Move forward to an instant; one already past leaves the clock where it is."""
        if instant.tzinfo is None:
            raise ValueError("ShiftedClock needs a timezone-aware datetime")
        return self.advance(instant - self.now())

    @property
    def offset(self) -> timedelta:
        """How far ahead of the real time this clock is."""
        return self._offset
