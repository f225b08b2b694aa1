"""Fixtures for the sandbox's Web API tests: a started sandbox, a manual clock, a real client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk import WebClient

from sandbox.pacing import ManualClock
from sandbox.server import Sandbox

# (HTTP method, path, JSON body or None) -> (status, JSON body, headers)
HttpCall = Callable[..., tuple[int, dict[str, Any], dict[str, str]]]


def small_workspace() -> dict[str, Any]:
    """A workspace small enough to state every expectation about it."""
    return {
        "team": {"id": "T0TEST", "name": "Test Co", "domain": "testco"},
        "bot": {"user_id": "U0BOT", "bot_id": "B0BOT", "app_id": "A0APP", "name": "commons"},
        "users": [
            {
                "id": "U0ALICE",
                "name": "alice",
                "real_name": "Alice Moreau",
                "display_name": "Alice",
                "tz": "Europe/Berlin",
                "title": "Head of Communications",
                "email": "alice@test.example",
                "is_admin": True,
            },
            {
                "id": "U0BOB",
                "name": "bob",
                "real_name": "Bob Stone",
                "display_name": "Bob",
                "tz": "America/New_York",
                "title": "Engineer",
                "email": "bob@test.example",
            },
            {
                "id": "U0CAROL",
                "name": "carol",
                "real_name": "Carol Tanaka",
                "display_name": "Carol",
                "tz": "Asia/Tokyo",
                "title": "Designer",
                "email": "carol@test.example",
            },
            {
                "id": "U0GONE",
                "name": "gone",
                "real_name": "Former Colleague",
                "display_name": "",
                "tz": "UTC",
                "title": "",
                "email": "gone@test.example",
                "deleted": True,
            },
            {
                "id": "U0DEPLOY",
                "name": "deploybot",
                "real_name": "Deploy Bot",
                "display_name": "deploybot",
                "tz": "UTC",
                "title": "",
                "email": "",
                "is_bot": True,
            },
        ],
        "usergroups": [
            {
                "id": "S0HR",
                "handle": "hr",
                "name": "HR",
                "description": "People team",
                "users": ["U0ALICE", "U0BOB"],
                "channels": ["C0GENERAL"],
            }
        ],
        "channels": [
            {
                "id": "C0GENERAL",
                "name": "general",
                "is_private": False,
                "members": ["U0ALICE", "U0BOB", "U0CAROL", "U0BOT"],
                "topic": "Everything",
                "purpose": "Company-wide",
            },
            {
                "id": "C0RANDOM",
                "name": "random",
                "is_private": False,
                "members": ["U0ALICE", "U0BOB"],
                "topic": "",
                "purpose": "",
            },
            {
                "id": "C0SECRET",
                "name": "leadership",
                "is_private": True,
                "members": ["U0ALICE", "U0BOT"],
                "topic": "",
                "purpose": "",
            },
            {
                "id": "C0HIDDEN",
                "name": "hidden",
                "is_private": True,
                "members": ["U0BOB"],
                "topic": "",
                "purpose": "",
            },
            {
                "id": "C0OLD",
                "name": "offsite-2019",
                "is_private": False,
                "members": ["U0ALICE", "U0BOT"],
                "topic": "",
                "purpose": "",
                "is_archived": True,
            },
        ],
    }


@pytest.fixture
def clock() -> ManualClock:
    """The sandbox's clock for rate limits and expiries; it moves only when a test says so."""
    return ManualClock()


@pytest.fixture
def slack(clock: ManualClock) -> Iterator[Sandbox]:
    """A started sandbox on the small workspace, with Slack's default limits."""
    with Sandbox(small_workspace(), clock=clock) as sandbox:
        yield sandbox


@pytest.fixture
def roomy(slack: Sandbox) -> Sandbox:
    """The sandbox with limits high enough that tests about other things never hit them."""
    slack.set_limits(
        workspace_per_minute=100_000, workspace_burst=10_000, channel_burst=10_000, tiers=False
    )
    return slack


@pytest.fixture
def client(slack: Sandbox) -> WebClient:
    """slack_sdk's real WebClient pointed at the sandbox, without retries."""
    return WebClient(token=slack.bot_token, base_url=slack.api_url, retry_handlers=[])


@pytest.fixture
def http(slack: Sandbox) -> HttpCall:
    """Plain HTTP against the sandbox (control routes, raw Web API requests)."""

    def send(
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        form: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        data = form if form is not None else None
        all_headers = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        elif form is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(
            slack.url + path, data=data, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read()), dict(response.headers)
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read()), dict(error.headers)

    return send
