"""Business-hours arithmetic: weekends, holidays, time zones, summer time, Friday evenings."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import InvalidInput
from helpdesk.hours import (
    BusinessHours,
    add_business_seconds,
    business_seconds,
    parse_days,
    parse_duration,
    parse_window,
    parse_zone,
)

LONDON = BusinessHours(zone="Europe/London")
HOUR = 3600.0


def at(zone: str, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


def test_a_request_opened_on_friday_evening_is_due_on_monday_morning() -> None:
    friday_evening = at("Europe/London", 2026, 11, 27, 18, 30)
    due = add_business_seconds(LONDON, friday_evening, 1 * HOUR)
    assert due == at("Europe/London", 2026, 11, 30, 10, 0)
    assert business_seconds(LONDON, friday_evening, due) == HOUR


def test_the_weekend_does_not_count() -> None:
    friday_four = at("Europe/London", 2026, 11, 27, 16, 0)
    monday_ten = at("Europe/London", 2026, 11, 30, 10, 0)
    assert business_seconds(LONDON, friday_four, monday_ten) == 2 * HOUR


def test_holidays_do_not_count() -> None:
    christmas = BusinessHours(
        zone="Europe/London", holidays=frozenset({date(2026, 12, 25), date(2026, 12, 28)})
    )
    thursday = at("Europe/London", 2026, 12, 24, 16, 30)
    due = add_business_seconds(christmas, thursday, 1 * HOUR)
    assert due == at("Europe/London", 2026, 12, 29, 9, 30)
    assert not christmas.is_open(at("Europe/London", 2026, 12, 25, 11, 0))


def test_hours_are_those_of_the_desks_time_zone() -> None:
    new_york = BusinessHours(zone="America/New_York")
    # 14:00 UTC is 09:00 in New York in November: the desk just opened.
    assert new_york.is_open(datetime(2026, 11, 24, 14, 0, tzinfo=UTC))
    assert not new_york.is_open(datetime(2026, 11, 24, 13, 59, tzinfo=UTC))
    assert LONDON.is_open(datetime(2026, 11, 24, 13, 59, tzinfo=UTC))
    start = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert add_business_seconds(new_york, start, 30 * 60) == datetime(
        2026, 11, 24, 14, 30, tzinfo=UTC
    )


def test_a_working_day_is_as_long_as_the_wall_clock_says_across_summer_time() -> None:
    # Summer time starts in London on Sunday 29 March 2026.
    friday = at("Europe/London", 2026, 3, 27, 16, 0)
    monday = at("Europe/London", 2026, 3, 30, 10, 0)
    assert business_seconds(LONDON, friday, monday) == 2 * HOUR
    assert add_business_seconds(LONDON, friday, 2 * HOUR) == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


def test_nothing_is_counted_backwards_or_outside_hours() -> None:
    night = at("Europe/London", 2026, 11, 24, 20, 0)
    assert business_seconds(LONDON, night, night - timedelta(hours=3)) == 0.0
    assert business_seconds(LONDON, night, night + timedelta(hours=10)) == 0.0


def test_days_windows_zones_and_durations_are_parsed_or_refused_with_help() -> None:
    assert parse_days("Mon-Fri") == frozenset({1, 2, 3, 4, 5})
    assert parse_days("Sun-Thu") == frozenset({7, 1, 2, 3, 4})
    assert parse_days("Mon,Wed,Fri") == frozenset({1, 3, 5})
    assert parse_window("08:30-16:00") == (time(8, 30), time(16, 0))
    assert parse_duration("2d", day_seconds=8 * HOUR) == 16 * 60
    assert parse_duration("90m", day_seconds=8 * HOUR) == 90
    assert parse_zone("Europe/London") == "Europe/London"
    with pytest.raises(InvalidInput, match="Mon-Fri"):
        parse_days("weekdays")
    with pytest.raises(InvalidInput, match="09:00-17:00"):
        parse_window("9am-5pm")
    with pytest.raises(InvalidInput, match="ends before it starts"):
        parse_window("17:00-09:00")
    with pytest.raises(InvalidInput, match="IANA"):
        parse_zone("London")
    with pytest.raises(InvalidInput, match="30m"):
        parse_duration("soon", day_seconds=8 * HOUR)
