"""The emulated Web API methods: ``(workspace, args) -> response dict``, raising ``SlackError``."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sandbox.blockkit import message_errors, view_errors
from sandbox.workspace import TRIGGER_TTL, Channel, File, Message, User, View, Workspace

MAX_TEXT = 40_000
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_MODAL_STACK = 3

T = TypeVar("T")
Handler = Callable[[Workspace, dict[str, Any]], dict[str, Any]]


class SlackError(Exception):
    """A Web API error answered as ``{"ok": false, "error": error, ...}``.

    Args:
        error: Slack's error code.
        messages: details for ``response_metadata.messages``.
        status: the HTTP status (Slack answers most errors with 200).
        extra: more top-level fields for the body.
    """

    def __init__(
        self,
        error: str,
        *,
        messages: Sequence[str] | None = None,
        status: int = 200,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.messages = list(messages or [])
        self.status = status
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        """The JSON body Slack would answer."""
        body: dict[str, Any] = {"ok": False, "error": self.error, **self.extra}
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body


def missing_field(name: str) -> SlackError:
    """Slack's answer to a missing required argument."""
    return SlackError("invalid_arguments", messages=[f"[ERROR] missing required field: {name}"])


# -- argument parsing ---------------------------------------------------------------------
# slack_sdk sends JSON bodies for some methods and form or query strings for others, where
# booleans arrive as "1"/"0"/"true" and lists or objects as JSON text.


def arg_str(args: dict[str, Any], key: str) -> str | None:
    """A string argument; None when absent or empty."""
    value = args.get(key)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def arg_bool(args: dict[str, Any], key: str, default: bool = False) -> bool:
    """A boolean argument in any of the forms clients send."""
    value = args.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def arg_json(args: dict[str, Any], key: str, error: str) -> Any:
    """A JSON argument (already decoded, or JSON text); ``error`` when it does not parse."""
    value = args.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise SlackError(error) from exc
    return value


def arg_int(args: dict[str, Any], key: str, error: str) -> int | None:
    """An integer argument; ``error`` when it is not one."""
    value = args.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise SlackError(error)
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise SlackError(error) from exc


def arg_list(args: dict[str, Any], key: str) -> list[str]:
    """A comma-separated (or JSON array) list argument."""
    value = args.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _limit(args: dict[str, Any]) -> int:
    limit = arg_int(args, "limit", "invalid_limit")
    if limit is None or limit <= 0:
        return DEFAULT_LIMIT
    return min(limit, MAX_LIMIT)


# -- cursors and timestamps ---------------------------------------------------------------


def encode_cursor(kind: str, value: str) -> str:
    """An opaque cursor like Slack's (base64 of ``kind:value``)."""
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def decode_cursor(args: dict[str, Any], kind: str) -> str | None:
    """The value inside the ``cursor`` argument; ``invalid_cursor`` when malformed."""
    cursor = arg_str(args, "cursor")
    if cursor is None:
        return None
    try:
        decoded = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise SlackError("invalid_cursor") from exc
    prefix = f"{kind}:"
    if not decoded.startswith(prefix):
        raise SlackError("invalid_cursor")
    return decoded[len(prefix) :]


def ts_value(ts: str) -> int:
    """A message timestamp as integer microseconds, for exact comparisons.

    Raises:
        ValueError: not a timestamp.
    """
    seconds, _, fraction = ts.strip().partition(".")
    if not seconds.isdigit() or (fraction and not fraction.isdigit()) or len(fraction) > 6:
        raise ValueError(ts)
    return int(seconds) * 1_000_000 + int(fraction.ljust(6, "0") or "0")


def _ts_arg(args: dict[str, Any], key: str, error: str) -> int | None:
    value = arg_str(args, key)
    if value is None:
        return None
    try:
        return ts_value(value)
    except ValueError as exc:
        raise SlackError(error) from exc


def _offset_page(items: list[T], args: dict[str, Any]) -> tuple[list[T], str]:
    """One page of a list by offset, and the next cursor ("" on the last page)."""
    raw = decode_cursor(args, "offset")
    offset = 0
    if raw is not None:
        if not raw.isdigit():
            raise SlackError("invalid_cursor")
        offset = int(raw)
    limit = _limit(args)
    page = items[offset : offset + limit]
    end = offset + len(page)
    return page, (encode_cursor("offset", str(end)) if end < len(items) else "")


# -- JSON shapes --------------------------------------------------------------------------


def user_json(ws: Workspace, user: User) -> dict[str, Any]:
    """A user object as users.list and users.info return it."""
    try:
        zone = ZoneInfo(user.tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    now = datetime.now(zone)
    offset = now.utcoffset()
    return {
        "id": user.id,
        "team_id": ws.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "real_name": user.real_name,
        "tz": zone.key,
        "tz_label": now.tzname() or zone.key,
        "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
        "profile": {
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.display_name,
            "display_name_normalized": user.display_name,
            "email": user.email,
            "title": user.title,
            "team": ws.team_id,
        },
        "is_admin": user.is_admin,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": user.is_restricted,
        "is_ultra_restricted": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": int(time.time()),
    }


def channel_json(ws: Workspace, channel: Channel) -> dict[str, Any]:
    """A conversation object as conversations.list/info return it."""
    if channel.is_im:
        im_user = ws.users.get(channel.im_user or "")
        return {
            "id": channel.id,
            "created": channel.created,
            "is_im": True,
            "is_org_shared": False,
            "user": channel.im_user,
            "is_user_deleted": bool(im_user and im_user.deleted),
            "priority": 0,
        }
    return {
        "id": channel.id,
        "name": channel.name,
        "is_channel": True,
        "is_group": channel.is_private,
        "is_im": False,
        "is_mpim": False,
        "is_private": channel.is_private,
        "created": channel.created,
        "creator": "",
        "is_archived": channel.is_archived,
        "is_general": channel.name == "general",
        "unlinked": 0,
        "name_normalized": channel.name,
        "is_shared": False,
        "is_ext_shared": False,
        "is_org_shared": False,
        "is_member": ws.bot_user_id in channel.members,
        "topic": {"value": channel.topic, "creator": "", "last_set": 0},
        "purpose": {"value": channel.purpose, "creator": "", "last_set": 0},
        "previous_names": [],
        "num_members": len(channel.members),
    }


def file_json(ws: Workspace, upload: File) -> dict[str, Any]:
    """A file object."""
    return {
        "id": upload.id,
        "created": upload.created,
        "timestamp": upload.created,
        "name": upload.name,
        "title": upload.title,
        "mimetype": "application/octet-stream",
        "filetype": upload.name.rpartition(".")[2] if "." in upload.name else "binary",
        "user": upload.user,
        "size": upload.length,
        "is_public": False,
        "url_private": f"{ws.base_url}/files/{upload.id}",
        "channels": list(upload.channel_ids),
    }


def message_json(ws: Workspace, message: Message, *, include_metadata: bool) -> dict[str, Any]:
    """A message object; ``metadata`` only when asked for, as Slack does."""
    body: dict[str, Any] = {"type": "message", "ts": message.ts, "text": message.text}
    if message.user is not None:
        body["user"] = message.user
    if message.bot_id is not None:
        body["bot_id"] = message.bot_id
        body["app_id"] = ws.app_id
    body["team"] = ws.team_id
    if message.blocks is not None:
        body["blocks"] = message.blocks
    if message.thread_ts is not None:
        body["thread_ts"] = message.thread_ts
        if message.is_reply:
            parent = ws.find_message(message.channel, message.thread_ts)
            if parent is not None and parent.user is not None:
                body["parent_user_id"] = parent.user
        else:
            replies = ws.replies(message.channel, message.ts)
            body["reply_count"] = message.reply_count
            body["reply_users"] = sorted({r.user for r in replies if r.user})
            body["reply_users_count"] = len(body["reply_users"])
            if replies:
                body["latest_reply"] = replies[-1].ts
    if message.files:
        body["files"] = [file_json(ws, ws.files[f]) for f in message.files if f in ws.files]
        body["upload"] = False
    if message.reactions:
        body["reactions"] = [
            {"name": name, "users": list(users), "count": len(users)}
            for name, users in message.reactions.items()
        ]
    if message.edited is not None:
        body["edited"] = {"user": message.user, "ts": message.edited}
    if include_metadata and message.metadata is not None:
        body["metadata"] = message.metadata
    return body


def view_json(ws: Workspace, view: View) -> dict[str, Any]:
    """A view object as the views.* methods return it."""
    definition = view.definition
    return {
        "id": view.id,
        "team_id": ws.team_id,
        "type": view.type,
        "title": definition.get("title"),
        "submit": definition.get("submit"),
        "close": definition.get("close"),
        "blocks": view.blocks,
        "private_metadata": view.private_metadata,
        "callback_id": view.callback_id,
        "external_id": view.external_id,
        "state": {"values": view.state_values},
        "hash": view.hash,
        "clear_on_close": bool(definition.get("clear_on_close", False)),
        "notify_on_close": bool(definition.get("notify_on_close", False)),
        "root_view_id": view.root_view_id if view.type == "modal" else view.id,
        "previous_view_id": view.previous_view_id,
        "app_id": ws.app_id,
        "app_installed_team_id": ws.team_id,
        "bot_id": ws.bot_id,
    }


# -- shared checks ------------------------------------------------------------------------


def _is_user_ref(ref: str) -> bool:
    return ref[:1] in {"U", "W"}


def channel_key(ws: Workspace, ref: str) -> str:
    """The pacing key of the channel a chat.postMessage to ``ref`` lands in.

    A user id and that user's DM channel id are one conversation, whether or not the DM
    exists yet, so both map to ``dm:<user id>``.
    """
    if _is_user_ref(ref):
        return f"dm:{ref}"
    channel = ws.resolve_channel(ref)
    if channel is None:
        return ref
    return f"dm:{channel.im_user}" if channel.is_im else channel.id


def _readable_channel(ws: Workspace, ref: str) -> Channel:
    """A channel the bot may look at; a private one it is not in does not exist for it."""
    channel = ws.resolve_channel(ref)
    if channel is None:
        raise SlackError("channel_not_found")
    if (channel.is_private or channel.is_im) and ws.bot_user_id not in channel.members:
        raise SlackError("channel_not_found")
    return channel


def _history_channel(ws: Workspace, ref: str) -> Channel:
    channel = _readable_channel(ws, ref)
    if ws.bot_user_id not in channel.members:
        raise SlackError("not_in_channel")
    return channel


def _postable_channel(ws: Workspace, ref: str) -> Channel:
    """The channel a message to ``ref`` goes to: a user id means that user's DM."""
    if _is_user_ref(ref):
        user = ws.users.get(ref)
        if user is None:
            raise SlackError("user_not_found")
        if user.deleted:
            raise SlackError("user_disabled")
        return ws.dm_channel_for(ref)
    channel = _readable_channel(ws, ref)
    if channel.is_archived:
        raise SlackError("is_archived")
    if ws.bot_user_id not in channel.members:
        raise SlackError("not_in_channel")
    return channel


def _blocks_arg(args: dict[str, Any]) -> list[dict[str, Any]] | None:
    blocks = arg_json(args, "blocks", "invalid_blocks_format")
    if blocks is None:
        return None
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise SlackError("invalid_blocks_format")
    return blocks


def _metadata_arg(args: dict[str, Any]) -> dict[str, Any] | None:
    metadata = arg_json(args, "metadata", "invalid_metadata_format")
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise SlackError("invalid_metadata_format")
    if not isinstance(metadata.get("event_type"), str) or not isinstance(
        metadata.get("event_payload", {}), dict
    ):
        raise SlackError("invalid_metadata_schema")
    return metadata


def _content(
    args: dict[str, Any], *, required: bool = True
) -> tuple[str | None, list[dict[str, Any]] | None]:
    """Checked message text and blocks (no_text, msg_too_long, invalid_blocks)."""
    text = arg_str(args, "text")
    blocks = _blocks_arg(args)
    attachments = arg_json(args, "attachments", "invalid_attachments")
    if required and text is None and not blocks and not attachments:
        raise SlackError("no_text")
    if text is not None and len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    errors = message_errors(blocks, text)
    if errors:
        raise SlackError("invalid_blocks", messages=errors)
    return text, blocks


def _view_arg(args: dict[str, Any], expected_type: str | None) -> dict[str, Any]:
    """The ``view`` argument, checked as Slack does (``invalid_arguments``)."""
    view = arg_json(args, "view", "invalid_arguments")
    if not isinstance(view, dict):
        raise SlackError(
            "invalid_arguments", messages=["[ERROR] must be an object [json-pointer:/view]"]
        )
    problems: list[str] = []
    view_type = view.get("type")
    if view_type is None:
        problems.append("[ERROR] missing required field: type [json-pointer:/view]")
    elif expected_type is not None and view_type != expected_type:
        problems.append(f"[ERROR] must be {expected_type} [json-pointer:/view/type]")
    if view_type == "modal" and view.get("title") is None:
        problems.append("[ERROR] missing required field: title [json-pointer:/view]")
    if view.get("blocks") is None:
        problems.append("[ERROR] missing required field: blocks [json-pointer:/view]")
    problems.extend(view_errors(view))
    if problems:
        raise SlackError("invalid_arguments", messages=problems)
    return view


def _exchange_trigger(ws: Workspace, args: dict[str, Any]) -> str:
    """Use up a ``trigger_id`` and return the user it was minted for."""
    trigger_id = arg_str(args, "trigger_id") or arg_str(args, "interactivity_pointer")
    if trigger_id is None:
        raise missing_field("trigger_id")
    trigger = ws.trigger(trigger_id)
    if trigger is None:
        raise SlackError("invalid_trigger_id")
    if trigger.used:
        raise SlackError("exchanged_trigger_id")
    if ws.now() - trigger.minted_at > TRIGGER_TTL:
        raise SlackError("expired_trigger_id")
    trigger.used = True
    return trigger.user_id


def _check_external_id(ws: Workspace, view: dict[str, Any], own_id: str | None = None) -> None:
    external_id = view.get("external_id")
    if external_id:
        other = ws.find_view_by_external_id(str(external_id))
        if other is not None and other.id != own_id:
            raise SlackError("duplicate_external_id")


def _message(ws: Workspace, channel: Channel, ts: str | None) -> Message:
    message = ws.find_message(channel.id, ts) if ts else None
    if message is None:
        raise SlackError("message_not_found")
    return message


# -- methods ------------------------------------------------------------------------------


def auth_test(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """auth.test for the bot token."""
    del args
    return {
        "ok": True,
        "url": f"https://{ws.team_domain}.slack.com/",
        "team": ws.team_name,
        "user": ws.bot_name,
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "app_id": ws.app_id,
        "is_enterprise_install": False,
    }


def team_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """team.info."""
    del args
    return {
        "ok": True,
        "team": {
            "id": ws.team_id,
            "name": ws.team_name,
            "domain": ws.team_domain,
            "email_domain": "",
            "icon": {"image_default": True},
        },
    }


def chat_post_message(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """chat.postMessage: into a channel the bot is in, or a user's DM for a user id."""
    channel = _postable_channel(ws, str(args["channel"]))
    text, blocks = _content(args)
    metadata = _metadata_arg(args)
    thread_ts = arg_str(args, "thread_ts")
    if thread_ts is not None and ws.find_message(channel.id, thread_ts) is None:
        # Slack would silently post a top-level message; refusing makes such bugs visible.
        raise SlackError("thread_not_found")
    message = ws.post_message(
        channel.id, text=text or "", blocks=blocks, metadata=metadata, thread_ts=thread_ts
    )
    return {
        "ok": True,
        "channel": channel.id,
        "ts": message.ts,
        "message": message_json(ws, message, include_metadata=True),
    }


def chat_update(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """chat.update of one of the bot's messages."""
    channel = _readable_channel(ws, str(args["channel"]))
    message = _message(ws, channel, arg_str(args, "ts"))
    text, blocks = _content(args)
    metadata = _metadata_arg(args)
    if message.user != ws.bot_user_id:
        raise SlackError("cant_update_message")
    ws.update_message(message, text=text, blocks=blocks, metadata=metadata)
    return {
        "ok": True,
        "channel": channel.id,
        "ts": message.ts,
        "text": message.text,
        "message": message_json(ws, message, include_metadata=True),
    }


def chat_delete(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """chat.delete of one of the bot's messages."""
    channel = _readable_channel(ws, str(args["channel"]))
    message = _message(ws, channel, arg_str(args, "ts"))
    if message.user != ws.bot_user_id:
        raise SlackError("cant_delete_message")
    ws.delete_message(message)
    return {"ok": True, "channel": channel.id, "ts": message.ts}


def chat_post_ephemeral(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """chat.postEphemeral to a member of a channel the bot is in."""
    channel = _postable_channel(ws, str(args["channel"]))
    user_id = str(args["user"])
    if user_id not in ws.users:
        raise SlackError("user_not_found")
    if user_id not in channel.members:
        raise SlackError("user_not_in_channel")
    text, blocks = _content(args)
    ws.add_ephemeral(channel.id, user_id, text, blocks, "chat.postEphemeral")
    return {"ok": True, "message_ts": ws.next_ts()}


def chat_get_permalink(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """chat.getPermalink."""
    channel = ws.resolve_channel(str(args["channel"]))
    if channel is None:
        raise SlackError("channel_not_found")
    message = _message(ws, channel, arg_str(args, "message_ts"))
    link = (
        f"https://{ws.team_domain}.slack.com/archives/{channel.id}/p{message.ts.replace('.', '')}"
    )
    if message.is_reply:
        link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
    return {"ok": True, "channel": channel.id, "permalink": link}


def conversations_open(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.open of a DM with one user (group DMs are not emulated)."""
    users = arg_list(args, "users")
    channel_ref = arg_str(args, "channel")
    if channel_ref is not None:
        channel = _readable_channel(ws, channel_ref)
        already = True
    elif not users:
        raise SlackError("users_list_not_supplied")
    elif len(users) > 1:
        raise SlackError("method_not_supported_for_channel_type")
    else:
        user = ws.users.get(users[0])
        if user is None:
            raise SlackError("user_not_found")
        if user.deleted:
            raise SlackError("user_disabled")
        already = ws.existing_dm(user.id) is not None
        channel = ws.dm_channel_for(user.id)
    body: dict[str, Any] = {"ok": True}
    if already:
        body.update(no_op=True, already_open=True)
    body["channel"] = (
        channel_json(ws, channel) if arg_bool(args, "return_im") else {"id": channel.id}
    )
    return body


def conversations_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.info."""
    channel = _readable_channel(ws, str(args["channel"]))
    return {"ok": True, "channel": channel_json(ws, channel)}


def conversations_join(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.join of a public channel."""
    channel = _readable_channel(ws, str(args["channel"]))
    if channel.is_private or channel.is_im:
        raise SlackError("method_not_supported_for_channel_type")
    if channel.is_archived:
        raise SlackError("is_archived")
    body: dict[str, Any] = {"ok": True}
    if ws.bot_user_id in channel.members:
        body["warning"] = "already_in_channel"
        body["response_metadata"] = {"warnings": ["already_in_channel"]}
    else:
        channel.members.append(ws.bot_user_id)
    body["channel"] = channel_json(ws, channel)
    return body


_CHANNEL_TYPES = frozenset({"public_channel", "private_channel", "mpim", "im"})


def conversations_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.list: public channels, private ones the bot is in, the bot's DMs."""
    types = set(arg_list(args, "types") or ["public_channel"])
    if not types <= _CHANNEL_TYPES:
        raise SlackError("invalid_types")
    exclude_archived = arg_bool(args, "exclude_archived")
    visible: list[Channel] = []
    for channel in ws.channels.values():
        if exclude_archived and channel.is_archived:
            continue
        if channel.is_im:
            wanted = "im" in types
        elif channel.is_private:
            wanted = "private_channel" in types and ws.bot_user_id in channel.members
        else:
            wanted = "public_channel" in types
        if wanted:
            visible.append(channel)
    page, cursor = _offset_page(visible, args)
    return {
        "ok": True,
        "channels": [channel_json(ws, c) for c in page],
        "response_metadata": {"next_cursor": cursor},
    }


def conversations_members(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.members."""
    channel = _readable_channel(ws, str(args["channel"]))
    page, cursor = _offset_page(list(channel.members), args)
    return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}


def conversations_history(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.history: top-level messages, newest first, paged by timestamp."""
    channel = _history_channel(ws, str(args["channel"]))
    oldest = _ts_arg(args, "oldest", "invalid_ts_oldest")
    latest = _ts_arg(args, "latest", "invalid_ts_latest")
    inclusive = arg_bool(args, "inclusive")
    include_metadata = arg_bool(args, "include_all_metadata")
    before = decode_cursor(args, "next_ts")
    before_value = _cursor_ts(before)
    limit = _limit(args)

    def wanted(value: int) -> bool:
        if oldest is not None and (value < oldest or (value == oldest and not inclusive)):
            return False
        if latest is not None and (value > latest or (value == latest and not inclusive)):
            return False
        return before_value is None or value < before_value

    newest_first = sorted(
        (m for m in ws.messages(channel.id) if wanted(ts_value(m.ts))),
        key=lambda m: ts_value(m.ts),
        reverse=True,
    )
    page = newest_first[:limit]
    has_more = len(newest_first) > limit
    return {
        "ok": True,
        "messages": [message_json(ws, m, include_metadata=include_metadata) for m in page],
        "has_more": has_more,
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
        "response_metadata": {
            "next_cursor": encode_cursor("next_ts", page[-1].ts) if has_more else ""
        },
    }


def _cursor_ts(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return ts_value(raw)
    except ValueError as exc:
        raise SlackError("invalid_cursor") from exc


def conversations_replies(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.replies: the parent then its replies, oldest first."""
    channel = _history_channel(ws, str(args["channel"]))
    found = ws.find_message(channel.id, str(args["ts"]))
    if found is None:
        raise SlackError("thread_not_found")
    if found.is_reply and found.thread_ts is not None:
        parent = ws.find_message(channel.id, found.thread_ts)
        if parent is None:
            raise SlackError("thread_not_found")
    else:
        parent = found
    include_metadata = arg_bool(args, "include_all_metadata")
    after_value = _cursor_ts(decode_cursor(args, "next_ts"))
    thread = [parent, *ws.replies(channel.id, parent.ts)]
    if after_value is not None:
        thread = [m for m in thread if ts_value(m.ts) > after_value]
    limit = _limit(args)
    page = thread[:limit]
    has_more = len(thread) > limit
    return {
        "ok": True,
        "messages": [message_json(ws, m, include_metadata=include_metadata) for m in page],
        "has_more": has_more,
        "response_metadata": {
            "next_cursor": encode_cursor("next_ts", page[-1].ts) if has_more else ""
        },
    }


def users_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """users.list, every member including bots and deactivated users."""
    page, cursor = _offset_page(list(ws.users.values()), args)
    return {
        "ok": True,
        "members": [user_json(ws, u) for u in page],
        "cache_ts": int(time.time()),
        "response_metadata": {"next_cursor": cursor},
    }


def users_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """users.info."""
    user = ws.users.get(str(args["user"]))
    if user is None:
        raise SlackError("user_not_found")
    return {"ok": True, "user": user_json(ws, user)}


def usergroups_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """usergroups.list (``include_users`` adds the member ids)."""
    include_users = arg_bool(args, "include_users")
    groups = []
    for group in ws.usergroups.values():
        body: dict[str, Any] = {
            "id": group.id,
            "team_id": ws.team_id,
            "is_usergroup": True,
            "name": group.name,
            "description": group.description,
            "handle": group.handle,
            "is_external": False,
            "date_create": 0,
            "date_update": 0,
            "date_delete": 0,
            "auto_type": None,
            "created_by": "USLACKBOT",
            "updated_by": "USLACKBOT",
            "deleted_by": None,
            "prefs": {"channels": list(group.channels), "groups": []},
            "user_count": len(group.users),
        }
        if include_users:
            body["users"] = list(group.users)
        groups.append(body)
    return {"ok": True, "usergroups": groups}


def usergroups_users_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """usergroups.users.list."""
    group = ws.usergroups.get(str(args["usergroup"]))
    if group is None:
        raise SlackError("no_such_subteam")
    return {"ok": True, "users": list(group.users)}


def views_open(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """views.open of a modal with a fresh trigger_id."""
    definition = _view_arg(args, "modal")
    _check_external_id(ws, definition)
    user_id = _exchange_trigger(ws, args)
    return {"ok": True, "view": view_json(ws, ws.open_view(user_id, definition))}


def views_push(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """views.push onto the modal the trigger's user has open."""
    definition = _view_arg(args, "modal")
    _check_external_id(ws, definition)
    user_id = _exchange_trigger(ws, args)
    below = ws.top_modal(user_id)
    if below is None:
        raise SlackError("not_found")
    if len(ws.stack(below.id)) >= MAX_MODAL_STACK:
        raise SlackError("push_limit_reached")
    return {"ok": True, "view": view_json(ws, ws.push_view(below, definition))}


def views_update(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """views.update by view_id or external_id, honouring ``hash``."""
    view_id = arg_str(args, "view_id")
    external_id = arg_str(args, "external_id")
    if view_id is None and external_id is None:
        raise missing_field("view_id")
    by_id = view_id is not None
    view = ws.views.get(view_id or "") if by_id else ws.find_view_by_external_id(external_id or "")
    if view is None or view.closed:
        raise SlackError("not_found")
    definition = _view_arg(args, None)
    _check_external_id(ws, definition, view.id)
    expected = arg_str(args, "hash")
    if expected is not None and expected != view.hash:
        raise SlackError("hash_conflict")
    return {"ok": True, "view": view_json(ws, ws.update_view(view, definition))}


def views_publish(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """views.publish of a user's Home tab."""
    user_id = str(args["user_id"])
    if user_id not in ws.users:
        raise SlackError("invalid_arguments", messages=["invalid `user_id`"])
    definition = _view_arg(args, "home")
    expected = arg_str(args, "hash")
    current = ws.home_view(user_id)
    if expected is not None and current is not None and expected != current.hash:
        raise SlackError("hash_conflict")
    return {"ok": True, "view": view_json(ws, ws.publish_home(user_id, definition))}


def reactions_add(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """reactions.add by the bot."""
    channel = _history_channel(ws, str(args["channel"]))
    if channel.is_archived:
        raise SlackError("is_archived")
    message = _message(ws, channel, arg_str(args, "timestamp"))
    name = str(args["name"]).strip(":")
    if not name:
        raise SlackError("invalid_name")
    if ws.bot_user_id in message.reactions.get(name, []):
        raise SlackError("already_reacted")
    ws.add_reaction(message, name, ws.bot_user_id)
    return {"ok": True}


def files_get_upload_url_external(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """files.getUploadURLExternal: reserve a file id and an upload URL on this server."""
    length = arg_int(args, "length", "invalid_arguments")
    if length is None or length <= 0:
        raise SlackError("missing_argument")
    filename = str(args["filename"])
    upload = ws.new_file(filename, filename, length)
    return {"ok": True, "upload_url": f"{ws.base_url}/upload/{upload.id}", "file_id": upload.id}


def files_complete_upload_external(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    """files.completeUploadExternal: share the uploaded files into a channel, or keep them."""
    entries = arg_json(args, "files", "invalid_arguments")
    if not isinstance(entries, list) or not entries:
        raise missing_field("files")
    uploads: list[File] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise SlackError("invalid_arguments")
        upload = ws.files.get(str(entry.get("id")))
        if upload is None or not upload.uploaded:
            raise SlackError("file_not_found")
        if entry.get("title"):
            upload.title = str(entry["title"])
        uploads.append(upload)
    targets = arg_list(args, "channels")
    channel_id = arg_str(args, "channel_id")
    if channel_id is not None:
        targets = [channel_id, *targets]
    channels = [_postable_channel(ws, ref) for ref in dict.fromkeys(targets)]
    comment = arg_str(args, "initial_comment") or ""
    if len(comment) > MAX_TEXT:
        raise SlackError("msg_too_long")
    thread_ts = arg_str(args, "thread_ts")
    for channel in channels:
        for upload in uploads:
            if channel.id not in upload.channel_ids:
                upload.channel_ids.append(channel.id)
            ws.record_file(upload, channel.id)
        ws.post_message(
            channel.id,
            text=comment,
            thread_ts=thread_ts if thread_ts and ws.find_message(channel.id, thread_ts) else None,
            files=[u.id for u in uploads],
        )
    if not channels:
        for upload in uploads:
            ws.record_file(upload, None)
    return {"ok": True, "files": [file_json(ws, u) for u in uploads]}


HANDLERS: dict[str, Handler] = {
    "auth.test": auth_test,
    "team.info": team_info,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.getPermalink": chat_get_permalink,
    "conversations.open": conversations_open,
    "conversations.info": conversations_info,
    "conversations.join": conversations_join,
    "conversations.list": conversations_list,
    "conversations.members": conversations_members,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "users.list": users_list,
    "users.info": users_info,
    "usergroups.list": usergroups_list,
    "usergroups.users.list": usergroups_users_list,
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
    "reactions.add": reactions_add,
    "files.getUploadURLExternal": files_get_upload_url_external,
    "files.completeUploadExternal": files_complete_upload_external,
}


def call(ws: Workspace, method: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run one method atomically; methods without an emulation answer ``{"ok": true}``."""
    handler = HANDLERS.get(method)
    if handler is None:
        return {"ok": True}
    with ws.lock:
        return handler(ws, args)


# -- response_url -------------------------------------------------------------------------


def respond(ws: Workspace, token: str, body: dict[str, Any]) -> dict[str, Any]:
    """Apply a POST to a ``response_url`` as Slack does.

    ``response_type`` "in_channel" posts into the channel; otherwise the text is shown to the
    user as an ephemeral message. ``replace_original``/``delete_original`` act on the message
    the response_url came from.

    Raises:
        SlackError: an unknown, expired or used-up url (HTTP 404), or a bad body (HTTP 400).
    """
    with ws.lock:
        target = ws.response_url(token)
        if target is None:
            raise SlackError("no_such_url", status=404)
        if ws.now() > target.expires_at:
            raise SlackError("expired_url", status=404)
        if target.uses_left <= 0:
            raise SlackError("used_url", status=404)
        original = (
            ws.find_message(target.channel_id, target.message_ts)
            if target.channel_id and target.message_ts
            else None
        )
        if arg_bool(body, "delete_original"):
            target.uses_left -= 1
            if original is not None:
                ws.delete_message(original, detail={"source": "response_url"})
            return {"ok": True}
        try:
            text, blocks = _content(body)
        except SlackError as exc:
            raise SlackError(exc.error, messages=exc.messages, status=400) from exc
        target.uses_left -= 1
        source = {"source": "response_url"}
        if arg_bool(body, "replace_original") and original is not None:
            ws.update_message(original, text=text or "", blocks=blocks, detail=source)
        elif body.get("response_type") == "in_channel":
            if target.channel_id is None:
                raise SlackError("channel_not_found", status=404)
            thread_ts = arg_str(body, "thread_ts")
            ws.post_message(
                target.channel_id,
                text=text or "",
                blocks=blocks,
                thread_ts=thread_ts,
                detail=source,
            )
        else:
            ws.add_ephemeral(target.channel_id, target.user_id, text, blocks, "response_url")
        return {"ok": True}
