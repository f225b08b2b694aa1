"""The driver against a real Bolt app, over signed HTTP (WSGI under waitress) and Socket Mode."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import Ack as BoltAck
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from sandbox.driver import Ack, Driver
from sandbox.server import Sandbox
from tests.support import serve_wsgi

ALICE = "U0ALICE"
SURVEY = {
    "type": "modal",
    "callback_id": "survey",
    "title": {"type": "plain_text", "text": "Pulse"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [
        {
            "type": "input",
            "block_id": "answer",
            "label": {"type": "plain_text", "text": "How was your week?"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        }
    ],
}
BUTTON_BLOCKS = [
    {
        "type": "actions",
        "block_id": "survey_actions",
        "elements": [
            {
                "type": "button",
                "action_id": "open_survey",
                "text": {"type": "plain_text", "text": "Answer"},
                "value": "pulse-42",
            }
        ],
    }
]


def build_app(sandbox: Sandbox, seen: list[dict[str, Any]]) -> App:
    """A minimal Commons-like Bolt app; its listeners finish before the ack is sent."""
    app = App(
        signing_secret=sandbox.signing_secret,
        client=WebClient(token=sandbox.bot_token, base_url=sandbox.api_url),
        token_verification_enabled=False,
        process_before_response=True,
    )

    @app.command("/ping")
    def ping(ack: BoltAck, command: dict[str, Any]) -> None:
        seen.append(command)
        ack(f"pong {command['text']}".strip())

    @app.action("open_survey")
    def open_survey(ack: BoltAck, body: dict[str, Any], client: WebClient) -> None:
        ack()
        seen.append(body)
        client.views_open(trigger_id=body["trigger_id"], view=SURVEY)

    @app.view("survey")
    def survey(ack: BoltAck, view: dict[str, Any]) -> None:
        answer = view["state"]["values"]["answer"]["text"]["value"] or ""
        if not answer.strip():
            ack(response_action="errors", errors={"answer": "Please write something"})
            return
        ack()
        seen.append(view)

    @app.event("app_mention")
    def mention(body: dict[str, Any], request: BoltRequest) -> None:
        headers = request.headers
        seen.append(
            {
                "event_id": body["event_id"],
                "retry_num": (headers.get("x-slack-retry-num") or [""])[0],
                "retry_reason": (headers.get("x-slack-retry-reason") or [""])[0],
            }
        )

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Welcome"}}],
            },
        )

    return app


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def seen() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def http_driver(sandbox: Sandbox, seen: list[dict[str, Any]]) -> Iterator[Driver]:
    with serve_wsgi(SlackRequestHandler(build_app(sandbox, seen))) as url:
        yield Driver(sandbox, bot_url=f"{url}/slack/events", timeout=10)


@pytest.fixture
def socket_driver(sandbox: Sandbox, seen: list[dict[str, Any]]) -> Iterator[Driver]:
    handler = SocketModeHandler(build_app(sandbox, seen), sandbox.app_token)
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        assert sandbox.hub.wait_for_connections(1, timeout=10)
        yield Driver(sandbox, timeout=10)
    finally:
        handler.close()  # type: ignore[no-untyped-call]


def post_button_message(sandbox: Sandbox) -> str:
    client = WebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    response = client.chat_postMessage(
        channel="C0GENERAL", text="Pulse survey", blocks=BUTTON_BLOCKS
    )
    return str(response["ts"])


def open_views(sandbox: Sandbox, callback_id: str) -> list[str]:
    with sandbox.workspace.lock:
        return [
            v.id
            for v in sandbox.workspace.views.values()
            if v.callback_id == callback_id and not v.closed
        ]


def run_conversation(sandbox: Sandbox, driver: Driver, seen: list[dict[str, Any]]) -> None:
    """The same user journey for both transports: command, button, modal, home."""
    ack = driver.slash(ALICE, "/ping", "hello")
    assert ack.status == 200
    # Bolt answers ack("...") with a text/plain body over HTTP and {"text": ...} over Socket Mode.
    assert ack.body in ("pong hello", {"text": "pong hello"})
    assert ack.seconds > 0
    command = seen.pop()
    assert command["user_id"] == ALICE
    assert command["user_name"] == "alice"
    assert command["team_id"] == sandbox.team_id
    assert command["channel_id"] == sandbox.workspace.dm_channel_for(ALICE).id
    assert command["trigger_id"]
    assert command["response_url"].startswith("http://127.0.0.1:")
    (shown,) = sandbox.workspace.ephemerals(ALICE)
    assert (shown.text, shown.source) == ("pong hello", "ack")

    ts = post_button_message(sandbox)
    ack = driver.click(ALICE, "open_survey", channel_id="C0GENERAL", message_ts=ts)
    assert ack.status == 200
    click = seen.pop()
    assert click["actions"][0]["value"] == "pulse-42"
    assert click["actions"][0]["block_id"] == "survey_actions"
    assert click["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "C0GENERAL",
        "is_ephemeral": False,
    }
    assert click["message"]["ts"] == ts
    (view_id,) = open_views(sandbox, "survey")

    ack = driver.submit(ALICE, view_id, {"answer": {"text": {"value": "  "}}})
    assert ack.status == 200
    assert ack.body == {
        "response_action": "errors",
        "errors": {"answer": "Please write something"},
    }
    view = sandbox.workspace.views[view_id]
    assert not view.closed
    assert view.errors == {"answer": "Please write something"}

    ack = driver.submit(ALICE, view_id, {"answer": {"text": {"value": "Great week"}}})
    assert ack.status == 200
    assert not ack.body
    assert seen.pop()["state"]["values"]["answer"]["text"] == {
        "type": "plain_text_input",
        "value": "Great week",
    }
    assert sandbox.workspace.views[view_id].closed

    ack = driver.open_home(ALICE)
    assert ack.status == 200
    home = sandbox.workspace.home_view(ALICE)
    assert home is not None
    assert home.blocks[0]["text"]["text"] == "Welcome"


def test_http_conversation_with_a_bolt_app(
    sandbox: Sandbox, http_driver: Driver, seen: list[dict[str, Any]]
) -> None:
    run_conversation(sandbox, http_driver, seen)


def test_socket_mode_conversation_with_a_bolt_app(
    sandbox: Sandbox, socket_driver: Driver, seen: list[dict[str, Any]]
) -> None:
    run_conversation(sandbox, socket_driver, seen)
    assert {a.type for a in sandbox.hub.acks} == {"slash_commands", "interactive", "events_api"}
    assert all(a.acked for a in sandbox.hub.acks)


def test_socket_mode_app_reconnects_when_asked_to_refresh(
    sandbox: Sandbox, socket_driver: Driver
) -> None:
    hub = sandbox.hub
    opened = hub.connections_opened()
    assert hub.disconnect("refresh_requested") == 1
    # slack_sdk opens a new connection (a new apps.connections.open ticket), then drops the old.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (
        hub.connections_opened() == opened + 1 and hub.connection_count() == 1
    ):
        time.sleep(0.02)
    assert hub.connections_opened() == opened + 1
    assert hub.connection_count() == 1
    ack = socket_driver.slash(ALICE, "/ping", "again")
    assert (ack.status, ack.body) == (200, {"text": "pong again"})


def slash_body(text: str = "") -> bytes:
    return urllib.parse.urlencode({"command": "/ping", "text": text, "user_id": ALICE}).encode()


FORM = "application/x-www-form-urlencoded"


def test_a_correctly_signed_raw_request_is_accepted(http_driver: Driver) -> None:
    ack = http_driver.send_raw(slash_body("raw"), FORM)
    assert (ack.status, ack.body) == (200, "pong raw")


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param({"signature": "v0=" + "0" * 64}, id="bad-signature"),
        pytest.param({"secret": "not-the-signing-secret"}, id="wrong-secret"),
        pytest.param({"timestamp": int(time.time()) - 301}, id="older-than-5-minutes"),
    ],
)
def test_unverifiable_requests_get_401(http_driver: Driver, tamper: dict[str, Any]) -> None:
    ack = http_driver.send_raw(slash_body(), FORM, **tamper)
    assert ack.status == 401


@pytest.mark.parametrize("transport", ["http", "socket"])
def test_event_retries_reach_the_app(
    request: pytest.FixtureRequest, transport: str, seen: list[dict[str, Any]]
) -> None:
    driver: Driver = request.getfixturevalue(f"{transport}_driver")
    event = {
        "type": "app_mention",
        "user": ALICE,
        "text": "<@U0COMMONS> hi",
        "channel": "C0GENERAL",
    }
    first = driver.event(event, event_id="Ev0RETRY001")
    again = driver.event(event, event_id="Ev0RETRY001", retry_num=1, retry_reason="http_timeout")
    assert (first.status, again.status) == (200, 200)
    # Socket Mode envelopes always carry retry_attempt, which Bolt turns into the header "0".
    first_num = "0" if transport == "socket" else ""
    assert seen == [
        {"event_id": "Ev0RETRY001", "retry_num": first_num, "retry_reason": ""},
        {"event_id": "Ev0RETRY001", "retry_num": "1", "retry_reason": "http_timeout"},
    ]


def test_click_finds_a_button_on_an_ephemeral_ack(
    sandbox: Sandbox, http_driver: Driver, seen: list[dict[str, Any]]
) -> None:
    sandbox.workspace.add_ephemeral("C0GENERAL", ALICE, "Pulse", BUTTON_BLOCKS, source="test")
    ack = http_driver.click(ALICE, "open_survey")
    assert ack.status == 200
    assert seen.pop()["container"]["is_ephemeral"] is True
    assert open_views(sandbox, "survey")


def test_an_unacked_socket_envelope_is_status_0(sandbox: Sandbox) -> None:
    driver = Driver(sandbox, timeout=0.2)
    ack: Ack = driver.shortcut(ALICE, "nobody_listens")
    assert (ack.status, ack.body) == (0, None)


def test_bot_url_must_be_http(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="http"):
        Driver(sandbox, bot_url="file:///etc/passwd")
