"""The driver: what users do in Slack, sent to the bot signed over HTTP or over Socket Mode."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import string
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox import forms
from sandbox.forms import FormError as FormError  # raised by submit; the console catches it

if TYPE_CHECKING:
    from sandbox.server import Sandbox
    from sandbox.workspace import Message, User, View

logger = logging.getLogger(__name__)

# Slack's verification token is deprecated and Bolt ignores it; it is sent because Slack still does.
VERIFICATION_TOKEN = "sandbox-verification-token"  # noqa: S105 - a public placeholder
DEFAULT_TIMEOUT = 10.0
# Element types whose choice is one option / several options of the element.
_SINGLE_OPTION = {"static_select", "external_select", "overflow", "radio_buttons"}
_MULTI_OPTION = {"multi_static_select", "multi_external_select", "checkboxes"}
# Element types whose choice is an id or a date rather than an option.
_SELECTED_KEY = {
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
}


@dataclass(frozen=True)
class Ack:
    """What the bot answered: HTTP status (Socket Mode: 200 acked, 0 not), body, and time taken.

    ``sent`` is False when Slack would send Commons nothing (closing a view that did not ask to
    be told): then the status is 200, the body None and the time 0.
    """

    status: int
    body: dict[str, Any] | str | None
    seconds: float
    sent: bool = True


@dataclass(frozen=True)
class _Where:
    """Where a clicked element is: a message, a view, or an ephemeral message."""

    kind: str
    channel_id: str | None = None
    message_ts: str | None = None
    view_id: str | None = None
    blocks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class _Found:
    """An interactive element and where it lives."""

    block_id: str
    element: dict[str, Any]


class Driver:
    """Sends user actions to the bot the way Slack does.

    Args:
        sandbox: the running sandbox (its workspace, secrets and Socket Mode hub).
        bot_url: the bot's request URL for HTTP mode; None to use Socket Mode.
        timeout: seconds to wait for an ack (Slack itself waits 3).
    """

    def __init__(
        self, sandbox: Sandbox, *, bot_url: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        if bot_url is not None and not bot_url.startswith(("http://", "https://")):
            raise ValueError(f"bot_url must be an http(s) URL, not {bot_url!r}")
        self.sandbox = sandbox
        self.bot_url = bot_url
        self.timeout = timeout
        # Loopback only: a proxy from the environment must never see these requests.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._last_post: tuple[bytes, str] | None = None
        self._last_envelope: tuple[str, dict[str, Any], str] | None = None

    # -- slash commands -------------------------------------------------------------------

    def slash(
        self, user_id: str, command: str, text: str = "", *, channel_id: str | None = None
    ) -> Ack:
        """Run a slash command as a user (by default in the user's DM with the bot).

        The ack body, if it has text or blocks, is shown to the user as an ephemeral message,
        as Slack does; an ``in_channel`` ack is recorded the same way (source ``ack``).
        """
        sb = self.sandbox
        user = self._user(user_id)
        channel_id = channel_id or self._default_channel(user.id)
        fields = {
            "token": VERIFICATION_TOKEN,
            "team_id": sb.team_id,
            "team_domain": sb.team_domain,
            "channel_id": channel_id,
            "channel_name": self._channel_name(channel_id),
            "user_id": user.id,
            "user_name": user.name,
            "command": command,
            "text": text,
            "api_app_id": sb.app_id,
            "is_enterprise_install": "false",
            "response_url": sb.new_response_url(user_id=user.id, channel_id=channel_id),
            "trigger_id": sb.mint_trigger_id(user.id),
        }
        if self.bot_url is None:
            ack = self._socket("slash_commands", fields)
        else:
            ack = self._post(urllib.parse.urlencode(fields).encode(), _FORM)
        if ack.status == 200:
            self._show_ack_body(ack.body, channel_id=channel_id, user_id=user.id)
        return ack

    def _show_ack_body(
        self, body: dict[str, Any] | str | None, *, channel_id: str, user_id: str
    ) -> None:
        if isinstance(body, dict):
            text, blocks = body.get("text"), body.get("blocks")
            if text or blocks:
                self.sandbox.workspace.add_ephemeral(
                    channel_id, user_id, text, blocks, source="ack"
                )
        elif isinstance(body, str) and body:
            # A plain-text body is shown as the message text, as Slack does.
            self.sandbox.workspace.add_ephemeral(channel_id, user_id, body, None, source="ack")

    # -- interactivity --------------------------------------------------------------------

    def click(
        self,
        user_id: str,
        action_id: str,
        *,
        value: str | None = None,
        selected: Any = None,
        channel_id: str | None = None,
        message_ts: str | None = None,
        view_id: str | None = None,
    ) -> Ack:
        """Click a button (or choose in a select, date picker, ...) as a user.

        The element is looked up by ``action_id`` in the real message (``channel_id`` +
        ``message_ts``) or view (``view_id``); without either, the newest message in
        ``channel_id``, then the user's open views, then the user's ephemeral messages that
        contain the action are searched. ``selected`` is an option value (a list of them for
        multi-selects and checkboxes), a user/channel id, or a date, by element type.
        """
        sb = self.sandbox
        user = self._user(user_id)
        payload: dict[str, Any] = self._base_payload("block_actions", user)
        with sb.workspace.lock:
            if view_id is not None:
                where = _Where("view", view_id=view_id)
            elif message_ts is not None:
                chan = channel_id or self._channel_of(message_ts)
                where = _Where("message", channel_id=chan, message_ts=message_ts)
            else:
                where = self._locate(user.id, action_id, channel_id)
            if where.kind == "view":
                view = self._view(where.view_id or "")
                found = self._find(view.blocks, action_id)
                action = _action(found, value=value, selected=selected)
                # The choice is part of the view's state from now on, and of this payload's.
                forms.choose(view, found.block_id, action)
                payload["container"] = {"type": "view", "view_id": view.id}
                payload["view"] = self._view_payload(view)
                payload["state"] = {"values": forms.current(view)}
            elif where.kind == "message":
                chan, ts = where.channel_id or "", where.message_ts or ""
                message = sb.workspace.find_message(chan, ts)
                if message is None:
                    raise LookupError(f"no message {ts} in {chan}")
                found = self._find(message.blocks or [], action_id)
                payload["container"] = {
                    "type": "message",
                    "message_ts": message.ts,
                    "channel_id": chan,
                    "is_ephemeral": False,
                }
                payload["channel"] = {"id": chan, "name": self._channel_name(chan)}
                payload["message"] = self._message_payload(message)
                payload["state"] = {"values": {}}
                payload["response_url"] = sb.new_response_url(
                    user_id=user.id, channel_id=chan, message_ts=message.ts
                )
            else:
                # Ephemeral messages have no stored ts; Slack gives the click one anyway.
                chan = where.channel_id or ""
                found = self._find(where.blocks, action_id)
                payload["container"] = {
                    "type": "message",
                    "message_ts": f"{time.time():.6f}",
                    "channel_id": chan,
                    "is_ephemeral": True,
                }
                payload["channel"] = {"id": chan, "name": self._channel_name(chan)}
                payload["state"] = {"values": {}}
                payload["response_url"] = sb.new_response_url(user_id=user.id, channel_id=chan)
            if where.kind != "view":
                action = _action(found, value=value, selected=selected)
        payload["trigger_id"] = sb.mint_trigger_id(user.id)
        payload["actions"] = [action]
        return self._interactive(payload)

    def submit(
        self,
        user_id: str,
        view_id: str,
        values: dict[str, dict[str, dict[str, Any]]] | None = None,
        *,
        forged: bool = False,
    ) -> Ack:
        """Submit a modal with ``values`` (Slack's ``view.state.values`` shape).

        Inputs not given keep what they hold (their initial value, or what was chosen), as in
        Slack. Each value may leave out ``type``; it is taken from the view's element. After the
        ack, its ``response_action`` is applied to the view (errors, update, push, clear, close).
        ``forged``: send the values as given, unchecked, as a crafted request could (to test
        that Commons refuses what Slack itself would never send).

        Raises:
            FormError: the view has no submit button, or a value names a block it does not have.
        """
        sb = self.sandbox
        user = self._user(user_id)
        with sb.workspace.lock:
            view = self._view(view_id)
            if not forged:
                forms.submittable(view)
            state = forms.current(view)
            checked = forms.checked(view, values or {}, forged=forged)
            for (block_id, action_id), given in checked.items():
                state.setdefault(block_id, {})[action_id] = given
            view.state_values = state
            payload = self._base_payload("view_submission", user)
            payload["view"] = self._view_payload(view)
            payload["response_urls"] = []
        payload["trigger_id"] = sb.mint_trigger_id(user.id)
        ack = self._interactive(payload)
        if ack.status == 200:
            sb.workspace.apply_view_response(
                view_id, ack.body if isinstance(ack.body, dict) else {}
            )
        return ack

    def close_view(self, user_id: str, view_id: str) -> Ack:
        """Close a modal with its close button; the view is closed after.

        Slack tells the app (``view_closed``) only when the view was opened with
        ``notify_on_close``; otherwise nothing is sent and the Ack says so (``sent`` False).
        """
        sb = self.sandbox
        user = self._user(user_id)
        with sb.workspace.lock:
            view = self._view(view_id)
            notify = bool(view.definition.get("notify_on_close"))
            payload = self._base_payload("view_closed", user)
            payload["view"] = self._view_payload(view)
            payload["is_cleared"] = False
        if not notify:
            sb.workspace.close_view(view_id)
            return Ack(200, None, 0.0, sent=False)
        ack = self._interactive(payload)
        sb.workspace.close_view(view_id)
        return ack

    def shortcut(self, user_id: str, callback_id: str) -> Ack:
        """Run a global shortcut as a user."""
        user = self._user(user_id)
        payload = self._base_payload("shortcut", user)
        payload["callback_id"] = callback_id
        payload["action_ts"] = f"{time.time():.6f}"
        payload["trigger_id"] = self.sandbox.mint_trigger_id(user.id)
        return self._interactive(payload)

    def message_shortcut(
        self, user_id: str, callback_id: str, channel_id: str, message_ts: str
    ) -> Ack:
        """Run a message shortcut on a real message as a user."""
        sb = self.sandbox
        user = self._user(user_id)
        message = sb.workspace.find_message(channel_id, message_ts)
        if message is None:
            raise LookupError(f"no message {message_ts} in {channel_id}")
        payload = self._base_payload("message_action", user)
        payload.update(
            {
                "callback_id": callback_id,
                "action_ts": f"{time.time():.6f}",
                "channel": {"id": channel_id, "name": self._channel_name(channel_id)},
                "message_ts": message_ts,
                "message": self._message_payload(message),
                "response_url": sb.new_response_url(
                    user_id=user.id, channel_id=channel_id, message_ts=message_ts
                ),
                "trigger_id": sb.mint_trigger_id(user.id),
            }
        )
        return self._interactive(payload)

    # -- events ---------------------------------------------------------------------------

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int = 0,
        retry_reason: str = "",
    ) -> Ack:
        """Deliver an Events API event (an ``event_callback``), optionally as a retry."""
        sb = self.sandbox
        now = time.time()
        event = {"event_ts": f"{now:.6f}", **event}
        envelope = {
            "token": VERIFICATION_TOKEN,
            "team_id": sb.team_id,
            "api_app_id": sb.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or _event_id(),
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": sb.team_id,
                    "user_id": sb.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        if self.bot_url is None:
            return self._socket(
                "events_api", envelope, retry_attempt=retry_num, retry_reason=retry_reason
            )
        headers = {}
        if retry_num > 0:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return self._post(json.dumps(envelope).encode(), _JSON, extra_headers=headers)

    def open_home(self, user_id: str) -> Ack:
        """Open the app's Home tab as a user (``app_home_opened``, tab ``home``)."""
        sb = self.sandbox
        user = self._user(user_id)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user.id,
            "channel": sb.workspace.dm_channel_for(user.id).id,
            "tab": "home",
        }
        home = sb.workspace.home_view(user.id)
        if home is not None:
            with sb.workspace.lock:
                event["view"] = self._view_payload(home)
        return self.event(event)

    def say(
        self, user_id: str, channel_id: str, text: str, *, thread_ts: str | None = None
    ) -> tuple[Message, Ack]:
        """A person writes in a channel (in a thread with ``thread_ts``): the message is stored and
        Slack sends the ``message`` event, as for a channel Commons is in."""
        ws = self.sandbox.workspace
        user = self._user(user_id)
        message = ws.post_message(channel_id, text=text, user=user.id, thread_ts=thread_ts)
        channel = ws.channels.get(channel_id)
        kind = (
            "im"
            if channel and channel.is_im
            else "group"
            if channel and channel.is_private
            else "channel"
        )
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel_id,
            "channel_type": kind,
            "user": user.id,
            "text": text,
            "ts": message.ts,
        }
        if message.thread_ts is not None:
            event["thread_ts"] = message.thread_ts
        return message, self.event(event)

    def react(self, user_id: str, message: Message, name: str) -> Ack:
        """A person adds the reaction ``name`` to a message, and Slack sends ``reaction_added``."""
        user = self._user(user_id)
        self.sandbox.workspace.add_reaction(message, name, user.id)
        return self.event(
            {
                "type": "reaction_added",
                "user": user.id,
                "reaction": name,
                "item_user": message.user,
                "item": {"type": "message", "channel": message.channel, "ts": message.ts},
            }
        )

    # -- raw ------------------------------------------------------------------------------

    def send_raw(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        signature: str | None = None,
    ) -> Ack:
        """POST any body to the bot, optionally with a wrong timestamp, secret or signature."""
        if self.bot_url is None:
            raise RuntimeError("send_raw needs HTTP mode (a bot_url)")
        return self._post(
            body, content_type, timestamp=timestamp, secret=secret, signature=signature
        )

    # -- transport ------------------------------------------------------------------------

    def _interactive(self, payload: dict[str, Any]) -> Ack:
        if self.bot_url is None:
            return self._socket("interactive", payload)
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        return self._post(body, _FORM)

    def _socket(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> Ack:
        hub = self.sandbox.hub
        # The app may still be between connections (after a refresh); give it the ack budget.
        hub.wait_for_connections(1, timeout=self.timeout)
        ack = hub.send(
            envelope_type,
            payload,
            timeout=self.timeout,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
        )
        self._last_envelope = (envelope_type, payload, ack.envelope_id)
        return Ack(200 if ack.acked else 0, ack.payload, ack.seconds)

    def redeliver(self) -> Ack:
        """Send the last request again, as Slack does when it saw no ack in time: over HTTP the
        same body, signed anew; over Socket Mode the same envelope under the same id."""
        if self.bot_url is None:
            if self._last_envelope is None:
                raise RuntimeError("nothing was sent yet")
            kind, payload, envelope_id = self._last_envelope
            self.sandbox.hub.wait_for_connections(1, timeout=self.timeout)
            ack = self.sandbox.hub.send(
                kind, payload, timeout=self.timeout, envelope_id=envelope_id
            )
            return Ack(200 if ack.acked else 0, ack.payload, ack.seconds)
        if self._last_post is None:
            raise RuntimeError("nothing was sent yet")
        return self._post(*self._last_post)

    def _post(
        self,
        body: bytes,
        content_type: str,
        *,
        extra_headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
        signature: str | None = None,
    ) -> Ack:
        assert self.bot_url is not None
        self._last_post = (body, content_type)
        ts = str(int(time.time()) if timestamp is None else timestamp)
        if signature is None:
            signature = sign(secret or self.sandbox.signing_secret, ts, body)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **(extra_headers or {}),
        }
        # The scheme was checked in __init__: only http(s) reaches urlopen.
        request = urllib.request.Request(  # noqa: S310
            self.bot_url, data=body, headers=headers, method="POST"
        )
        started = time.perf_counter()
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status, raw, kind = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            with error:
                status, raw, kind = error.code, error.read(), error.headers
        except (TimeoutError, urllib.error.URLError, ConnectionError) as error:
            # No answer in time (or none at all) is what Slack reports to the user as a failure.
            logger.info("driver: no ack from %s: %r", self.bot_url, error)
            return Ack(0, None, time.perf_counter() - started)
        seconds = time.perf_counter() - started
        return Ack(status, _decode(raw, kind.get("Content-Type", "")), seconds)

    # -- lookups --------------------------------------------------------------------------

    def _user(self, ref: str) -> User:
        users = self.sandbox.workspace.users
        if ref in users:
            return users[ref]
        for user in users.values():
            if user.name == ref:
                return user
        raise LookupError(f"no user {ref!r} in the sandbox workspace")

    def _default_channel(self, user_id: str) -> str:
        try:
            return self.sandbox.workspace.dm_channel_for(user_id).id
        except KeyError:
            return "C0GENERAL"

    def _channel_name(self, channel_id: str) -> str:
        channel = self.sandbox.workspace.channels.get(channel_id)
        if channel is None:
            return channel_id
        return "directmessage" if channel.is_im else channel.name

    def _channel_of(self, ts: str) -> str:
        ws = self.sandbox.workspace
        for channel_id in ws.channels:
            if ws.find_message(channel_id, ts) is not None:
                return channel_id
        raise LookupError(f"no message {ts} in any channel")

    def _view(self, view_id: str) -> View:
        view = self.sandbox.workspace.views.get(view_id)
        if view is None:
            raise LookupError(f"no view {view_id}")
        return view

    def _locate(self, user_id: str, action_id: str, channel_id: str | None) -> _Where:
        """Find where a user can see an element with ``action_id``, newest first."""
        ws = self.sandbox.workspace
        if channel_id is not None:
            for message in reversed(ws.all_messages(channel_id)):
                if _search(message.blocks or [], action_id):
                    return _Where("message", channel_id=channel_id, message_ts=message.ts)
        for view in reversed(list(ws.views.values())):
            if view.user_id == user_id and not view.closed and _search(view.blocks, action_id):
                return _Where("view", view_id=view.id)
        for ephemeral in reversed(ws.ephemerals(user_id)):
            if channel_id in (None, ephemeral.channel) and _search(
                ephemeral.blocks or [], action_id
            ):
                return _Where(
                    "ephemeral", channel_id=ephemeral.channel, blocks=ephemeral.blocks or []
                )
        raise LookupError(f"{user_id} sees no element with action_id {action_id!r}")

    def _find(self, blocks: list[dict[str, Any]], action_id: str) -> _Found:
        found = _search(blocks, action_id)
        if found is None:
            raise LookupError(f"no element with action_id {action_id!r}")
        return found

    # -- payload pieces -------------------------------------------------------------------

    def _base_payload(self, kind: str, user: User) -> dict[str, Any]:
        sb = self.sandbox
        return {
            "type": kind,
            "token": VERIFICATION_TOKEN,
            "api_app_id": sb.app_id,
            "team": {"id": sb.team_id, "domain": sb.team_domain},
            "user": {
                "id": user.id,
                "username": user.name,
                "name": user.name,
                "team_id": sb.team_id,
            },
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _view_payload(self, view: View) -> dict[str, Any]:
        sb = self.sandbox
        payload: dict[str, Any] = dict(view.definition)
        payload.update(
            {
                "id": view.id,
                "team_id": sb.team_id,
                "type": view.type,
                "blocks": view.blocks,
                "private_metadata": view.private_metadata,
                "callback_id": view.callback_id,
                "state": {"values": forms.current(view)},
                "hash": view.hash,
                "external_id": view.external_id,
                "root_view_id": view.root_view_id,
                "previous_view_id": view.previous_view_id,
                "app_id": sb.app_id,
                "app_installed_team_id": sb.team_id,
                "bot_id": sb.bot_id,
            }
        )
        return payload

    def _message_payload(self, message: Message) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "type": "message",
            "user": message.user,
            "bot_id": message.bot_id,
            "ts": message.ts,
            "text": message.text,
            "team": self.sandbox.team_id,
        }
        if message.blocks:
            payload["blocks"] = message.blocks
        if message.thread_ts:
            payload["thread_ts"] = message.thread_ts
        return payload


_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: ``v0=`` HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def _decode(raw: bytes, content_type: str) -> dict[str, Any] | str | None:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return text
        return data if isinstance(data, dict) else text
    return text


def _event_id() -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "Ev" + "".join(secrets.choice(alphabet) for _ in range(10))


def _search(blocks: list[dict[str, Any]], action_id: str) -> _Found | None:
    """The element with ``action_id`` in the blocks, with its block's id."""
    for index, block in enumerate(blocks):
        # Slack fills in a block_id when the app leaves it out; any stable one will do here.
        block_id = str(block.get("block_id") or f"b{index}")
        for element in _elements(block):
            if element.get("action_id") == action_id:
                return _Found(block_id, element)
    return None


def _elements(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if isinstance(block.get("accessory"), dict):
        yield block["accessory"]
    if isinstance(block.get("element"), dict):
        yield block["element"]
    if block.get("type") == "actions":
        yield from (e for e in block.get("elements") or [] if isinstance(e, dict))


def _options(element: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from element.get("options") or []
    for group in element.get("option_groups") or []:
        yield from group.get("options") or []


def _option(element: dict[str, Any], value: Any) -> dict[str, Any]:
    for option in _options(element):
        if option.get("value") == value:
            return dict(option)
    # External selects have no options in the blocks: make one like Slack would echo.
    return {"text": {"type": "plain_text", "text": str(value)}, "value": str(value)}


def _action(found: _Found, *, value: str | None, selected: Any) -> dict[str, Any]:
    element = found.element
    kind = str(element.get("type", "button"))
    action: dict[str, Any] = {
        "type": kind,
        "action_id": element.get("action_id"),
        "block_id": found.block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if kind == "button":
        action["text"] = element.get("text")
        if value is not None or "value" in element:
            action["value"] = value if value is not None else element["value"]
        if "style" in element:
            action["style"] = element["style"]
    elif kind in _SINGLE_OPTION:
        choice = selected if selected is not None else value
        action["selected_option"] = _option(element, choice) if choice is not None else None
    elif kind in _MULTI_OPTION:
        choices = selected if isinstance(selected, list) else [selected or value]
        action["selected_options"] = [_option(element, c) for c in choices if c is not None]
    elif kind in _SELECTED_KEY:
        action[_SELECTED_KEY[kind]] = selected if selected is not None else value
    else:
        # plain_text_input and other inputs dispatch their value.
        action["value"] = value if value is not None else selected
    return action
