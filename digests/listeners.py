"""Slash commands of digests; not built yet, so they say they are coming soon."""

from slack_bolt import App

from bot.coming import coming_soon
from bot.services import Services

DIGEST_COMMAND = "/digest"


def register(app: App, services: Services) -> None:
    """Attach the digest listeners."""
    app.command(DIGEST_COMMAND)(coming_soon(DIGEST_COMMAND))
