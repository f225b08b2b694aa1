"""Slash commands of digests; not built yet, so they say they are coming soon."""

from bot.catalogue import command_help
from bot.slack.blocks import coming_soon_text
from bot.slack.interaction import Interaction, Outcome, Reply, Wiring

DIGEST_COMMAND = "/digest"


def on_digest(interaction: Interaction) -> Outcome:
    """Any `/digest`: it is not built yet, and says so."""
    return Reply(coming_soon_text(command_help(DIGEST_COMMAND)))


def register(wire: Wiring) -> None:
    """Attach the digest listeners."""
    wire.command(DIGEST_COMMAND, on_digest)
