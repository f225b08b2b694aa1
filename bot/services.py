"""The services every listener and job is handed: settings, store, clock and the workspace identity."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.clock import Clock, SystemClock
from bot.outbox.pacing import PostLimits
from bot.scheduling.schedules import ScheduleHandler
from bot.settings import Settings
from bot.store import Store
from bot.text.mrkdwn import plain_text

if TYPE_CHECKING:
    from bot.slack.verbs import CommandTable, Verb


@dataclass(frozen=True)
class Tick:
    """Periodic work a feature needs besides its schedules (e.g. refreshing a counter)."""

    job_id: str
    func: Callable[[], object]
    interval_seconds: float
    # When this tick next has something to do because of time alone (an SLA about to be missed),
    # or None; lets the sandbox's `wait` stop at that instant instead of stepping blindly.
    next_due: Callable[[], datetime | None] | None = None


@dataclass
class Services:
    """What features need from the shell; built once at start, passed to `register(app, services)`."""

    settings: Settings
    store: Store
    clock: Clock = field(default_factory=SystemClock)
    # Features add a handler per schedule kind they create (in their register()).
    schedule_handlers: dict[str, ScheduleHandler] = field(default_factory=dict)
    # Features add `/commons <name>` verbs here (in their register()).
    commons_verbs: list["Verb"] = field(default_factory=list)
    # Every slash command's verb table, by command: the source of per-command help and docs.
    command_tables: dict[str, "CommandTable"] = field(default_factory=dict)
    # What the features wired, as (kind, id or pattern): for the fuzz tests and benchmark.
    wired: list[tuple[str, str]] = field(default_factory=list)
    # Names of channels, people and user groups by id (the directory sets it): for plain text.
    name_of: Callable[[str], str | None] = field(default=lambda _id: None)
    # Who a person is, as the words verb tables use ("admin", "comms", "manager", "member"...).
    audience_of: Callable[[str], frozenset[str]] = field(default=lambda _id: frozenset({"member"}))
    # Features add periodic jobs here (in their register()); every replica runs them, so each
    # must claim its work through the store like the schedules do.
    ticks: list[Tick] = field(default_factory=list)

    def plain_text(self, text: str) -> str:
        """mrkdwn as plain text, with ids named (for field errors and other plain surfaces)."""
        return plain_text(text, self.name_of)

    @property
    def post_limits(self) -> PostLimits:
        """The posting budget every replica shares."""
        return PostLimits(per_minute=self.settings.post_budget_per_minute)
