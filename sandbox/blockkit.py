"""Block Kit size rules (SLACK.md) checked on plain dicts, with Slack-shaped error strings."""

from __future__ import annotations

from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
SECTION_FIELDS = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTION_ID = 255
BLOCK_ID = 255
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTIONS = 100
ACTIONS_ELEMENTS = 25
CONTEXT_ELEMENTS = 10
MODAL_TITLE = 24
PRIVATE_METADATA = 3000
CALLBACK_ID = 255

# Elements whose choices are Block Kit option objects.
_OPTION_KEYS = ("options", "initial_options")


def message_errors(blocks: list[dict[str, Any]] | None, text: str | None) -> list[str]:
    """Return Slack's ``invalid_blocks`` messages for a message's blocks; empty when valid.

    ``text`` is accepted so callers pass the whole message; its 40,000-character limit
    (``msg_too_long``) is a separate error that the server checks itself.
    """
    del text
    errors: list[str] = []
    if blocks is not None:
        _check_blocks(blocks, "/blocks", MESSAGE_BLOCKS, errors)
    return errors


def view_errors(view: dict[str, Any]) -> list[str]:
    """Return Slack's ``invalid_arguments`` messages for a modal or Home tab view."""
    errors: list[str] = []
    if not isinstance(view, dict):
        return ["[ERROR] must be an object [json-pointer:/view]"]
    # Slack prefixes view errors with /view because the view is one argument of views.*.
    for key in ("title", "submit", "close"):
        _check_text(view.get(key), f"/view/{key}", MODAL_TITLE, errors)
    _check_length(view.get("private_metadata"), "/view/private_metadata", PRIVATE_METADATA, errors)
    _check_length(view.get("callback_id"), "/view/callback_id", CALLBACK_ID, errors)
    blocks = view.get("blocks")
    if blocks is not None:
        _check_blocks(blocks, "/view/blocks", VIEW_BLOCKS, errors)
    return errors


def _too_long(limit: int, pointer: str) -> str:
    return f"[ERROR] must be less than {limit + 1} characters [json-pointer:{pointer}]"


def _too_many(limit: int, pointer: str) -> str:
    return f"[ERROR] must be less than {limit + 1} items [json-pointer:{pointer}]"


def _check_length(value: Any, pointer: str, limit: int, errors: list[str]) -> None:
    if isinstance(value, str) and len(value) > limit:
        errors.append(_too_long(limit, pointer))


def _check_text(obj: Any, pointer: str, limit: int, errors: list[str]) -> None:
    """Check a text object's ``text`` (or a bare string, which some payloads use)."""
    if isinstance(obj, dict):
        _check_length(obj.get("text"), f"{pointer}/text", limit, errors)
    else:
        _check_length(obj, pointer, limit, errors)


def _check_count(items: Any, pointer: str, limit: int, errors: list[str]) -> list[Any]:
    if not isinstance(items, list):
        return []
    if len(items) > limit:
        errors.append(_too_many(limit, pointer))
    return items


def _check_blocks(blocks: Any, pointer: str, limit: int, errors: list[str]) -> None:
    if not isinstance(blocks, list):
        errors.append(f"[ERROR] must be an array [json-pointer:{pointer}]")
        return
    _check_count(blocks, pointer, limit, errors)
    for index, block in enumerate(blocks):
        _check_block(block, f"{pointer}/{index}", errors)


def _check_block(block: Any, pointer: str, errors: list[str]) -> None:
    if not isinstance(block, dict):
        errors.append(f"[ERROR] must be an object [json-pointer:{pointer}]")
        return
    _check_length(block.get("block_id"), f"{pointer}/block_id", BLOCK_ID, errors)
    kind = block.get("type")
    if kind == "section":
        _check_text(block.get("text"), f"{pointer}/text", SECTION_TEXT, errors)
        _check_count(block.get("fields"), f"{pointer}/fields", SECTION_FIELDS, errors)
        if "accessory" in block:
            _check_element(block["accessory"], f"{pointer}/accessory", errors)
    elif kind == "header":
        _check_text(block.get("text"), f"{pointer}/text", HEADER_TEXT, errors)
    elif kind == "actions":
        elements = _check_count(
            block.get("elements"), f"{pointer}/elements", ACTIONS_ELEMENTS, errors
        )
        for index, element in enumerate(elements):
            _check_element(element, f"{pointer}/elements/{index}", errors)
    elif kind == "context":
        _check_count(block.get("elements"), f"{pointer}/elements", CONTEXT_ELEMENTS, errors)
    elif kind == "input" and "element" in block:
        _check_element(block["element"], f"{pointer}/element", errors)


def _check_element(element: Any, pointer: str, errors: list[str]) -> None:
    if not isinstance(element, dict):
        return
    _check_length(element.get("action_id"), f"{pointer}/action_id", ACTION_ID, errors)
    if element.get("type") == "button":
        _check_text(element.get("text"), f"{pointer}/text", BUTTON_TEXT, errors)
        _check_length(element.get("value"), f"{pointer}/value", BUTTON_VALUE, errors)
    for key in _OPTION_KEYS:
        _check_options(element.get(key), f"{pointer}/{key}", errors)
    if "initial_option" in element:
        _check_option(element["initial_option"], f"{pointer}/initial_option", errors)
    groups = _check_count(element.get("option_groups"), f"{pointer}/option_groups", OPTIONS, errors)
    for index, group in enumerate(groups):
        if isinstance(group, dict):
            _check_options(group.get("options"), f"{pointer}/option_groups/{index}/options", errors)


def _check_options(options: Any, pointer: str, errors: list[str]) -> None:
    for index, option in enumerate(_check_count(options, pointer, OPTIONS, errors)):
        _check_option(option, f"{pointer}/{index}", errors)


def _check_option(option: Any, pointer: str, errors: list[str]) -> None:
    if not isinstance(option, dict):
        return
    _check_text(option.get("text"), f"{pointer}/text", OPTION_TEXT, errors)
    _check_length(option.get("value"), f"{pointer}/value", OPTION_VALUE, errors)
