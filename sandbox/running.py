"""Commons running in this process against a sandbox, on a clock that `wait` can move.

`commons sandbox` and the tests that follow a flow over days both start Commons this way: the
real app, Socket Mode, the background ticks, a SQLite (or PostgreSQL) store.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from bot import runtime, socket_mode
from bot.clock import ShiftedClock
from bot.runtime import Runtime
from bot.settings import Settings
from sandbox.driver import Driver
from sandbox.server import Sandbox
from sandbox.timetravel import TimeMachine


@dataclass
class Running:
    """A started Commons connected to a sandbox."""

    sandbox: Sandbox
    runtime: Runtime
    clock: ShiftedClock
    machine: TimeMachine
    driver: Driver


class NotConnected(RuntimeError):
    """Commons did not connect to the sandbox; the message points at its log."""


def settings_for(
    sandbox: Sandbox, database_url: str, extra: Mapping[str, str] | None = None
) -> Settings:
    """Commons' settings for a sandbox: its tokens and URL, the workspace admins as admins."""
    admins = [u.id for u in sandbox.workspace.users.values() if u.is_admin and not u.is_bot]
    environ = {
        "SLACK_BOT_TOKEN": sandbox.bot_token,
        "SLACK_SIGNING_SECRET": sandbox.signing_secret,
        "SLACK_APP_TOKEN": sandbox.app_token,
        "SLACK_API_URL": sandbox.api_url,
        "DATABASE_URL": database_url,
        "COMMONS_ADMINS": ",".join(admins),
        "LOG_LEVEL": "INFO",
        **(extra or {}),
    }
    return Settings.from_env(environ, mode="socket")


@contextmanager
def running(
    sandbox: Sandbox,
    database_url: str,
    *,
    start: datetime | None = None,
    extra_settings: Mapping[str, str] | None = None,
) -> Iterator[Running]:
    """Start Commons (Socket Mode) against `sandbox`, its clock at `start` (default: now).

    Raises:
        NotConnected: Commons did not open its Socket Mode connection within 15 s.
    """
    settings = settings_for(sandbox, database_url, extra_settings)
    clock = ShiftedClock(start=start)
    started = runtime.start(settings, clock=clock)
    try:
        started.background.sync_directory()
        started.background.start()
        handler = socket_mode.connect(started.app, settings.slack_app_token, started.services)
        try:
            if not sandbox.hub.wait_for_connections(1, timeout=15):
                raise NotConnected("Commons did not connect to the sandbox")
            background = started.background
            machine = TimeMachine(
                clock, started.services, background.run_each_once, hold=background.held
            )
            yield Running(sandbox, started, clock, machine, Driver(sandbox))
        finally:
            handler.close()  # type: ignore[no-untyped-call]
    finally:
        started.close()
