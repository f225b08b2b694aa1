"""The services every listener and job is handed: settings, store, clock and the workspace identity."""

from dataclasses import dataclass, field

from bot.clock import Clock, SystemClock
from bot.pacing import PostLimits
from bot.schedules import ScheduleHandler
from bot.settings import Settings
from bot.store import Store


@dataclass
class Services:
    """What features need from the shell; built once at start, passed to `register(app, services)`."""

    settings: Settings
    store: Store
    clock: Clock = field(default_factory=SystemClock)
    # Features add a handler per schedule kind they create (in their register()).
    schedule_handlers: dict[str, ScheduleHandler] = field(default_factory=dict)

    @property
    def post_limits(self) -> PostLimits:
        """The posting budget every replica shares."""
        return PostLimits(per_minute=self.settings.post_budget_per_minute)
