"""The shell's listeners: /commons (the overview of every command, and the verbs features add)
and the App Home welcome."""

from bot import service
from bot.catalogue import COMMANDS
from bot.services import Services
from bot.slack import blocks
from bot.slack.args import words
from bot.slack.interaction import Interaction, Outcome, Reply, Wiring
from bot.slack.verbs import CommandTable

COMMONS_COMMAND = "/commons"
APP_HOME_OPENED = "app_home_opened"


def commons_table(services: Services) -> CommandTable:
    """/commons' verbs: the ones every feature added."""
    return CommandTable(
        command=COMMONS_COMMAND,
        title="Commons settings and who you are",
        verbs=tuple(services.commons_verbs),
    )


def on_commons(interaction: Interaction) -> Outcome:
    """`/commons <verb> ...`, or the overview of every command for help and anything unknown."""
    table = commons_table(interaction.services)
    args = words(interaction.text)
    if args and table.find(args[0]) is not None:
        return table.handle(interaction)
    unknown = None if not args or args[0].lower() in ("help", "?") else " ".join(args)
    return overview(interaction.services.audience_of(interaction.user_id), table, unknown)


def overview(audience: frozenset[str], table: CommandTable, unknown: str | None) -> Reply:
    """Every command, and the /commons verbs this person may use."""
    mine = [
        (table.usage(verb), verb.summary, verb.who == "admin")
        for verb in table.verbs
        if verb.who == "everyone" or verb.who in audience
    ]
    return Reply(
        blocks.help_text(COMMANDS),
        blocks=blocks.help_blocks(COMMANDS, subcommands=mine, unknown=unknown),
    )


def on_home_opened(interaction: Interaction) -> None:
    """Publish the App Home welcome for the person who opened it."""
    event = interaction.event
    if event.get("tab", "home") != "home" or not isinstance(event.get("user"), str):
        return
    with interaction.services.store.unit_of_work(write=False) as session:
        name = service.team_name(session=session)
    interaction.client.views_publish(
        user_id=event["user"],
        view=blocks.home_view(team_name=name, user_id=event["user"], commands=COMMANDS),
    )


def register(wire: Wiring) -> None:
    """Attach the shell's listeners."""
    wire.table(commons_table(wire.services), wire_command=False)  # on_commons: the overview
    wire.command(COMMONS_COMMAND, on_commons)
    wire.event(APP_HOME_OPENED, on_home_opened)
