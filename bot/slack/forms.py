"""Reading what a person entered in a modal: any Block Kit input element, or plain text.

Slack sends each input's state in a shape that depends on its element (a select's
`selected_option`, a datepicker's `selected_date`, ...); the sandbox console sends plain text for
all of them. Every feature reads its forms through these functions.
"""

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

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


# -- form descriptions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FormField:
    """One field of a modal: the domain's name for it, its block id, and how its value is read."""

    name: str
    block_id: str
    kind: Literal["text", "list", "flag", "raw"] = "text"


@dataclass(frozen=True)
class FormValues:
    """What was submitted, by domain field name (services never see block ids)."""

    form: "Form"
    values: StateValues

    def has(self, name: str) -> bool:
        """True when the submitted view had this field at all."""
        return field_raw(self.values, self.form.block_id(name)) is not None

    def text(self, name: str) -> str:
        return field_text(self.values, self.form.block_id(name))

    def many(self, name: str) -> list[str]:
        return field_list(self.values, self.form.block_id(name))

    def flag(self, name: str) -> bool:
        return field_flag(self.values, self.form.block_id(name))

    def raw(self, name: str) -> str | list[str] | None:
        return field_raw(self.values, self.form.block_id(name))


@dataclass(frozen=True)
class Form:
    """One modal's description: its callback id, its fields, and the field that takes errors
    about the form as a whole. It reads submitted state and puts domain errors under the right
    block."""

    callback_id: str
    fields: tuple[FormField, ...]
    default: str

    def block_id(self, name: str) -> str:
        for item in self.fields:
            if item.name == name:
                return item.block_id
        raise KeyError(name)

    def read(self, values: StateValues) -> FormValues:
        return FormValues(self, values)

    def block_errors(
        self, errors: Mapping[str, str], *, present: Collection[str]
    ) -> dict[str, str]:
        """Domain field errors as Slack's `errors` map, onto blocks the view really has.

        An error about a field the view lacks (or about no field) goes under the default field,
        or the first input the view has; several errors on one block are joined.
        """
        by_name = {item.name: item.block_id for item in self.fields}
        fallback = by_name.get(self.default)
        if fallback not in present:
            fallback = next(iter(present), None)
        out: dict[str, str] = {}
        for name, message in errors.items():
            block = by_name.get(name, name if name in present else None)
            if block not in present:
                block = fallback
            if block is None:
                continue
            out[block] = f"{out[block]} {message}" if block in out else message
        return out


def input_block_ids(view: Mapping[str, Any]) -> list[str]:
    """The block ids of a view's input blocks, in order: where Slack can show a field error."""
    found: list[str] = []
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input":
            block_id = block.get("block_id")
            if isinstance(block_id, str):
                found.append(block_id)
    return found
