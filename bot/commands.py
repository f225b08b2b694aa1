"""Parsing of slash-command arguments: mentions as Slack escapes them, or as people type them."""

import re
import shlex

_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
_SUBTEAM = re.compile(r"^<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>$")


def words(text: str) -> list[str]:
    """Split command text like a shell would, so that "quoted phrases" stay together."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def user_ref(token: str) -> str:
    """`<@U123|alice>` -> U123; `@alice` or `alice` stay a name to look up."""
    match = _USER.match(token)
    return match.group(1) if match else token.lstrip("@")


def channel_ref(token: str) -> str:
    """`<#C123|general>` -> C123; `#general` -> general."""
    match = _CHANNEL.match(token)
    return match.group(1) if match else token.lstrip("#")


def usergroup_ref(token: str) -> str:
    """`<!subteam^S123|@it>` -> S123; `@it` -> it."""
    match = _SUBTEAM.match(token)
    return match.group(1) if match else token.lstrip("@")
