"""When an announcement goes out: the form's "when" read in the author's zone, and back."""

from datetime import UTC, datetime
from typing import Any

from announcements.models import Announcement
from announcements.timing import (
    Timing,
    When,
    add_working_days,
    read_when,
    timing_of,
    when_text,
)
from bot.scheduling import schedules
from tests.factories import NOW

BERLIN = "Europe/Berlin"


def _read(timing: Timing, zone: str = BERLIN) -> tuple[When, dict[str, str]]:
    errors: dict[str, str] = {}
    return read_when(timing, zone, NOW, errors), errors


def _stored(**fields: Any) -> Announcement:
    """An announcement by an author in Berlin, as the store holds it (not written anywhere)."""
    return Announcement(
        author_id="U0GRACE",
        title="t",
        body="b",
        channels="[]",
        timezone=BERLIN,
        created_at=NOW,
        updated_at=NOW,
        **fields,
    )


def test_a_date_and_time_is_read_in_the_authors_zone_and_kept_in_utc() -> None:
    when, errors = _read(Timing(when="at", date="2026-11-25", time="10:00"))
    assert errors == {}
    assert when == When("at", datetime(2026, 11, 25, 9, 0, tzinfo=UTC), None)


def test_a_time_that_has_passed_is_refused_with_the_time_it_is_there() -> None:
    _, errors = _read(Timing(when="at", date="2026-11-24", time="08:30"))
    assert errors == {"time": errors["time"]}
    assert "it is Tue 24 Nov 09:00 in Europe/Berlin now" in errors["time"]


def test_missing_date_and_time_and_an_unknown_when_are_each_refused() -> None:
    assert set(_read(Timing(when="at"))[1]) == {"date", "time"}
    assert set(_read(Timing(when="later"))[1]) == {"when"}
    assert set(_read(Timing(when="recurring", repeat="daily"))[1]) == {"time"}


def test_a_repetition_is_read_into_a_rule_and_its_errors_sit_under_their_field() -> None:
    weekly, errors = _read(Timing(when="recurring", time="09:00", repeat="weekly", days=["mon"]))
    assert errors == {}
    assert weekly.rule is not None
    assert weekly.rule.describe() == "every Monday at 09:00"
    assert set(_read(Timing(when="recurring", time="09:00", repeat="weekly"))[1]) == {"days"}
    too_late = Timing(when="recurring", time="09:00", repeat="monthly_day", month_day="40")
    assert set(_read(too_late)[1]) == {"month_day"}
    no_nth = Timing(when="recurring", time="09:00", repeat="monthly_nth", weekday="mon")
    assert set(_read(no_nth)[1]) == {"nth"}
    assert set(_read(Timing(when="recurring", time="09:00"))[1]) == {"repeat"}


def test_a_stored_rule_comes_back_as_the_fields_that_made_it() -> None:
    rule = schedules.monthly_nth_weekday(-1, "fri", datetime(2026, 1, 1, 16, 30).time())
    stored = _stored(when="recurring", rule=rule.to_json())
    back = timing_of(stored)
    assert (back.repeat, back.nth, back.weekday, back.time) == ("monthly_nth", "-1", "fri", "16:30")
    assert "(Europe/Berlin)" in when_text(stored)


def test_a_one_off_comes_back_as_its_local_date_and_time() -> None:
    stored = _stored(when="at", at=datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    back = timing_of(stored)
    assert (back.when, back.date, back.time) == ("at", "2026-11-25", "10:00")
    assert when_text(stored, "UTC") == "Wed 25 Nov 2026, 09:00 UTC"


def test_working_days_skip_the_weekend_in_the_zone() -> None:
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert add_working_days(friday, 1, "UTC") == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert add_working_days(NOW, 2, "UTC") == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
