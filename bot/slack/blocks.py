"""Block Kit for the shell's own surfaces (the help overview, the App Home welcome) and shared bits."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.catalogue import CommandHelp
from bot.text.mrkdwn import escape

HOME_CALLBACK_ID = "commons.home"


def _command_section(entry: CommandHelp) -> SectionBlock:
    status = "" if entry.available else "  _(coming soon)_"
    usage = "   ".join(f"`{escape(u)}`" for u in entry.usage)
    return SectionBlock(
        text=MarkdownTextObject(text=f"*{entry.name}*{status}\n{entry.summary}\n{usage}")
    )


def help_blocks(
    commands: Sequence[CommandHelp],
    *,
    subcommands: Iterable[tuple[str, str, bool]] = (),
    unknown: str | None = None,
) -> list[Block]:
    """The overview of every command; `subcommands` are /commons' own (usage, summary, admins
    only); `unknown` is what the person typed that Commons did not know."""
    blocks: list[Block] = []
    if unknown is not None:
        shown = escape(unknown if len(unknown) <= 60 else unknown[:57] + "...")
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f":thinking_face: I don't know `{shown}`. Here is what Commons can do:"
                )
            )
        )
    blocks.append(HeaderBlock(text="Commons: what you can do"))
    blocks.extend(_command_section(entry) for entry in commands)
    extra = [
        f"`{escape(usage)}`: {summary}{' _(admins)_' if admins_only else ''}"
        for usage, summary, admins_only in subcommands
    ]
    if extra:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text="*More of /commons*\n" + "\n".join(extra)))
        )
    blocks.append(DividerBlock())
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Commands marked _coming soon_ are not built yet and say so when you try "
                    "them. Only you can see this message."
                )
            ]
        )
    )
    return blocks


def help_text(commands: Sequence[CommandHelp]) -> str:
    """Plain-text fallback of the overview, for notifications and screen readers."""
    lines = ["Commons: what you can do"]
    for entry in commands:
        status = "" if entry.available else " (coming soon)"
        lines.append(f"{entry.name}{status}: {entry.summary}")
    return "\n".join(lines)


def coming_soon_text(entry: CommandHelp) -> str:
    """What a person sees when they use a command that is not built yet."""
    return (
        f":construction: `{entry.name}` is coming soon: {entry.summary[0].lower()}{entry.summary[1:]}"
        "\nIt is not available yet, so nothing was done. `/commons help` lists what works today."
    )


def home_view(*, team_name: str, user_id: str, commands: Sequence[CommandHelp]) -> dict[str, Any]:
    """The App Home welcome for one person."""
    where = f" at {escape(team_name)}" if team_name else ""
    available = [c for c in commands if c.available]
    coming = [c for c in commands if not c.available]
    blocks: list[Block] = [
        HeaderBlock(text="Welcome to Commons"),
        SectionBlock(
            text=MarkdownTextObject(
                text=f"Hi <@{user_id}>! Commons keeps everyone{where} in the loop: announcements "
                "and town halls, pulse surveys where you can speak up anonymously, and help desks "
                "where one department asks another and gets a tracked answer."
            )
        ),
        DividerBlock(),
        SectionBlock(
            text=MarkdownTextObject(
                text="*Available now*\n" + "\n".join(f"`{c.name}`: {c.summary}" for c in available)
            )
        ),
    ]
    if coming:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text="*Coming soon*\n" + "\n".join(f"`{c.name}`: {c.summary}" for c in coming)
                )
            )
        )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(text="Type `/commons help` in any channel for the full list.")
            ]
        )
    )
    return View(type="home", callback_id=HOME_CALLBACK_ID, blocks=blocks).to_dict()


def done_view(title: str, text: str) -> View:
    """A closing modal that says what happened (a form's last step)."""
    return View(
        type="modal",
        title=title[:24],
        close="Done",
        blocks=[SectionBlock(text=MarkdownTextObject(text=text[:3000]))],
    )


# -- pieces every feature's forms use ---------------------------------------------------

VALUE = "value"  # the action id of every input in Commons' forms


def option(value: str, text: str) -> Option:
    """An option of a select, checkboxes or radio buttons (its text cut to Slack's 75)."""
    return Option(value=value, text=PlainTextObject(text=text[:75]))


def text_input(
    block_id: str,
    label: str,
    *,
    initial: str = "",
    multiline: bool = False,
    optional: bool = True,
    hint: str = "",
    placeholder: str = "",
    max_length: int | None = None,
) -> InputBlock:
    """A text input whose action id is `value`."""
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        hint=hint or None,
        element=PlainTextInputElement(
            action_id=VALUE,
            multiline=multiline,
            initial_value=initial or None,
            placeholder=placeholder or None,
            max_length=max_length,
        ),
    )


def local_today(zone: str, now: datetime) -> str:
    """Today's date in a zone, as a date picker wants it."""
    return now.astimezone(ZoneInfo(zone)).date().isoformat()
