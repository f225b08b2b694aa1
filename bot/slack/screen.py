"""Screening of what Slack sends, before Bolt reads it: a payload of a shape Slack never sends is
acknowledged with 200 and dropped (Bolt's matchers would otherwise raise on it and answer 500),
and NUL characters, which PostgreSQL cannot store, are taken out of every string.

The shapes checked are the ones Commons reads: the types of the fields the interaction layer and
Bolt's matchers touch. A payload that passes may still name things that do not exist; that is the
handlers' business.
"""

import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import BoltResponse

logger = logging.getLogger("commons.screen")

_INTERACTIVE = ("block_actions", "view_submission", "view_closed", "shortcut", "message_action")
_KNOWN = (
    *_INTERACTIVE,
    "event_callback",
    "url_verification",
    "app_rate_limited",
    "block_suggestion",
)

COULD_NOT_READ = (
    "Commons could not read that request (it is not in a shape Slack sends). Nothing was done."
)


def parse_body(raw: bytes, content_type: str) -> dict[str, Any] | None:
    """The request body as Bolt would see it, or None when it cannot be read at all."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        if content_type.startswith("application/json") or text.startswith("{"):
            parsed = json.loads(text)
        else:
            fields = dict(parse_qsl(text, keep_blank_values=True))
            parsed = json.loads(fields["payload"]) if "payload" in fields else fields
    except (ValueError, KeyError):
        return None
    return parsed if isinstance(parsed, dict) else None


def problem(body: dict[str, Any]) -> str | None:
    """Why this body is not something Slack sends, or None when it is fine to hand to Bolt."""
    if "command" in body and "type" not in body:
        return _command_problem(body)
    kind = body.get("type")
    if not isinstance(kind, str) or kind not in _KNOWN:
        return "unknown type"
    if kind in _INTERACTIVE:
        return _interactive_problem(kind, body)
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return "event without a type"
        if not _optional(event, "user", str) or not _optional(event, "channel", str):
            return "event with odd user or channel"
        if not _optional(body, "event_id", str):
            return "event id not text"
    return None


def _command_problem(body: dict[str, Any]) -> str | None:
    for key in ("command", "user_id"):
        if not isinstance(body.get(key), str) or not body[key]:
            return f"command without {key}"
    for key in ("text", "channel_id", "trigger_id", "response_url", "team_id"):
        if not _optional(body, key, str):
            return f"command {key} not text"
    return None


def _interactive_problem(kind: str, body: dict[str, Any]) -> str | None:
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
        return "no acting user"
    for key in ("channel", "container", "message", "team"):
        if not _optional(body, key, dict):
            return f"{key} not an object"
    for key in ("trigger_id", "response_url", "callback_id", "message_ts"):
        if not _optional(body, key, str):
            return f"{key} not text"
    channel = body.get("channel")
    if isinstance(channel, dict) and not _optional(channel, "id", str):
        return "channel id not text"
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "actions not a list"
        for action in actions:
            if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
                return "action without an id"
            if not _optional(action, "block_id", str) or not _optional(action, "value", str):
                return "action block id or value not text"
    if kind in ("shortcut", "message_action") and not isinstance(body.get("callback_id"), str):
        return "shortcut without a callback id"
    view = body.get("view")
    if kind in ("view_submission", "view_closed") and not isinstance(view, dict):
        return "no view"
    if view is not None:
        return _view_problem(view, submitted=kind == "view_submission")
    return None


def _view_problem(view: object, *, submitted: bool) -> str | None:
    if not isinstance(view, dict):
        return "view not an object"
    if not isinstance(view.get("type"), str):
        return "view without a type"
    if submitted and not isinstance(view.get("callback_id"), str):
        return "view without a callback id"
    for key in ("callback_id", "id", "hash", "private_metadata", "root_view_id"):
        if not _optional(view, key, str):
            return f"view {key} not text"
    if not _optional(view, "blocks", list):
        return "view blocks not a list"
    state = view.get("state")
    if state is None:
        return None
    if not isinstance(state, dict) or not _optional(state, "values", dict):
        return "view state not an object"
    for actions in (state.get("values") or {}).values():
        if not isinstance(actions, dict):
            return "view state block not an object"
        if not all(isinstance(element, dict) for element in actions.values()):
            return "view state element not an object"
    return None


def _optional(container: dict[str, Any], key: str, kind: type) -> bool:
    value = container.get(key)
    return value is None or isinstance(value, kind)


def answer_for(body: dict[str, Any] | None) -> tuple[int, str, str]:
    """(status, content type, body) to answer a request that failed screening with."""
    if body is not None and "command" in body and "type" not in body:
        text = json.dumps({"response_type": "ephemeral", "text": COULD_NOT_READ})
        return 200, "application/json;charset=utf-8", text
    return 200, "text/plain;charset=utf-8", ""


def scrub(value: Any) -> Any:
    """The value with NUL characters removed from every string in it (dicts and lists in place)."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = scrub(item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = scrub(item)
    return value


def screen_middleware() -> Callable[..., BoltResponse | None]:
    """A Bolt global middleware: drop what failed screening (Socket Mode reaches Bolt directly),
    and take NULs out of what passes."""

    # Bolt passes arguments by name, so the continuation must be called `next`.
    def screen_body(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse | None:
        reason = problem(body) if isinstance(body, dict) else "not an object"
        if reason is not None:
            logger.info("dropped a request Slack would not send: %s", reason)
            status, content_type, text = answer_for(body if isinstance(body, dict) else None)
            return BoltResponse(status=status, body=text, headers={"content-type": content_type})
        scrub(body)
        return next()

    return screen_body


def describe(body: object) -> str:
    """Name the kind of request without any of its content (which may be private). Never raises."""
    if not isinstance(body, dict):
        return "request"
    if isinstance(body.get("command"), str):
        return f"command {body['command'][:40]}"
    kind = body.get("type")
    kind = kind if isinstance(kind, str) else "request"
    if kind == "block_actions":
        actions = body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else {}
        action_id = first.get("action_id") if isinstance(first, dict) else None
        return f"block action {str(action_id)[:80] if action_id is not None else '?'}"
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        callback = view.get("callback_id") if isinstance(view, dict) else None
        return f"{kind} {str(callback)[:80] if callback is not None else '?'}"
    if kind in ("shortcut", "message_action"):
        return f"{kind} {str(body.get('callback_id'))[:80]}"
    if kind == "event_callback":
        event = body.get("event")
        event_type = event.get("type") if isinstance(event, dict) else None
        return f"event {str(event_type)[:40]}"
    return kind[:40]
