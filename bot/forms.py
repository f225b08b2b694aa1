"""Reading what a person entered in a modal: any Block Kit input element, or plain text.

Slack sends each input's state in a shape that depends on its element (a select's
`selected_option`, a datepicker's `selected_date`, ...); the sandbox console sends plain text for
all of them. Every feature reads its forms through these functions.
"""

import re
from typing import Any

StateValues = dict[str, dict[str, dict[str, Any]]]

_SINGLE_KEYS = ("selected_date", "selected_time", "selected_conversation", "selected_user")


def element_value(state: dict[str, Any]) -> str | list[str] | None:
    """One input element's value: a list for multi-selects and checkboxes, else text."""
    if "selected_options" in state:
        return [str(o["value"]) for o in state.get("selected_options") or []]
    if "selected_conversations" in state:
        return list(state.get("selected_conversations") or [])
    if "selected_channels" in state:
        return list(state.get("selected_channels") or [])
    if "selected_option" in state:
        option = state.get("selected_option")
        return str(option["value"]) if option else ""
    for key in _SINGLE_KEYS:
        if key in state:
            return str(state.get(key) or "")
    if "value" in state:
        return str(state.get("value") or "")
    return None


def field_raw(values: StateValues, block_id: str) -> str | list[str] | None:
    """The value of the input block `block_id`, or None when the form has no such field."""
    for state in (values.get(block_id) or {}).values():
        value = element_value(state)
        if value is not None:
            return value
    return None


def field_text(values: StateValues, block_id: str) -> str:
    """A field as text (a multi-select's values joined with commas)."""
    raw = field_raw(values, block_id)
    if raw is None:
        return ""
    return ",".join(raw) if isinstance(raw, list) else raw


def field_list(values: StateValues, block_id: str) -> list[str]:
    """A field as a list; typed text ("#general, C0ENGHELP" or "mon wed") is split."""
    raw = field_raw(values, block_id)
    if raw is None:
        return []
    if isinstance(raw, list):
        return raw
    return [
        re.sub(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$", r"\1", part)
        for part in re.split(r"[\s,]+", raw.strip())
        if part
    ]


def field_flag(values: StateValues, block_id: str) -> bool:
    """A checkbox (any option ticked) or typed yes/true/on."""
    raw = field_raw(values, block_id)
    if isinstance(raw, list):
        return bool(raw)
    return (raw or "").strip().lower() in ("yes", "y", "true", "1", "on")
