"""Safe mrkdwn: escaping of user-written text before it goes into a Slack message."""

import re
from collections.abc import Callable

_BROADCAST = re.compile(r"<!(channel|here|everyone)(\|[^>]*)?>|<!subteam\^[A-Z0-9]+(\|[^>]*)?>")


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def neutralise_mentions(text: str) -> str:
    """Turn @channel/@here/@everyone and user-group mentions into plain words that notify nobody."""

    def _plain(match: re.Match[str]) -> str:
        token = match.group(0)[2:-1].split("|", 1)
        label = token[1] if len(token) > 1 else token[0]
        if label.startswith("subteam^"):
            label = "a user group"
        return "@\u200b" + label.lstrip("@")

    return _BROADCAST.sub(_plain, text)


class Mrkdwn(str):
    """Text that is already valid mrkdwn (built by Commons, or escaped): templates keep it as is."""

    __slots__ = ()


_KEEP = re.compile(
    r"<!(?:channel|here|everyone)(?:\|[^>]*)?>|<!subteam\^[A-Z0-9]+(?:\|[^>]*)?>"
    r"|<@[UW][A-Z0-9]+(?:\|[^>]*)?>|<#[CG][A-Z0-9]+(?:\|[^>]*)?>|<https?://[^>\s|]+(?:\|[^>]*)?>"
)


def escape_keep_mentions(text: str) -> str:
    """Escape everything but Slack's mention and link tokens: for authors allowed to notify everyone."""
    parts: list[str] = []
    last = 0
    for match in _KEEP.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(escape(text[last:]))
    return "".join(parts)


def user_text(text: str, *, may_notify_everyone: bool) -> Mrkdwn:
    """A person's text made safe for a message: escaped, broadcast mentions neutralised unless allowed.

    People mentions (<@U...>), channel links and URLs stay working for everyone.
    """
    kept = escape_keep_mentions(text)
    return Mrkdwn(kept if may_notify_everyone else neutralise_mentions(kept))


_TOKEN = re.compile(r"<([^<>\n]+)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


def plain_text(text: str, name_of: Callable[[str], str | None] = lambda _id: None) -> str:
    """mrkdwn as a person should read it where Slack shows plain text (field errors, titles):
    `<#C1|general>` as #general, `<@U1>` as @name, links as their label, escapes undone, no
    backticks or bold stars. `name_of` names a channel, person or group id when the token has no
    label."""

    def token(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("#"):
            return "#" + (label or name_of(target[1:]) or target[1:])
        if target.startswith("@"):
            return "@" + (label or name_of(target[1:]) or target[1:])
        if target.startswith("!subteam^"):
            return "@" + (label.lstrip("@") or name_of(target[9:]) or "a user group")
        if target.startswith("!"):
            return "@" + target[1:]
        return label or target

    out = _TOKEN.sub(token, text).replace("`", "")
    out = _BOLD.sub(r"\1", out)
    return out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """`1 message`, `3 messages`: a count with its noun in the right number."""
    return f"{count:,} {singular if count == 1 else plural or singular + 's'}"
