"""When an announcement goes out: the compose form's "when" fields read into an instant or a
repetition rule (and back, for edits), in words, and the working days reminders wait."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from announcements.common import number
from announcements.models import Announcement
from bot.errors import InvalidInput
from bot.scheduling import schedules

# The field an error of each kind of repetition is about (the schedule's own checks included).
_RULE_FIELD = {"weekly": "days", "monthly_day": "month_day", "monthly_nth": "weekday"}
_NTH_NAMES = {"1st": "1", "2nd": "2", "3rd": "3", "4th": "4", "5th": "5", "last": "-1"}


@dataclass(frozen=True)
class Timing:
    """The form's "when" fields, as typed."""

    when: str = "now"
    date: str = ""
    time: str = ""
    repeat: str = ""
    days: Sequence[str] = ()
    month_day: str = ""
    nth: str = ""
    weekday: str = ""


@dataclass(frozen=True)
class When:
    """When it goes out, checked: now, at an instant (UTC), or by a rule in a zone."""

    when: str
    at: datetime | None
    rule: schedules.Recurrence | None


def time_of_day(text: str) -> time | None:
    """A time as the time picker (or a person) writes it, or None."""
    try:
        return time.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def read_when(timing: Timing, zone: str, now: datetime, errors: dict[str, str]) -> When:
    """The checked "when" of a draft in the author's zone; what is wrong goes into `errors`."""
    when = (timing.when or "now").strip().lower()
    if when == "at":
        return When(when, _instant(timing, zone, now, errors), None)
    if when == "recurring":
        at_time = time_of_day(timing.time)
        if at_time is None:
            errors["time"] = "Pick the time of day it goes out (HH:MM, in your time zone)."
            return When(when, None, None)
        return When(when, None, _rule(timing, at_time, errors))
    if when != "now":
        errors["when"] = "Choose Now, At a date and time, or Recurring."
    return When(when, None, None)


def _instant(timing: Timing, zone: str, now: datetime, errors: dict[str, str]) -> datetime | None:
    at_time = time_of_day(timing.time)
    try:
        day = date.fromisoformat(timing.date.strip()) if timing.date.strip() else None
    except ValueError:
        day = None
    if day is None:
        errors["date"] = "Pick the date it goes out."
    if at_time is None:
        errors["time"] = "Pick the time it goes out (HH:MM, in your time zone)."
    if day is None or at_time is None:
        return None
    at = datetime.combine(day, at_time, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    if at <= now:
        now_local = now.astimezone(ZoneInfo(zone))
        errors["time"] = (
            f"That time has passed: it is {now_local:%a %d %b %H:%M} in {zone} now. "
            "Pick a later time, or choose Now."
        )
    return at


def _rule(timing: Timing, at: time, errors: dict[str, str]) -> schedules.Recurrence | None:
    field = _RULE_FIELD.get(timing.repeat, "repeat")
    try:
        return _recurrence(timing, at, errors)
    except InvalidInput as error:
        errors[field] = error.message
    return None


def _recurrence(timing: Timing, at: time, errors: dict[str, str]) -> schedules.Recurrence | None:
    if timing.repeat == "daily":
        return schedules.daily(at)
    if timing.repeat == "weekdays":
        return schedules.weekdays(at)
    if timing.repeat == "weekly":
        if not timing.days:
            errors["days"] = "Pick at least one day of the week."
            return None
        return schedules.weekly(list(timing.days), at)
    if timing.repeat == "monthly_day":
        text = timing.month_day.strip().lower()
        day = -1 if text == "last" else number(text, 2)
        if day is None:
            errors["month_day"] = "Give a day of the month: 1 to 31, or `last`."
            return None
        return schedules.monthly_on_day(day, at)
    if timing.repeat == "monthly_nth":
        nth = timing.nth.strip()
        if nth not in ("1", "2", "3", "4", "5", "-1"):
            errors["nth"] = "Pick which one: first to fifth, or last."
            return None
        if not timing.weekday:
            errors["weekday"] = "Pick a day of the week."
            return None
        return schedules.monthly_nth_weekday(int(nth), timing.weekday, at)
    errors["repeat"] = "Pick how often it repeats."
    return None


def timing_of(announcement: Announcement) -> Timing:
    """An announcement's "when" back as the form's fields (for edits), in its author's zone."""
    local_at = (
        announcement.at.astimezone(ZoneInfo(announcement.timezone)) if announcement.at else None
    )
    repeat = Timing()
    at_time = ""
    if announcement.rule:
        rule = schedules.Recurrence.from_json(announcement.rule)
        at_time = f"{int(str(rule.hour)):02d}:{int(str(rule.minute)):02d}"
        repeat = _repeat_of(rule)
    return Timing(
        when=announcement.when,
        date=local_at.date().isoformat() if local_at else "",
        time=local_at.strftime("%H:%M") if local_at else at_time,
        repeat=repeat.repeat,
        days=repeat.days,
        month_day=repeat.month_day,
        nth=repeat.nth,
        weekday=repeat.weekday,
    )


def _repeat_of(rule: schedules.Recurrence) -> Timing:
    """The repetition fields of a stored rule."""
    dow, day = str(rule.day_of_week or ""), str(rule.day or "")
    if dow == "mon-fri":
        return Timing(repeat="weekdays")
    if dow:
        return Timing(repeat="weekly", days=dow.split(","))
    if day and " " in day:
        position, weekday = day.split(" ", 1)
        return Timing(repeat="monthly_nth", nth=_NTH_NAMES[position], weekday=weekday)
    if day:
        return Timing(repeat="monthly_day", month_day=day)
    return Timing(repeat="daily")


def when_text(announcement: Announcement, zone: str | None = None) -> str:
    """When it goes out, in words, in a zone (the author's by default)."""
    shown = zone or announcement.timezone
    if announcement.when == "at" and announcement.at is not None:
        return announcement.at.astimezone(ZoneInfo(shown)).strftime("%a %d %b %Y, %H:%M %Z")
    if announcement.when == "recurring" and announcement.rule:
        rule = schedules.Recurrence.from_json(announcement.rule)
        return f"{rule.describe()} ({announcement.timezone})"
    return "now"


def add_working_days(start: datetime, days: int, zone: str) -> datetime:
    """`days` working days (Mon-Fri in `zone`) after `start`, at the same wall-clock time."""
    local = start.astimezone(ZoneInfo(zone))
    counted = 0
    while counted < days:
        local = local + timedelta(days=1)
        if local.weekday() < 5:
            counted += 1
    return local.astimezone(UTC)
