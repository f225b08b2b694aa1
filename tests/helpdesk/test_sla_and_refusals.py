"""SLA warnings, breaches and escalation with the injected clock; refusals; other ways in."""

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.errors import InvalidInput
from helpdesk import ratings
from helpdesk.models import HelpRequest, SlaAlert
from tests.harness import Harness
from tests.helpdesk.conftest import (
    IT_HELP,
    add_it_desk,
    parent,
    request_row,
    text_of,
    wait_status,
)
from tests.support import wait_until


def _replies(harness: Harness, ts: str) -> list[str]:
    return [m.text for m in harness.slack.workspace.replies(IT_HELP, ts)]


def test_sla_warns_at_75_percent_then_escalates_the_breach_to_the_lead_once(
    harness: Harness,
) -> None:
    add_it_desk(harness)
    for line in ("desk sla it normal 1h 8h", "desk lead it @frank"):
        harness.slash("alice", "/commons", line)
    # 08:00 UTC on a Tuesday: the desk (Mon-Fri 09:00-17:00 UTC by default) is not open yet.
    harness.slash("carol", "/request", "it VPN is down")
    harness.run_due()
    first = parent(harness, 1)
    harness.click("bob", "helpdesk.claim", channel_id=IT_HELP, message_ts=first.ts)
    wait_status(harness, 1, "in_progress")

    harness.clock.set(datetime(2026, 11, 24, 9, 44, tzinfo=UTC))
    harness.run_due()
    assert not any("75 %" in t for t in _replies(harness, first.ts))

    harness.clock.set(datetime(2026, 11, 24, 9, 46, tzinfo=UTC))
    harness.run_due()
    harness.run_due()
    warnings = [t for t in _replies(harness, first.ts) if "75 %" in t]
    assert len(warnings) == 1
    assert "first response" in warnings[0]
    assert any("75 %" in m.text for m in harness.dms("bob"))

    harness.clock.set(datetime(2026, 11, 24, 10, 1, tzinfo=UTC))
    harness.run_due()
    harness.run_due()
    escalations = [m.text for m in harness.dms("frank") if "SLA breach" in m.text]
    assert len(escalations) == 1
    assert "#1" in escalations[0]
    assert "first response" in escalations[0]
    assert any("the desk's lead has been told" in t for t in _replies(harness, first.ts))
    with harness.store.unit_of_work(write=False) as session:
        alerts = session.exec(select(SlaAlert)).all()
    assert {(a.target, a.level) for a in alerts} == {
        ("first_response", "warning"),
        ("first_response", "breach"),
    }
    stats = text_of(harness.slash("bob", "/request", "stats it").body)
    assert "SLA breach rate: 100 %" in stats


def test_people_who_are_not_allowed_are_refused_and_nothing_changes(harness: Harness) -> None:
    add_it_desk(harness)
    refused = text_of(harness.slash("carol", "/commons", 'desk add hr "HR" #hr-help @hr').body)
    assert "Only Commons admins" in refused
    harness.slash("carol", "/request", "it Printer jam")
    harness.run_due()
    first = parent(harness, 1)
    harness.click("carol", "helpdesk.resolve", channel_id=IT_HELP, message_ts=first.ts)
    assert wait_until(lambda: any("Only IT agents" in t for t in harness.ephemeral_texts("carol")))
    assert request_row(harness, 1).status == "open"

    harness.click("bob", "helpdesk.resolve", channel_id=IT_HELP, message_ts=first.ts)
    wait_status(harness, 1, "resolved")
    harness.run_due()
    harness.click("dave", "helpdesk.reopen", channel_id=IT_HELP, message_ts=first.ts)
    assert wait_until(lambda: any("can reopen" in t for t in harness.ephemeral_texts("dave")))
    assert request_row(harness, 1).status == "resolved"

    with harness.store.unit_of_work() as session:
        ratings.rate(session=session, clock=harness.clock, actor="U0CAROL", request_id=1, score=4)
    with (
        pytest.raises(InvalidInput, match="already rated"),
        harness.store.unit_of_work() as session,
    ):
        ratings.rate(session=session, clock=harness.clock, actor="U0CAROL", request_id=1, score=1)

    harness.click("carol", "helpdesk.reopen", channel_id=IT_HELP, message_ts=first.ts)
    wait_status(harness, 1, "in_progress")


def test_bad_requests_get_a_clear_answer(harness: Harness) -> None:
    add_it_desk(harness)
    unknown = text_of(harness.slash("carol", "/request", "plumbing The sink leaks").body)
    assert "There is no desk `plumbing`. Desks: `it`." in unknown
    empty = text_of(harness.slash("carol", "/request", "it").body)
    assert "Say what you need" in empty
    bad_desk_command = text_of(harness.slash("alice", "/commons", "desk hours it weekdays").body)
    assert "Usage: `/commons desk hours" in bad_desk_command
    with harness.store.unit_of_work(write=False) as session:
        assert session.exec(select(HelpRequest)).all() == []


def test_a_ticket_reaction_in_the_intake_channel_opens_a_request_and_elsewhere_is_ignored(
    harness: Harness,
) -> None:
    add_it_desk(harness)
    workspace = harness.slack.workspace
    elsewhere = workspace.post_message("C0GENERAL", text="My mouse is broken", user="U0DAVE")
    asked = workspace.post_message(IT_HELP, text="Can't reach the wiki", user="U0DAVE")
    for channel, message in (("C0GENERAL", elsewhere), (IT_HELP, asked)):
        harness.driver.event(
            {
                "type": "reaction_added",
                "user": "U0ERIN",
                "reaction": "ticket",
                "item_user": "U0DAVE",
                "item": {"type": "message", "channel": channel, "ts": message.ts},
            }
        )

    def opened() -> bool:
        with harness.store.unit_of_work(write=False) as session:
            return len(session.exec(select(HelpRequest)).all()) == 1

    assert wait_until(opened)
    row = request_row(harness, 1)
    assert (row.summary, row.requester_id, row.source) == (
        "Can't reach the wiki",
        "U0DAVE",
        "reaction",
    )
    assert row.source_ts == asked.ts


def test_turn_into_a_request_opens_a_prefilled_form_that_keeps_a_link(harness: Harness) -> None:
    add_it_desk(harness)
    message = harness.slack.workspace.post_message(
        "C0GENERAL", text="Anyone else unable to print?", user="U0DAVE"
    )
    harness.driver.message_shortcut("U0DAVE", "helpdesk.turn_into_request", "C0GENERAL", message.ts)
    assert wait_until(lambda: harness.slack.workspace.top_modal("U0DAVE") is not None)
    view = harness.open_view("dave")
    assert "Anyone else unable to print?" in str(view.blocks)
    ack = harness.submit(
        "dave",
        view.id,
        {
            "desk": {"desk": {"selected_option": {"value": "it"}}},
            "summary": {"summary": {"value": "Anyone else unable to print?"}},
            # What the sandbox console sends for any field: plain text.
            "priority": {"priority": {"type": "plain_text_input", "value": "high"}},
        },
    )
    assert ack.body in (None, "", {}), ack.body
    row = request_row(harness, 1)
    assert row.summary == "Anyone else unable to print?"
    assert row.priority == "high"
    assert row.source_link
    assert "C0GENERAL" in row.source_link
    harness.run_due()
    assert "Original message" in str(parent(harness, 1).blocks)
