"""Announcements through the interaction layer (issue 10): refused clicks are acknowledged and
explained, bad ids get a clear answer, `/announce list` links its channels, `/announce delete`
says truly what it deleted, metadata is sealed, and a must-read in a private channel is
acknowledged and counted only by its members."""

from typing import Any

import pytest
from sqlmodel import select

from announcements import blocks
from announcements.models import Acknowledgement
from sandbox.faults import FaultRule
from tests.announcements.support import announce, compose, set_role, text_of
from tests.harness import Harness
from tests.support import wait_until

LEADERSHIP = "C0LEADERSHIP"  # private: alice, carol, frank, judy, rupert, wendy (not bob)


def _text(ack: Any) -> str:
    assert ack.status == 200, ack
    assert ack.seconds < 3, ack.seconds
    return str(ack.body)


def test_approve_after_another_reviewer_decided_is_refused_after_a_200_ack(
    harness: Harness,
) -> None:
    set_role(harness, "carol", "comms")  # reviewers: alice (admin) and carol
    set_role(harness, "frank", "manager")
    harness.slash("alice", "/announce", "config threshold 10")
    shown = announce(
        harness, "frank", ann_title="Offsite", ann_body="Friday", ann_channels=["C0ENGHELP"]
    )
    assert "needs approval" in shown
    harness.run_due()
    [alices] = harness.dms("alice")
    [carols] = harness.dms("carol")
    harness.click("alice", blocks.APPROVE_ACTION, message_ts=alices.ts)
    assert wait_until(lambda: "Approved by" in (harness.dms("alice")[0].text or ""))

    late = harness.click("carol", blocks.APPROVE_ACTION, message_ts=carols.ts)
    assert late.status == 200
    assert late.seconds < 3
    assert wait_until(
        lambda: any("already handled by <@U0ALICE>" in t for t in harness.ephemeral_texts("carol"))
    ), harness.ephemeral_texts("carol")
    harness.run_due()
    assert len(harness.messages("C0ENGHELP")) == 1  # posted once


@pytest.mark.parametrize(
    "text",
    [
        "cancel ²",
        "cancel 9223372036854775808",
        "edit ²",
        "delete 99999999999999999999",
        "stats ٣",
    ],
)
def test_malformed_ids_get_a_clear_answer_not_a_reference(harness: Harness, text: str) -> None:
    said = _text(harness.slash("alice", "/announce", text))
    assert "reference" not in said
    assert "is not a" in said
    assert f"/announce {text.split()[0]} &lt;id&gt;" in said


def test_announce_list_shows_channels_as_links(harness: Harness) -> None:
    announce(
        harness,
        "alice",
        ann_title="Later <today>",
        ann_body="x",
        ann_channels=["C0GENERAL", "C0ANNOUNCE"],
        ann_when="at",
        ann_date="2026-11-25",
        ann_time="10:00",
    )
    listing = _text(harness.slash("alice", "/announce", "list"))
    assert "<#C0GENERAL>, <#C0ANNOUNCE>" in listing
    assert "&lt;#C0" not in listing
    assert "Later &lt;today&gt;" in listing  # the title is still escaped
    assert "by <@U0ALICE>" in listing


def test_plurals_are_proper(harness: Harness) -> None:
    announce(harness, "alice", ann_title="Oops", ann_body="x", ann_channels=["C0GENERAL"])
    from bot.scheduling.schedules import run_due

    run_due(store=harness.store, clock=harness.clock, handlers=harness.services.schedule_handlers)
    said = _text(harness.slash("alice", "/announce", "cancel 1"))
    assert "1 unsent message cancelled" in said
    assert "(s)" not in said


def test_delete_says_what_it_deleted_what_was_gone_and_what_is_left(harness: Harness) -> None:
    announce(
        harness,
        "alice",
        ann_title="Wrong date",
        ann_body="x",
        ann_channels=["C0GENERAL", "C0ANNOUNCE", "C0ITHELP"],
    )
    harness.run_due()
    [gone] = harness.messages("C0ANNOUNCE")
    harness.slack.workspace.delete_message(gone)  # someone deleted it in Slack already
    harness.slack.add_fault(FaultRule(method="chat.delete", times=1, error="cant_delete_message"))

    first = _text(harness.slash("alice", "/announce", "delete 1"))
    assert "is cancelled; deleting its messages" in first

    def reply() -> str:
        return next((t for t in harness.ephemeral_texts("alice") if "Deleted" in t), "")

    assert wait_until(lambda: reply() != ""), harness.ephemeral_texts("alice")
    said = reply()
    assert "Deleted 1 posted message." in said
    assert "1 message was already gone." in said
    assert "1 message could not be deleted: <#C0GENERAL> (cant_delete_message)" in said
    assert "nothing was" not in said.lower()
    assert len(harness.messages("C0GENERAL")) == 1  # the one Slack refused is still there
    assert harness.messages("C0ITHELP") == []


def test_a_preview_whose_metadata_commons_did_not_seal_is_refused(harness: Harness) -> None:
    ack = compose(harness, "alice", ann_title="T", ann_body="B", ann_channels=["C0GENERAL"])
    assert ack.body["response_action"] == "update", ack.body
    preview = harness.open_view("alice")
    assert preview.private_metadata not in ("", "1")  # sealed, not a bare id
    preview.private_metadata = "1"  # what the old preview carried, and what a forger writes
    harness.submit("alice", preview.id, {})
    assert "out of date or was not made by Commons" in str(harness.open_view("alice").blocks)
    harness.run_due()
    assert harness.messages("C0GENERAL") == []


def _private_must_read(h: Harness) -> Any:
    said = announce(
        h,
        "alice",
        ann_title="Board minutes",
        ann_body="Please read",
        ann_channels=[LEADERSHIP],
        ann_must_read=["yes"],
    )
    assert "going out now" in said
    h.run_due()
    [posted] = h.messages(LEADERSHIP)
    return posted


def _acks(h: Harness) -> list[str]:
    with h.store.unit_of_work(write=False) as session:
        return sorted(session.exec(select(Acknowledgement.user_id)).all())


def test_only_members_acknowledge_a_must_read_in_a_private_channel(harness: Harness) -> None:
    posted = _private_must_read(harness)
    forged = harness.click("bob", blocks.ACK_ACTION, channel_id=LEADERSHIP, message_ts=posted.ts)
    assert forged.status == 200
    assert forged.seconds < 3
    harness.click("frank", blocks.ACK_ACTION, channel_id=LEADERSHIP, message_ts=posted.ts)
    assert wait_until(lambda: _acks(harness) == ["U0FRANK"])
    assert wait_until(
        lambda: any("no must-read announcement here" in t for t in harness.ephemeral_texts("bob"))
    ), harness.ephemeral_texts("bob")
    assert _acks(harness) == ["U0FRANK"]
    assert wait_until(lambda: "Thanks" in " ".join(harness.ephemeral_texts("frank")))


def test_must_read_counts_of_a_private_channel_are_only_for_its_members(
    harness: Harness,
) -> None:
    _private_must_read(harness)
    set_role(harness, "bob", "comms")  # comms, but not in #leadership
    set_role(harness, "carol", "comms")  # comms and in #leadership
    refused = _text(harness.slash("bob", "/announce", "stats 1"))
    assert "acknowledged" not in refused
    assert "no announcement #1 you can see" in refused
    assert "acknowledged" in _text(harness.slash("carol", "/announce", "stats 1"))
    assert "acknowledged" in _text(harness.slash("alice", "/announce", "stats 1"))


def test_a_public_must_read_is_still_acknowledged_by_anyone(harness: Harness) -> None:
    announce(
        harness,
        "alice",
        ann_title="All hands",
        ann_body="Read me",
        ann_channels=["C0GENERAL"],
        ann_must_read=["yes"],
    )
    harness.run_due()
    [posted] = harness.messages("C0GENERAL")
    harness.click("bob", blocks.ACK_ACTION, channel_id="C0GENERAL", message_ts=posted.ts)
    assert wait_until(lambda: _acks(harness) == ["U0BOB"])
    assert "All hands" in text_of(posted)
