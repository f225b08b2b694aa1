"""Authors are told, once, when their schedule was skipped or ran late."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.clock import FixedClock
from bot.models import Delivery, Schedule
from bot.scheduling import notices, schedules
from bot.store import Store

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def _schedule(store: Store, clock: FixedClock, owner: str | None) -> Schedule:
    with store.unit_of_work() as session:
        return schedules.schedule_recurring(
            session=session,
            clock=clock,
            kind="test",
            ref_id="1",
            rule=schedules.weekdays(datetime(2026, 1, 1, 9, 0).time()),
            timezone="Europe/Berlin",
            owner_user_id=owner,
        )


def test_the_owner_gets_one_dm_per_notice_key(store: Store) -> None:
    clock = FixedClock(NOW)
    schedule = _schedule(store, clock, "U0ALICE")
    missed = [datetime(2026, 11, 23, 8, 0, tzinfo=UTC), datetime(2026, 11, 24, 8, 0, tzinfo=UTC)]
    text = notices.skipped_text("the weekly update", schedule, missed)
    for _ in range(2):  # a retried job must not tell twice
        with store.unit_of_work() as session:
            assert notices.tell_owner(
                session=session, clock=clock, schedule=schedule, text=text, key="skipped:1"
            )
    with store.unit_of_work(write=False) as session:
        rows = session.exec(select(Delivery)).all()
    assert [(r.target, r.campaign_id) for r in rows] == [("U0ALICE", notices.NOTICES_CAMPAIGN)]
    assert "Mon 23 Nov 2026 09:00 CET" in rows[0].text
    assert "skipped" in rows[0].text


def test_a_schedule_without_owner_tells_nobody(store: Store) -> None:
    clock = FixedClock(NOW)
    schedule = _schedule(store, clock, None)
    with store.unit_of_work() as session:
        assert not notices.tell_owner(
            session=session, clock=clock, schedule=schedule, text="x", key="k"
        )
        assert session.exec(select(Delivery)).all() == []


def test_the_late_notice_says_how_late_in_the_authors_zone(store: Store) -> None:
    clock = FixedClock(NOW)
    schedule = _schedule(store, clock, "U0ALICE")
    due = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    text = notices.late_text("Your announcement", schedule, due, due + timedelta(minutes=12))
    assert "Tue 24 Nov 2026 09:00 CET" in text
    assert "12 min late" in text
