"""The Socket Mode hub: hello, envelopes in turn to each connection, acks with their latency."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.socket_mode.builtin.client import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from sandbox.socket_mode import SocketModeHub

T = TypeVar("T")


class HubServer:
    """The hub served by a bare aiohttp app on its own loop thread (no Sandbox needed)."""

    def __init__(self) -> None:
        self.hub = SocketModeHub()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.runner = self.run(self._start())
        self.session = self.run(self._session())

    def run(self, coro: Awaitable[T], timeout: float = 10.0) -> T:
        async def wrapper() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrapper(), self.loop).result(timeout)

    async def _start(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_get("/link", self.hub.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        self.hub.attach(self.loop, f"ws://127.0.0.1:{port}", app_id="A0COMMONS")
        return runner

    async def _session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    def close(self) -> None:
        self.run(self.hub.close_all())
        self.run(self.session.close())
        self.run(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


class FakeApp:
    """A minimal Socket Mode app on the server's loop: records what it gets, acks on demand."""

    def __init__(self, server: HubServer, ack: Callable[[dict[str, Any]], dict[str, Any] | None]):
        self.server = server
        self.ack = ack
        self.received: list[dict[str, Any]] = []
        self.ws = server.run(server.session.ws_connect(server.hub.new_connection_url()))
        self.hello: dict[str, Any] = server.run(self.ws.receive_json())
        self.task = asyncio.run_coroutine_threadsafe(self._serve(), server.loop)

    async def _serve(self) -> None:
        async for message in self.ws:
            envelope = json.loads(message.data)
            self.received.append(envelope)
            reply = self.ack(envelope)
            if reply is not None:
                await self.ws.send_json(reply)

    def close(self) -> None:
        self.server.run(self.ws.close())
        self.task.result(5)


def ack_with(payload: dict[str, Any] | None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def ack(envelope: dict[str, Any]) -> dict[str, Any]:
        reply: dict[str, Any] = {"envelope_id": envelope["envelope_id"]}
        if payload is not None:
            reply["payload"] = payload
        return reply

    return ack


@pytest.fixture
def server() -> Iterator[HubServer]:
    server = HubServer()
    yield server
    server.close()


def test_hello_on_connect_counts_connections(server: HubServer) -> None:
    first = FakeApp(server, ack_with(None))
    second = FakeApp(server, ack_with(None))
    assert first.hello == {
        "type": "hello",
        "num_connections": 1,
        "debug_info": {"host": "sandbox", "approximate_connection_time": 18060},
        "connection_info": {"app_id": "A0COMMONS"},
    }
    assert second.hello["num_connections"] == 2
    assert server.hub.wait_for_connections(2, timeout=5)
    assert server.hub.connection_count() == 2
    first.close()
    second.close()
    assert server.hub.connection_count() == 0


def test_a_ticket_connects_once(server: HubServer) -> None:
    url = server.hub.new_connection_url()
    assert url.startswith("ws://127.0.0.1:")
    assert "/link?ticket=" in url
    ws = server.run(server.session.ws_connect(url))
    with pytest.raises(aiohttp.WSServerHandshakeError) as used:
        server.run(server.session.ws_connect(url))
    assert used.value.status == 401
    with pytest.raises(aiohttp.WSServerHandshakeError) as unknown:
        server.run(server.session.ws_connect(url.split("?")[0] + "?ticket=made-up"))
    assert unknown.value.status == 401
    server.run(ws.close())


def test_envelope_and_ack_with_latency_recorded(server: HubServer) -> None:
    app = FakeApp(server, ack_with({"text": "pong"}))
    ack = server.hub.send("slash_commands", {"command": "/ping", "text": ""})
    assert ack.acked
    assert ack.payload == {"text": "pong"}
    assert ack.type == "slash_commands"
    assert 0 < ack.seconds < 10
    assert server.hub.acks == [ack]
    (envelope,) = app.received
    assert envelope == {
        "envelope_id": ack.envelope_id,
        "type": "slash_commands",
        "payload": {"command": "/ping", "text": ""},
        "accepts_response_payload": True,
    }
    app.close()


def test_events_carry_retry_fields_and_accept_no_response_payload(server: HubServer) -> None:
    app = FakeApp(server, ack_with(None))
    ack = server.hub.send(
        "events_api", {"event": {"type": "app_mention"}}, retry_attempt=1, retry_reason="timeout"
    )
    assert ack.acked
    assert ack.payload is None
    (envelope,) = app.received
    assert envelope["accepts_response_payload"] is False
    assert envelope["retry_attempt"] == 1
    assert envelope["retry_reason"] == "timeout"
    app.close()


def test_two_connections_are_served_in_turn(server: HubServer) -> None:
    first = FakeApp(server, ack_with({"from": "first"}))
    second = FakeApp(server, ack_with({"from": "second"}))
    froms = [server.hub.send("interactive", {"n": n}).payload for n in range(4)]
    assert froms == [{"from": "first"}, {"from": "second"}] * 2
    assert [e["payload"]["n"] for e in first.received] == [0, 2]
    assert [e["payload"]["n"] for e in second.received] == [1, 3]
    first.close()
    second.close()


def test_an_ack_that_never_comes_is_reported(server: HubServer) -> None:
    app = FakeApp(server, lambda envelope: None)
    ack = server.hub.send("interactive", {"type": "block_actions"}, timeout=0.2)
    assert not ack.acked
    assert ack.payload is None
    assert ack.seconds >= 0.2
    assert server.hub.acks == [ack]
    app.close()


def test_no_connection_means_no_ack(server: HubServer) -> None:
    ack = server.hub.send("events_api", {"event": {}}, timeout=0.2)
    assert not ack.acked


def test_a_connection_lost_mid_envelope_fails_fast(server: HubServer) -> None:
    closed = threading.Event()

    def close_instead(envelope: dict[str, Any]) -> None:
        closed.set()

    app = FakeApp(server, close_instead)
    sender = threading.Thread(target=lambda: results.append(server.hub.send("interactive", {})))
    results: list[Any] = []
    sender.start()
    assert closed.wait(5)
    app.close()
    sender.join(5)
    assert not results[0].acked
    assert results[0].seconds < 5


def test_an_ack_may_come_back_on_another_connection(server: HubServer) -> None:
    # slack_sdk acks on its newest connection, so after a refresh an envelope sent on the old
    # connection is acked on the new one.
    old = FakeApp(server, lambda envelope: None)
    new = FakeApp(server, ack_with(None))
    sender = threading.Thread(target=lambda: results.append(server.hub.send("interactive", {})))
    results: list[Any] = []
    sender.start()
    deadline = time.monotonic() + 5
    while not old.received and time.monotonic() < deadline:
        time.sleep(0.01)
    old.close()
    server.run(new.ws.send_json({"envelope_id": old.received[0]["envelope_id"]}))
    sender.join(5)
    assert results[0].acked
    assert server.hub.connections_opened() == 2
    new.close()


def test_send_from_the_hub_loop_is_refused(server: HubServer) -> None:
    async def send_on_loop() -> None:
        server.hub.send("interactive", {})

    with pytest.raises(RuntimeError, match="own event loop"):
        server.run(send_on_loop())


def test_slack_sdk_builtin_client_connects_and_acks(server: HubServer) -> None:
    client = SocketModeClient(app_token="xapp-1-test", auto_reconnect_enabled=False)
    client.wss_uri = server.hub.new_connection_url()

    def on_request(client: BaseSocketModeClient, request: SocketModeRequest) -> None:
        body = {"text": f"got {request.payload['command']}"}
        client.send_socket_mode_response(SocketModeResponse(request.envelope_id, payload=body))

    client.socket_mode_request_listeners.append(on_request)
    try:
        client.connect()
        assert server.hub.wait_for_connections(1, timeout=5)
        ack = server.hub.send("slash_commands", {"command": "/ping"}, timeout=5)
        assert ack.acked
        assert ack.payload == {"text": "got /ping"}
    finally:
        client.close()
    deadline = time.monotonic() + 5
    while server.hub.connection_count() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.hub.connection_count() == 0
