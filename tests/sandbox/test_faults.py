"""Injected faults reach slack_sdk's real client as real failures would."""

from __future__ import annotations

import http.client
import threading
import time
import urllib.error
from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.faults import FaultPlan, FaultRule
from sandbox.server import Sandbox

HttpCall = Callable[..., tuple[int, dict[str, Any], dict[str, str]]]
# What urllib raises when the server closes the connection without answering.
CONNECTION_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError)


@pytest.fixture(autouse=True)
def _no_limits(roomy: Sandbox) -> None:
    """Faults, not rate limits, are the subject here."""


def texts(slack: Sandbox, channel: str = "C0GENERAL") -> list[str]:
    return [m.text for m in slack.workspace.messages(channel)]


def test_a_status_429_fault_carries_retry_after(slack: Sandbox, client: WebClient) -> None:
    slack.add_fault(FaultRule(method="chat.postMessage", status=429, retry_after=2, times=1))
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0GENERAL", text="first")
    response = excinfo.value.response
    assert (response.status_code, response.headers["Retry-After"]) == (429, "2")
    assert response["error"] == "ratelimited"
    assert texts(slack) == []
    client.chat_postMessage(channel="C0GENERAL", text="second")
    assert texts(slack) == ["second"]
    assert [(c.status, c.error) for c in slack.calls("chat.postMessage")] == [
        (429, "ratelimited"),
        (200, None),
    ]


def test_a_status_503_fault_fails_without_running_the_method(
    slack: Sandbox, client: WebClient
) -> None:
    slack.add_fault(FaultRule(method="chat.postMessage", status=503))
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0GENERAL", text="lost")
    assert excinfo.value.response.status_code == 503
    assert texts(slack) == []


def test_an_error_fault_answers_200_with_the_error(slack: Sandbox, client: WebClient) -> None:
    slack.add_fault(FaultRule(method="views.publish", error="internal_error"))
    with pytest.raises(SlackApiError) as excinfo:
        client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": []})
    assert excinfo.value.response.status_code == 200
    assert excinfo.value.response.data == {"ok": False, "error": "internal_error"}
    assert slack.workspace.home_view("U0ALICE") is None


def test_latency_delays_the_answer(slack: Sandbox, client: WebClient) -> None:
    slack.add_fault(FaultRule(method="auth.test", latency=0.2))
    started = time.monotonic()
    assert client.auth_test()["ok"]
    assert time.monotonic() - started >= 0.2


def test_stopping_does_not_wait_for_a_slow_answer() -> None:
    sandbox = Sandbox().start()
    client = WebClient(token=sandbox.bot_token, base_url=sandbox.api_url, retry_handlers=[])
    sandbox.add_fault(FaultRule(method="auth.test", latency=60))
    failures: list[BaseException] = []

    def call() -> None:
        try:
            client.auth_test()
        except Exception as exc:
            failures.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 10
    while sandbox.faults.describe()[0]["hits"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    sandbox.stop()
    caller.join(10)
    assert time.monotonic() - started < 10
    assert failures
    assert isinstance(failures[0], CONNECTION_ERRORS)


def test_drop_after_stores_the_message_but_loses_the_answer(
    slack: Sandbox, client: WebClient
) -> None:
    slack.add_fault(FaultRule(method="chat.postMessage", drop="after", times=1))
    with pytest.raises(CONNECTION_ERRORS):
        client.chat_postMessage(channel="C0GENERAL", text="did it post?")
    assert texts(slack) == ["did it post?"]
    assert slack.calls("chat.postMessage")[0].status == 0


def test_slack_sdks_default_retry_posts_twice_after_a_lost_answer(slack: Sandbox) -> None:
    # Why Commons tags each post with metadata and checks history before resending.
    retrying = WebClient(token=slack.bot_token, base_url=slack.api_url)
    slack.add_fault(FaultRule(method="chat.postMessage", drop="after", times=1))
    assert retrying.chat_postMessage(channel="C0GENERAL", text="hello")["ok"]
    assert texts(slack) == ["hello", "hello"]


def test_drop_before_loses_the_call(slack: Sandbox, client: WebClient) -> None:
    slack.add_fault(FaultRule(method="chat.postMessage", drop="before", times=1))
    with pytest.raises(CONNECTION_ERRORS):
        client.chat_postMessage(channel="C0GENERAL", text="never arrives")
    assert texts(slack) == []


def test_times_limits_a_rule_and_patterns_match_methods(slack: Sandbox, client: WebClient) -> None:
    slack.add_fault(FaultRule(method="chat.*", error="fatal_error", times=2))
    for _ in range(2):
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="C0GENERAL", text="x")
    assert client.auth_test()["ok"]
    client.chat_postMessage(channel="C0GENERAL", text="through")
    assert texts(slack) == ["through"]


def test_the_first_matching_rule_applies(slack: Sandbox, client: WebClient) -> None:
    slack.add_fault(FaultRule(method="auth.test", error="first"))
    slack.add_fault(FaultRule(error="second"))
    with pytest.raises(SlackApiError) as excinfo:
        client.auth_test()
    assert excinfo.value.response["error"] == "first"
    with pytest.raises(SlackApiError) as excinfo:
        client.team_info()
    assert excinfo.value.response["error"] == "second"


def test_probabilistic_faults_repeat_with_the_same_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        plan = FaultPlan(seed)
        plan.add(FaultRule(method="chat.postMessage", probability=0.5))
        return [plan.pick("chat.postMessage") is not None for _ in range(40)]

    assert pattern(7) == pattern(7)
    assert pattern(7) != pattern(8)
    assert 5 < sum(pattern(7)) < 35


def test_other_methods_do_not_shift_the_draws() -> None:
    quiet, busy = FaultPlan(3), FaultPlan(3)
    for plan in (quiet, busy):
        plan.add(FaultRule(method="chat.postMessage", probability=0.5))
    expected = [quiet.pick("chat.postMessage") is not None for _ in range(20)]
    seen = []
    for _ in range(20):
        busy.pick("users.list")
        seen.append(busy.pick("chat.postMessage") is not None)
    assert seen == expected


def test_a_seeded_sandbox_repeats_its_faults(slack: Sandbox) -> None:
    def run(seed: int) -> list[int]:
        with Sandbox(seed=seed) as sandbox:
            client = WebClient(token=sandbox.bot_token, base_url=sandbox.api_url, retry_handlers=[])
            sandbox.add_fault(FaultRule(method="auth.test", probability=0.5, status=500))
            statuses = []
            for _ in range(12):
                try:
                    client.auth_test()
                    statuses.append(200)
                except SlackApiError as error:
                    statuses.append(error.response.status_code)
            return statuses

    assert run(11) == run(11)


def test_faults_over_http(slack: Sandbox, client: WebClient, http: HttpCall) -> None:
    rule = {"method": "chat.postMessage", "status": 429, "retry_after": 5, "times": 1}
    status, body, _ = http("POST", "/_sandbox/faults", rule)
    assert status == 200
    assert body["faults"][0]["remaining"] == 1
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0GENERAL", text="x")
    assert excinfo.value.response.headers["Retry-After"] == "5"
    listed = http("GET", "/_sandbox/faults")[1]["faults"]
    assert (listed[0]["hits"], listed[0]["remaining"]) == (1, 0)
    http("POST", "/_sandbox/faults", {"method": "chat.postMessage", "drop": "after"})
    with pytest.raises(CONNECTION_ERRORS):
        client.chat_postMessage(channel="C0GENERAL", text="stored anyway")
    assert texts(slack) == ["stored anyway"]
    assert http("DELETE", "/_sandbox/faults")[1] == {"ok": True, "faults": []}
    client.chat_postMessage(channel="C0GENERAL", text="clean")
    assert texts(slack) == ["stored anyway", "clean"]


def test_invalid_rules_are_refused(http: HttpCall) -> None:
    assert http("POST", "/_sandbox/faults", {"drop": "sideways"})[0] == 400
    assert http("POST", "/_sandbox/faults", {"probability": 2})[0] == 400
    assert http("POST", "/_sandbox/faults", {"colour": "red"})[0] == 400
    with pytest.raises(ValueError, match="drop"):
        FaultRule(drop="maybe")


def test_reset_clears_faults(slack: Sandbox, client: WebClient) -> None:
    slack.add_fault(FaultRule(error="fatal_error"))
    slack.reset()
    assert client.auth_test()["ok"]
    slack.add_fault(FaultRule(error="fatal_error"))
    slack.clear_faults()
    assert client.auth_test()["ok"]
