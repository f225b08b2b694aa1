"""Safe mrkdwn: escaping of user-written text before it goes into a Slack message."""

import re

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
