"""Recurrence rules: constructors, plain-English descriptions, and occurrences across DST changes."""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInput
from bot.scheduling import schedules
from bot.scheduling.schedules import Recurrence, next_occurrence, occurrences

NINE = time(9, 0)


def local_year(rule: Recurrence, zone: str, year: int = 2026) -> list[datetime]:
    """Every occurrence in a calendar year, stepping occurrence to occurrence, in local time."""
    tz = ZoneInfo(zone)
    cursor = datetime(year, 1, 1, tzinfo=tz) - timedelta(microseconds=1)
    end = datetime(year + 1, 1, 1, tzinfo=tz)
    found: list[datetime] = []
    while (nxt := next_occurrence(rule, zone, cursor)) is not None and nxt < end:
        assert nxt.tzinfo == UTC
        assert nxt > cursor
        found.append(nxt.astimezone(tz))
        cursor = nxt
    return found


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


@pytest.mark.parametrize(
    ("rule", "description"),
    [
        (schedules.daily(NINE), "every day at 09:00"),
        (schedules.weekdays(NINE), "weekdays at 09:00"),
        (schedules.weekly(["thursday", "Mon"], time(9, 30)), "every Monday and Thursday at 09:30"),
        (
            schedules.weekly(["fri", "mon", "wed"], NINE),
            "every Monday, Wednesday and Friday at 09:00",
        ),
        (schedules.every_n_weeks(2, "mon", NINE, date(2026, 1, 5)), "every other Monday at 09:00"),
        (
            schedules.every_n_weeks(3, "fri", NINE, date(2026, 1, 5)),
            "every 3 weeks on Friday at 09:00",
        ),
        (schedules.monthly_on_day(15, NINE), "on the 15th of each month at 09:00"),
        (schedules.monthly_on_day(-1, time(17, 0)), "on the last day of each month at 17:00"),
        (
            schedules.monthly_nth_weekday(1, "mon", time(10, 30)),
            "on the first Monday of each month at 10:30",
        ),
        (
            schedules.monthly_nth_weekday(-1, "friday", time(16, 0)),
            "on the last Friday of each month at 16:00",
        ),
        (
            schedules.quarterly(1, NINE),
            "quarterly, on the 1st of January, April, July and October at 09:00",
        ),
        (
            schedules.quarterly(22, NINE, first_month=2),
            "quarterly, on the 22nd of February, May, August and November at 09:00",
        ),
        (Recurrence(minute="*/15", hour="9-17"), "on a custom schedule (hour=9-17, minute=*/15)"),
    ],
)
def test_each_rule_describes_itself_in_plain_english_and_survives_json(
    rule: Recurrence, description: str
) -> None:
    assert rule.describe() == description
    assert Recurrence.from_json(rule.to_json()) == rule


def test_constructors_build_the_cron_fields_apscheduler_takes() -> None:
    assert schedules.weekdays(NINE).cron_fields() == {
        "day_of_week": "mon-fri",
        "hour": 9,
        "minute": 0,
    }
    assert schedules.monthly_nth_weekday(1, "Monday", NINE).day == "1st mon"
    assert schedules.quarterly(1, NINE).month == "1,4,7,10"
    assert schedules.quarterly(1, NINE, first_month=11).month == "2,5,8,11"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Recurrence(hour=25, minute=0), "not valid"),
        (lambda: Recurrence(day_of_week="mon"), "time of day"),
        (lambda: schedules.weekly([], NINE), "at least one day"),
        (lambda: schedules.weekly(["funday"], NINE), "not a day of the week"),
        (lambda: schedules.every_n_weeks(0, "mon", NINE, date(2026, 1, 5)), "1 to 52"),
        (lambda: Recurrence(hour=9, minute=0, every_n_weeks=2), "first date"),
        (lambda: schedules.monthly_on_day(32, NINE), "1 to 31"),
        (lambda: schedules.monthly_nth_weekday(6, "mon", NINE), "fifth"),
        (lambda: schedules.daily(time(9, 0, 30)), "on the minute"),
        (lambda: Recurrence.from_json("[1, 2]"), "could not be read"),
        (
            lambda: Recurrence.from_json('{"hour": 9, "minute": 0, "second": 5}'),
            "could not be read",
        ),
    ],
)
def test_a_malformed_rule_is_refused_with_a_message(
    make: Callable[[], object], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        make()


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not a time zone"):
        next_occurrence(schedules.daily(NINE), "Europe/Atlantis", datetime(2026, 1, 1, tzinfo=UTC))


def test_a_naive_datetime_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_occurrence(schedules.daily(NINE), "UTC", datetime(2026, 1, 1))


def test_a_rule_that_never_fires_has_no_next_occurrence() -> None:
    feb_30 = Recurrence(hour=9, minute=0, day=30, month=2)
    assert next_occurrence(feb_30, "UTC", datetime(2026, 1, 1, tzinfo=UTC)) is None


def test_the_next_occurrence_is_strictly_after_the_given_instant() -> None:
    at_nine = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    rule = schedules.daily(NINE)
    assert next_occurrence(rule, "UTC", at_nine) == at_nine + timedelta(days=1)
    assert next_occurrence(rule, "UTC", at_nine - timedelta(microseconds=1)) == at_nine


@pytest.mark.parametrize(
    ("zone", "changes"),
    [
        ("America/New_York", {date(2026, 3, 8): (-5.0, -4.0), date(2026, 11, 1): (-4.0, -5.0)}),
        ("Europe/Berlin", {date(2026, 3, 29): (1.0, 2.0), date(2026, 10, 25): (2.0, 1.0)}),
        ("Australia/Lord_Howe", {date(2026, 4, 5): (11.0, 10.5), date(2026, 10, 4): (10.5, 11.0)}),
    ],
)
def test_daily_nine_oclock_fires_once_a_day_at_nine_local_through_both_dst_changes(
    zone: str, changes: dict[date, tuple[float, float]]
) -> None:
    fired = local_year(schedules.daily(NINE), zone)

    assert [f.date() for f in fired] == days_of(2026)
    assert {f.time() for f in fired} == {NINE}
    seen: dict[date, tuple[float, float]] = {}
    for before, after in pairwise(fired):
        offsets = (_hours(before), _hours(after))
        if offsets[0] != offsets[1]:
            seen[after.date()] = offsets
    assert seen == changes


def _hours(local: datetime) -> float:
    offset = local.utcoffset()
    assert offset is not None
    return offset.total_seconds() / 3600


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe"])
def test_weekdays_fire_once_each_weekday_at_nine_local(zone: str) -> None:
    fired = local_year(schedules.weekdays(NINE), zone)

    assert [f.date() for f in fired] == [d for d in days_of(2026) if d.weekday() < 5]
    assert {f.time() for f in fired} == {NINE}


def test_weekly_keeps_nine_oclock_across_a_dst_change() -> None:
    rule = schedules.weekly(["sun"], NINE)
    fired = occurrences(rule, "Europe/Berlin", datetime(2026, 3, 20, tzinfo=UTC), 3)

    assert fired == [
        datetime(2026, 3, 22, 8, 0, tzinfo=UTC),  # CET
        datetime(2026, 3, 29, 7, 0, tzinfo=UTC),  # the change happens at 02:00 that morning
        datetime(2026, 4, 5, 7, 0, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    ("zone", "wall", "fires_at"),
    [
        # 02:30 does not exist on 8 March in New York: it fires once, an hour on, at 03:30 EDT.
        ("America/New_York", time(2, 30), datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
        ("Europe/Berlin", time(2, 30), datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        # Lord Howe jumps 02:00 -> 02:30 on 4 October: 02:15 fires once, at 02:45 (+11).
        ("Australia/Lord_Howe", time(2, 15), datetime(2026, 10, 3, 15, 45, tzinfo=UTC)),
    ],
)
def test_a_wall_time_skipped_by_the_clock_fires_once_shifted_by_the_jump(
    zone: str, wall: time, fires_at: datetime
) -> None:
    fired = local_year(schedules.daily(wall), zone)

    assert len(fired) == 365
    assert len({f.date() for f in fired}) == 365
    on_the_day = [f for f in fired if f.date() == fires_at.astimezone(ZoneInfo(zone)).date()]
    assert [f.astimezone(UTC) for f in on_the_day] == [fires_at]


@pytest.mark.parametrize(
    ("zone", "wall", "fires_at"),
    [
        # 01:30 happens twice on 1 November in New York: it fires at the first, 01:30 EDT.
        ("America/New_York", time(1, 30), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        ("Europe/Berlin", time(2, 30), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        # Lord Howe goes back 02:00 -> 01:30 on 5 April: 01:45 fires at the first, +11.
        ("Australia/Lord_Howe", time(1, 45), datetime(2026, 4, 4, 14, 45, tzinfo=UTC)),
    ],
)
def test_a_wall_time_the_clock_repeats_fires_once_at_its_first_pass(
    zone: str, wall: time, fires_at: datetime
) -> None:
    fired = local_year(schedules.daily(wall), zone)

    assert len(fired) == 365
    day = fires_at.astimezone(ZoneInfo(zone)).date()
    assert [f.astimezone(UTC) for f in fired if f.date() == day] == [fires_at]


def test_a_half_hourly_rule_fires_each_wall_time_once_through_the_repeated_hour() -> None:
    rule = Recurrence(hour="*", minute="0,30")
    start = datetime(2026, 10, 24, 23, 0, tzinfo=UTC)  # 01:00 CEST on the night clocks go back
    fired = occurrences(rule, "Europe/Berlin", start, 6)

    berlin = ZoneInfo("Europe/Berlin")
    assert [f.astimezone(berlin).strftime("%H:%M%z") for f in fired] == [
        "01:30+0200",
        "02:00+0200",
        "02:30+0200",
        # 02:00 and 02:30 come round again in CET; each wall time fires only the first time.
        "03:00+0100",
        "03:30+0100",
        "04:00+0100",
    ]


def test_every_other_monday_counts_weeks_from_the_anchor() -> None:
    # The anchor may be any day of its week: that week counts as the first.
    rule = schedules.every_n_weeks(2, "mon", NINE, date(2026, 1, 14))
    fired = local_year(rule, "Europe/Berlin")

    assert fired[0].date() == date(2026, 1, 12)
    assert all(f.weekday() == 0 and f.time() == NINE for f in fired)
    assert all((b.date() - a.date()).days == 14 for a, b in pairwise(fired))
    assert len(fired) == 26


def test_every_few_weeks_jumps_over_the_weeks_it_leaves_out() -> None:
    # A minute-level rule has thousands of candidates in the weeks left out.
    rule = Recurrence(hour="*", minute="*", every_n_weeks=3, anchor=date(2026, 1, 7))
    fired = occurrences(rule, "Europe/Berlin", datetime(2026, 1, 12, tzinfo=UTC), 2)

    # The week of 5 January counts; the next is the week of 26 January, from midnight in Berlin.
    assert fired == [
        datetime(2026, 1, 25, 23, 0, tzinfo=UTC),
        datetime(2026, 1, 25, 23, 1, tzinfo=UTC),
    ]


def test_the_first_monday_of_each_month() -> None:
    fired = local_year(schedules.monthly_nth_weekday(1, "mon", time(10, 30)), "America/New_York")

    assert [f.date() for f in fired] == [
        date(2026, 1, 5),
        date(2026, 2, 2),
        date(2026, 3, 2),
        date(2026, 4, 6),
        date(2026, 5, 4),
        date(2026, 6, 1),
        date(2026, 7, 6),
        date(2026, 8, 3),
        date(2026, 9, 7),
        date(2026, 10, 5),
        date(2026, 11, 2),
        date(2026, 12, 7),
    ]
    assert {f.time() for f in fired} == {time(10, 30)}


def test_the_last_friday_of_each_month() -> None:
    fired = local_year(schedules.monthly_nth_weekday(-1, "fri", NINE), "UTC")

    assert len(fired) == 12
    assert all(f.weekday() == 4 and (f + timedelta(days=7)).month != f.month for f in fired)


def test_quarterly_fires_four_times_a_year() -> None:
    fired = local_year(schedules.quarterly(1, NINE), "Australia/Lord_Howe")

    assert [f.date() for f in fired] == [
        date(2026, 1, 1),
        date(2026, 4, 1),
        date(2026, 7, 1),
        date(2026, 10, 1),
    ]
    assert {f.time() for f in fired} == {NINE}


def test_the_31st_skips_shorter_months_and_the_last_day_does_not() -> None:
    on_31st = local_year(schedules.monthly_on_day(31, NINE), "UTC")
    last = local_year(schedules.monthly_on_day(-1, NINE), "UTC")

    assert [f.month for f in on_31st] == [1, 3, 5, 7, 8, 10, 12]
    assert [f.day for f in last] == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
