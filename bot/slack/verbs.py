"""Verb tables: each slash command's subcommands in one table (usage, arguments, handler, who may
use it), which dispatches the command's text and renders the command's own help for each person.

    PULSE = CommandTable(
        command="/pulse",
        title="Pulse surveys",
        bare=Bare("start a survey from a template or your own questions", open_form),
        verbs=(
            Verb("results", "<id> [run]", "participation, scores and trends", on_results,
                 min_args=1, max_args=2),
            ...
        ),
    )
    wire.command(PULSE.command, PULSE.handle)

The table refuses a verb the person's role does not allow, and a wrong number of arguments with
the verb's usage line; everything else is the handler's (and its service's) to check.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.errors import InvalidInput, PermissionDenied
from bot.slack.args import shown, words
from bot.slack.interaction import Interaction, Outcome, Reply
from bot.text.mrkdwn import escape

VerbHandler = Callable[[Interaction, list[str]], Outcome]

# Who may use a verb, in the words `Services.audience_of` gives a person.
WHO_WORDS = {
    "everyone": "everyone",
    "admin": "Commons admins",
    "comms": "communications staff and admins",
    "managers": "managers, communications staff and admins",
    "agents": "desk agents and admins",
}


@dataclass(frozen=True)
class Verb:
    """One subcommand: `/<command> <name> <args>`."""

    name: str
    args: str
    summary: str
    handler: VerbHandler
    who: str = "everyone"
    min_args: int = 0
    max_args: int | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bare:
    """What the command does with no text (open a form, say)."""

    summary: str
    handler: Callable[[Interaction], Outcome]
    who: str = "everyone"


@dataclass(frozen=True)
class Fallback:
    """What the command does when the first word is no verb (`/request it <summary>`)."""

    args: str
    summary: str
    handler: VerbHandler
    who: str = "everyone"


@dataclass(frozen=True)
class CommandTable:
    """A slash command's verbs; `handle` is its handler in the interaction layer."""

    command: str
    title: str
    verbs: tuple[Verb, ...]
    bare: Bare | None = None
    fallback: Fallback | None = None
    footer: str = ""

    def usage(self, verb: Verb) -> str:
        """The verb's usage line, as written (not escaped)."""
        return " ".join(part for part in (self.command, verb.name, verb.args) if part)

    def usage_lines(self) -> list[str]:
        """Every usage line of the command, for help and for the documentation check."""
        lines = [self.command] if self.bare is not None else []
        if self.fallback is not None:
            lines.append(f"{self.command} {self.fallback.args}")
        lines += [self.usage(verb) for verb in self.verbs]
        return lines

    def find(self, name: str) -> Verb | None:
        lowered = name.lower()
        for verb in self.verbs:
            if lowered == verb.name or lowered in verb.aliases:
                return verb
        return None

    def handle(self, interaction: Interaction) -> Outcome:
        """Dispatch the command's text to its verb."""
        args = words(interaction.text)
        audience = interaction.services.audience_of(interaction.user_id)
        if not args:
            if self.bare is None:
                return self.help(audience)
            _allow(self.bare.who, audience, self.command)
            return self.bare.handler(interaction)
        name = args[0].lower()
        if name in ("help", "?"):
            return self.help(audience)
        verb = self.find(name)
        if verb is not None:
            _allow(verb.who, audience, self.usage(verb))
            rest = args[1:]
            if len(rest) < verb.min_args or (
                verb.max_args is not None and len(rest) > verb.max_args
            ):
                raise InvalidInput(f"Usage: `{escape(self.usage(verb))}`")
            return verb.handler(interaction, rest)
        if self.fallback is not None:
            _allow(self.fallback.who, audience, f"{self.command} {self.fallback.args}")
            return self.fallback.handler(interaction, args)
        return self.help(audience, unknown=args[0])

    def help(self, audience: Iterable[str], *, unknown: str | None = None) -> Reply:
        """This command's help for a person: what they may use, with each usage line."""
        return Reply(self.help_text(frozenset(audience), unknown=unknown))

    def help_text(self, audience: frozenset[str], *, unknown: str | None = None) -> str:
        lines: list[str] = []
        if unknown is not None:
            lines.append(
                f"I don't know `{escape(self.command)} {shown(unknown)}`. Here is what it does:"
            )
        lines.append(f"*{escape(self.title)}*")
        if self.bare is not None and _may(self.bare.who, audience):
            lines.append(f"`{escape(self.command)}`: {self.bare.summary}")
        if self.fallback is not None and _may(self.fallback.who, audience):
            lines.append(
                f"`{escape(self.command)} {escape(self.fallback.args)}`: {self.fallback.summary}"
            )
        hidden = 0
        for verb in self.verbs:
            if _may(verb.who, audience):
                lines.append(f"`{escape(self.usage(verb))}`: {verb.summary}")
            else:
                hidden += 1
        if hidden:
            lines.append(
                f"_{hidden} more {'is' if hidden == 1 else 'are'} for roles you do not have._"
            )
        if self.footer:
            lines.append(self.footer)
        return "\n".join(lines)


def _may(who: str, audience: frozenset[str]) -> bool:
    return who == "everyone" or who in audience


def _allow(who: str, audience: frozenset[str], usage: str) -> None:
    if not _may(who, audience):
        raise PermissionDenied(
            f"Only {WHO_WORDS.get(who, who)} can use `{escape(usage)}`. "
            "`/commons whoami` shows your role."
        )
