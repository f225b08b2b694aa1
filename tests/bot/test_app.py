"""App wiring through the sandbox: help, coming-soon commands, the one error path, health checks."""

import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_bolt import App
from sqlalchemy import text

from bot.app import FEATURES, create_app
from bot.catalogue import COMMANDS
from bot.errors import DomainError
from bot.http import CommonsWSGI
from bot.services import Services
from bot.slack.interaction import Interaction, Later, Outcome, Reply, Wiring
from bot.store import Store, make_engine
from sandbox.driver import Driver
from sandbox.server import Sandbox
from tests.support import sandbox_services, serve_wsgi, wait_until

ALICE = "U0ALICE"


@pytest.fixture
def slack() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def services(slack: Sandbox, tmp_path: Path) -> Iterator[Services]:
    with sandbox_services(slack, tmp_path) as built:
        yield built


def _serve(app: App, services: Services) -> Iterator[str]:
    with serve_wsgi(
        CommonsWSGI(app, services.store, services.settings.slack_signing_secret)
    ) as url:
        yield url


handled: list[str] = []


def _boom(i: Interaction) -> Outcome:
    raise RuntimeError("an unexpected failure")


def _refuse(i: Interaction) -> Outcome:
    raise DomainError("Only admins can do that. Ask an admin to run it for you.")


def _saves_then_fails(i: Interaction) -> Outcome:
    with i.services.store.unit_of_work() as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS scratch (x INTEGER)"))
    raise RuntimeError("failed after saving")


def _later_fails(i: Interaction) -> Outcome:
    return Later(Reply("Working on it..."), lambda: _boom(i))


def _count_reaction(i: Interaction) -> None:
    handled.append(str(i.event["reaction"]))


def _test_feature(wire: Wiring) -> None:
    wire.command("/boom", _boom)
    wire.command("/refuse", _refuse)
    wire.command("/saves", _saves_then_fails)
    wire.command("/later", _later_fails)
    # reaction_removed: no feature listens to it (Bolt runs only the first matching listener).
    wire.event("reaction_removed", _count_reaction)


@pytest.fixture
def app(services: Services) -> App:
    handled.clear()
    return create_app(services.settings, services, features=(_test_feature, *FEATURES))


@pytest.fixture
def driver(slack: Sandbox, app: App, services: Services) -> Iterator[Driver]:
    for url in _serve(app, services):
        yield Driver(slack, bot_url=f"{url}/slack/events")


def test_create_app_calls_no_slack_method(slack: Sandbox, services: Services) -> None:
    create_app(services.settings, services)
    assert slack.calls() == []


def test_help_lists_every_command_and_marks_the_unbuilt_ones(driver: Driver) -> None:
    ack = driver.slash(ALICE, "/commons", "help")
    assert ack.status == 200
    body = json.dumps(ack.body)
    for name in ("/announce", "/townhall", "/pulse", "/request", "/digest", "/commons"):
        assert name in body
    unbuilt = [c.name for c in COMMANDS if not c.available]
    # Each unbuilt command is marked, plus the footnote that explains the mark.
    assert isinstance(ack.body, dict)
    assert json.dumps(ack.body["blocks"]).count("coming soon") == len(unbuilt) + 1


def test_an_empty_commons_command_shows_the_help(driver: Driver) -> None:
    assert "Commons: what you can do" in json.dumps(driver.slash(ALICE, "/commons", "").body)


def test_an_unknown_subcommand_gets_the_help_never_a_trace(driver: Driver) -> None:
    ack = driver.slash(ALICE, "/commons", "<!channel> delete everything")
    body = json.dumps(ack.body)
    assert "I don't know" in body
    assert "&lt;!channel&gt;" in body  # the echo is escaped, so it notifies nobody
    assert "Traceback" not in body


def test_unbuilt_commands_say_they_are_coming_and_change_nothing(
    driver: Driver, slack: Sandbox
) -> None:
    for command in (c.name for c in COMMANDS if not c.available):
        ack = driver.slash(ALICE, command, "anything")
        assert ack.status == 200
        assert "coming soon" in json.dumps(ack.body)
    assert [c.method for c in slack.calls() if c.method.startswith("chat.")] == []


def _reference(text: str) -> str:
    match = re.search(r"reference: `([0-9a-f]{8})`", text)
    assert match is not None, text
    return match.group(1)


def test_an_unexpected_error_is_logged_with_a_reference_the_person_is_told(
    driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="commons"):
        ack = driver.slash(ALICE, "/boom", "")
    assert ack.status == 200
    assert isinstance(ack.body, dict)
    told = str(ack.body["text"])
    assert "Nothing was saved" in told
    logged = [r for r in caplog.records if _reference(told) in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None


def test_a_failure_after_a_write_does_not_claim_nothing_was_saved(driver: Driver) -> None:
    ack = driver.slash(ALICE, "/saves", "")
    assert isinstance(ack.body, dict)
    assert "Part of this was saved" in str(ack.body["text"])
    assert "Nothing was saved" not in str(ack.body["text"])


def test_a_failure_after_the_ack_reaches_the_person_with_a_reference(
    driver: Driver, slack: Sandbox
) -> None:
    ack = driver.slash(ALICE, "/later", "")
    assert isinstance(ack.body, dict)
    assert ack.body["text"] == "Working on it..."
    assert wait_until(lambda: any(e.source != "ack" for e in slack.workspace.ephemerals(ALICE)))
    told = [e.text or "" for e in slack.workspace.ephemerals(ALICE) if e.source != "ack"]
    assert _reference(told[-1])


def test_a_domain_error_is_the_ack(driver: Driver) -> None:
    ack = driver.slash(ALICE, "/refuse", "")
    assert ack.status == 200
    assert isinstance(ack.body, dict)
    assert ack.body["text"] == "Only admins can do that. Ask an admin to run it for you."


def test_a_command_commons_does_not_have_is_answered(driver: Driver) -> None:
    ack = driver.slash(ALICE, "/nonesuch", "x")
    assert ack.status == 200
    assert isinstance(ack.body, dict)
    assert "does not have that command" in str(ack.body["text"])


def test_opening_the_app_home_publishes_the_welcome(driver: Driver, slack: Sandbox) -> None:
    assert driver.open_home(ALICE).status == 200
    assert wait_until(lambda: slack.workspace.home_view(ALICE) is not None)
    view = slack.workspace.home_view(ALICE)
    assert view is not None
    text = json.dumps(view.blocks)
    assert "Welcome to Commons" in text
    assert "<@U0ALICE>" in text


def test_healthz_answers_ok_and_other_paths_404(
    driver: Driver, app: App, services: Services
) -> None:
    for url in _serve(app, services):
        with urllib.request.urlopen(f"{url}/healthz") as response:
            assert response.status == 200
            assert json.loads(response.read()) == {"status": "ok"}
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{url}/nowhere")
        assert missing.value.code == 404
        missing.value.close()


def test_healthz_is_503_when_the_database_is_unreachable(app: App) -> None:
    broken = Store(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"))
    with serve_wsgi(CommonsWSGI(app, broken, "secret")) as url:
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(f"{url}/healthz")
        assert failed.value.code == 503
        failed.value.close()
    broken.dispose()


def test_an_event_retried_by_slack_is_acted_on_once(driver: Driver) -> None:
    event = {
        "type": "reaction_removed",
        "user": ALICE,
        "reaction": "ticket",
        "item": {"type": "message", "channel": "C0GENERAL", "ts": "1.000001"},
    }
    first = driver.event(event, event_id="Ev0001")
    retry = driver.event(event, event_id="Ev0001", retry_num=1, retry_reason="http_timeout")
    other = driver.event({**event, "reaction": "eyes"}, event_id="Ev0002")
    assert (first.status, retry.status, other.status) == (200, 200, 200)
    assert wait_until(lambda: len(handled) == 2)
    assert sorted(handled) == ["eyes", "ticket"]
