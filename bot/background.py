"""The background work of a Commons process: the schedules tick, the outbox sender, housekeeping."""

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from slack_sdk import WebClient

from bot.outbox.sender import Sender, SenderConfig
from bot.scheduling.ticker import Ticker
from bot.services import Services
from bot.slack import inbound
from bot.slack.gateway import ReadStopped
from directory.jobs import sync_directory
from directory.slack_reader import SlackDirectory

logger = logging.getLogger("commons.background")

OUTBOX_JOB_ID = "commons.outbox"
HOUSEKEEPING_JOB_ID = "commons.housekeeping"
DIRECTORY_JOB_ID = "commons.directory"


def owner_id() -> str:
    """A name for this process's leases that is unique across hosts and restarts."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Background:
    """Starts and stops the ticks; every replica runs the same ones, the store decides who does what."""

    def __init__(
        self,
        services: Services,
        client: WebClient,
        *,
        tick_seconds: float = 1.0,
        sender_config: SenderConfig | None = None,
    ) -> None:
        self.services = services
        self.sender = Sender(
            services.store,
            client,
            services.clock,
            owner=owner_id(),
            config=sender_config or SenderConfig.for_limits(services.post_limits),
        )
        self.ticker = Ticker(
            services.store,
            services.clock,
            services.schedule_handlers,
            interval_seconds=tick_seconds,
        )
        # Post for most of each tick, so that the budget is used while the next tick waits.
        self.ticker.add_tick(
            OUTBOX_JOB_ID, lambda: self.sender.drain(tick_seconds * 0.9), tick_seconds
        )
        self.ticker.add_tick(
            HOUSEKEEPING_JOB_ID, self.housekeeping, timedelta(hours=1).total_seconds()
        )
        self.stopping = threading.Event()
        self.directory = SlackDirectory(client, stop=self.stopping)
        self.ticker.add_tick(
            DIRECTORY_JOB_ID,
            self.sync_directory,
            timedelta(days=1).total_seconds(),
            first_run_now=True,
        )

        for tick in services.ticks:
            self.ticker.add_tick(tick.job_id, tick.func, tick.interval_seconds)

    def sync_directory(self) -> None:
        """Read people, departments and channels from Slack (at start, then daily)."""
        try:
            sync_directory(
                store=self.services.store, clock=self.services.clock, source=self.directory
            )
        except ReadStopped:
            logger.info("directory sync left off for shutdown; the next start reads it again")

    def housekeeping(self) -> None:
        """Forget inbound event ids older than any retry."""
        with self.services.store.unit_of_work() as session:
            forgotten = inbound.forget_old(session=session, clock=self.services.clock)
        if forgotten:
            logger.info("forgot %s old inbound event ids", forgotten)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Keep the periodic jobs from running (waiting for those under way) until the block ends."""
        with self.ticker.gate.held():
            yield

    def run_each_once(self) -> None:
        """Run the schedules, the outbox and every feature's tick once, here and now, in order.

        For a holder of `held()` (the sandbox's `wait`); the daily directory sync and the hourly
        housekeeping are left to their own rhythm.
        """
        self.ticker.run_each_once(skip=(HOUSEKEEPING_JOB_ID, DIRECTORY_JOB_ID))

    def start(self) -> None:
        """Catch up on what came due while down, then tick."""
        self.ticker.start()
        logger.info("background work started (schedules, outbox, housekeeping)")

    def stop(self) -> None:
        """Stop ticking, letting a running tick (and its posts under way) finish.

        A directory sync waiting out a rate limit gives up instead (it has written nothing yet).
        """
        self.stopping.set()
        self.ticker.shutdown(wait=True)
        self.sender.close()
