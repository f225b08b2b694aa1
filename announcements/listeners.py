"""Slash commands of announcements; not built yet, so they say they are coming soon."""

from slack_bolt import App

from bot.coming import coming_soon
from bot.services import Services

ANNOUNCE_COMMAND = "/announce"
TOWNHALL_COMMAND = "/townhall"


def register(app: App, services: Services) -> None:
    """Attach the announcement listeners."""
    app.command(ANNOUNCE_COMMAND)(coming_soon(ANNOUNCE_COMMAND))
    app.command(TOWNHALL_COMMAND)(coming_soon(TOWNHALL_COMMAND))
