"""Helpers that act like people with town halls (through the sandbox, over HTTP)."""

from typing import Any

from sandbox.workspace import Message
from tests.announcements.support import fields, modal
from tests.harness import Harness
from townhalls import blocks


def create(h: Harness, who: str = "frank", **changes: Any) -> Any:
    """Open /townhall as `who` and submit the form; returns the ack."""
    h.slash(who, "/townhall")
    view = modal(h, who, blocks.TOWNHALL_CALLBACK)
    values = {
        "th_title": "Q4 engineering town hall",
        "th_date": "2026-11-26",
        "th_time": "15:00",
        "th_zone": "Europe/Berlin",
        "th_duration": "60",
        "th_place": "https://meet.example.com/q4",
        "th_agenda": "Roadmap <!channel>, hiring",
        "th_channels": ["C0ENGHELP"],
        "th_reminders": ["1440", "60"],
        **changes,
    }
    return h.submit(who, view.id, fields(**values))


def question(text: str, anonymous: bool = False) -> dict[str, Any]:
    """The ask modal's values."""
    values: dict[str, Any] = {"th_question": {"value": {"value": text}}}
    if anonymous:
        values["th_anonymous"] = {"value": {"selected_options": [{"value": "yes"}]}}
    return values


def ask(h: Harness, who: str, channel: str, notice: Message, text: str, anonymous: bool) -> None:
    """Click Ask under the notice and send the question."""
    h.click(who, blocks.ASK_ACTION, channel_id=channel, message_ts=notice.ts)
    view = modal(h, who, blocks.ASK_CALLBACK)
    ack = h.submit(who, view.id, question(text, anonymous))
    assert isinstance(ack.body, dict), ack.body
    assert ack.body.get("response_action") == "update", ack.body
