"""/commons whoami, role, roles, department and sync, driven through the sandbox."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_bolt import App

from bot.app import create_app
from bot.background import Background
from bot.http import CommonsWSGI
from sandbox.driver import Driver
from sandbox.server import Sandbox
from tests.support import sandbox_services, serve_wsgi, wait_until


@pytest.fixture
def slack() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def driver(slack: Sandbox, tmp_path: Path) -> Iterator[Driver]:
    with sandbox_services(slack, tmp_path, admins="U0ALICE") as services:
        app: App = create_app(services.settings, services)
        Background(services, app.client).sync_directory()
        secret = services.settings.slack_signing_secret
        with serve_wsgi(CommonsWSGI(app, services.store, secret)) as url:
            yield Driver(slack, bot_url=f"{url}/slack/events")


def _text(body: object) -> str:
    return json.dumps(body)


def test_whoami_tells_role_zone_departments_and_reach(driver: Driver) -> None:
    alice = _text(driver.slash("U0ALICE", "/commons", "whoami").body)
    assert "*admin* (COMMONS_ADMINS)" in alice
    assert "Europe/Berlin" in alice
    bob = _text(driver.slash("U0BOB", "/commons", "whoami").body)
    assert "*member* (default)" in bob
    assert "IT" in bob
    assert "nowhere" in bob


def test_an_admin_gives_a_role_with_an_escaped_mention_and_can_undo(driver: Driver) -> None:
    given = _text(driver.slash("U0ALICE", "/commons", "role <@U0FRANK|frank> manager").body)
    assert "is now *manager* (was member)" in given
    assert "/commons role @frank member" in given
    assert "*manager*" in _text(driver.slash("U0FRANK", "/commons", "whoami").body)
    listing = _text(driver.slash("U0ALICE", "/commons", "roles").body)
    assert "<@U0FRANK>: *manager*" in listing


def test_a_member_cannot_give_roles_and_nothing_changes(driver: Driver) -> None:
    refused = _text(driver.slash("U0BOB", "/commons", "role @bob admin").body)
    assert "Only Commons admins" in refused
    assert "*member*" in _text(driver.slash("U0BOB", "/commons", "whoami").body)


def test_bad_role_commands_say_how_to_do_it_right(driver: Driver) -> None:
    assert "/commons role @person admin|comms|manager|member" in _text(
        driver.slash("U0ALICE", "/commons", "role frank").body
    )
    assert "not a role" in _text(driver.slash("U0ALICE", "/commons", "role @frank king").body)
    assert "no one called" in _text(driver.slash("U0ALICE", "/commons", "role @zed comms").body)


def test_an_admin_sets_a_departments_channel(driver: Driver) -> None:
    linked = _text(
        driver.slash(
            "U0ALICE", "/commons", "department <!subteam^S0ENG|@engineering> <#C0GENERAL|general>"
        ).body
    )
    assert "now posts to <#C0GENERAL>" in linked
    assert "no department" in _text(
        driver.slash("U0ALICE", "/commons", "department @legal #general").body
    )
    assert "archived" in _text(
        driver.slash("U0ALICE", "/commons", "department @it #offsite-2024").body
    )


def test_sync_answers_at_once_and_reports_when_done(driver: Driver, slack: Sandbox) -> None:
    ack = driver.slash("U0ALICE", "/commons", "sync")
    assert "Syncing" in _text(ack.body)
    assert wait_until(
        lambda: any("Synced:" in (e.text or "") for e in slack.workspace.ephemerals("U0ALICE"))
    )


def test_help_lists_the_directory_subcommands_each_person_may_use(driver: Driver) -> None:
    member = _text(driver.slash("U0BOB", "/commons", "help").body)
    assert "/commons whoami" in member
    assert "/commons role @person" not in member
    admin = _text(driver.slash("U0ALICE", "/commons", "help").body)
    assert "/commons role @person" in admin
