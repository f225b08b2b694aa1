"""Every slash command Commons has, what it is for, and whether it is built yet: the source of help."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandHelp:
    """One slash command as the overview presents it (each command's own help, from its verb
    table, lists all its usage lines)."""

    name: str
    summary: str
    usage: tuple[str, ...]
    available: bool


COMMANDS: tuple[CommandHelp, ...] = (
    CommandHelp(
        name="/announce",
        summary="Compose an announcement in a form, get it approved, schedule it once or on a "
        "rhythm, and track who has read a must-read.",
        usage=(
            "/announce",
            "/announce help",
        ),
        available=True,
    ),
    CommandHelp(
        name="/townhall",
        summary="Announce a town hall, collect questions (anonymous if you like) and rank them "
        "by votes for the host.",
        usage=(
            "/townhall",
            "/townhall help",
        ),
        available=True,
    ),
    CommandHelp(
        name="/pulse",
        summary="Run anonymous eNPS and engagement pulse surveys by DM, and see results and trends.",
        usage=(
            "/pulse",
            "/pulse help",
        ),
        available=True,
    ),
    CommandHelp(
        name="/request",
        summary="Ask another department (IT, HR, Finance, Facilities) for help in a tracked "
        "thread with an owner, a status and a response time.",
        usage=(
            "/request it My laptop will not start",
            "/request help",
        ),
        available=True,
    ),
    CommandHelp(
        name="/digest",
        summary="Send a channel a scheduled digest of what happened in Commons.",
        usage=("/digest",),
        available=False,
    ),
    CommandHelp(
        name="/commons",
        summary="This help, and Commons' settings for admins.",
        usage=("/commons help",),
        available=True,
    ),
)


def command_help(name: str) -> CommandHelp:
    """The catalogue entry for a slash command.

    Raises:
        KeyError: when Commons has no such command.
    """
    for entry in COMMANDS:
        if entry.name == name:
            return entry
    raise KeyError(name)
