"""The ticker: start-up catch-up, real ticks on a BackgroundScheduler, and jobs that fail."""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.clock import FixedClock
from bot.models import Schedule
from bot.scheduling import schedules
from bot.scheduling.ticker import SCHEDULES_JOB_ID, Ticker
from bot.store import Store, make_engine, upgrade

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class Counting:
    """A schedule handler that counts its runs and signals each one."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, datetime, bool]] = []
        self.ran = threading.Event()

    def run(self, session: Session, schedule: Schedule, occurrence: datetime, late: bool) -> None:
        self.runs.append((schedule.ref_id, occurrence, late))
        self.ran.set()

    def skipped(self, session: Session, schedule: Schedule, occurrences: list[datetime]) -> None:
        raise AssertionError("nothing is skipped in these tests")


class Beat:
    """A tick job that fails every other call and signals once it has been called `target` times."""

    def __init__(self, target: int) -> None:
        self.calls = 0
        self.target = target
        self.done = threading.Event()

    def __call__(self) -> None:
        self.calls += 1
        if self.calls >= self.target:
            self.done.set()
        if self.calls % 2:
            raise RuntimeError("a bad tick")


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield Store(engine)
    engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def handler() -> Counting:
    return Counting()


@pytest.fixture
def ticker(sqlite_store: Store, clock: FixedClock, handler: Counting) -> Iterator[Ticker]:
    """A ticker whose interval is long enough that only start() and tick() run anything."""
    ticker = Ticker(sqlite_store, clock, {"test": handler}, interval_seconds=3600)
    yield ticker
    ticker.shutdown()


def test_start_catches_up_on_what_came_due_while_down_before_it_returns(
    sqlite_store: Store, ticker: Ticker, clock: FixedClock, handler: Counting
) -> None:
    with sqlite_store.unit_of_work() as session:
        schedules.schedule_once(
            session=session, clock=clock, kind="test", ref_id="missed", at=START
        )
    clock.advance(timedelta(minutes=5))

    ticker.start()

    assert ticker.running
    assert handler.runs == [("missed", START, True)]


def test_each_tick_runs_what_is_due_by_the_injected_clock(
    sqlite_store: Store, ticker: Ticker, clock: FixedClock, handler: Counting
) -> None:
    with sqlite_store.unit_of_work() as session:
        schedules.schedule_once(
            session=session, clock=clock, kind="test", ref_id="soon", at=START + timedelta(hours=1)
        )

    assert ticker.tick() == []
    clock.advance(timedelta(hours=1))
    assert [o.outcome for o in ticker.tick()] == ["ran"]
    assert handler.runs == [("soon", START + timedelta(hours=1), False)]


def test_the_scheduler_really_ticks_and_survives_failing_jobs(
    sqlite_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FixedClock(START)
    handler = Counting()
    ticker = Ticker(sqlite_store, clock, {"test": handler}, interval_seconds=0.05)
    beat = Beat(target=4)
    ticker.add_tick("commons.beat", beat, 0.05)
    try:
        ticker.start()
        with sqlite_store.unit_of_work() as session:
            schedules.schedule_once(
                session=session, clock=clock, kind="test", ref_id="next", at=START
            )
        # Real time passes here: the BackgroundScheduler's own thread must do the work.
        assert handler.ran.wait(timeout=10)
        assert beat.done.wait(timeout=10)
    finally:
        ticker.shutdown()

    assert not ticker.running
    assert handler.runs == [("next", START, False)]
    assert "tick commons.beat failed" in caplog.text


def test_adding_a_tick_again_replaces_it(ticker: Ticker) -> None:
    ticker.add_tick("commons.outbox", lambda: None, 1.0)
    ticker.add_tick("commons.outbox", lambda: None, 2.0)
    ticker.start()

    assert sorted(ticker.job_ids()) == ["commons.outbox", SCHEDULES_JOB_ID]


def test_a_failing_catch_up_is_logged_and_the_ticker_starts_anyway(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FixedClock(START)
    broken = Store(make_engine(f"sqlite:///{tmp_path / 'never-migrated.db'}"))
    ticker = Ticker(broken, clock, {"test": Counting()}, interval_seconds=3600)
    try:
        ticker.start()
        assert ticker.running
    finally:
        ticker.shutdown()
        broken.dispose()
    assert f"tick {SCHEDULES_JOB_ID} failed" in caplog.text


def test_shutting_down_twice_or_before_starting_is_harmless(
    ticker: Ticker,
) -> None:
    ticker.shutdown()
    ticker.start()
    ticker.shutdown()
    ticker.shutdown()
    assert not ticker.running
