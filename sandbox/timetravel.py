"""Time passing on demand: move Commons' clock forward and run, in order, everything that falls due.

The sandbox's `wait 2d` and `at 2026-12-07 09:00 Europe/Berlin`, and the `time_machine` test
fixture, use it. Commons runs on a `ShiftedClock`; while the machine moves it, the periodic jobs
are held and the machine runs them itself at each instant something is due (a schedule, an outbox
row waiting for its time, an SLA warning), so a reminder due on Tuesday is sent with Tuesday's
clock, before Wednesday's.
"""

import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import col, func, select

from bot.models import Delivery, Schedule
from bot.services import Services

LONGEST_WAIT = timedelta(days=400)
MAX_STEPS = 5_000  # instants visited by one wait: a daily schedule for a year is 365
SETTLE_SECONDS = 20.0  # real time one instant may take (Slack's pacing of many posts)
NEAR = timedelta(seconds=5)  # outbox rows due this soon are waited for, not stepped to

_PART = re.compile(r"(\d{1,6})\s*(w|d|h|m|s)", re.IGNORECASE | re.ASCII)
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


class TimeError(ValueError):
    """A duration or an instant that cannot be used; the message says how to write one."""


def parse_duration(text: str) -> timedelta:
    """`2d`, `90m`, `1h30m`, `1w 2d`: a positive duration of at most LONGEST_WAIT.

    Raises:
        TimeError: anything else, with an example.
    """
    compact = text.strip().replace(" ", "")
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts).lower() != compact.lower():
        raise TimeError(f"`{text.strip()}` is not a duration: write e.g. `2d`, `90m` or `1h30m`.")
    delta = timedelta()
    for number, unit in parts:
        delta += timedelta(**{_UNITS[unit.lower()]: int(number)})
    if delta <= timedelta(0):
        raise TimeError("Wait for some time: e.g. `wait 2h`.")
    if delta > LONGEST_WAIT:
        raise TimeError(f"Wait at most {LONGEST_WAIT.days} days at a time.")
    return delta


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse_instant(text: str, *, zone: str, now: datetime | None = None) -> datetime:
    """`<day> <HH:MM> [zone]` as an aware instant; the zone defaults to `zone`.

    The day is a date (2026-12-07), `today`, `tomorrow`, or a weekday (`monday`, `mon`): the
    next one after today, so that a transcript written once reads the same on any date.

    Raises:
        TimeError: a malformed day, time or zone, with an example.
    """
    words = text.split()
    if len(words) not in (2, 3):
        raise TimeError(
            "Say when: e.g. `at 2026-12-07 09:00 Europe/Berlin`, `at tomorrow 09:00` or "
            "`at monday 08:30` (the zone is optional)."
        )
    name = words[2] if len(words) == 3 else zone
    try:
        tz = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeError(f"`{name}` is not a time zone: write one like Europe/Berlin.") from None
    today = (now or datetime.now(tz)).astimezone(tz).date()
    day = _day(words[0].lower(), today)
    try:
        at = datetime.strptime(words[1], "%H:%M").time()
    except ValueError:
        day = None
    if day is None:
        raise TimeError(
            f"`{words[0]} {words[1]}` is not a day and time like 2026-12-07 09:00 or monday 09:00."
        )
    return datetime.combine(day, at, tzinfo=tz)


def _day(word: str, today: date) -> date | None:
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    for number, name in enumerate(_WEEKDAYS):
        if len(word) >= 3 and name.startswith(word):
            return today + timedelta(days=(number - today.weekday() - 1) % 7 + 1)
    try:
        return datetime.strptime(word, "%Y-%m-%d").date()
    except ValueError:
        return None


class MovableClock(Protocol):
    """A clock the machine can move: ShiftedClock (running time) or FixedClock (tests)."""

    def now(self) -> datetime: ...

    def advance_to(self, instant: datetime) -> datetime: ...


class TimeMachine:
    """Moves a clock forward and runs, at each instant where work falls due, what is due."""

    def __init__(
        self,
        clock: MovableClock,
        services: Services,
        run_once: Callable[[], object],
        *,
        hold: Callable[[], AbstractContextManager[object]] = nullcontext,
        near: timedelta = NEAR,
    ) -> None:
        """
        Args:
            clock: Commons' clock (services.clock).
            services: for the store, the schedule kinds and the ticks' next due instants.
            run_once: runs every periodic job once (Background.run_each_once).
            hold: keeps the periodic jobs from running meanwhile (Background.held).
            near: outbox rows due this soon are waited for in real time rather than stepped to
                (a running clock's retry a moment away); zero for a clock that stands still.
        """
        self.clock = clock
        self.services = services
        self.run_once = run_once
        self.hold = hold
        self.near = near

    def advance_to(
        self, target: datetime, on_step: Callable[[datetime], None] | None = None
    ) -> int:
        """Visit each instant up to `target` at which something falls due, then `target` itself.

        `on_step(instant)` is called after the work of each instant has run (the console prints
        what appeared). Returns the number of instants visited.

        Raises:
            TimeError: the target is in the past.
        """
        if target < self.clock.now() - timedelta(seconds=1):
            raise TimeError("Time only moves forward in the sandbox: that moment has passed.")
        steps = 0
        with self.hold():
            self.settle()  # what is due already, at the instant the wait starts
            if on_step is not None:
                on_step(self.clock.now())
            while steps < MAX_STEPS:
                due = self.next_due()
                if due is None or due > target:
                    break
                self.clock.advance_to(due)
                self.settle()
                steps += 1
                if on_step is not None:
                    on_step(self.clock.now())
            self.clock.advance_to(target)
            self.settle()
        if on_step is not None:
            on_step(self.clock.now())
        return steps + 1

    def advance(self, delta: timedelta, on_step: Callable[[datetime], None] | None = None) -> int:
        """`advance_to(now + delta)`."""
        return self.advance_to(self.clock.now() + delta, on_step)

    def settle(self) -> None:
        """Run every job until nothing more is due at this instant, or a moment from now.

        Slack's pace (a message a second per channel) runs on real time, so posting what one
        instant brought takes real seconds; bounded by SETTLE_SECONDS.
        """
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            self.run_once()
            if not self.near:
                return  # a clock that stands still: run_once did all it can at this instant
            if not self._outbox_due(self.clock.now() + self.near) and not self._schedules_due():
                return
            if time.monotonic() > deadline:
                return
            time.sleep(0.1)

    def next_due(self) -> datetime | None:
        """The earliest instant after now at which a schedule, an outbox row or a tick is due."""
        now = self.clock.now()
        kinds = list(self.services.schedule_handlers)
        with self.services.store.unit_of_work(write=False) as session:
            schedule = session.exec(
                select(func.min(Schedule.next_run_at)).where(
                    Schedule.state == "active",
                    col(Schedule.next_run_at) > now,
                    col(Schedule.kind).in_(kinds),
                )
            ).one()
            delivery = session.exec(
                select(func.min(Delivery.not_before)).where(
                    col(Delivery.state).in_(("pending", "sending")), col(Delivery.not_before) > now
                )
            ).one()
        instants = [i for i in (schedule, delivery) if i is not None]
        for tick in self.services.ticks:
            if tick.next_due is not None and (instant := tick.next_due()) is not None:
                instants.append(instant)
        return min((_aware(i) for i in instants), default=None)

    def _outbox_due(self, by: datetime) -> int:
        with self.services.store.unit_of_work(write=False) as session:
            count = session.exec(
                select(func.count()).where(
                    col(Delivery.state).in_(("pending", "sending")), col(Delivery.not_before) <= by
                )
            ).one()
        return int(count)

    def _schedules_due(self) -> int:
        kinds = list(self.services.schedule_handlers)
        with self.services.store.unit_of_work(write=False) as session:
            count = session.exec(
                select(func.count()).where(
                    Schedule.state == "active",
                    col(Schedule.next_run_at) <= self.clock.now(),
                    col(Schedule.kind).in_(kinds),
                )
            ).one()
        return int(count)


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=ZoneInfo("UTC"))
