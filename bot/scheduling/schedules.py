"""Schedules: one-off and recurring occurrences, claimed and advanced once each across replicas."""

import json
import logging
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.errors import InvalidInput, NotFound
from bot.models import Schedule, ScheduleRun
from bot.store import Store

logger = logging.getLogger(__name__)

ACTIVE = "active"
PAUSED = "paused"
CANCELLED = "cancelled"
DONE = "done"
FAILED = "failed"

DEFAULT_GRACE = timedelta(minutes=15)
# An occurrence handled within this much of its time is on time; beyond it the handler is told
# it runs late (a tick every second or two, or a slow claim, must not count as late).
LATE_TOLERANCE = timedelta(seconds=60)
# Skipped occurrences recorded (and passed to the handler) per catch-up: the most recent ones.
SKIPPED_RECORD_LIMIT = 50
# How many missed occurrences a catch-up steps through before it stops counting them.
_SKIP_SCAN_LIMIT = 10_000
# Candidates examined per next_occurrence call: enough for every-n-weeks filtering, and a bound
# on pathological rules.
_SEARCH_LIMIT = 1_000
DEFAULT_MAX_ATTEMPTS = 5
_RETRY_BASE = timedelta(seconds=5)
_RETRY_MAX = timedelta(minutes=5)

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_POSITIONS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", -1: "last"}
_POSITION_WORDS = {
    "1st": "first",
    "2nd": "second",
    "3rd": "third",
    "4th": "fourth",
    "5th": "fifth",
    "last": "last",
}
_QUARTER_MONTHS = "1,4,7,10"

CronValue = str | int | None
OutcomeKind = Literal["ran", "late", "skipped", "failed"]


@dataclass(frozen=True)
class Recurrence:
    """A cron-like rule read in the schedule's own time zone.

    The fields take what APScheduler's CronTrigger takes (``day_of_week="mon-fri"``,
    ``day="1st mon"``, ``month="1,4,7,10"``); ``hour`` and ``minute`` are required so that a rule
    always names a time of day. ``every_n_weeks`` keeps only the weeks (Monday to Sunday) whose
    distance from ``anchor``'s week is a multiple of n, which cron cannot express.
    """

    minute: CronValue = None
    hour: CronValue = None
    day: CronValue = None
    month: CronValue = None
    day_of_week: CronValue = None
    every_n_weeks: int = 1
    anchor: date | None = None

    def __post_init__(self) -> None:
        if self.minute is None or self.hour is None:
            raise InvalidInput("A recurring schedule needs a time of day (an hour and a minute).")
        if not 1 <= self.every_n_weeks <= 52:
            raise InvalidInput("The number of weeks between occurrences must be 1 to 52.")
        if self.every_n_weeks > 1 and self.anchor is None:
            raise InvalidInput("Every few weeks needs a first date to count the weeks from.")
        self.trigger(UTC)

    def cron_fields(self) -> dict[str, str | int]:
        """The CronTrigger keyword arguments for this rule."""
        fields = {
            "month": self.month,
            "day": self.day,
            "day_of_week": self.day_of_week,
            "hour": self.hour,
            "minute": self.minute,
        }
        return {name: value for name, value in fields.items() if value is not None}

    def trigger(self, zone: tzinfo) -> Any:
        """The CronTrigger for this rule in a zone.

        Raises:
            InvalidInput: a field is not a valid cron expression.
        """
        try:
            return CronTrigger(timezone=zone, **self.cron_fields())
        except ValueError as error:
            raise InvalidInput(f"That recurrence is not valid: {error}.") from error

    def to_json(self) -> str:
        """The rule as JSON, for Schedule.rule."""
        data = {key: value for key, value in asdict(self).items() if value is not None}
        if self.every_n_weeks == 1:
            data.pop("every_n_weeks")
        if self.anchor is not None:
            data["anchor"] = self.anchor.isoformat()
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Recurrence":
        """Read a rule written by `to_json`.

        Raises:
            InvalidInput: the text is not a rule.
        """
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TypeError("not an object")
            if "anchor" in data:
                data["anchor"] = date.fromisoformat(data["anchor"])
            return cls(**data)
        except (TypeError, ValueError) as error:
            raise InvalidInput(f"That recurrence could not be read: {error}.") from error

    def describe(self) -> str:
        """The rule in plain English, e.g. "every other Monday at 09:00"."""
        at = _describe_time(self.hour, self.minute)
        days = _describe_days(self)
        if at is None or days is None:
            return (
                "on a custom schedule ("
                + ", ".join(f"{name}={value}" for name, value in self.cron_fields().items())
                + (f", every {self.every_n_weeks} weeks" if self.every_n_weeks > 1 else "")
                + ")"
            )
        return f"{days} at {at}"


def _on_the_minute(at: time) -> time:
    if at.second or at.microsecond:
        raise InvalidInput("Schedules run on the minute: leave out seconds.")
    return at


def _weekday(name: str) -> str:
    key = name.strip().lower()[:3]
    if key not in _WEEKDAYS or not _WEEKDAY_NAMES[_WEEKDAYS.index(key)].lower().startswith(
        name.strip().lower()
    ):
        raise InvalidInput(f"“{name}” is not a day of the week: use Monday to Sunday.")
    return key


def daily(at: time) -> Recurrence:
    """Every day at a wall-clock time."""
    return Recurrence(hour=at.hour, minute=_on_the_minute(at).minute)


def weekdays(at: time) -> Recurrence:
    """Monday to Friday at a wall-clock time."""
    return Recurrence(day_of_week="mon-fri", hour=at.hour, minute=_on_the_minute(at).minute)


def weekly(days: Sequence[str], at: time) -> Recurrence:
    """On some days of every week ("mon", "Thursday", ...) at a wall-clock time."""
    keys = {_weekday(day) for day in days}
    if not keys:
        raise InvalidInput("Pick at least one day of the week.")
    ordered = ",".join(key for key in _WEEKDAYS if key in keys)
    return Recurrence(day_of_week=ordered, hour=at.hour, minute=_on_the_minute(at).minute)


def every_n_weeks(n: int, day: str, at: time, anchor: date) -> Recurrence:
    """On one day of every n-th week, counting from the week that contains `anchor`."""
    at = _on_the_minute(at)
    return Recurrence(
        day_of_week=_weekday(day), every_n_weeks=n, anchor=anchor, hour=at.hour, minute=at.minute
    )


def monthly_on_day(day: int, at: time) -> Recurrence:
    """On a day of each month (1-31, or -1 for the last day); months without that day are skipped."""
    if day == -1:
        return Recurrence(day="last", hour=at.hour, minute=_on_the_minute(at).minute)
    if not 1 <= day <= 31:
        raise InvalidInput("A day of the month is 1 to 31 (or the last day).")
    return Recurrence(day=day, hour=at.hour, minute=_on_the_minute(at).minute)


def monthly_nth_weekday(n: int, weekday: str, at: time) -> Recurrence:
    """On the n-th (1-5, or -1 for the last) given weekday of each month."""
    if n not in _POSITIONS:
        raise InvalidInput("Pick the first to fifth, or the last, weekday of the month.")
    return Recurrence(
        day=f"{_POSITIONS[n]} {_weekday(weekday)}", hour=at.hour, minute=_on_the_minute(at).minute
    )


def quarterly(day: int, at: time, *, first_month: int = 1) -> Recurrence:
    """On a day of every third month, starting from `first_month` (January by default)."""
    if not 1 <= first_month <= 12:
        raise InvalidInput("A month is 1 to 12.")
    months = ",".join(str(m) for m in sorted((first_month - 1 + 3 * i) % 12 + 1 for i in range(4)))
    if not 1 <= day <= 31:
        raise InvalidInput("A day of the month is 1 to 31.")
    return Recurrence(day=day, month=months, hour=at.hour, minute=_on_the_minute(at).minute)


def _as_int(value: CronValue) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _describe_time(hour: CronValue, minute: CronValue) -> str | None:
    h, m = _as_int(hour), _as_int(minute)
    if h is None or m is None:
        return None
    return f"{h:02d}:{m:02d}"


def _weekday_list(expression: CronValue) -> list[str] | None:
    if not isinstance(expression, str):
        return None
    keys = [part.strip().lower() for part in expression.split(",")]
    if not all(key in _WEEKDAYS for key in keys):
        return None
    return [_WEEKDAY_NAMES[_WEEKDAYS.index(key)] for key in keys]


def _describe_days(rule: Recurrence) -> str | None:
    """The part of describe() before "at HH:MM", for the shapes the constructors build."""
    if rule.day is None and rule.month is None:
        if rule.every_n_weeks > 1:
            names = _weekday_list(rule.day_of_week)
            if names is None:
                return None
            every = (
                "every other" if rule.every_n_weeks == 2 else f"every {rule.every_n_weeks} weeks on"
            )
            return f"{every} {_join(names)}"
        if rule.day_of_week is None:
            return "every day"
        if rule.day_of_week == "mon-fri":
            return "weekdays"
        names = _weekday_list(rule.day_of_week)
        return None if names is None else f"every {_join(names)}"
    if rule.day_of_week is not None or rule.every_n_weeks > 1:
        return None
    if rule.day == "last":
        day = "the last day"
    elif (number := _as_int(rule.day)) is not None:
        day = f"the {_ordinal(number)}"
    elif isinstance(rule.day, str) and len(parts := rule.day.split()) == 2:
        position, weekday = parts
        names = _weekday_list(weekday)
        if position not in _POSITION_WORDS or names is None:
            return None
        day = f"the {_POSITION_WORDS[position]} {names[0]}"
    else:
        return None
    if rule.month is None:
        return f"on {day} of each month"
    month_numbers = [_as_int(part) for part in str(rule.month).split(",")]
    if any(m is None or not 1 <= m <= 12 for m in month_numbers):
        return None
    months = _join([_MONTH_NAMES[m - 1] for m in month_numbers if m is not None])
    prefix = "quarterly, " if len(month_numbers) == 4 and _is_quarterly(month_numbers) else ""
    return f"{prefix}on {day} of {months}"


def _is_quarterly(months: Sequence[int | None]) -> bool:
    values = sorted(m for m in months if m is not None)
    return all(b - a == 3 for a, b in pairwise(values))


def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`.

    Raises:
        InvalidInput: no such zone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
        raise InvalidInput(
            f"“{name}” is not a time zone Commons knows: use an IANA name such as Europe/Berlin."
        ) from error


def _fold_matters(local: datetime) -> bool:
    """True when the wall-clock time is repeated or skipped, so that fold changes its offset."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def _canonical(local: datetime) -> datetime | None:
    """The one instant a matched wall-clock time stands for, or None for a repeat of it.

    APScheduler 3.11's CronTrigger returns an ambiguous time (the hour repeated when clocks go
    back) twice, first with fold=0 and then with fold=1; we keep only the first. A time that does
    not exist (the hour skipped when clocks go forward) comes back once with fold=0, which reads
    it with the offset before the change: 02:30 on a spring-forward night in New York is 07:30
    UTC, 03:30 by the new clock, so it fires once, shifted by the size of the jump.
    """
    if local.fold == 1 and _fold_matters(local):
        round_trip = local.astimezone(UTC).astimezone(local.tzinfo)
        if round_trip.replace(tzinfo=None) == local.replace(tzinfo=None):
            return None  # the second pass through a repeated wall-clock time
        local = local.replace(fold=0)  # a skipped wall-clock time: read it like fold=0 does
    return local.astimezone(UTC)


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def next_occurrence(rule: Recurrence, timezone: str, after: datetime) -> datetime | None:
    """The first occurrence of `rule` in `timezone` strictly after `after`.

    Each matching wall-clock time fires once: an ambiguous one at its first instant, a
    nonexistent one at the wall time read with the offset before the change (see `_canonical`).

    Args:
        rule: the recurrence.
        timezone: the IANA zone its wall-clock times are read in.
        after: a timezone-aware instant.

    Returns:
        The occurrence in UTC, or None when the rule never fires again.

    Raises:
        InvalidInput: unknown time zone.
    """
    if after.tzinfo is None:
        raise ValueError("next_occurrence needs a timezone-aware datetime")
    tz = zone(timezone)
    trigger = rule.trigger(tz)
    after = after.astimezone(UTC)
    cursor = after
    anchor_week = _week_start(rule.anchor) if rule.anchor is not None else None
    for _ in range(_SEARCH_LIMIT):
        # CronTrigger rounds up to whole seconds and may return `now` itself: ask from just after.
        local: datetime | None = trigger.get_next_fire_time(
            None, cursor + timedelta(microseconds=1)
        )
        if local is None:
            return None
        instant = _canonical(local)
        cursor = local.astimezone(UTC)
        if instant is None or instant <= after:
            continue
        if anchor_week is not None and rule.every_n_weeks > 1:
            week = _week_start(local.date())
            if off := (week - anchor_week).days // 7 % rule.every_n_weeks:
                # Not one of our weeks: carry on from the start of the next one that is.
                monday = week + timedelta(weeks=rule.every_n_weeks - off)
                start = datetime.combine(monday, time(0), tzinfo=tz).astimezone(UTC)
                cursor = max(cursor, start - timedelta(microseconds=1))
                continue
        return instant
    return None


def occurrences(rule: Recurrence, timezone: str, after: datetime, count: int) -> list[datetime]:
    """The next `count` occurrences strictly after `after`, in UTC (fewer if the rule ends)."""
    found: list[datetime] = []
    cursor: datetime | None = after
    while cursor is not None and len(found) < count:
        cursor = next_occurrence(rule, timezone, cursor)
        if cursor is not None:
            found.append(cursor)
    return found


def _grace_seconds(grace: timedelta) -> int:
    if grace < timedelta(0):
        raise InvalidInput("The grace period cannot be negative.")
    return int(grace.total_seconds())


NOW_TOLERANCE = timedelta(seconds=30)


def schedule_once(
    *,
    session: Session,
    clock: Clock,
    kind: str,
    ref_id: str,
    at: datetime,
    grace: timedelta = DEFAULT_GRACE,
    owner_user_id: str | None = None,
    timezone: str = "UTC",
) -> Schedule:
    """Schedule a feature's work for one instant.

    Args:
        session: the unit of work the schedule is added to.
        clock: the time now.
        kind: the handler that will run it (a key of the handler registry).
        ref_id: what the handler acts on (an announcement id, a survey run id...).
        at: when, timezone-aware.
        grace: how late it may still run as planned; later, it runs and is marked late.
        owner_user_id: who to tell when it runs late.
        timezone: the IANA zone the owner thinks in: notices about it show its times there.

    Returns:
        The new schedule, flushed (it has an id).

    Raises:
        InvalidInput: `at` is in the past, or the grace is negative.
    """
    if at.tzinfo is None:
        raise ValueError("schedule_once needs a timezone-aware datetime")
    zone(timezone)  # an unknown zone is refused here, not when a notice is written
    now = clock.now()
    # "Now", computed a moment ago by the caller, has passed by the time it gets here on a real
    # clock: a little lag means "as soon as possible", only a real past time is refused.
    if at < now - NOW_TOLERANCE:
        raise InvalidInput(f"That time has passed: pick a time after {now:%Y-%m-%d %H:%M} UTC.")
    schedule = Schedule(
        kind=kind,
        ref_id=ref_id,
        rule=None,
        timezone=timezone,
        next_run_at=at.astimezone(UTC),
        state=ACTIVE,
        grace_seconds=_grace_seconds(grace),
        owner_user_id=owner_user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(schedule)
    session.flush()
    return schedule


def schedule_recurring(
    *,
    session: Session,
    clock: Clock,
    kind: str,
    ref_id: str,
    rule: Recurrence,
    timezone: str,
    grace: timedelta = DEFAULT_GRACE,
    owner_user_id: str | None = None,
    start_after: datetime | None = None,
) -> Schedule:
    """Schedule a feature's work on a recurrence.

    Args:
        session: the unit of work the schedule is added to.
        clock: the time now.
        kind: the handler that will run it.
        ref_id: what the handler acts on.
        rule: the recurrence, read in `timezone`.
        timezone: an IANA zone name.
        grace: how late an occurrence may still run; later ones are skipped and the owner told.
        owner_user_id: who to tell about skipped occurrences.
        start_after: the first occurrence is the first one after this (or after now, if later).

    Returns:
        The new schedule, flushed, with next_run_at set to its first occurrence.

    Raises:
        InvalidInput: unknown time zone, a rule that never fires, or a negative grace.
    """
    now = clock.now()
    after = max(now, start_after) if start_after is not None else now
    first = next_occurrence(rule, timezone, after)
    if first is None:
        raise InvalidInput(f"That rule ({rule.describe()}) never fires: check its days and months.")
    schedule = Schedule(
        kind=kind,
        ref_id=ref_id,
        rule=rule.to_json(),
        timezone=timezone,
        next_run_at=first,
        state=ACTIVE,
        grace_seconds=_grace_seconds(grace),
        owner_user_id=owner_user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(schedule)
    session.flush()
    return schedule


def _locked(session: Session, schedule_id: int) -> Schedule:
    # FOR UPDATE waits for a claimer holding the row, so a change is never lost under its commit.
    schedule = session.get(Schedule, schedule_id, with_for_update=True, populate_existing=True)
    if schedule is None:
        raise NotFound("That schedule does not exist.")
    return schedule


def cancel(*, session: Session, clock: Clock, schedule_id: int) -> Schedule:
    """Stop a schedule for good; cancelling a finished one changes nothing.

    Raises:
        NotFound: no such schedule.
    """
    schedule = _locked(session, schedule_id)
    if schedule.state in (ACTIVE, PAUSED):
        schedule.state = CANCELLED
        schedule.next_run_at = None
        schedule.retry_at = None
        schedule.updated_at = clock.now()
        session.add(schedule)
    return schedule


def pause(*, session: Session, clock: Clock, schedule_id: int) -> Schedule:
    """Hold a schedule: nothing runs until it is resumed. Pausing a paused one changes nothing.

    Raises:
        NotFound: no such schedule.
        InvalidInput: the schedule has finished or was cancelled.
    """
    schedule = _locked(session, schedule_id)
    if schedule.state == PAUSED:
        return schedule
    if schedule.state != ACTIVE:
        raise InvalidInput("That schedule has already finished or been cancelled.")
    schedule.state = PAUSED
    schedule.updated_at = clock.now()
    session.add(schedule)
    return schedule


def resume(*, session: Session, clock: Clock, schedule_id: int) -> Schedule:
    """Resume a paused schedule.

    A recurring schedule carries on from its next occurrence after now: occurrences that came
    due while it was paused are left out, not run and not reported, since holding them was the
    point of pausing. A one-off keeps its time; if that has passed it runs at once under the late
    policy (marked late, so its owner hears of it).

    Raises:
        NotFound: no such schedule.
        InvalidInput: the schedule is not paused.
    """
    schedule = _locked(session, schedule_id)
    if schedule.state == ACTIVE:
        return schedule
    if schedule.state != PAUSED:
        raise InvalidInput("That schedule has already finished or been cancelled.")
    now = clock.now()
    if schedule.rule is not None:
        schedule.next_run_at = next_occurrence(
            Recurrence.from_json(schedule.rule), schedule.timezone, now
        )
    schedule.state = ACTIVE if schedule.next_run_at is not None else DONE
    schedule.failures = 0
    schedule.retry_at = None
    schedule.updated_at = now
    session.add(schedule)
    return schedule


def upcoming(*, session: Session, schedule_id: int, count: int) -> list[datetime]:
    """The next `count` occurrences of an active schedule, in UTC, for previews.

    A paused, finished or cancelled schedule has none.

    Raises:
        NotFound: no such schedule.
    """
    schedule = session.get(Schedule, schedule_id)
    if schedule is None:
        raise NotFound("That schedule does not exist.")
    if schedule.state != ACTIVE or schedule.next_run_at is None or count <= 0:
        return []
    if schedule.rule is None:
        return [schedule.next_run_at]
    rule = Recurrence.from_json(schedule.rule)
    return [
        schedule.next_run_at,
        *occurrences(rule, schedule.timezone, schedule.next_run_at, count - 1),
    ]


class ScheduleHandler(Protocol):
    """What a feature registers to act on its schedules (keyed by Schedule.kind)."""

    def run(self, session: Session, schedule: Schedule, occurrence: datetime, late: bool) -> None:
        """Do the occurrence's work in `session`: it commits with the claim, or not at all.

        `late` is True when the occurrence runs more than a minute after its time; the handler
        says so to the people it tells (a one-off past its grace still runs, with late=True).
        """
        ...

    def skipped(self, session: Session, schedule: Schedule, occurrences: list[datetime]) -> None:
        """Tell the schedule's owner these occurrences were skipped, past the grace window."""
        ...


@dataclass(frozen=True)
class Outcome:
    """What happened to one occurrence in a `run_due` pass."""

    schedule_id: int
    kind: str
    ref_id: str
    occurrence: datetime
    outcome: OutcomeKind


def _due(now: datetime, kinds: Sequence[str]) -> Any:
    """The due-schedule filter: active, time reached, not waiting to retry, a kind we handle."""
    return (
        col(Schedule.state) == ACTIVE,
        col(Schedule.next_run_at) <= now,
        (col(Schedule.retry_at).is_(None)) | (col(Schedule.retry_at) <= now),
        col(Schedule.kind).in_(kinds),
    )


def run_due(
    *,
    store: Store,
    clock: Clock,
    handlers: Mapping[str, ScheduleHandler],
    limit: int = 100,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> list[Outcome]:
    """Claim and run what is due, each schedule in a transaction of its own.

    Each claim takes the schedule's row (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's
    BEGIN IMMEDIATE serialises claimers), records a ScheduleRun (unique per occurrence), calls
    the handler, and advances next_run_at: all of it commits together, so every occurrence runs
    once whatever the number of replicas.

    Late policy: an occurrence within its grace runs (late=True past `LATE_TOLERANCE`). Past the
    grace, a recurring schedule records the missed occurrences as skipped, tells the handler once,
    and moves on to the first occurrence still within grace (run at once) or the next one after
    now; a one-off runs, marked late. Schedules of kinds with no handler here are left for a
    replica that has one.

    A handler that raises has its work rolled back (to a savepoint) and is retried with backoff;
    after `max_attempts` failures the occurrence is recorded as failed and the schedule advances,
    so one poison schedule can neither loop forever nor block the others.

    Args:
        store: the store.
        clock: the time now (read once per call).
        handlers: the handler registry, by Schedule.kind.
        limit: the most schedules to handle in this call.
        max_attempts: attempts at one occurrence before it is recorded as failed.

    Returns:
        What happened, occurrence by occurrence.
    """
    now = clock.now()
    kinds = sorted(handlers)
    if not kinds:
        return []
    # A read-only look first: an idle tick never takes SQLite's write lock.
    with store.unit_of_work(write=False) as session:
        if session.exec(select(Schedule.id).where(*_due(now, kinds)).limit(1)).first() is None:
            return []
    outcomes: list[Outcome] = []
    for _ in range(limit):
        with store.unit_of_work() as session:
            schedule = session.exec(
                select(Schedule)
                .where(*_due(now, kinds))
                .order_by(col(Schedule.next_run_at), col(Schedule.id))
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if schedule is None:
                break
            outcomes.extend(_handle(session, schedule, handlers[schedule.kind], now, max_attempts))
    return outcomes


def _handle(
    session: Session,
    schedule: Schedule,
    handler: ScheduleHandler,
    now: datetime,
    max_attempts: int,
) -> list[Outcome]:
    """One claimed schedule: its work inside a savepoint, so that a failure can be recorded."""
    schedule_id, kind, ref_id = schedule.id, schedule.kind, schedule.ref_id
    assert schedule_id is not None
    assert schedule.next_run_at is not None
    occurrence = schedule.next_run_at
    try:
        with session.begin_nested():
            return _process(session, schedule, handler, now)
    except _AlreadyRecorded:
        # The unique (schedule, occurrence) is the last line of defence; while the claim holds
        # the row it should never be reached. Move past the occurrence without running it again.
        logger.warning("schedule %s: occurrence %s already recorded", schedule_id, occurrence)
        schedule = _reloaded(session, schedule_id)
        _advance(schedule, after=occurrence, now=now)
        session.add(schedule)
        return []
    except Exception:
        logger.exception(
            "schedule %s (%s %s): the handler failed at %s", schedule_id, kind, ref_id, occurrence
        )
    return _record_failure(session, _reloaded(session, schedule_id), occurrence, now, max_attempts)


class _AlreadyRecorded(Exception):
    """A ScheduleRun for this occurrence exists already."""


def _record_runs(session: Session, runs: Sequence[ScheduleRun]) -> None:
    """Insert the runs before any work is done, so that a duplicate stops the work."""
    session.add_all(runs)
    try:
        session.flush()
    except IntegrityError as error:
        raise _AlreadyRecorded() from error


def _reloaded(session: Session, schedule_id: int) -> Schedule:
    schedule = session.get(Schedule, schedule_id, populate_existing=True)
    assert schedule is not None
    return schedule


def _process(
    session: Session, schedule: Schedule, handler: ScheduleHandler, now: datetime
) -> list[Outcome]:
    assert schedule.id is not None
    assert schedule.next_run_at is not None
    occurrence = schedule.next_run_at
    grace = timedelta(seconds=schedule.grace_seconds)
    lateness = now - occurrence
    if lateness > grace and schedule.rule is not None:
        return _skip_missed(session, schedule, handler, now, grace)
    late = lateness > LATE_TOLERANCE
    outcome: OutcomeKind = "late" if late else "ran"
    _record_runs(
        session,
        [
            ScheduleRun(
                schedule_id=schedule.id, occurrence_at=occurrence, ran_at=now, outcome=outcome
            )
        ],
    )
    handler.run(session, schedule, occurrence, late)
    if late:
        logger.info("schedule %s ran %s late", schedule.id, lateness)
    _advance(schedule, after=occurrence, now=now)
    session.add(schedule)
    session.flush()
    return [Outcome(schedule.id, schedule.kind, schedule.ref_id, occurrence, outcome)]


def _skip_missed(
    session: Session,
    schedule: Schedule,
    handler: ScheduleHandler,
    now: datetime,
    grace: timedelta,
) -> list[Outcome]:
    """Record the occurrences past their grace as skipped, and move to the first one still in it."""
    assert schedule.id is not None
    assert schedule.next_run_at is not None
    assert schedule.rule is not None
    rule = Recurrence.from_json(schedule.rule)
    recent: deque[datetime] = deque(maxlen=SKIPPED_RECORD_LIMIT)
    missed = 0
    cursor: datetime | None = schedule.next_run_at
    while cursor is not None and now - cursor > grace and missed < _SKIP_SCAN_LIMIT:
        recent.append(cursor)
        missed += 1
        cursor = next_occurrence(rule, schedule.timezone, cursor)
    if cursor is not None and now - cursor > grace:
        # More missed than we step through (a minute-level rule down for days): jump ahead.
        cursor = next_occurrence(rule, schedule.timezone, now - grace - timedelta(microseconds=1))
    skipped = list(recent)
    _record_runs(
        session,
        [
            ScheduleRun(schedule_id=schedule.id, occurrence_at=o, ran_at=now, outcome="skipped")
            for o in skipped
        ],
    )
    logger.warning(
        "schedule %s (%s %s): skipped %d occurrence(s) past the grace of %s, from %s",
        schedule.id,
        schedule.kind,
        schedule.ref_id,
        missed,
        grace,
        skipped[0],
    )
    handler.skipped(session, schedule, skipped)
    schedule.next_run_at = cursor
    schedule.state = ACTIVE if cursor is not None else DONE
    schedule.failures = 0
    schedule.retry_at = None
    schedule.updated_at = now
    session.add(schedule)
    session.flush()
    return [
        Outcome(schedule.id, schedule.kind, schedule.ref_id, occurrence, "skipped")
        for occurrence in skipped
    ]


def _advance(schedule: Schedule, *, after: datetime, now: datetime, finished: str = DONE) -> None:
    """Move a schedule past the occurrence at `after`: the next one, or done for a one-off."""
    schedule.next_run_at = None
    if schedule.rule is not None:
        try:
            schedule.next_run_at = next_occurrence(
                Recurrence.from_json(schedule.rule), schedule.timezone, after
            )
        except InvalidInput:
            # A stored rule or zone that no longer reads (tzdata dropped a zone): stop here
            # rather than fail on every tick in front of the schedules behind it.
            logger.exception("schedule %s: cannot compute its next occurrence", schedule.id)
            finished = FAILED
    schedule.state = ACTIVE if schedule.next_run_at is not None else finished
    schedule.failures = 0
    schedule.retry_at = None
    schedule.updated_at = now


def _record_failure(
    session: Session, schedule: Schedule, occurrence: datetime, now: datetime, max_attempts: int
) -> list[Outcome]:
    """Count a failed attempt; retry later with backoff, or give the occurrence up as failed."""
    assert schedule.id is not None
    schedule.failures += 1
    schedule.updated_at = now
    if schedule.failures < max_attempts:
        delay = min(_RETRY_BASE * 2 ** (schedule.failures - 1), _RETRY_MAX)
        schedule.retry_at = now + delay
        session.add(schedule)
        return []
    logger.error(
        "schedule %s (%s %s): giving up on %s after %d attempts",
        schedule.id,
        schedule.kind,
        schedule.ref_id,
        occurrence,
        schedule.failures,
    )
    session.add(
        ScheduleRun(schedule_id=schedule.id, occurrence_at=occurrence, ran_at=now, outcome="failed")
    )
    # A one-off that failed for good ends as "failed" rather than "done", so that it shows.
    _advance(schedule, after=occurrence, now=now, finished=FAILED)
    session.add(schedule)
    return [Outcome(schedule.id, schedule.kind, schedule.ref_id, occurrence, "failed")]


def runs(*, session: Session, schedule_id: int) -> list[ScheduleRun]:
    """The recorded occurrences of a schedule, oldest first."""
    return list(
        session.exec(
            select(ScheduleRun)
            .where(ScheduleRun.schedule_id == schedule_id)
            .order_by(col(ScheduleRun.occurrence_at))
        ).all()
    )
