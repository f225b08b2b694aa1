"""The interaction layer through the real app over HTTP and Socket Mode: one ack for every
outcome, screened payloads, signatures, and redeliveries that change nothing twice."""

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_bolt import App
from slack_sdk.models.blocks import InputBlock, PlainTextInputElement
from slack_sdk.models.views import View

from bot import socket_mode
from bot.app import FEATURES, create_app
from bot.errors import DomainError
from bot.http import CommonsWSGI
from bot.services import Services
from bot.slack.forms import Form, FormField
from bot.slack.interaction import (
    FormErrors,
    Interaction,
    Nothing,
    OpenModal,
    Outcome,
    Reply,
    Wiring,
)
from sandbox.driver import Driver, sign
from sandbox.server import Sandbox
from sandbox.workspace import View as SandboxView
from tests.support import sandbox_services, serve_wsgi, wait_until

ALICE = "U0ALICE"
FORM = Form(
    "test.form",
    fields=(FormField("title", "title_block"), FormField("body", "body_block")),
    default="title",
)
calls: list[str] = []


def _count(i: Interaction) -> Outcome:
    calls.append(i.text)
    return Reply(f"counted {len(calls)}")


def _open_form(i: Interaction) -> Outcome:
    return OpenModal(
        View(
            type="modal",
            callback_id=FORM.callback_id,
            title="Test",
            submit="Save",
            private_metadata=i.seal("test.form", {"by": i.user_id}),
            blocks=[
                InputBlock(
                    block_id="title_block",
                    label="Title",
                    element=PlainTextInputElement(action_id="v"),
                ),
                InputBlock(
                    block_id="body_block",
                    label="Body",
                    element=PlainTextInputElement(action_id="v"),
                ),
            ],
        )
    )


def _submitted(i: Interaction) -> Outcome:
    sealed = i.unseal("test.form")
    title = i.submitted.text("title")
    calls.append(f"{sealed['by']}:{title}")
    if title == "bad":
        raise DomainError("A title of <#C0GENERAL> &amp; `bad` is refused.", field="body")
    if title == "both":
        return FormErrors({"title": "Too short.", "nonesuch": "About the whole form."})
    return Nothing()


def _click(i: Interaction) -> Outcome:
    calls.append(str(i.action.get("value")))
    raise DomainError("You may not press this.")


def _refuse_confirm(i: Interaction) -> Outcome:
    raise DomainError("That announcement was sent already.")


def _publish_for_nobody(i: Interaction) -> None:
    calls.append("published")
    i.client.views_publish(user_id="U0NOBODY", view={"type": "home", "blocks": []})


def _test_feature(wire: Wiring) -> None:
    wire.event("app_mention", _publish_for_nobody)
    wire.view("test.confirm", _refuse_confirm)
    wire.command("/count", _count)
    wire.command("/form", _open_form)
    wire.view(FORM, _submitted)
    wire.action("test.click", _click)


@pytest.fixture
def slack() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def services(slack: Sandbox, tmp_path: Path) -> Iterator[Services]:
    with sandbox_services(slack, tmp_path) as built:
        yield built


@pytest.fixture
def app(services: Services) -> App:
    calls.clear()
    return create_app(services.settings, services, features=(_test_feature, *FEATURES))


@pytest.fixture
def driver(slack: Sandbox, app: App, services: Services) -> Iterator[Driver]:
    secret = services.settings.slack_signing_secret
    with serve_wsgi(CommonsWSGI(app, services.store, secret)) as url:
        yield Driver(slack, bot_url=f"{url}/slack/events")


def _payload(data: object) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(data)}).encode()


FORM_TYPE = "application/x-www-form-urlencoded"


def test_a_redelivered_command_runs_once(driver: Driver) -> None:
    first = driver.slash(ALICE, "/count", "Printer jam")
    again = [driver.redeliver() for _ in range(5)]
    assert first.status == 200
    assert all(a.status == 200 for a in again)
    assert calls == ["Printer jam"]
    # A new command (a new trigger) is a new request.
    driver.slash(ALICE, "/count", "Printer jam")
    assert calls == ["Printer jam", "Printer jam"]


def _open_form_as_alice(driver: Driver, slack: Sandbox) -> SandboxView:
    driver.slash(ALICE, "/form")
    assert wait_until(lambda: slack.workspace.top_modal(ALICE) is not None)
    view = slack.workspace.top_modal(ALICE)
    assert view is not None
    return view


def test_a_redelivered_form_submission_saves_once(driver: Driver, slack: Sandbox) -> None:
    view = _open_form_as_alice(driver, slack)
    values = {"title_block": {"v": {"value": "Hello"}}, "body_block": {"v": {"value": "x"}}}
    assert driver.submit(ALICE, view.id, values).status == 200
    assert driver.redeliver().status == 200
    assert calls == [f"{ALICE}:Hello"]


def test_a_refused_submission_can_be_sent_again_and_its_error_is_plain_text(
    driver: Driver, slack: Sandbox
) -> None:
    view = _open_form_as_alice(driver, slack)
    values = {"title_block": {"v": {"value": "bad"}}, "body_block": {"v": {"value": "x"}}}
    ack = driver.submit(ALICE, view.id, values)
    assert isinstance(ack.body, dict)
    assert ack.body["response_action"] == "errors"
    # Under the field the refusal names, readable as plain text.
    assert ack.body["errors"] == {"body_block": "A title of #C0GENERAL & bad is refused."}
    driver.submit(ALICE, view.id, values)
    assert calls == [f"{ALICE}:bad", f"{ALICE}:bad"]


def test_errors_about_no_field_go_under_the_default_field(driver: Driver, slack: Sandbox) -> None:
    view = _open_form_as_alice(driver, slack)
    values = {"title_block": {"v": {"value": "both"}}, "body_block": {"v": {"value": "x"}}}
    ack = driver.submit(ALICE, view.id, values)
    assert isinstance(ack.body, dict)
    assert ack.body["errors"] == {"title_block": "Too short. About the whole form."}


def test_a_forged_private_metadata_is_refused_and_nothing_is_saved(
    driver: Driver, slack: Sandbox
) -> None:
    view = _open_form_as_alice(driver, slack)
    for forged in ('{"by": "U0BOB"}', "1|", "", "x.y"):
        payload = {
            "type": "view_submission",
            "user": {"id": ALICE},
            "trigger_id": "1.2.3",
            "view": {
                "id": view.id,
                "type": "modal",
                "callback_id": FORM.callback_id,
                "private_metadata": forged,
                "blocks": [{"type": "input", "block_id": "title_block"}],
                "state": {"values": {"title_block": {"v": {"value": forged or "t"}}}},
            },
        }
        ack = driver.send_raw(_payload(payload), FORM_TYPE)
        assert ack.status == 200
        assert isinstance(ack.body, dict)
        assert "out of date" in ack.body["errors"]["title_block"]
    assert calls == []


def test_a_refused_click_is_acknowledged_and_answered(driver: Driver, slack: Sandbox) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": ALICE},
        "trigger_id": "1.2.3",
        "channel": {"id": "C0GENERAL"},
        "actions": [{"action_id": "test.click", "block_id": "b", "value": "7"}],
    }
    ack = driver.send_raw(_payload(payload), FORM_TYPE)
    assert ack.status == 200
    assert ack.seconds < 3
    assert wait_until(
        lambda: "You may not press this." in [e.text for e in slack.workspace.ephemerals(ALICE)]
    )


MALFORMED: list[object] = [
    [],
    "text",
    {"type": "block_actions", "user": {"id": ALICE}, "actions": "x"},
    {"type": "block_actions", "user": {"id": ALICE}, "actions": []},
    {"type": "block_actions", "user": {"id": ALICE}, "actions": [{"action_id": 5}]},
    {"type": "block_actions", "user": {"id": ALICE}, "actions": [{"action_id": "nope.nothing"}]},
    {"type": "block_actions", "user": "U0ALICE", "actions": [{"action_id": "test.click"}]},
    {"type": "block_actions", "actions": [{"action_id": "test.click"}]},
    {"type": "view_submission", "user": {"id": ALICE}, "view": {}},
    {"type": "view_submission", "user": {"id": ALICE}, "view": {"callback_id": "test.form"}},
    {"type": "view_submission", "user": {"id": ALICE}, "view": {"callback_id": "nope"}},
    {
        "type": "view_submission",
        "user": {"id": ALICE},
        "view": {"callback_id": "test.form", "private_metadata": "{}", "state": {"values": []}},
    },
    {"type": "view_submission", "user": {"id": ALICE}, "view": "x"},
    {"type": "view_closed", "user": {"id": ALICE}, "view": {"callback_id": "anything"}},
    {"type": "shortcut", "user": {"id": ALICE}, "callback_id": "nope", "trigger_id": "1"},
    {"type": "message_action", "user": {"id": ALICE}, "callback_id": 3},
    {"type": "event_callback", "event": "x"},
    {"type": "mystery"},
    {},
]


@pytest.mark.parametrize("payload", MALFORMED)
def test_malformed_interactivity_gets_200_and_no_error(
    driver: Driver, payload: object, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        ack = driver.send_raw(_payload(payload), FORM_TYPE)
    assert ack.status == 200
    assert ack.seconds < 3
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert "reference" not in json.dumps(ack.body)


def test_unreadable_bodies_get_200(driver: Driver) -> None:
    for body in (b"payload=%7Bnot-json", b"\xff\xfe", b"command=%2Fcount"):
        assert driver.send_raw(body, FORM_TYPE).status == 200
    assert calls == []


@pytest.mark.parametrize("timestamp", ["abc", "", "12.5", "-1", "1e3", "²³"])
def test_a_timestamp_that_is_not_digits_gets_401(driver: Driver, timestamp: str) -> None:
    body = urllib.parse.urlencode({"command": "/count", "user_id": ALICE, "text": "x"}).encode()
    signature = sign(driver.sandbox.signing_secret, timestamp, body)
    assert _post_with_timestamp(driver, body, timestamp, signature) == 401
    assert calls == []


def _post_with_timestamp(driver: Driver, body: bytes, timestamp: str, signature: str) -> int:
    assert driver.bot_url is not None
    request = urllib.request.Request(
        driver.bot_url,
        data=body,
        headers={
            "Content-Type": FORM_TYPE,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        },
        method="POST",
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        with error:
            return int(error.code)


def test_bad_and_stale_signatures_get_401(driver: Driver) -> None:
    body = urllib.parse.urlencode({"command": "/count", "user_id": ALICE, "text": "x"}).encode()
    assert driver.send_raw(body, FORM_TYPE, secret="wrong").status == 401
    assert driver.send_raw(body, FORM_TYPE, timestamp=1_000_000_000).status == 401
    assert calls == []


def test_a_nul_byte_never_reaches_a_handler(driver: Driver) -> None:
    driver.slash(ALICE, "/count", "a\x00b")
    assert calls == ["ab"]


def test_a_socket_mode_envelope_delivered_twice_is_handled_once(
    slack: Sandbox, app: App, services: Services
) -> None:
    handler = socket_mode.connect(app, slack.app_token, services)
    try:
        driver = Driver(slack)
        payload = {
            "type": "block_actions",
            "user": {"id": ALICE},
            "trigger_id": "1.2.3",
            "channel": {"id": "C0GENERAL"},
            "actions": [{"action_id": "test.click", "block_id": "b", "value": "9"}],
        }
        first = driver._socket("interactive", payload)
        again = driver.redeliver()
        assert (first.status, again.status) == (200, 200)
        assert wait_until(lambda: calls == ["9"])
        assert calls == ["9"]
        # The same payload in a new envelope is a new click.
        driver._socket("interactive", payload)
        assert wait_until(lambda: calls == ["9", "9"])
    finally:
        handler.close()  # type: ignore[no-untyped-call]


def test_a_refusal_on_a_form_without_inputs_is_shown_in_the_form(driver: Driver) -> None:
    payload = {
        "type": "view_submission",
        "user": {"id": ALICE},
        "view": {"id": "V0C", "type": "modal", "callback_id": "test.confirm", "blocks": []},
    }
    ack = driver.send_raw(_payload(payload), FORM_TYPE)
    assert isinstance(ack.body, dict)
    assert ack.body["response_action"] == "update"
    assert "That announcement was sent already." in json.dumps(ack.body["view"])


def test_an_event_whose_slack_call_is_refused_is_a_warning_not_an_error(
    driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        ack = driver.event({"type": "app_mention", "user": ALICE, "text": "hi"}, event_id="Ev9")
        assert ack.status == 200
        assert wait_until(lambda: any("Slack refused" in r.getMessage() for r in caplog.records))
    assert calls == ["published"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
