"""The services every listener and job is handed: settings, store, clock and the workspace identity."""

from dataclasses import dataclass, field

from bot.clock import Clock, SystemClock
from bot.settings import Settings
from bot.store import Store


@dataclass
class Services:
    """What features need from the shell; built once at start, passed to `register(app, services)`."""

    settings: Settings
    store: Store
    clock: Clock = field(default_factory=SystemClock)
