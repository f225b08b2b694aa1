"""The bot as a real process against the sandbox: HTTP mode and Socket Mode answer /commons help."""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bot.clock import SystemClock
from bot.outbox import delivery
from bot.outbox.delivery import OutboundMessage
from bot.store import Store, make_engine
from sandbox.driver import Driver
from sandbox.server import Sandbox
from tests.support import bot_env, bot_process, free_port, wait_for_http, wait_until

pytestmark = pytest.mark.e2e

ALICE = "U0ALICE"
COMMANDS = ("/announce", "/townhall", "/pulse", "/request", "/digest", "/commons")


@pytest.fixture
def slack() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


def _help_text(body: object) -> str:
    assert isinstance(body, dict), body
    return json.dumps(body)


def _assert_is_help(body: object) -> None:
    text = _help_text(body)
    assert "Commons: what you can do" in text
    for command in COMMANDS:
        assert command in text
    assert "coming soon" in text
    assert body["response_type"] == "ephemeral"  # type: ignore[index]


def test_http_mode_answers_help_within_the_deadline_and_rejects_forgeries(
    slack: Sandbox, tmp_path: Path
) -> None:
    port = free_port()
    env = bot_env(slack, f"sqlite:///{tmp_path / 'commons.db'}")
    args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    with bot_process(args, env, tmp_path) as process:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process=process)
        driver = Driver(slack, bot_url=f"http://127.0.0.1:{port}/slack/events")

        ack = driver.slash(ALICE, "/commons", "help")
        assert ack.status == 200
        assert ack.seconds < 3
        _assert_is_help(ack.body)
        assert any(
            "Commons: what you can do" in (e.text or "") for e in slack.workspace.ephemerals(ALICE)
        )

        unknown = driver.slash(ALICE, "/commons", "frobnicate now")
        assert "I don't know `frobnicate now`" in _help_text(unknown.body)
        _assert_is_help(unknown.body)

        coming = driver.slash(ALICE, "/digest", "")
        assert "coming soon" in _help_text(coming.body)

        before = len(slack.workspace.activity_since(0))
        form = urlencode({"command": "/commons", "text": "help", "user_id": ALICE}).encode()
        forged = driver.send_raw(form, "application/x-www-form-urlencoded", secret="not-the-secret")
        stale = driver.send_raw(
            form, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 6 * 60
        )
        assert forged.status == 401
        assert stale.status == 401
        assert len(slack.workspace.activity_since(0)) == before

        # The running process posts what lands in its outbox (here written by another process).
        store = Store(make_engine(env["DATABASE_URL"]))
        with store.unit_of_work() as session:
            delivery.open_campaign(
                session=session, clock=SystemClock(), campaign_id="e2e", kind="test", title="E2E"
            )
            delivery.enqueue(
                session=session,
                clock=SystemClock(),
                campaign_id="e2e",
                messages=[
                    OutboundMessage(
                        target="U0BOB", text="Posted by the outbox", idempotency_key="e2e:1"
                    )
                ],
            )
        store.dispose()
        bob_dm = slack.workspace.dm_channel_for("U0BOB").id
        assert wait_until(
            lambda: [m.text for m in slack.workspace.messages(bob_dm)] == ["Posted by the outbox"],
            timeout=15,
        )

    log = (tmp_path / "commons.log").read_text()
    assert slack.bot_token not in log
    assert slack.signing_secret not in log


def test_socket_mode_answers_help_and_publishes_the_home(slack: Sandbox, tmp_path: Path) -> None:
    env = bot_env(slack, f"sqlite:///{tmp_path / 'commons.db'}")
    with bot_process(["run"], env, tmp_path) as process:
        assert slack.hub.wait_for_connections(1, timeout=30), (tmp_path / "commons.log").read_text()
        assert process.poll() is None
        driver = Driver(slack)

        ack = driver.slash(ALICE, "/commons", "help")
        assert ack.status == 200
        assert ack.seconds < 3
        _assert_is_help(ack.body)

        home = driver.open_home(ALICE)
        assert home.status == 200
        assert wait_until(lambda: slack.workspace.home_view(ALICE) is not None)
        view = slack.workspace.home_view(ALICE)
        assert view is not None
        assert "Welcome to Commons" in json.dumps(view.blocks)

    log = (tmp_path / "commons.log").read_text()
    assert slack.bot_token not in log
    assert slack.app_token not in log


def test_bad_settings_stop_start_up_with_one_message_naming_each(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "SLACK_BOT_TOKEN": "xoxp-user-token", "LOG_LEVEL": "loud"}
    with bot_process(["run"], env, tmp_path) as process:
        assert process.wait(timeout=30) == 2
    output = (tmp_path / "commons.log").read_text()
    assert "3 settings" in output or "4 settings" in output
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "LOG_LEVEL"):
        assert name in output
    assert "xoxp-user-token" not in output
    assert "Traceback" not in output


def test_sigterm_stops_the_bot_cleanly(slack: Sandbox, tmp_path: Path) -> None:
    port = free_port()
    env = bot_env(slack, f"sqlite:///{tmp_path / 'commons.db'}")
    with bot_process(
        ["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path
    ) as process:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", process=process)
        process.terminate()
        assert process.wait(timeout=20) == 0
    assert "Commons stopped (SIGTERM)" in (tmp_path / "commons.log").read_text()
