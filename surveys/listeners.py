"""Slash commands of pulse surveys; not built yet, so they say they are coming soon."""

from slack_bolt import App

from bot.coming import coming_soon
from bot.services import Services

PULSE_COMMAND = "/pulse"


def register(app: App, services: Services) -> None:
    """Attach the survey listeners."""
    app.command(PULSE_COMMAND)(coming_soon(PULSE_COMMAND))
