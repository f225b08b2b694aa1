"""A request from opening to rating, end to end through the sandbox (SQLite and PostgreSQL)."""

from datetime import timedelta
from typing import Any

from tests.harness import Harness
from tests.helpdesk.conftest import (
    IT_HELP,
    add_it_desk,
    parent,
    reply_in_thread,
    request_row,
    text_of,
    wait_status,
)
from tests.support import wait_until


def _actions(message_blocks: list[dict[str, Any]] | None) -> set[str]:
    found: set[str] = set()
    for block in message_blocks or []:
        for element in block.get("elements", []) or []:
            if isinstance(element, dict) and "action_id" in element:
                found.add(str(element["action_id"]))
    return found


def run_request_from_opening_to_rating(harness: Harness) -> None:
    add_it_desk(harness)
    opened = harness.slash("carol", "/request", "it My laptop won't start")
    assert "Request #1 is open at IT" in text_of(opened.body)
    harness.run_due()

    first = parent(harness, 1)
    assert "My laptop won't start" in first.text
    assert {"helpdesk.claim", "helpdesk.resolve", "helpdesk.assign"} <= _actions(first.blocks)
    opened_dm = harness.dms("carol")[-1].text
    assert "Your request #1 to IT is open" in opened_dm
    assert "https://" in opened_dm

    # Carol is not an IT agent: she cannot claim; nothing changes.
    harness.click("carol", "helpdesk.claim", channel_id=IT_HELP, message_ts=first.ts)
    assert wait_until(lambda: any("Only IT agents" in t for t in harness.ephemeral_texts("carol")))
    assert "Open" in parent(harness, 1).text

    harness.click("bob", "helpdesk.claim", channel_id=IT_HELP, message_ts=first.ts)
    wait_status(harness, 1, "in_progress")
    harness.run_due()
    claimed = parent(harness, 1)
    assert "In progress" in claimed.text
    assert "Assignee: <@U0BOB>" in str(claimed.blocks)
    notes = [m.text for m in harness.slack.workspace.replies(IT_HELP, first.ts)]
    assert any("<@U0BOB> took this request" in n for n in notes)
    assert "took this request" in harness.dms("carol")[-1].text
    queue = text_of(harness.slash("bob", "/request", "queue it").body)
    assert "*IT: open requests* (1)" in queue
    assert "#1" in queue
    assert "In progress" in text_of(harness.slash("carol", "/request", "list").body)
    assert "`it`" in text_of(harness.slash("carol", "/request", "help").body)

    reply_in_thread(
        harness,
        "bob",
        first.ts,
        "Hold the power button for 10 s, please.",
        until=lambda: request_row(harness, 1).first_response_at is not None,
    )
    harness.run_due()
    assert "First response" in str(parent(harness, 1).blocks)

    harness.click("bob", "helpdesk.resolve", channel_id=IT_HELP, message_ts=first.ts)
    wait_status(harness, 1, "resolved")
    harness.run_due()
    assert "Resolved" in parent(harness, 1).text
    rate_dm = next(m for m in reversed(harness.dms("carol")) if "helpdesk.rate.5" in str(m.blocks))
    dm_channel = harness.slack.workspace.dm_channel_for(harness.user("carol")).id
    harness.click("carol", "helpdesk.rate.5", channel_id=dm_channel, message_ts=rate_dm.ts)
    rated = harness.slack.workspace.find_message
    assert wait_until(lambda: "Thanks! You rated" in str(rated(dm_channel, rate_dm.ts)))
    harness.run_due()
    assert "Rated 5/5" in str(parent(harness, 1).blocks)

    stats = text_of(harness.slash("bob", "/request", "stats it").body)
    assert "resolved 1" in stats
    assert "100 % of 1 rated" in stats

    harness.advance(timedelta(days=3, minutes=1))
    assert "Closed" in parent(harness, 1).text
    assert "Nothing open" in text_of(harness.slash("carol", "/request", "list").body)


def test_a_requester_and_an_agent_run_a_request_from_opening_to_rating(harness: Harness) -> None:
    run_request_from_opening_to_rating(harness)


def test_the_same_flow_on_postgresql(harness_pg: Harness) -> None:
    run_request_from_opening_to_rating(harness_pg)
