"""Each Block Kit size rule: one at the limit passes, one over it fails with its json pointer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sandbox.blockkit import message_errors, view_errors

Block = dict[str, Any]


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(text: str = "Go", value: str = "v", action_id: str = "go") -> Block:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "value": value,
        "action_id": action_id,
    }


def _option(text: str = "One", value: str = "1") -> Block:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def _select(options: list[Block]) -> Block:
    return {"type": "static_select", "action_id": "pick", "options": options}


def _modal(**extra: Any) -> Block:
    view: Block = {"type": "modal", "title": {"type": "plain_text", "text": "Survey"}, "blocks": []}
    view.update(extra)
    return view


# (rule, builds the message blocks for a size n, the limit, the failing json pointer, unit)
MESSAGE_RULES: list[tuple[str, Callable[[int], list[Block]], int, str, str]] = [
    ("blocks per message", lambda n: [_section("x")] * n, 50, "/blocks", "items"),
    ("section text", lambda n: [_section("x" * n)], 3000, "/blocks/0/text/text", "characters"),
    (
        "section fields",
        lambda n: [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * n}],
        10,
        "/blocks/0/fields",
        "items",
    ),
    (
        "header text",
        lambda n: [{"type": "header", "text": {"type": "plain_text", "text": "h" * n}}],
        150,
        "/blocks/0/text/text",
        "characters",
    ),
    (
        "button text",
        lambda n: [{"type": "actions", "elements": [_button(text="b" * n)]}],
        75,
        "/blocks/0/elements/0/text/text",
        "characters",
    ),
    (
        "button value",
        lambda n: [{"type": "actions", "elements": [_button(value="v" * n)]}],
        2000,
        "/blocks/0/elements/0/value",
        "characters",
    ),
    (
        "action_id",
        lambda n: [{**_section("s"), "accessory": _button(action_id="a" * n)}],
        255,
        "/blocks/0/accessory/action_id",
        "characters",
    ),
    (
        "block_id",
        lambda n: [{**_section("s"), "block_id": "b" * n}],
        255,
        "/blocks/0/block_id",
        "characters",
    ),
    (
        "option text",
        lambda n: [{**_section("s"), "accessory": _select([_option(text="o" * n)])}],
        75,
        "/blocks/0/accessory/options/0/text/text",
        "characters",
    ),
    (
        "option value",
        lambda n: [{**_section("s"), "accessory": _select([_option(value="o" * n)])}],
        150,
        "/blocks/0/accessory/options/0/value",
        "characters",
    ),
    (
        "options per select",
        lambda n: [{**_section("s"), "accessory": _select([_option()] * n)}],
        100,
        "/blocks/0/accessory/options",
        "items",
    ),
    (
        "options in an option group",
        lambda n: [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "static_select",
                        "action_id": "grouped",
                        "option_groups": [
                            {
                                "label": {"type": "plain_text", "text": "G"},
                                "options": [_option()] * n,
                            }
                        ],
                    }
                ],
            }
        ],
        100,
        "/blocks/0/elements/0/option_groups/0/options",
        "items",
    ),
    (
        "overflow option value",
        lambda n: [
            {
                "type": "actions",
                "elements": [
                    {"type": "overflow", "action_id": "more", "options": [_option(value="x" * n)]}
                ],
            }
        ],
        150,
        "/blocks/0/elements/0/options/0/value",
        "characters",
    ),
    (
        "actions elements",
        lambda n: [{"type": "actions", "elements": [_button()] * n}],
        25,
        "/blocks/0/elements",
        "items",
    ),
    (
        "context elements",
        lambda n: [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * n}],
        10,
        "/blocks/0/elements",
        "items",
    ),
]


@pytest.mark.parametrize(("rule", "build", "limit", "pointer", "unit"), MESSAGE_RULES)
def test_message_rule(
    rule: str, build: Callable[[int], list[Block]], limit: int, pointer: str, unit: str
) -> None:
    assert message_errors(build(limit), "fallback") == [], rule
    assert message_errors(build(limit + 1), "fallback") == [
        f"[ERROR] must be less than {limit + 1} {unit} [json-pointer:{pointer}]"
    ]


VIEW_RULES: list[tuple[str, Callable[[int], Block], int, str, str]] = [
    (
        "blocks per modal",
        lambda n: _modal(blocks=[_section("x")] * n),
        100,
        "/view/blocks",
        "items",
    ),
    (
        "blocks per home tab",
        lambda n: {"type": "home", "blocks": [_section("x")] * n},
        100,
        "/view/blocks",
        "items",
    ),
    (
        "modal title",
        lambda n: _modal(title={"type": "plain_text", "text": "t" * n}),
        24,
        "/view/title/text",
        "characters",
    ),
    (
        "private_metadata",
        lambda n: _modal(private_metadata="m" * n),
        3000,
        "/view/private_metadata",
        "characters",
    ),
    (
        "input element option",
        lambda n: _modal(
            blocks=[
                {
                    "type": "input",
                    "label": {"type": "plain_text", "text": "Pick"},
                    "element": {
                        "type": "radio_buttons",
                        "action_id": "r",
                        "options": [_option(text="r" * n)],
                    },
                }
            ]
        ),
        75,
        "/view/blocks/0/element/options/0/text/text",
        "characters",
    ),
]


@pytest.mark.parametrize(("rule", "build", "limit", "pointer", "unit"), VIEW_RULES)
def test_view_rule(
    rule: str, build: Callable[[int], Block], limit: int, pointer: str, unit: str
) -> None:
    assert view_errors(build(limit)) == [], rule
    assert view_errors(build(limit + 1)) == [
        f"[ERROR] must be less than {limit + 1} {unit} [json-pointer:{pointer}]"
    ]


def test_every_broken_rule_is_reported() -> None:
    blocks = [
        _section("x" * 3001),
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
    ]
    assert message_errors(blocks, None) == [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
        "[ERROR] must be less than 151 characters [json-pointer:/blocks/1/text/text]",
    ]


def test_a_message_without_blocks_is_not_a_block_kit_matter() -> None:
    assert message_errors(None, "x" * 50_000) == []
    assert message_errors([], "hello") == []


def test_malformed_blocks_are_reported_not_raised() -> None:
    assert message_errors(["not a block"], None) == [  # type: ignore[list-item]
        "[ERROR] must be an object [json-pointer:/blocks/0]"
    ]
    assert view_errors({"type": "modal", "blocks": "nope"}) == [
        "[ERROR] must be an array [json-pointer:/view/blocks]"
    ]
