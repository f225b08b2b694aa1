"""Socket Mode: WebSocket connections from the app, hello, envelopes in turn, acks timed."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

logger = logging.getLogger(__name__)

# Slack keeps a socket mode connection for a few hours; the number is what Slack sends in hello.
APPROXIMATE_CONNECTION_TIME = 18060
# How long closing waits for the app's close frame; the builtin slack_sdk client never sends one.
CLOSE_TIMEOUT = 1.0


@dataclass(frozen=True)
class SocketAck:
    """One envelope sent to the app and what came back."""

    envelope_id: str
    type: str
    payload: dict[str, Any] | None
    seconds: float
    acked: bool


@dataclass
class _Pending:
    connection: web.WebSocketResponse
    # Resolved on the loop thread with (ack payload, perf_counter at receipt).
    future: concurrent.futures.Future[tuple[dict[str, Any] | None, float]]


class SocketModeHub:
    """The Socket Mode side of the sandbox: tickets, connections, envelopes and their acks.

    The WebSocket handler runs on the sandbox's event loop; ``send``, ``wait_for_connections``
    and ``disconnect`` are for callers on other threads (the driver, tests, the console).
    """

    def __init__(self) -> None:
        self.acks: list[SocketAck] = []
        self.app_id = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._base_url = ""
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._tickets: set[str] = set()
        self._connections: list[web.WebSocketResponse] = []
        self._turn = 0
        self._pending: dict[str, _Pending] = {}
        self._closing = False
        self._opened = 0

    def attach(
        self, loop: asyncio.AbstractEventLoop, base_ws_url: str, *, app_id: str | None = None
    ) -> None:
        """Bind the hub to the server's loop and its ``ws://host:port`` address."""
        self._loop = loop
        self._base_url = base_ws_url.rstrip("/")
        if app_id is not None:
            self.app_id = app_id
        with self._lock:
            self._closing = False

    def set_app_id(self, app_id: str) -> None:
        """Set the app id reported in ``hello``."""
        self.app_id = app_id

    def new_connection_url(self) -> str:
        """Mint a one-time WebSocket URL, as ``apps.connections.open`` returns."""
        ticket = secrets.token_urlsafe(16)
        with self._lock:
            self._tickets.add(ticket)
        return f"{self._base_url}/link?ticket={ticket}"

    def connection_count(self) -> int:
        """Return how many connections are open."""
        with self._lock:
            return len(self._connections)

    def connections_opened(self) -> int:
        """Return how many connections were ever accepted (reconnects included)."""
        with self._lock:
            return self._opened

    def wait_for_connections(self, n: int = 1, timeout: float = 10.0) -> bool:
        """Block until at least ``n`` connections are open; False if ``timeout`` passes first."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self._connections) >= n, timeout)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serve ``GET /link?ticket=...``: accept the app's WebSocket and read its acks."""
        ticket = request.query.get("ticket", "")
        with self._lock:
            valid = ticket in self._tickets and not self._closing
            self._tickets.discard(ticket)
        if not valid:
            raise web.HTTPUnauthorized(text="invalid or used ticket")
        ws = web.WebSocketResponse(timeout=CLOSE_TIMEOUT)
        await ws.prepare(request)
        with self._changed:
            self._connections.append(ws)
            self._opened += 1
            count = len(self._connections)
            self._changed.notify_all()
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": count,
                    "debug_info": {
                        "host": "sandbox",
                        "approximate_connection_time": APPROXIMATE_CONNECTION_TIME,
                    },
                    "connection_info": {"app_id": self.app_id},
                }
            )
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._on_text(message.data)
        finally:
            self._forget(ws)
        return ws

    def _on_text(self, data: str) -> None:
        received = time.perf_counter()
        try:
            ack = json.loads(data)
        except ValueError:
            logger.warning("socket mode: ignoring a message that is not JSON: %.200s", data)
            return
        envelope_id = ack.get("envelope_id") if isinstance(ack, dict) else None
        with self._lock:
            pending = self._pending.pop(envelope_id, None) if isinstance(envelope_id, str) else None
        if pending is None:
            logger.warning("socket mode: ack for an unknown envelope: %.200s", data)
            return
        payload = ack.get("payload")
        pending.future.set_result((payload if isinstance(payload, dict) else None, received))

    def _forget(self, ws: web.WebSocketResponse) -> None:
        with self._changed:
            if ws in self._connections:
                self._connections.remove(ws)
            # With no connection left nothing can ack: fail the envelopes sent on this one now
            # rather than let their senders wait out the timeout. While another connection is
            # open they stay pending, because slack_sdk acks on its newest connection (after a
            # refresh an envelope sent on the old one is acked on the new one).
            lost = [
                eid
                for eid, p in self._pending.items()
                if p.connection is ws and not self._connections
            ]
            futures = [self._pending.pop(eid).future for eid in lost]
            self._changed.notify_all()
        for future in futures:
            future.set_exception(ConnectionResetError("socket mode connection closed"))

    def send(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        timeout: float = 10.0,
        retry_attempt: int = 0,
        retry_reason: str = "",
        envelope_id: str | None = None,
    ) -> SocketAck:
        """Send one envelope to the next open connection and wait for its ack.

        `envelope_id`: send it under this id (Slack redelivers an envelope it saw no ack for
        under the same id); a new one by default. Must be called from a thread other than the
        hub's event loop.
        """
        loop = self._require_loop()
        envelope_id = envelope_id or str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": envelope_type != "events_api",
        }
        if envelope_type == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        future: concurrent.futures.Future[tuple[dict[str, Any] | None, float]]
        future = concurrent.futures.Future()
        with self._lock:
            if not self._connections:
                connection = None
            else:
                connection = self._connections[self._turn % len(self._connections)]
                self._turn += 1
                self._pending[envelope_id] = _Pending(connection, future)
        started = time.perf_counter()
        if connection is None:
            return self._record(envelope_id, envelope_type, None, 0.0, acked=False)
        try:
            asyncio.run_coroutine_threadsafe(connection.send_json(envelope), loop).result(timeout)
            ack_payload, received = future.result(
                max(0.0, timeout - (time.perf_counter() - started))
            )
        except (concurrent.futures.TimeoutError, ConnectionError) as exc:
            with self._lock:
                self._pending.pop(envelope_id, None)
            logger.info("socket mode: envelope %s not acked: %r", envelope_id, exc)
            return self._record(
                envelope_id, envelope_type, None, time.perf_counter() - started, acked=False
            )
        return self._record(envelope_id, envelope_type, ack_payload, received - started, acked=True)

    def _record(
        self,
        envelope_id: str,
        envelope_type: str,
        payload: dict[str, Any] | None,
        seconds: float,
        *,
        acked: bool,
    ) -> SocketAck:
        ack = SocketAck(envelope_id, envelope_type, payload, seconds, acked)
        with self._lock:
            self.acks.append(ack)
        return ack

    def disconnect(self, reason: str = "refresh_requested", *, timeout: float = 10.0) -> int:
        """Ask every open connection to reconnect, as Slack does; return how many were asked."""
        loop = self._require_loop()
        message = {
            "type": "disconnect",
            "reason": reason,
            "debug_info": {"host": "sandbox"},
        }
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            asyncio.run_coroutine_threadsafe(connection.send_json(message), loop).result(timeout)
        return len(connections)

    async def close_all(self) -> None:
        """Close every connection (server shutdown); later connection attempts are refused."""
        with self._lock:
            self._closing = True
            self._tickets.clear()
            connections = list(self._connections)
        for connection in connections:
            await connection.close(code=WSCloseCode.GOING_AWAY, message=b"sandbox shutting down")

    def _require_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("SocketModeHub.attach() has not been called")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            raise RuntimeError("SocketModeHub.send() would block its own event loop")
        return self._loop
