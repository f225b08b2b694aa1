"""Listeners for commands that are named in the manifest but not built yet: they say so plainly."""

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack

from bot.blocks import coming_soon_text
from bot.catalogue import command_help


def coming_soon(command: str) -> Callable[..., None]:
    """A slash-command listener that tells the person `command` is coming soon and does nothing else."""
    entry = command_help(command)

    def on_command(ack: Ack, body: dict[str, Any]) -> None:
        ack(response_type="ephemeral", text=coming_soon_text(entry))

    on_command.__name__ = f"coming_soon_{command.lstrip('/')}"
    return on_command
