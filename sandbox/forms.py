"""Forms as Slack fills them: initial values, values typed at the console, and what may be sent.

Slack's `view.state.values` holds every input of a view, keyed by block id and action id, in a
shape that depends on the element's type; an input the person did not touch holds its initial
value (or nothing). The console's `submit key=value` words are turned into that shape here, by
the element they name, so that a select takes an option's value or its visible text.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sandbox.workspace import View

# Element type -> (the state key Slack sends, the initial_* key of the element).
_SINGLE: dict[str, tuple[str, str]] = {
    "plain_text_input": ("value", "initial_value"),
    "email_text_input": ("value", "initial_value"),
    "url_text_input": ("value", "initial_value"),
    "number_input": ("value", "initial_value"),
    "static_select": ("selected_option", "initial_option"),
    "external_select": ("selected_option", "initial_option"),
    "radio_buttons": ("selected_option", "initial_option"),
    "users_select": ("selected_user", "initial_user"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "channels_select": ("selected_channel", "initial_channel"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
}
_MULTI: dict[str, tuple[str, str]] = {
    "multi_static_select": ("selected_options", "initial_options"),
    "multi_external_select": ("selected_options", "initial_options"),
    "checkboxes": ("selected_options", "initial_options"),
    "multi_users_select": ("selected_users", "initial_users"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
}
_OPTIONS = {"static_select", "radio_buttons", "multi_static_select", "checkboxes"}
_NO_FIELDS = "This step has no fields to fill; submit it without values."


class FormError(ValueError):
    """What a person typed does not fit the form: the message says what would."""


@dataclass(frozen=True)
class Field:
    """One input of a form: where its value goes and what kind of element takes it."""

    block_id: str
    action_id: str
    element: dict[str, Any]
    label: str

    @property
    def key(self) -> str:
        return f"{self.block_id}.{self.action_id}"

    @property
    def kind(self) -> str:
        return str(self.element.get("type", ""))


def fields(blocks: list[dict[str, Any]]) -> Iterator[Field]:
    """The inputs of a view: each input block's element."""
    for index, block in enumerate(blocks):
        if block.get("type") != "input" or not isinstance(block.get("element"), dict):
            continue
        element = block["element"]
        block_id = str(block.get("block_id") or f"b{index}")
        action_id = str(element.get("action_id") or block_id)
        label = str((block.get("label") or {}).get("text", block_id))
        yield Field(block_id, action_id, element, label)


def initial_state(blocks: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """`view.state.values` of a view nobody has touched: each input at its initial value."""
    state: dict[str, dict[str, dict[str, Any]]] = {}
    for field in fields(blocks):
        state.setdefault(field.block_id, {})[field.action_id] = _initial(field)
    return state


def _initial(field: Field) -> dict[str, Any]:
    kind = field.kind
    if kind in _MULTI:
        key, initial = _MULTI[kind]
        return {"type": kind, key: list(field.element.get(initial) or [])}
    key, initial = _SINGLE.get(kind, ("value", "initial_value"))
    value = field.element.get(initial)
    if key == "value" and kind == "number_input" and value is not None:
        value = str(value)
    return {"type": kind, key: value}


def current(view: View) -> dict[str, dict[str, dict[str, Any]]]:
    """A view's values now: initial values, overlaid by what the person has chosen since."""
    state = initial_state(view.blocks)
    for block_id, actions in view.state_values.items():
        for action_id, value in actions.items():
            state.setdefault(block_id, {})[action_id] = value
    return state


def checked(
    view: View, values: dict[str, dict[str, dict[str, Any]]], *, forged: bool = False
) -> dict[tuple[str, str], dict[str, Any]]:
    """Values given in Slack's shape, each under its (block id, action id), with its `type`.

    `forged`: let through values for inputs the view does not have, as a crafted request could.

    Raises:
        FormError: a value names a block and action that are not an input of the view.
    """
    inputs = {(f.block_id, f.action_id): f for f in fields(view.blocks)}
    given = [(b, a, v) for b, actions in values.items() for a, v in actions.items()]
    if given and not inputs and not forged:
        raise FormError(_NO_FIELDS)
    result: dict[tuple[str, str], dict[str, Any]] = {}
    for block_id, action_id, value in given:
        found = inputs.get((block_id, action_id))
        if found is not None:
            result[(block_id, action_id)] = {"type": found.kind, **value}
        elif forged:
            result[(block_id, action_id)] = dict(value)
        else:
            names = ", ".join(f.key for f in inputs.values())
            raise FormError(
                f"This form has no field '{block_id}.{action_id}'; its fields are: {names}."
            )
    return result


def choose(view: View, block_id: str, action: dict[str, Any]) -> None:
    """Keep what a person chose in one of the view's inputs (a block_actions `action`)."""
    action_id = str(action.get("action_id"))
    if not any((f.block_id, f.action_id) == (block_id, action_id) for f in fields(view.blocks)):
        return
    skip = {"action_id", "block_id", "action_ts", "text", "style"}
    value = {k: v for k, v in action.items() if k not in skip}
    view.state_values.setdefault(block_id, {})[action_id] = value


def form_values(
    view: View,
    pairs: list[tuple[str, str]],
    *,
    resolve: Callable[[str], str | None] = lambda ref: None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Console words (`block.action=value`, or just `block=value`) as Slack's state values.

    `resolve` turns `@name` and `#name` into user and channel ids for the select elements.

    Raises:
        FormError: the form has no such field, or the value is not one of the field's choices.
    """
    known = list(fields(view.blocks))
    if pairs and not known:
        raise FormError(_NO_FIELDS)
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for key, text in pairs:
        field = _field_named(known, key)
        values.setdefault(field.block_id, {})[field.action_id] = _typed(field, text, resolve)
    return values


def _field_named(known: list[Field], key: str) -> Field:
    block_id, _, action_id = key.partition(".")
    for field in known:
        if field.block_id == block_id and action_id in ("", field.action_id):
            return field
    names = ", ".join(f.block_id for f in known)
    raise FormError(f"This form has no field {key!r}; its fields are: {names}.")


def _typed(field: Field, text: str, resolve: Callable[[str], str | None]) -> dict[str, Any]:
    kind = field.kind
    if kind in _MULTI:
        key, _ = _MULTI[kind]
        words = [w.strip() for w in text.split(",") if w.strip()]
        if kind in _OPTIONS:
            return {"type": kind, key: [_option(field, word) for word in words]}
        return {"type": kind, key: [_reference(field, word, resolve) for word in words]}
    key, _ = _SINGLE.get(kind, ("value", "initial_value"))
    if text == "":
        return {"type": kind, key: None}  # Slack sends null for an input left empty
    if kind in _OPTIONS:
        return {"type": kind, key: _option(field, text)}
    if key in ("selected_user", "selected_conversation", "selected_channel"):
        return {"type": kind, key: _reference(field, text, resolve)}
    if key == "selected_date_time":
        if not text.strip().isdigit():
            raise FormError(f"{field.label}: give the time as Unix seconds, not {text!r}.")
        return {"type": kind, key: int(text)}
    return {"type": kind, key: text}  # exactly as typed: newlines and spaces kept


def _option(field: Field, text: str) -> dict[str, Any]:
    wanted = text.strip().lower()
    options = _options_of(field.element)
    for option in options:
        label = str((option.get("text") or {}).get("text", ""))
        if wanted in (str(option.get("value", "")).lower(), label.lower()):
            return option
    choices = ", ".join(str(o.get("value")) for o in options) or "none"
    raise FormError(f"{field.label}: {text!r} is not one of its choices ({choices}).")


def _options_of(element: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        found.extend(group.get("options") or [])
    return found


def _reference(field: Field, text: str, resolve: Callable[[str], str | None]) -> str:
    word = text.strip()
    if word[:1] in "@#":
        found = resolve(word)
        if found is None:
            raise FormError(f"{field.label}: there is no {word} here.")
        return found
    return word


def submittable(view: View) -> None:
    """Raise FormError when the view has no submit button (Slack shows none to press)."""
    if not view.definition.get("submit"):
        raise FormError("This form has no submit button; close it or click one of its buttons.")
