"""The tick: an APScheduler BackgroundScheduler that wakes Commons up to do what the store says is due."""

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import Clock, SystemClock
from bot.scheduling.schedules import Outcome, ScheduleHandler, run_due
from bot.store import Store

logger = logging.getLogger(__name__)

SCHEDULES_JOB_ID = "commons.schedules"


class Gate:
    """Jobs pass through together (shared); `held()` waits for those inside and keeps others out.

    The periodic jobs run at once as they always have; only a holder (the sandbox's `wait`, which
    runs the same jobs itself, in order, on a moved clock) excludes them.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._inside = 0
        self._held = False

    @contextmanager
    def passing(self) -> Iterator[bool]:
        """Enter unless held; yields False (and runs nothing) while a holder has the gate."""
        with self._condition:
            if self._held:
                entered = False
            else:
                self._inside += 1
                entered = True
        try:
            yield entered
        finally:
            if entered:
                with self._condition:
                    self._inside -= 1
                    self._condition.notify_all()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Wait for running jobs to finish, then keep new ones out until the block ends."""
        with self._condition:
            while self._held:
                self._condition.wait()
            self._held = True
            while self._inside:
                self._condition.wait()
        try:
            yield
        finally:
            with self._condition:
                self._held = False
                self._condition.notify_all()


class _Guarded:
    """A tick job that logs its exceptions, so that one bad tick never stops the next."""

    def __init__(self, job_id: str, func: Callable[[], object], gate: Gate | None = None) -> None:
        self.job_id = job_id
        self.func = func
        self.gate = gate

    def __call__(self) -> None:
        if self.gate is None:
            self._run()
            return
        with self.gate.passing() as entered:
            if entered:  # held: the holder runs this job itself; this run is simply skipped
                self._run()

    def _run(self) -> None:
        try:
            self.func()
        except Exception:
            logger.exception("tick %s failed", self.job_id)


class Ticker:
    """Periodic jobs in memory: the schedules tick, plus whatever else registers with `add_tick`.

    No job stands for an announcement or a reminder: every tick asks the store what is due, so
    the jobs hold no state and any number of replicas can run the same ones.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        handlers: Mapping[str, ScheduleHandler],
        *,
        interval_seconds: float = 1.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.handlers = handlers
        self.gate = Gate()
        self._jobs: dict[str, Callable[[], object]] = {}
        self._scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            timezone=UTC,
        )
        self.add_tick(SCHEDULES_JOB_ID, self.tick, interval_seconds)

    def add_tick(
        self,
        job_id: str,
        func: Callable[[], object],
        interval_seconds: float,
        *,
        first_run_now: bool = False,
    ) -> None:
        """Run `func` every `interval_seconds`, never two at once, a missed run not made up.

        Args:
            job_id: a stable id ("commons.outbox"); adding it again replaces the job.
            func: a plain function taking no arguments; its exceptions are logged.
            interval_seconds: the time between runs.
        """
        self._jobs[job_id] = func
        self._scheduler.add_job(
            _Guarded(job_id, func, self.gate),
            trigger=IntervalTrigger(seconds=interval_seconds, timezone=UTC),
            id=job_id,
            name=job_id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            # A daily job (the directory sync) should also run as soon as the process starts.
            # APScheduler runs on real time, so the real clock is the right one here.
            **({"next_run_time": SystemClock().now()} if first_run_now else {}),
        )

    def tick(self) -> list[Outcome]:
        """Run the schedules that are due now (what the "commons.schedules" job does)."""
        return run_due(store=self.store, clock=self.clock, handlers=self.handlers)

    def start(self) -> None:
        """Catch up on what came due while Commons was down, then start ticking.

        The catch-up runs before this returns, so that start-up is ordered and testable; its
        failure is logged and the ticks start regardless.
        """
        _Guarded(SCHEDULES_JOB_ID, self.tick)()
        self._scheduler.start()

    def run_each_once(self, *, skip: tuple[str, ...] = ()) -> None:
        """Run every job once on this thread, in the order they were added (the schedules first).

        For a holder of the gate; each job's exceptions are logged like a tick's.
        """
        for job_id, func in list(self._jobs.items()):
            if job_id not in skip:
                _Guarded(job_id, func)()

    def job_ids(self) -> list[str]:
        """The ids of the periodic jobs."""
        return [job.id for job in self._scheduler.get_jobs()]

    @property
    def running(self) -> bool:
        """True between start() and shutdown()."""
        return bool(self._scheduler.running)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop ticking; with `wait`, let running jobs finish first."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
