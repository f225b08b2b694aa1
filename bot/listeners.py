"""The shell's listeners: /commons (help) and the App Home welcome."""

from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot import blocks, service
from bot.catalogue import COMMANDS
from bot.commands import words
from bot.services import Services

COMMONS_COMMAND = "/commons"
APP_HOME_OPENED = "app_home_opened"


def register(app: App, services: Services) -> None:
    """Attach the shell's listeners to the Bolt app."""

    def on_commons(ack: Ack, respond: Respond, command: dict[str, Any]) -> None:
        args = words(command.get("text") or "")
        sub = args[0].lower() if args else "help"
        subcommand = services.commons_subcommands.get(sub)
        if subcommand is not None:
            subcommand.handler(ack, respond, command, args[1:])
            return
        unknown = None if sub in ("help", "?") else " ".join(args)
        ack(
            response_type="ephemeral",
            text=blocks.help_text(COMMANDS),
            blocks=blocks.help_blocks(
                COMMANDS, subcommands=services.commons_subcommands.values(), unknown=unknown
            ),
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
