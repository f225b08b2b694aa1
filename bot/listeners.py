"""The shell's listeners: /commons (help) and the App Home welcome."""

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import blocks, service
from bot.catalogue import COMMANDS
from bot.services import Services

COMMONS_COMMAND = "/commons"
APP_HOME_OPENED = "app_home_opened"


def register(app: App, services: Services) -> None:
    """Attach the shell's listeners to the Bolt app."""

    def on_commons(ack: Ack, command: dict[str, Any]) -> None:
        words = (command.get("text") or "").split()
        sub = words[0].lower() if words else "help"
        unknown = None if sub in ("help", "?") else " ".join(words)
        ack(
            response_type="ephemeral",
            text=blocks.help_text(COMMANDS),
            blocks=blocks.help_blocks(COMMANDS, unknown=unknown),
        )

    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        with services.store.unit_of_work(write=False) as session:
            name = service.team_name(session=session)
        client.views_publish(
            user_id=event["user"],
            view=blocks.home_view(team_name=name, user_id=event["user"], commands=COMMANDS),
        )

    app.command(COMMONS_COMMAND)(on_commons)
    app.event(APP_HOME_OPENED)(on_home_opened)
