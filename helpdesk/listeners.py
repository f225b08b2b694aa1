"""Slash commands of the help desks; not built yet, so they say they are coming soon."""

from slack_bolt import App

from bot.coming import coming_soon
from bot.services import Services

REQUEST_COMMAND = "/request"


def register(app: App, services: Services) -> None:
    """Attach the help-desk listeners."""
    app.command(REQUEST_COMMAND)(coming_soon(REQUEST_COMMAND))
