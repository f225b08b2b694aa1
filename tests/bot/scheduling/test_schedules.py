"""Schedules in the store: creating them, the late policy, failures, and claimers racing each other."""

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlmodel import Session

from bot.clock import FixedClock
from bot.errors import InvalidInput, NotFound
from bot.models import Schedule
from bot.scheduling import schedules
from bot.scheduling.schedules import Outcome, Recurrence, ScheduleHandler, run_due
from bot.store import Store, make_engine

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
NINE = time(9, 0)

# A table of the tests' own, standing for a feature's work (an outbox row): it commits with the
# claim, or not at all.
FIRED = Table(
    "test_fired",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("schedule_id", Integer, nullable=False),
    Column("occurrence", String(40), nullable=False),
)


@dataclass
class Recorder:
    """A handler that writes a FIRED row per run and remembers what it was told."""

    fail_for: set[str] = field(default_factory=set)
    runs: list[tuple[int, datetime, bool]] = field(default_factory=list)
    skips: list[tuple[int, list[datetime]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, session: Session, schedule: Schedule, occurrence: datetime, late: bool) -> None:
        assert schedule.id is not None
        session.execute(
            insert(FIRED).values(schedule_id=schedule.id, occurrence=occurrence.isoformat())
        )
        if schedule.ref_id in self.fail_for:
            raise RuntimeError(f"cannot run {schedule.ref_id}")
        with self.lock:
            self.runs.append((schedule.id, occurrence, late))

    def skipped(self, session: Session, schedule: Schedule, occurrences: list[datetime]) -> None:
        assert schedule.id is not None
        with self.lock:
            self.skips.append((schedule.id, occurrences))


@pytest.fixture
def fired_store(store: Store) -> Store:
    FIRED.create(store.engine)
    return store


def fired_rows(store: Store) -> list[tuple[int, str]]:
    with store.engine.connect() as connection:
        rows = connection.execute(select(FIRED.c.schedule_id, FIRED.c.occurrence)).all()
    return sorted((r[0], r[1]) for r in rows)


def once(store: Store, clock: FixedClock, at: datetime, **kwargs: object) -> int:
    with store.unit_of_work() as session:
        row = schedules.schedule_once(
            session=session,
            clock=clock,
            kind=str(kwargs.pop("kind", "test")),
            ref_id=str(kwargs.pop("ref_id", "ref")),
            at=at,
            **kwargs,  # type: ignore[arg-type]
        )
        assert row.id is not None
        return row.id


def recurring(
    store: Store, clock: FixedClock, rule: Recurrence, zone: str = "UTC", **kwargs: object
) -> int:
    with store.unit_of_work() as session:
        row = schedules.schedule_recurring(
            session=session,
            clock=clock,
            kind=str(kwargs.pop("kind", "test")),
            ref_id=str(kwargs.pop("ref_id", "ref")),
            rule=rule,
            timezone=zone,
            **kwargs,  # type: ignore[arg-type]
        )
        assert row.id is not None
        return row.id


def load(store: Store, schedule_id: int) -> Schedule:
    with store.unit_of_work(write=False) as session:
        row = session.get(Schedule, schedule_id)
        assert row is not None
        return row


def outcomes_of(store: Store, schedule_id: int) -> list[tuple[datetime, str]]:
    with store.unit_of_work(write=False) as session:
        runs = schedules.runs(session=session, schedule_id=schedule_id)
        return [(r.occurrence_at, r.outcome) for r in runs]


# Creating schedules


def test_a_one_off_in_the_past_is_refused(store: Store) -> None:
    clock = FixedClock(START)
    with pytest.raises(InvalidInput, match="has passed"):
        once(store, clock, START - timedelta(minutes=1))


def test_a_negative_grace_is_refused(store: Store) -> None:
    clock = FixedClock(START)
    with pytest.raises(InvalidInput, match="negative"):
        once(store, clock, START + timedelta(hours=1), grace=timedelta(seconds=-1))


def test_a_recurring_schedule_in_an_unknown_zone_is_refused(store: Store) -> None:
    with pytest.raises(InvalidInput, match="not a time zone"):
        recurring(store, FixedClock(START), schedules.daily(NINE), "Mars/Olympus_Mons")


def test_a_rule_that_never_fires_is_refused(store: Store) -> None:
    with pytest.raises(InvalidInput, match="never fires"):
        recurring(store, FixedClock(START), Recurrence(hour=9, minute=0, day=31, month="2,4"))


def test_a_recurring_schedule_starts_at_its_first_occurrence_in_its_zone(store: Store) -> None:
    clock = FixedClock(START)
    schedule_id = recurring(store, clock, schedules.weekdays(NINE), "America/New_York")

    # 09:00 EST on Monday 2 March is 14:00 UTC.
    assert load(store, schedule_id).next_run_at == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    with store.unit_of_work(write=False) as session:
        preview = schedules.upcoming(session=session, schedule_id=schedule_id, count=6)
    assert [p.astimezone(ZoneInfo("America/New_York")).day for p in preview] == [2, 3, 4, 5, 6, 9]
    # 9 March is after the change to EDT: still 09:00 local.
    assert preview[-1] == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)


def test_start_after_sets_the_first_occurrence(store: Store) -> None:
    clock = FixedClock(START)
    schedule_id = recurring(
        store, clock, schedules.daily(NINE), start_after=datetime(2026, 4, 1, tzinfo=UTC)
    )

    assert load(store, schedule_id).next_run_at == datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


# Running what is due


def test_a_one_off_runs_once_at_its_time_and_is_done(fired_store: Store) -> None:
    clock = FixedClock(START)
    handler = Recorder()
    at = START + timedelta(hours=1)
    schedule_id = once(fired_store, clock, at, ref_id="a1")

    clock.set(at - timedelta(seconds=1))
    assert run_due(store=fired_store, clock=clock, handlers={"test": handler}) == []
    clock.set(at)
    assert run_due(store=fired_store, clock=clock, handlers={"test": handler}) == [
        Outcome(schedule_id, "test", "a1", at, "ran")
    ]
    clock.advance(timedelta(hours=1))
    assert run_due(store=fired_store, clock=clock, handlers={"test": handler}) == []

    assert handler.runs == [(schedule_id, at, False)]
    assert fired_rows(fired_store) == [(schedule_id, at.isoformat())]
    row = load(fired_store, schedule_id)
    assert (row.state, row.next_run_at) == ("done", None)
    assert outcomes_of(fired_store, schedule_id) == [(at, "ran")]


def test_daily_nine_oclock_runs_once_a_day_through_lord_howes_half_hour_change(
    fired_store: Store,
) -> None:
    clock = FixedClock(datetime(2026, 3, 31, 12, 0, tzinfo=UTC))
    handler = Recorder()
    schedule_id = recurring(fired_store, clock, schedules.daily(NINE), "Australia/Lord_Howe")

    for _ in range(10 * 48):  # ten days, half an hour at a time
        clock.advance(timedelta(minutes=30))
        run_due(store=fired_store, clock=clock, handlers={"test": handler})

    lord_howe = ZoneInfo("Australia/Lord_Howe")
    local = [occurrence.astimezone(lord_howe) for _, occurrence, _ in handler.runs]
    assert [d.day for d in local] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert {d.time() for d in local} == {NINE}
    assert {late for _, _, late in handler.runs} == {False}
    assert [d.utcoffset() for d in local].count(timedelta(hours=11)) == 4  # 1-4 April
    assert len(fired_rows(fired_store)) == 10
    assert [o for _, o in outcomes_of(fired_store, schedule_id)] == ["ran"] * 10


def test_an_occurrence_run_within_its_grace_is_flagged_late_after_a_minute(
    fired_store: Store,
) -> None:
    clock = FixedClock(START)
    handler = Recorder()
    on_time = once(fired_store, clock, START + timedelta(hours=1), ref_id="on-time")
    late = once(fired_store, clock, START + timedelta(hours=2), ref_id="late")

    clock.set(START + timedelta(hours=1, seconds=30))
    first = run_due(store=fired_store, clock=clock, handlers={"test": handler})
    clock.set(START + timedelta(hours=2, minutes=10))
    second = run_due(store=fired_store, clock=clock, handlers={"test": handler})

    assert [(o.schedule_id, o.outcome) for o in first + second] == [
        (on_time, "ran"),
        (late, "late"),
    ]
    assert [r[2] for r in handler.runs] == [False, True]


def test_a_one_off_past_its_grace_still_runs_marked_late(fired_store: Store) -> None:
    clock = FixedClock(START)
    handler = Recorder()
    at = START + timedelta(hours=1)
    schedule_id = once(fired_store, clock, at, grace=timedelta(minutes=5))

    clock.set(at + timedelta(days=2))
    result = run_due(store=fired_store, clock=clock, handlers={"test": handler})

    assert result == [Outcome(schedule_id, "test", "ref", at, "late")]
    assert handler.runs == [(schedule_id, at, True)]
    assert handler.skips == []
    assert load(fired_store, schedule_id).state == "done"


def test_recurring_occurrences_past_their_grace_are_skipped_recorded_and_reported_once(
    fired_store: Store,
) -> None:
    clock = FixedClock(START)
    handler = Recorder()
    schedule_id = recurring(fired_store, clock, schedules.daily(NINE))

    clock.set(datetime(2026, 3, 5, 12, 0, tzinfo=UTC))  # 2, 3, 4 and 5 March at 09:00 passed
    result = run_due(store=fired_store, clock=clock, handlers={"test": handler})

    missed = [datetime(2026, 3, day, 9, 0, tzinfo=UTC) for day in (2, 3, 4, 5)]
    assert [(o.occurrence, o.outcome) for o in result] == [(m, "skipped") for m in missed]
    assert handler.skips == [(schedule_id, missed)]
    assert handler.runs == []
    assert fired_rows(fired_store) == []
    assert outcomes_of(fired_store, schedule_id) == [(m, "skipped") for m in missed]
    assert load(fired_store, schedule_id).next_run_at == datetime(2026, 3, 6, 9, 0, tzinfo=UTC)


def test_start_up_catch_up_skips_what_is_past_grace_and_runs_what_is_within_it(
    fired_store: Store,
) -> None:
    clock = FixedClock(START)
    handler = Recorder()
    daily = recurring(fired_store, clock, schedules.daily(NINE), ref_id="daily")
    one_off = once(fired_store, clock, START + timedelta(hours=3), ref_id="one-off")

    # Commons was down from 2 March until 09:05 on 5 March: the first run_due is the catch-up.
    clock.set(datetime(2026, 3, 5, 9, 5, tzinfo=UTC))
    result = run_due(store=fired_store, clock=clock, handlers={"test": handler})

    by_ref = {(o.ref_id, o.occurrence, o.outcome) for o in result}
    assert by_ref == {
        ("daily", datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "skipped"),
        ("daily", datetime(2026, 3, 3, 9, 0, tzinfo=UTC), "skipped"),
        ("daily", datetime(2026, 3, 4, 9, 0, tzinfo=UTC), "skipped"),
        ("daily", datetime(2026, 3, 5, 9, 0, tzinfo=UTC), "late"),  # five minutes late, in grace
        ("one-off", START + timedelta(hours=3), "late"),
    }
    assert len(result) == 5
    assert len(handler.skips) == 1
    assert sorted((sid, late) for sid, _, late in handler.runs) == [(daily, True), (one_off, True)]
    assert load(fired_store, daily).next_run_at == datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
    assert run_due(store=fired_store, clock=clock, handlers={"test": handler}) == []


def test_only_the_most_recent_skipped_occurrences_are_recorded(fired_store: Store) -> None:
    clock = FixedClock(START)
    handler = Recorder()
    schedule_id = recurring(fired_store, clock, Recurrence(hour="*", minute=0))

    clock.advance(timedelta(days=10))  # 240 hourly occurrences missed
    result = run_due(store=fired_store, clock=clock, handlers={"test": handler})

    skipped = [o.occurrence for o in result if o.outcome == "skipped"]
    assert len(skipped) == schedules.SKIPPED_RECORD_LIMIT
    assert skipped[-1] == clock.now() - timedelta(hours=1)
    assert handler.skips == [(schedule_id, skipped)]
    assert len(outcomes_of(fired_store, schedule_id)) == schedules.SKIPPED_RECORD_LIMIT + 1
    # The occurrence at exactly now is within grace and runs at once.
    assert handler.runs == [(schedule_id, clock.now(), False)]


def test_schedules_of_a_kind_without_a_handler_are_left_for_another_replica(
    fired_store: Store,
) -> None:
    clock = FixedClock(START)
    schedule_id = once(fired_store, clock, START, kind="newer-feature")

    assert run_due(store=fired_store, clock=clock, handlers={"test": Recorder()}) == []
    assert run_due(store=fired_store, clock=clock, handlers={}) == []
    assert load(fired_store, schedule_id).state == "active"


# Failures


def test_a_failing_handler_rolls_back_its_own_work_and_does_not_block_the_others(
    fired_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FixedClock(START)
    handler = Recorder(fail_for={"bad"})
    bad = once(fired_store, clock, START, ref_id="bad")
    good = once(fired_store, clock, START, ref_id="good")

    result = run_due(store=fired_store, clock=clock, handlers={"test": handler})

    assert [(o.schedule_id, o.outcome) for o in result] == [(good, "ran")]
    assert fired_rows(fired_store) == [(good, START.isoformat())]
    assert outcomes_of(fired_store, bad) == []
    row = load(fired_store, bad)
    assert (row.state, row.next_run_at, row.failures) == ("active", START, 1)
    assert row.retry_at == START + timedelta(seconds=5)
    assert "the handler failed" in caplog.text
    # Not retried before its backoff has passed.
    clock.advance(timedelta(seconds=4))
    assert run_due(store=fired_store, clock=clock, handlers={"test": handler}) == []


def test_a_handler_that_recovers_runs_the_occurrence_on_a_later_tick(fired_store: Store) -> None:
    clock = FixedClock(START)
    handler = Recorder(fail_for={"flaky"})
    schedule_id = once(fired_store, clock, START, ref_id="flaky")
    run_due(store=fired_store, clock=clock, handlers={"test": handler})

    handler.fail_for.clear()
    clock.advance(timedelta(seconds=5))
    result = run_due(store=fired_store, clock=clock, handlers={"test": handler})

    assert [(o.schedule_id, o.outcome) for o in result] == [(schedule_id, "ran")]
    row = load(fired_store, schedule_id)
    assert (row.state, row.failures, row.retry_at) == ("done", 0, None)


def test_a_poison_schedule_is_recorded_as_failed_after_max_attempts_and_moves_on(
    fired_store: Store,
) -> None:
    clock = FixedClock(START)
    handler = Recorder(fail_for={"poison"})
    one_off = once(fired_store, clock, START, ref_id="poison", grace=timedelta(hours=1))
    frequent = recurring(
        fired_store,
        clock,
        Recurrence(hour="*", minute="*/10"),
        ref_id="poison",
        grace=timedelta(hours=1),
    )

    clock.set(START + timedelta(minutes=10))  # both are due
    results = run_due(store=fired_store, clock=clock, handlers={"test": handler})
    for _ in range(12):  # well past the backoff of 5 + 10 + 20 + 40 seconds
        clock.advance(timedelta(seconds=10))
        results += run_due(store=fired_store, clock=clock, handlers={"test": handler})

    assert {(o.schedule_id, o.occurrence, o.outcome) for o in results} == {
        (one_off, START, "failed"),
        (frequent, START + timedelta(minutes=10), "failed"),
    }
    assert len(results) == 2
    assert load(fired_store, one_off).state == "failed"
    row = load(fired_store, frequent)
    assert (row.state, row.failures, row.next_run_at) == (
        "active",
        0,
        START + timedelta(minutes=20),
    )
    assert fired_rows(fired_store) == []


def test_a_schedule_whose_zone_no_longer_reads_runs_then_stops_as_failed(
    fired_store: Store,
) -> None:
    clock = FixedClock(START)
    handler = Recorder()
    broken = recurring(fired_store, clock, schedules.daily(NINE), ref_id="broken")
    healthy = recurring(fired_store, clock, schedules.daily(NINE), ref_id="healthy")
    with fired_store.unit_of_work() as session:
        row = session.get(Schedule, broken)
        assert row is not None
        row.timezone = "Europe/Gone"  # as if tzdata had dropped the zone
        session.add(row)

    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    result = run_due(store=fired_store, clock=clock, handlers={"test": handler})

    assert sorted((o.ref_id, o.outcome) for o in result) == [("broken", "ran"), ("healthy", "ran")]
    assert load(fired_store, broken).state == "failed"
    assert load(fired_store, healthy).state == "active"


# Pause, resume, cancel


def test_a_paused_schedule_does_not_run_and_resumes_from_now_without_catching_up(
    fired_store: Store,
) -> None:
    clock = FixedClock(START)
    handler = Recorder()
    schedule_id = recurring(fired_store, clock, schedules.daily(NINE))
    with fired_store.unit_of_work() as session:
        schedules.pause(session=session, clock=clock, schedule_id=schedule_id)
        schedules.pause(session=session, clock=clock, schedule_id=schedule_id)  # a no-op

    clock.set(datetime(2026, 3, 5, 9, 0, tzinfo=UTC))
    assert run_due(store=fired_store, clock=clock, handlers={"test": handler}) == []
    with fired_store.unit_of_work(write=False) as session:
        assert schedules.upcoming(session=session, schedule_id=schedule_id, count=3) == []
    with fired_store.unit_of_work() as session:
        schedules.resume(session=session, clock=clock, schedule_id=schedule_id)

    row = load(fired_store, schedule_id)
    assert (row.state, row.next_run_at) == ("active", datetime(2026, 3, 6, 9, 0, tzinfo=UTC))
    assert run_due(store=fired_store, clock=clock, handlers={"test": handler}) == []
    assert handler.skips == []
    assert outcomes_of(fired_store, schedule_id) == []


def test_a_paused_one_off_resumed_after_its_time_runs_late(fired_store: Store) -> None:
    clock = FixedClock(START)
    handler = Recorder()
    at = START + timedelta(hours=1)
    schedule_id = once(fired_store, clock, at)
    with fired_store.unit_of_work() as session:
        schedules.pause(session=session, clock=clock, schedule_id=schedule_id)

    clock.set(at + timedelta(hours=2))
    with fired_store.unit_of_work() as session:
        schedules.resume(session=session, clock=clock, schedule_id=schedule_id)
    result = run_due(store=fired_store, clock=clock, handlers={"test": handler})

    assert [o.outcome for o in result] == ["late"]


def test_a_cancelled_schedule_never_runs_and_cannot_be_paused(fired_store: Store) -> None:
    clock = FixedClock(START)
    handler = Recorder()
    schedule_id = once(fired_store, clock, START + timedelta(hours=1))
    with fired_store.unit_of_work() as session:
        schedules.cancel(session=session, clock=clock, schedule_id=schedule_id)
        schedules.cancel(session=session, clock=clock, schedule_id=schedule_id)  # a no-op

    clock.advance(timedelta(hours=2))
    assert run_due(store=fired_store, clock=clock, handlers={"test": handler}) == []
    row = load(fired_store, schedule_id)
    assert (row.state, row.next_run_at) == ("cancelled", None)
    with (
        pytest.raises(InvalidInput, match="finished or been cancelled"),
        fired_store.unit_of_work() as session,
    ):
        schedules.pause(session=session, clock=clock, schedule_id=schedule_id)
    with (
        pytest.raises(InvalidInput, match="finished or been cancelled"),
        fired_store.unit_of_work() as session,
    ):
        schedules.resume(session=session, clock=clock, schedule_id=schedule_id)


def test_an_unknown_schedule_is_not_found(store: Store) -> None:
    clock = FixedClock(START)
    with store.unit_of_work() as session:
        with pytest.raises(NotFound):
            schedules.cancel(session=session, clock=clock, schedule_id=404)
        with pytest.raises(NotFound):
            schedules.upcoming(session=session, schedule_id=404, count=1)


def test_upcoming_previews_a_one_off_and_a_recurring_schedule(store: Store) -> None:
    clock = FixedClock(START)
    at = START + timedelta(days=1)
    one_off = once(store, clock, at)
    fortnightly = recurring(
        store,
        clock,
        schedules.every_n_weeks(2, "mon", NINE, START.date()),
        "Europe/Berlin",
    )

    with store.unit_of_work(write=False) as session:
        assert schedules.upcoming(session=session, schedule_id=one_off, count=3) == [at]
        preview = schedules.upcoming(session=session, schedule_id=fortnightly, count=3)
    # 2 March 09:00 CET has passed (08:00 UTC is 09:00 in Berlin, and now is 08:00 UTC).
    assert preview == [
        datetime(2026, 3, 16, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
        datetime(2026, 4, 13, 7, 0, tzinfo=UTC),
    ]


# Replicas


def test_concurrent_claimers_run_every_occurrence_exactly_once(
    fired_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FixedClock(START)
    zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]
    with fired_store.unit_of_work() as session:
        for i in range(200):
            at = START + timedelta(seconds=37 * (i + 1))
            schedules.schedule_once(
                session=session, clock=clock, kind="test", ref_id=f"o{i}", at=at
            )
        for i in range(20):
            schedules.schedule_recurring(
                session=session,
                clock=clock,
                kind="test",
                ref_id=f"r{i}",
                rule=Recurrence(hour="*", minute="*/5"),
                timezone=zones[i % len(zones)],
            )
    steps = 130  # minutes: past the last one-off at 200 * 37 s
    url = fired_store.engine.url.render_as_string(hide_password=False)
    # Separate engines, as separate replicas would have.
    replicas = [Store(make_engine(url)) for _ in range(4)]
    handler = Recorder()
    outcomes: list[Outcome] = []
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            for _ in range(steps):
                clock.advance(timedelta(minutes=1))
                futures = [
                    pool.submit(run_due, store=replica, clock=clock, handlers={"test": handler})
                    for replica in replicas
                ]
                for future in futures:
                    outcomes += future.result()
        assert run_due(store=fired_store, clock=clock, handlers={"test": handler}) == []
    finally:
        for replica in replicas:
            replica.dispose()

    expected_recurring = steps // 5
    assert len(outcomes) == 200 + 20 * expected_recurring
    assert len({(o.schedule_id, o.occurrence) for o in outcomes}) == len(outcomes)
    assert {o.outcome for o in outcomes} == {"ran"}
    rows = fired_rows(fired_store)
    assert len(rows) == len(set(rows)) == len(outcomes)
    with fired_store.engine.connect() as connection:
        doubles = connection.execute(
            select(FIRED.c.schedule_id, FIRED.c.occurrence)
            .group_by(FIRED.c.schedule_id, FIRED.c.occurrence)
            .having(func.count() > 1)
        ).all()
    assert doubles == []
    # The claim itself kept the claimers apart: the unique (schedule, occurrence) never had to.
    assert "already recorded" not in caplog.text


def test_the_recorder_is_a_schedule_handler() -> None:
    handler: ScheduleHandler = Recorder()
    assert handler is not None


def test_a_one_off_for_now_is_accepted_on_a_clock_that_moves(store: Store) -> None:
    """A caller computes "now", the real clock moves on before the schedule is written."""
    clock = FixedClock(datetime(2026, 11, 24, 7, 58, 31, 250_000, tzinfo=UTC))
    at = clock.now()
    clock.advance(timedelta(milliseconds=40))
    with store.unit_of_work() as session:
        schedule = schedules.schedule_once(
            session=session, clock=clock, kind="k", ref_id="1", at=at
        )
        assert schedule.next_run_at == at
    clock.advance(timedelta(minutes=2))
    with pytest.raises(InvalidInput, match="That time has passed"), store.unit_of_work() as session:
        schedules.schedule_once(session=session, clock=clock, kind="k", ref_id="2", at=at)


def test_a_one_off_keeps_its_owners_zone_for_notices_and_refuses_an_unknown_one(
    fired_store: Store,
) -> None:
    def once(session: Session, timezone: str) -> Schedule:
        return schedules.schedule_once(
            session=session,
            clock=FixedClock(START),
            kind="k",
            ref_id=timezone,
            at=START + timedelta(hours=1),
            timezone=timezone,
        )

    with fired_store.unit_of_work() as session:
        assert once(session, "Asia/Tokyo").timezone == "Asia/Tokyo"
        with pytest.raises(InvalidInput, match="not a time zone"):
            once(session, "Mars/Olympus")
