"""Block Kit and mrkdwn rendered as readable terminal text, for the sandbox console."""

import re
from collections.abc import Callable
from typing import Any

Names = Callable[[str], str]

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_SPECIAL = re.compile(r"<!(channel|here|everyone)>")
_SUBTEAM = re.compile(r"<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>")
_DATE = re.compile(r"<!date\^[0-9]+\^[^|>]*\|([^>]*)>")
# Anything else in angle brackets Slack turns into a link (an unescaped "<id>" shows as a link
# to "id"): shown that way here too, so that the mistake is seen in the console.
_BARE = re.compile(r"<([^@#!<>|][^<>|]*)(?:\|([^<>]*))?>")


def mrkdwn(text: str, user_name: Names, channel_name: Names) -> str:
    """Mentions and links as a person would read them; entities unescaped."""
    text = _USER.sub(lambda m: "@" + user_name(m.group(1)), text)
    # channel_name gives the display form ("#general", "DM with bob"); a label gets its "#".
    text = _CHANNEL.sub(
        lambda m: "#" + m.group(2) if m.group(2) else channel_name(m.group(1)), text
    )
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _SUBTEAM.sub(lambda m: "@" + (m.group(2) or channel_name(m.group(1))).lstrip("@"), text)
    # Slack shows a date token in the reader's zone; the console shows its fallback text.
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _BARE.sub(_bare_link, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def bare_links(text: str) -> list[str]:
    """Angle-bracket tokens Slack would turn into links that are not links: "<id>" written where
    "&lt;id&gt;" was meant."""
    return [
        m.group(0)
        for m in _BARE.finditer(text)
        if not m.group(1).startswith(("http://", "https://", "mailto:"))
    ]


def _bare_link(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith(("http://", "https://", "mailto:")) and not label:
        return target
    return f"{label or target} (link to {target})"


def _text(obj: Any, user_name: Names, channel_name: Names) -> str:
    """A text object as shown: mrkdwn formatted, plain_text exactly as written."""
    if not isinstance(obj, dict):
        return ""
    if obj.get("type") == "plain_text":
        return str(obj.get("text", ""))
    return mrkdwn(str(obj.get("text", "")), user_name, channel_name)


def _element(element: dict[str, Any], user_name: Names, channel_name: Names) -> str:
    kind = element.get("type", "?")
    action = element.get("action_id", "")
    if kind == "button":
        label = _text(element.get("text"), user_name, channel_name)
        style = f" {element['style']}" if element.get("style") else ""
        return f"[{label}]{style} (click {action})"
    if kind in ("static_select", "multi_static_select", "radio_buttons", "checkboxes", "overflow"):
        # The value is what a console user types after `submit block.action=`.
        options = [
            f"{_text(o.get('text'), user_name, channel_name)} [{o.get('value', '')}]"
            for o in element.get("options", [])
        ]
        return f"<{kind}: {' | '.join(options)}> ({action})"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("mrkdwn", "plain_text"):
        return _text(element, user_name, channel_name)
    placeholder = _text(element.get("placeholder"), user_name, channel_name)
    return f"<{kind}{': ' + placeholder if placeholder else ''}> ({action})"


def blocks_to_lines(
    blocks: list[dict[str, Any]],
    user_name: Names,
    channel_name: Names,
    state: dict[str, dict[str, dict[str, Any]]] | None = None,
) -> list[str]:
    """One or more lines per block, in order; an input shows its value in `state`, if any."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(_text(block.get("text"), user_name, channel_name).upper())
        elif kind == "section":
            if block.get("text"):
                lines.extend(_text(block["text"], user_name, channel_name).splitlines())
            for item in block.get("fields", []):
                lines.extend(
                    "  " + line for line in _text(item, user_name, channel_name).split("\n")
                )
            if block.get("accessory"):
                lines.append("  " + _element(block["accessory"], user_name, channel_name))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "context":
            parts = [_element(e, user_name, channel_name) for e in block.get("elements", [])]
            lines.append("  " + "  ".join(parts))
        elif kind == "actions":
            parts = [_element(e, user_name, channel_name) for e in block.get("elements", [])]
            lines.append("  ".join(parts))
        elif kind == "input":
            label = _text(block.get("label"), user_name, channel_name)
            optional = " (optional)" if block.get("optional") else ""
            element = block.get("element", {})
            field = _element(element, user_name, channel_name)
            block_id = block.get("block_id", "?")
            held = (state or {}).get(block_id, {}).get(element.get("action_id") or block_id)
            shown = _held(held, user_name, channel_name) if held else ""
            lines.append(f"{label}{optional}: {field}{shown} [block {block_id}]")
        elif kind == "image":
            lines.append(f"[image: {block.get('alt_text', '')}]")
        else:
            lines.append(f"[{kind} block]")
    return lines


def _held(value: dict[str, Any], user_name: Names, channel_name: Names) -> str:
    """What an input holds, as ` = "text"` (nothing when it is empty)."""
    parts: list[str] = []
    for key, held in value.items():
        if key == "type" or held in (None, "", []):
            continue
        for item in held if isinstance(held, list) else [held]:
            if isinstance(item, dict):  # an option
                parts.append(_text(item.get("text"), user_name, channel_name))
            elif key in ("selected_user", "selected_users"):
                parts.append("@" + user_name(str(item)))
            elif key.startswith("selected_c"):
                parts.append(channel_name(str(item)))
            else:
                parts.append(str(item))
    if not parts:
        return ""
    text = ", ".join(parts).replace("\n", "\\n")
    return f' = "{text}"'


def message_lines(
    text: str | None,
    blocks: list[dict[str, Any]] | None,
    user_name: Names,
    channel_name: Names,
) -> list[str]:
    """What a person sees of a message: its blocks, or its text when it has none."""
    if blocks:
        return blocks_to_lines(blocks, user_name, channel_name)
    return mrkdwn(text or "", user_name, channel_name).splitlines() or [""]
