"""The services every listener and job is handed: settings, store, clock and the workspace identity."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock, SystemClock
from bot.pacing import PostLimits
from bot.schedules import ScheduleHandler
from bot.settings import Settings
from bot.store import Store


@dataclass(frozen=True)
class Subcommand:
    """A `/commons <name> ...` command a feature adds: its usage line, summary and handler.

    The handler is called as handler(ack, respond, command, args) and acknowledges itself.
    """

    usage: str
    summary: str
    handler: Callable[..., Any]
    admin_only: bool = False


@dataclass(frozen=True)
class Tick:
    """Periodic work a feature needs besides its schedules (e.g. refreshing a counter)."""

    job_id: str
    func: Callable[[], object]
    interval_seconds: float


@dataclass
class Services:
    """What features need from the shell; built once at start, passed to `register(app, services)`."""

    settings: Settings
    store: Store
    clock: Clock = field(default_factory=SystemClock)
    # Features add a handler per schedule kind they create (in their register()).
    schedule_handlers: dict[str, ScheduleHandler] = field(default_factory=dict)
    # Features add `/commons <name>` subcommands here (in their register()).
    commons_subcommands: dict[str, Subcommand] = field(default_factory=dict)
    # Features add periodic jobs here (in their register()); every replica runs them, so each
    # must claim its work through the store like the schedules do.
    ticks: list[Tick] = field(default_factory=list)

    @property
    def post_limits(self) -> PostLimits:
        """The posting budget every replica shares."""
        return PostLimits(per_minute=self.settings.post_budget_per_minute)
