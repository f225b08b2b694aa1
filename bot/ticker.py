"""The tick: an APScheduler BackgroundScheduler that wakes Commons up to do what the store says is due."""

import logging
from collections.abc import Callable, Mapping
from datetime import UTC

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import Clock, SystemClock
from bot.schedules import Outcome, ScheduleHandler, run_due
from bot.store import Store

logger = logging.getLogger(__name__)

SCHEDULES_JOB_ID = "commons.schedules"


class _Guarded:
    """A tick job that logs its exceptions, so that one bad tick never stops the next."""

    def __init__(self, job_id: str, func: Callable[[], object]) -> None:
        self.job_id = job_id
        self.func = func

    def __call__(self) -> None:
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
        self._scheduler.add_job(
            _Guarded(job_id, func),
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
