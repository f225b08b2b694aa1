"""The sandbox paces the Web API like Slack: tiers per method, chat.postMessage per channel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.pacing import ManualClock, Pacer, TokenBucket, retry_after_seconds
from sandbox.server import Sandbox

HttpCall = Callable[..., tuple[int, dict[str, Any], dict[str, str]]]


def rate_limited(excinfo: pytest.ExceptionInfo[SlackApiError]) -> int:
    """Assert Slack's 429 shape and return its Retry-After seconds."""
    response = excinfo.value.response
    assert response.status_code == 429
    assert response.data == {"ok": False, "error": "ratelimited"}
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit()
    assert int(retry_after) >= 1
    return int(retry_after)


def test_a_tier_2_method_allows_a_minutes_burst_then_429(
    slack: Sandbox, client: WebClient, clock: ManualClock
) -> None:
    for _ in range(20):
        client.users_list(limit=1)
    with pytest.raises(SlackApiError) as excinfo:
        client.users_list(limit=1)
    # Tier 2 refills 20 a minute: one call every 3 s.
    assert rate_limited(excinfo) == 3
    assert slack.calls("users.list")[-1].status == 429
    clock.advance(3)
    assert client.users_list(limit=1)["ok"]


def test_tiers_count_per_method(client: WebClient) -> None:
    for _ in range(20):
        client.users_list(limit=1)
    # conversations.list is tier 2 too, but has a bucket of its own.
    assert client.conversations_list(limit=1)["ok"]


def test_tier_1_allows_one_call_a_minute(slack: Sandbox, client: WebClient) -> None:
    tier_1 = "admin.apps.uninstall"
    spec_args = {"app_id": "A0OTHER"}
    assert client.api_call(tier_1, params=spec_args)["ok"]
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call(tier_1, params=spec_args)
    assert rate_limited(excinfo) == 60


def test_special_tier_methods_are_not_tier_limited(client: WebClient) -> None:
    for _ in range(60):
        client.auth_test()


def test_tiers_can_be_switched_off(slack: Sandbox, client: WebClient) -> None:
    slack.set_limits(tiers=False)
    for _ in range(30):
        client.users_list(limit=1)


def test_post_message_allows_3_per_channel_then_1_a_second(
    slack: Sandbox, client: WebClient, clock: ManualClock
) -> None:
    for i in range(3):
        client.chat_postMessage(channel="C0GENERAL", text=f"burst {i}")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0GENERAL", text="one too many")
    assert rate_limited(excinfo) == 1
    assert [m.text for m in slack.workspace.messages("C0GENERAL")] == [
        "burst 0",
        "burst 1",
        "burst 2",
    ]
    # Another channel has its own allowance.
    assert client.chat_postMessage(channel="C0SECRET", text="elsewhere")["ok"]
    clock.advance(1)
    assert client.chat_postMessage(channel="C0GENERAL", text="a second later")["ok"]
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0GENERAL", text="too soon again")


def test_a_dm_by_user_id_and_by_channel_id_share_one_allowance(client: WebClient) -> None:
    dm = client.chat_postMessage(channel="U0ALICE", text="1")["channel"]
    client.chat_postMessage(channel=dm, text="2")
    client.chat_postMessage(channel="U0ALICE", text="3")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel=dm, text="4")
    rate_limited(excinfo)


def test_the_workspace_budget_limits_posts_across_channels(
    slack: Sandbox, client: WebClient, clock: ManualClock
) -> None:
    slack.set_limits(workspace_per_minute=60, workspace_burst=2)
    client.chat_postMessage(channel="C0GENERAL", text="1")
    client.chat_postMessage(channel="U0ALICE", text="2")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="U0BOB", text="3")
    assert rate_limited(excinfo) == 1
    clock.advance(1)
    assert client.chat_postMessage(channel="U0BOB", text="3")["ok"]


def test_the_workspace_burst_defaults_to_five_seconds_of_budget(slack: Sandbox) -> None:
    assert slack.set_limits(workspace_per_minute=600).workspace_burst == 50
    assert slack.set_limits(workspace_burst=7).workspace_burst == 7


def test_a_refused_post_spends_nothing() -> None:
    clock = ManualClock()
    pacer = Pacer(workspace_per_minute=60, clock=clock)
    pacer.set_limits(workspace_burst=4, channel_burst=1)
    assert pacer.check("chat.postMessage", "t5", "C1") == 0
    # Refused by C1's bucket: the workspace budget must not be charged for it.
    assert pacer.check("chat.postMessage", "t5", "C1") > 0
    assert [pacer.check("chat.postMessage", "t5", c) for c in ("C2", "C3", "C4")] == [0, 0, 0]
    assert pacer.check("chat.postMessage", "t5", "C5") > 0


def test_a_token_bucket_refills_at_its_rate() -> None:
    bucket = TokenBucket(rate=2.0, capacity=2.0, now=0.0)
    for _ in range(2):
        assert bucket.wait(0.0) == 0
        bucket.take()
    assert bucket.wait(0.0) == pytest.approx(0.5)
    assert bucket.wait(0.5) == 0
    assert retry_after_seconds(0.2) == 1
    assert retry_after_seconds(2.1) == 3


def test_limits_over_http(slack: Sandbox, client: WebClient, http: HttpCall) -> None:
    status, body, _ = http("POST", "/_sandbox/limits", {"channel_burst": 1, "tiers": False})
    assert status == 200
    assert body["limits"]["channel_burst"] == 1
    assert http("GET", "/_sandbox/limits")[1]["limits"]["tiers"] is False
    client.chat_postMessage(channel="C0GENERAL", text="1")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0GENERAL", text="2")
    rate_limited(excinfo)
    assert http("POST", "/_sandbox/limits", {"bogus": 1})[0] == 400
    assert http("POST", "/_sandbox/limits", {"tiers": "no"})[0] == 400


def test_reset_refills_the_buckets(slack: Sandbox, client: WebClient) -> None:
    for i in range(3):
        client.chat_postMessage(channel="C0GENERAL", text=str(i))
    slack.reset()
    assert client.chat_postMessage(channel="C0GENERAL", text="fresh")["ok"]
