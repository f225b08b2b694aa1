"""The sandbox's Slack workspace state: directory, messages, views, files and the activity log."""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Slack keeps a modal's trigger_id usable for 3 seconds and a response_url for 5 uses in 30 min.
TRIGGER_TTL = 3.0
RESPONSE_URL_TTL = 30 * 60.0
RESPONSE_URL_USES = 5

ACTIVITY_KINDS = frozenset(
    {
        "message",
        "reply",
        "update",
        "delete",
        "ephemeral",
        "response",
        "view_open",
        "view_update",
        "view_push",
        "view_close",
        "home",
        "reaction",
        "file",
    }
)


@dataclass
class User:
    """A member of the workspace (a person or a bot user)."""

    id: str
    name: str
    real_name: str = ""
    display_name: str = ""
    tz: str = "UTC"
    title: str = ""
    email: str = ""
    is_bot: bool = False
    deleted: bool = False
    is_restricted: bool = False
    is_admin: bool = False


@dataclass
class Channel:
    """A public or private channel, or a direct-message (IM) conversation."""

    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    is_archived: bool = False
    im_user: str | None = None
    members: list[str] = field(default_factory=list)
    topic: str = ""
    purpose: str = ""
    created: int = 0


@dataclass
class Usergroup:
    """A user group (``@handle``) with its members and default channels."""

    id: str
    handle: str
    name: str
    description: str = ""
    users: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)


@dataclass
class Message:
    """A message in a channel; a reply has ``thread_ts`` set to its parent's ``ts``."""

    channel: str
    ts: str
    user: str | None
    bot_id: str | None
    text: str
    blocks: list[dict[str, Any]] | None = None
    metadata: dict[str, Any] | None = None
    thread_ts: str | None = None
    reply_count: int = 0
    files: list[str] = field(default_factory=list)
    reactions: dict[str, list[str]] = field(default_factory=dict)
    edited: str | None = None

    @property
    def is_reply(self) -> bool:
        """True for a message inside a thread (not the thread's parent)."""
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass
class View:
    """A modal or a Home tab as Slack holds it; ``definition`` is the view JSON the app sent."""

    id: str
    type: str
    user_id: str
    callback_id: str
    title: str
    blocks: list[dict[str, Any]]
    private_metadata: str
    external_id: str
    hash: str
    state_values: dict[str, Any] = field(default_factory=dict)
    root_view_id: str | None = None
    previous_view_id: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    closed: bool = False
    definition: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ephemeral:
    """An ephemeral message shown to one user (chat.postEphemeral, a response_url, an ack)."""

    channel: str | None
    user: str
    text: str | None
    blocks: list[dict[str, Any]] | None
    source: str


@dataclass
class File:
    """An uploaded file; ``content`` arrives at ``POST /upload/<id>``."""

    id: str
    name: str
    title: str
    length: int
    content: bytes = b""
    channel_ids: list[str] = field(default_factory=list)
    uploaded: bool = False
    user: str = ""
    created: int = 0


@dataclass
class Activity:
    """One thing a person could see the bot do.

    ``user`` is the author for message kinds (message, reply, update, delete), the reacting user
    for a reaction, the uploader for a file, and the one person who sees it for ephemeral,
    response, view and home kinds. A DM message also carries ``detail["to"]``.
    """

    seq: int
    kind: str
    channel: str | None = None
    user: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    text: str | None = None
    blocks: list[dict[str, Any]] | None = None
    view_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Trigger:
    """A minted ``trigger_id``: who it belongs to, when it was minted, whether it was used."""

    user_id: str
    minted_at: float
    used: bool = False


@dataclass
class ResponseUrl:
    """A ``response_url``'s target and remaining budget."""

    user_id: str
    channel_id: str | None
    message_ts: str | None
    expires_at: float
    uses_left: int = RESPONSE_URL_USES


class Workspace:
    """All state of the emulated workspace; every access goes through ``lock``.

    Args:
        data: the workspace in the schema of ``sandbox.demo.load_demo()``.
        clock: a monotonic clock in seconds for expiries (trigger ids, response urls).
    """

    def __init__(
        self, data: dict[str, Any], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        team = data["team"]
        bot = data["bot"]
        self.team_id: str = team["id"]
        self.team_name: str = team.get("name", team["id"])
        self.team_domain: str = team.get("domain", "sandbox")
        self.bot_user_id: str = bot["user_id"]
        self.bot_id: str = bot["bot_id"]
        self.app_id: str = bot["app_id"]
        self.bot_name: str = bot.get("name", "commons")
        # The server's address, set when it listens; upload and file URLs point back at it.
        self.base_url = ""
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, Usergroup] = {}
        self.views: dict[str, View] = {}
        self.files: dict[str, File] = {}
        self._load_directory(data)
        self._messages: dict[str, list[Message]] = {}
        self._ephemerals: list[Ephemeral] = []
        self._activity: list[Activity] = []
        self._homes: dict[str, str] = {}
        self._triggers: dict[str, Trigger] = {}
        self._response_urls: dict[str, ResponseUrl] = {}
        self._last_ts_us = 0
        self._ids = itertools.count(1)
        # user id -> IM channel id: a fan-out opens tens of thousands of DMs, so no scanning.
        self._dm_of: dict[str, str] = {}

    def _load_directory(self, data: dict[str, Any]) -> None:
        created = int(time.time()) - 86_400 * 365
        for raw in data.get("users", []):
            user = User(
                id=raw["id"],
                name=raw["name"],
                real_name=raw.get("real_name", ""),
                display_name=raw.get("display_name", ""),
                tz=raw.get("tz") or "UTC",
                title=raw.get("title", ""),
                email=raw.get("email", ""),
                is_bot=bool(raw.get("is_bot", False)),
                deleted=bool(raw.get("deleted", False)),
                is_restricted=bool(raw.get("is_restricted", False)),
                is_admin=bool(raw.get("is_admin", False)),
            )
            self.users[user.id] = user
        # Slack lists the app's bot user like any member; the demo data may leave it out.
        if self.bot_user_id not in self.users:
            self.users[self.bot_user_id] = User(
                id=self.bot_user_id,
                name=self.bot_name,
                real_name=self.bot_name,
                display_name=self.bot_name,
                is_bot=True,
            )
        for raw in data.get("channels", []):
            channel = Channel(
                id=raw["id"],
                name=raw["name"],
                is_private=bool(raw.get("is_private", False)),
                is_archived=bool(raw.get("is_archived", False)),
                members=list(raw.get("members", [])),
                topic=raw.get("topic", ""),
                purpose=raw.get("purpose", ""),
                created=created,
            )
            self.channels[channel.id] = channel
        for raw in data.get("usergroups", []):
            group = Usergroup(
                id=raw["id"],
                handle=raw["handle"],
                name=raw.get("name", raw["handle"]),
                description=raw.get("description", ""),
                users=list(raw.get("users", [])),
                channels=list(raw.get("channels", [])),
            )
            self.usergroups[group.id] = group

    # -- ids and time ---------------------------------------------------------------------

    def now(self) -> float:
        """The expiry clock (monotonic seconds unless a clock was injected)."""
        return self._clock()

    def next_ts(self) -> str:
        """A message timestamp, unique and strictly increasing, close to the wall clock."""
        with self.lock:
            now_us = int(time.time() * 1_000_000)
            self._last_ts_us = max(now_us, self._last_ts_us + 1)
            seconds, micros = divmod(self._last_ts_us, 1_000_000)
            return f"{seconds}.{micros:06d}"

    def new_id(self, prefix: str) -> str:
        """A fresh Slack-looking id such as ``V0SB000007``."""
        return f"{prefix}0SB{next(self._ids):06d}"

    # -- directory ------------------------------------------------------------------------

    def resolve_channel(self, ref: str) -> Channel | None:
        """Find a channel by id, ``#name`` or name."""
        with self.lock:
            if ref in self.channels:
                return self.channels[ref]
            name = ref.removeprefix("#")
            for channel in self.channels.values():
                if not channel.is_im and channel.name == name:
                    return channel
            return None

    def existing_dm(self, user_id: str) -> Channel | None:
        """The bot's IM channel with a user, if it was opened already."""
        with self.lock:
            channel = self.channels.get(self._dm_of.get(user_id, ""))
            return channel if channel is not None and channel.im_user == user_id else None

    def dm_channel_for(self, user_id: str) -> Channel:
        """The bot's IM channel with a user, created on first use.

        Raises:
            KeyError: the user is not in the workspace.
        """
        with self.lock:
            if user_id not in self.users:
                raise KeyError(user_id)
            channel = self.existing_dm(user_id)
            if channel is None:
                channel_id = "D" + user_id.lstrip("UW")
                if channel_id in self.channels:
                    channel_id = self.new_id("D")
                channel = Channel(
                    id=channel_id,
                    name=channel_id,
                    is_private=True,
                    is_im=True,
                    im_user=user_id,
                    members=[user_id, self.bot_user_id],
                    created=int(time.time()),
                )
                self.channels[channel.id] = channel
                self._dm_of[user_id] = channel.id
            return channel

    # -- messages -------------------------------------------------------------------------

    def messages(self, channel_id: str) -> list[Message]:
        """Top-level messages of a channel, oldest first (thread replies excluded)."""
        with self.lock:
            return [m for m in self._messages.get(channel_id, []) if not m.is_reply]

    def replies(self, channel_id: str, thread_ts: str) -> list[Message]:
        """The replies of a thread, oldest first (the parent excluded)."""
        with self.lock:
            return [
                m
                for m in self._messages.get(channel_id, [])
                if m.is_reply and m.thread_ts == thread_ts
            ]

    def all_messages(self, channel_id: str) -> list[Message]:
        """Every message of a channel, replies included, oldest first."""
        with self.lock:
            return list(self._messages.get(channel_id, []))

    def find_message(self, channel_id: str, ts: str) -> Message | None:
        """The message (top-level or reply) with this ``ts`` in a channel."""
        with self.lock:
            for message in self._messages.get(channel_id, []):
                if message.ts == ts:
                    return message
            return None

    def post_message(
        self,
        channel_id: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        user: str | None = None,
        bot_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        thread_ts: str | None = None,
        files: list[str] | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Message:
        """Store a message (the bot's unless ``user`` is given) and record it as activity.

        A ``thread_ts`` naming a reply is moved to that reply's parent, as Slack does.
        """
        with self.lock:
            if user is None:
                user, bot_id = self.bot_user_id, self.bot_id
            parent = self.find_message(channel_id, thread_ts) if thread_ts else None
            if parent is not None and parent.is_reply and parent.thread_ts is not None:
                parent = self.find_message(channel_id, parent.thread_ts)
            message = Message(
                channel=channel_id,
                ts=self.next_ts(),
                user=user,
                bot_id=bot_id,
                text=text,
                blocks=blocks,
                metadata=metadata,
                thread_ts=parent.ts if parent is not None else None,
                files=list(files or []),
            )
            if parent is not None:
                parent.thread_ts = parent.ts
                parent.reply_count += 1
            self._messages.setdefault(channel_id, []).append(message)
            info = dict(detail or {})
            channel = self.channels.get(channel_id)
            if channel is not None and channel.is_im:
                info["to"] = channel.im_user
            if message.files:
                info["files"] = list(message.files)
            self._record(
                "reply" if message.is_reply else "message",
                channel=channel_id,
                user=user,
                ts=message.ts,
                thread_ts=message.thread_ts,
                text=text,
                blocks=blocks,
                detail=info,
            )
            return message

    def update_message(
        self,
        message: Message,
        *,
        text: str | None,
        blocks: list[dict[str, Any]] | None,
        metadata: dict[str, Any] | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Message:
        """Replace a message's text and blocks (Slack's chat.update semantics) and record it."""
        with self.lock:
            if text is not None:
                message.text = text
            if blocks is not None:
                message.blocks = blocks
            if metadata is not None:
                message.metadata = metadata
            message.edited = self.next_ts()
            self._record(
                "update",
                channel=message.channel,
                user=message.user,
                ts=message.ts,
                thread_ts=message.thread_ts,
                text=message.text,
                blocks=message.blocks,
                detail=dict(detail or {}),
            )
            return message

    def delete_message(self, message: Message, *, detail: dict[str, Any] | None = None) -> None:
        """Remove a message (a reply also leaves its parent's reply count) and record it."""
        with self.lock:
            stored = self._messages.get(message.channel, [])
            if message in stored:
                stored.remove(message)
            if message.is_reply and message.thread_ts is not None:
                parent = self.find_message(message.channel, message.thread_ts)
                if parent is not None:
                    parent.reply_count = max(0, parent.reply_count - 1)
            self._record(
                "delete",
                channel=message.channel,
                user=message.user,
                ts=message.ts,
                thread_ts=message.thread_ts,
                text=message.text,
                detail=dict(detail or {}),
            )

    def add_reaction(self, message: Message, name: str, user_id: str) -> None:
        """Add a user's reaction to a message and record it."""
        with self.lock:
            message.reactions.setdefault(name, []).append(user_id)
            self._record(
                "reaction",
                channel=message.channel,
                user=user_id,
                ts=message.ts,
                thread_ts=message.thread_ts,
                detail={"name": name},
            )

    def add_ephemeral(
        self,
        channel_id: str | None,
        user_id: str,
        text: str | None,
        blocks: list[dict[str, Any]] | None,
        source: str,
    ) -> None:
        """Show an ephemeral message to one user; ``source`` says how (``response_url``, ...)."""
        with self.lock:
            self._ephemerals.append(Ephemeral(channel_id, user_id, text, blocks, source))
            self._record(
                "response" if source == "response_url" else "ephemeral",
                channel=channel_id,
                user=user_id,
                text=text,
                blocks=blocks,
                detail={"source": source},
            )

    def ephemerals(self, user_id: str | None = None) -> list[Ephemeral]:
        """Ephemeral messages shown so far, oldest first, optionally for one user."""
        with self.lock:
            return [e for e in self._ephemerals if user_id is None or e.user == user_id]

    # -- views ----------------------------------------------------------------------------

    def _new_hash(self) -> str:
        return f"{int(time.time())}.{secrets.token_hex(4)}"

    def _make_view(self, user_id: str, definition: dict[str, Any], view_id: str) -> View:
        title = definition.get("title")
        return View(
            id=view_id,
            type=str(definition.get("type", "modal")),
            user_id=user_id,
            callback_id=str(definition.get("callback_id") or ""),
            title=str(title.get("text", "")) if isinstance(title, dict) else "",
            blocks=list(definition.get("blocks") or []),
            private_metadata=str(definition.get("private_metadata") or ""),
            external_id=str(definition.get("external_id") or ""),
            hash=self._new_hash(),
            definition=copy.deepcopy(definition),
        )

    def _refill_view(self, view: View, definition: dict[str, Any]) -> None:
        fresh = self._make_view(view.user_id, definition, view.id)
        view.type = fresh.type
        view.callback_id = fresh.callback_id
        view.title = fresh.title
        view.blocks = fresh.blocks
        view.private_metadata = fresh.private_metadata
        view.external_id = fresh.external_id
        view.hash = fresh.hash
        view.definition = fresh.definition
        view.errors = {}

    def stack(self, view_id: str) -> list[View]:
        """The open modals sharing a view's stack, bottom first."""
        with self.lock:
            view = self.views.get(view_id)
            if view is None or view.root_view_id is None:
                return []
            return [
                v
                for v in self.views.values()
                if v.root_view_id == view.root_view_id and v.type == "modal" and not v.closed
            ]

    def top_modal(self, user_id: str) -> View | None:
        """The modal a user is looking at (the top of their newest open stack), if any."""
        with self.lock:
            open_modals = [
                v
                for v in self.views.values()
                if v.user_id == user_id and v.type == "modal" and not v.closed
            ]
            return open_modals[-1] if open_modals else None

    def find_view_by_external_id(self, external_id: str) -> View | None:
        """The open view with this ``external_id``."""
        with self.lock:
            for view in self.views.values():
                if view.external_id == external_id and not view.closed:
                    return view
            return None

    def open_view(self, user_id: str, definition: dict[str, Any]) -> View:
        """Open a modal as the root of a new stack."""
        with self.lock:
            view = self._make_view(user_id, definition, self.new_id("V"))
            view.root_view_id = view.id
            self.views[view.id] = view
            self._record_view("view_open", view)
            return view

    def push_view(self, below: View, definition: dict[str, Any]) -> View:
        """Push a modal on top of ``below`` in its stack."""
        with self.lock:
            view = self._make_view(below.user_id, definition, self.new_id("V"))
            view.root_view_id = below.root_view_id or below.id
            view.previous_view_id = below.id
            self.views[view.id] = view
            self._record_view("view_push", view)
            return view

    def update_view(self, view: View, definition: dict[str, Any]) -> View:
        """Replace a view's content (new hash, same id)."""
        with self.lock:
            self._refill_view(view, definition)
            self._record_view("home" if view.type == "home" else "view_update", view)
            return view

    def publish_home(self, user_id: str, definition: dict[str, Any]) -> View:
        """Publish (create or replace) a user's Home tab."""
        with self.lock:
            home_id = self._homes.get(user_id)
            if home_id is not None and home_id in self.views:
                view = self.views[home_id]
                self._refill_view(view, definition)
            else:
                view = self._make_view(user_id, definition, self.new_id("V"))
                self.views[view.id] = view
                self._homes[user_id] = view.id
            self._record_view("home", view)
            return view

    def home_view(self, user_id: str) -> View | None:
        """The Home tab published for a user, if any."""
        with self.lock:
            home_id = self._homes.get(user_id)
            return self.views.get(home_id) if home_id is not None else None

    def close_view(self, view_id: str, *, whole_stack: bool = False) -> None:
        """Close a modal and every view pushed above it (or its whole stack)."""
        with self.lock:
            view = self.views.get(view_id)
            if view is None or view.closed:
                return
            stack = self.stack(view_id) or [view]
            doomed = stack if whole_stack else stack[stack.index(view) :]
            for closing in reversed(doomed):
                closing.closed = True
                self._record_view("view_close", closing)

    def apply_view_response(self, view_id: str, body: dict[str, Any]) -> None:
        """Apply a view_submission ack body the way Slack does.

        ``response_action`` "errors" shows the errors and keeps the view open; "update"
        replaces the view; "push" pushes a new view; "clear" closes the whole stack; none
        closes the submitted view.
        """
        with self.lock:
            view = self.views.get(view_id)
            if view is None:
                raise KeyError(view_id)
            action = body.get("response_action")
            if action == "errors":
                view.errors = {str(k): str(v) for k, v in dict(body.get("errors") or {}).items()}
                self._record_view("view_update", view, detail={"errors": dict(view.errors)})
            elif action == "update":
                self.update_view(view, dict(body.get("view") or {}))
            elif action == "push":
                self.push_view(view, dict(body.get("view") or {}))
            elif action == "clear":
                self.close_view(view_id, whole_stack=True)
            else:
                self.close_view(view_id)

    def _record_view(self, kind: str, view: View, detail: dict[str, Any] | None = None) -> None:
        info = {"callback_id": view.callback_id, "title": view.title, "type": view.type}
        info.update(detail or {})
        self._record(kind, user=view.user_id, blocks=view.blocks, view_id=view.id, detail=info)

    # -- trigger ids and response urls ----------------------------------------------------

    def mint_trigger(self, user_id: str) -> str:
        """A new ``trigger_id`` for a user, valid for 3 s and one use."""
        with self.lock:
            trigger_id = f"{next(self._ids)}.{secrets.token_hex(8)}"
            self._triggers[trigger_id] = Trigger(user_id=user_id, minted_at=self.now())
            return trigger_id

    def trigger(self, trigger_id: str) -> Trigger | None:
        """The record of a minted ``trigger_id``."""
        with self.lock:
            return self._triggers.get(trigger_id)

    def new_response_url_token(
        self, *, user_id: str, channel_id: str | None, message_ts: str | None
    ) -> str:
        """Register a ``response_url`` target; returns the token of ``/response/<token>``."""
        with self.lock:
            token = secrets.token_urlsafe(16)
            self._response_urls[token] = ResponseUrl(
                user_id=user_id,
                channel_id=channel_id,
                message_ts=message_ts,
                expires_at=self.now() + RESPONSE_URL_TTL,
            )
            return token

    def response_url(self, token: str) -> ResponseUrl | None:
        """The record behind a ``response_url`` token."""
        with self.lock:
            return self._response_urls.get(token)

    # -- files ----------------------------------------------------------------------------

    def new_file(self, name: str, title: str, length: int) -> File:
        """Reserve a file id for an upload (files.getUploadURLExternal)."""
        with self.lock:
            upload = File(
                id=self.new_id("F"),
                name=name,
                title=title,
                length=length,
                user=self.bot_user_id,
                created=int(time.time()),
            )
            self.files[upload.id] = upload
            return upload

    def store_upload(self, file_id: str, content: bytes) -> bool:
        """Store a file's bytes; False when the id is unknown."""
        with self.lock:
            upload = self.files.get(file_id)
            if upload is None:
                return False
            upload.content = content
            upload.length = len(content)
            upload.uploaded = True
            return True

    def record_file(self, upload: File, channel_id: str | None) -> None:
        """Record that the bot shared (or privately completed) a file."""
        with self.lock:
            self._record(
                "file",
                channel=channel_id,
                user=upload.user,
                text=upload.title or upload.name,
                detail={
                    "file_id": upload.id,
                    "name": upload.name,
                    "title": upload.title,
                    "length": upload.length,
                },
            )

    # -- activity -------------------------------------------------------------------------

    def _record(self, kind: str, **values: Any) -> None:
        self._activity.append(Activity(seq=len(self._activity) + 1, kind=kind, **values))

    def activity_since(self, seq: int) -> list[Activity]:
        """Activity after sequence number ``seq`` (0 for everything), in order."""
        with self.lock:
            return [a for a in self._activity if a.seq > seq]

    def reset(self) -> None:
        """Forget messages, views, files, ephemerals and activity; keep the directory."""
        with self.lock:
            self._messages.clear()
            self._ephemerals.clear()
            self._activity.clear()
            self._homes.clear()
            self._triggers.clear()
            self._response_urls.clear()
            self.views.clear()
            self.files.clear()
