"""Helpers that act like people in the announcement modals (through the sandbox, over HTTP)."""

from typing import Any

from announcements import blocks
from bot.slack.blocks import VALUE
from sandbox.workspace import Message
from tests.harness import Harness
from tests.support import wait_until


def text_of(message: Message) -> str:
    """Everything a person reads in a message: its text and its blocks."""
    return f"{message.text} {message.blocks}"


def plain(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def fields(**values: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """Modal state values by block id, in the element shapes Slack sends."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for name, value in values.items():
        block_id = {"ann": "ann_", "th": "th_"}[name.split("_", 1)[0]] + name.split("_", 1)[1]
        key = name.split("_", 1)[1]
        if key in ("channels",):
            state: dict[str, Any] = {
                "type": "multi_conversations_select",
                "selected_conversations": value,
            }
        elif key in ("must_read", "days", "reminders", "anonymous"):
            state = {
                "type": "checkboxes",
                "selected_options": [{"value": v} for v in value],
            }
        elif key in ("when",):
            state = {"type": "radio_buttons", "selected_option": {"value": value}}
        elif key in ("department", "remind", "repeat", "nth", "weekday"):
            state = {"type": "static_select", "selected_option": {"value": value}}
        elif key == "date":
            state = {"type": "datepicker", "selected_date": value}
        elif key == "time":
            state = {"type": "timepicker", "selected_time": value}
        else:
            state = plain(value)
        action = blocks.TEMPLATE_ACTION if key == "template" else VALUE
        out[block_id] = {action: state}
    return out


def compose(h: Harness, who: str, *, forged: bool = False, **values: Any) -> Any:
    """Open /announce as `who` and submit the compose modal; returns the ack. `forged`: send
    fields the person's form does not have, as a crafted request could."""
    ack = h.slash(who, "/announce")
    assert ack.status == 200, ack.body
    view = modal(h, who, blocks.COMPOSE_CALLBACK)
    return h.submit(who, view.id, fields(**values), forged=forged)


def announce(h: Harness, who: str, **values: Any) -> str:
    """Compose, look at the preview, confirm; returns what the closing modal says."""
    ack = compose(h, who, **values)
    assert isinstance(ack.body, dict), ack.body
    assert ack.body.get("response_action") == "update", ack.body
    preview = h.open_view(who)
    assert preview.callback_id == blocks.PREVIEW_CALLBACK
    h.submit(who, preview.id, {})
    done = h.open_view(who)
    return str(done.blocks)


def set_role(h: Harness, who: str, role: str) -> None:
    ack = h.slash("alice", "/commons", f"role @{who} {role}")
    assert "is now" in str(ack.body), ack.body


def modal(h: Harness, who: str, callback_id: str) -> Any:
    """The modal `who` looks at once the bot has opened or updated it to `callback_id`."""

    def shown() -> bool:
        view = h.slack.workspace.top_modal(h.user(who))
        return view is not None and view.callback_id == callback_id

    assert wait_until(shown), f"{who} never saw {callback_id}"
    return h.open_view(who)


def acked(h: Harness, count: int) -> None:
    """Wait until the bot has recorded `count` acknowledgements (clicks are handled after ack)."""
    from sqlmodel import func, select

    from announcements.models import Acknowledgement

    def done() -> bool:
        with h.store.unit_of_work(write=False) as session:
            return session.exec(select(func.count()).select_from(Acknowledgement)).one() == count

    assert wait_until(done)
