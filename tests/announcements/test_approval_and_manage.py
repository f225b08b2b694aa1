"""Approval of large or company-wide posts, and list / edit / cancel / delete."""

from datetime import timedelta

from sqlmodel import select

from announcements import blocks
from announcements.models import Announcement
from bot.models import Delivery
from tests.announcements.support import announce, fields, modal, set_role, text_of
from tests.harness import Harness
from tests.support import wait_until


def _frank_asks(h: Harness) -> int:
    set_role(h, "frank", "manager")
    said = h.slash("alice", "/announce", "config threshold 10")
    assert "above 10 people" in str(said.body)
    shown = announce(
        h,
        "frank",
        ann_title="Team offsite",
        ann_body="Offsite on Friday",
        ann_channels=["C0ENGHELP"],
    )
    assert "needs approval" in shown
    assert "more than 10" in shown
    with h.store.unit_of_work(write=False) as session:
        announcement = session.exec(select(Announcement)).all()[-1]
    return announcement.id or 0


def test_a_large_post_by_a_manager_waits_for_approval_then_goes(harness: Harness) -> None:
    announcement_id = _frank_asks(harness)
    harness.run_due()
    assert harness.messages("C0ENGHELP") == []  # nothing before approval
    [request] = harness.dms("alice")
    assert "Team offsite" in text_of(request)
    assert "needs approval" in text_of(request)
    # frank cannot approve his own; a member neither
    harness.click("frank", blocks.APPROVE_ACTION, message_ts=request.ts)
    assert wait_until(
        lambda: any("Only communications" in t for t in harness.ephemeral_texts("frank"))
    )
    harness.click("alice", blocks.APPROVE_ACTION, message_ts=request.ts)
    assert wait_until(lambda: "Approved by" in (harness.dms("alice")[0].text or ""))
    harness.run_due()
    [posted] = harness.messages("C0ENGHELP")
    assert "Offsite on Friday" in text_of(posted)
    assert any("approved your announcement" in m.text for m in harness.dms("frank"))
    # a second approval click changes nothing
    with harness.store.unit_of_work(write=False) as session:
        assert session.get(Announcement, announcement_id).state == "posted"  # type: ignore[union-attr]


def test_requested_changes_reach_the_author_and_nothing_is_posted(harness: Harness) -> None:
    announcement_id = _frank_asks(harness)
    harness.run_due()
    [request] = harness.dms("alice")
    harness.click("alice", blocks.CHANGES_ACTION, message_ts=request.ts)
    note = modal(harness, "alice", blocks.CHANGES_CALLBACK)
    harness.submit("alice", note.id, {"ann_note": {"value": {"value": "Say which Friday"}}})
    harness.run_due()
    assert harness.messages("C0ENGHELP") == []
    told = [m.text for m in harness.dms("frank")]
    assert any("Say which Friday" in t and f"/announce edit {announcement_id}" in t for t in told)
    assert "asked for changes" in (harness.dms("alice")[0].text or "")


def test_approval_requests_go_to_a_configured_channel(harness: Harness) -> None:
    harness.slash("alice", "/announce", "config approvals <#C0LEADERSHIP|leadership>")
    _frank_asks(harness)
    harness.run_due()
    assert "Team offsite" in text_of(harness.messages("C0LEADERSHIP")[0])
    assert harness.dms("alice") == []


def test_comms_posting_company_wide_needs_no_approval(harness: Harness) -> None:
    set_role(harness, "carol", "comms")
    said = announce(
        harness, "carol", ann_title="All hands", ann_body="Hi", ann_channels=["C0GENERAL"]
    )
    assert "going out now" in said


def test_list_edit_and_cancel_a_scheduled_announcement(harness: Harness) -> None:
    announce(
        harness,
        "alice",
        ann_title="Later",
        ann_body="First text",
        ann_channels=["C0GENERAL"],
        ann_when="at",
        ann_date="2026-11-25",
        ann_time="10:00",
    )
    listing = str(harness.slash("alice", "/announce", "list").body)
    assert "#1" in listing
    assert "Later" in listing
    assert "Wed 25 Nov 2026, 10:00 CET" in listing

    # edit: the form comes back filled in; the new text replaces the old
    harness.slash("alice", "/announce", "edit 1")
    form = modal(harness, "alice", blocks.COMPOSE_CALLBACK)
    assert "First text" in str(form.blocks)
    ack = harness.submit(
        "alice",
        form.id,
        fields(
            ann_title="Later",
            ann_body="Second text",
            ann_channels=["C0GENERAL"],
            ann_when="at",
            ann_date="2026-11-25",
            ann_time="10:00",
        ),
    )
    assert isinstance(ack.body, dict), ack.body
    assert ack.body.get("response_action") == "update", ack.body
    preview = modal(harness, "alice", blocks.PREVIEW_CALLBACK)
    harness.submit("alice", preview.id, {})
    assert "replaces #1" in str(harness.open_view("alice").blocks)
    harness.advance(timedelta(days=1, hours=2))
    [posted] = harness.messages("C0GENERAL")
    assert "Second text" in text_of(posted)
    assert "First text" not in text_of(posted)

    # cancel another before it goes: nothing is posted
    announce(
        harness,
        "alice",
        ann_title="Never",
        ann_body="x",
        ann_channels=["C0ANNOUNCE"],
        ann_when="at",
        ann_date="2026-11-27",
        ann_time="10:00",
    )
    said = str(harness.slash("alice", "/announce", "cancel 3").body)
    assert "cancelled" in said
    harness.advance(timedelta(days=3))
    assert harness.messages("C0ANNOUNCE") == []
    assert "Never" not in str(harness.slash("alice", "/announce", "list").body)


def test_someone_else_cannot_cancel_and_the_author_can_delete_a_posted_one(
    harness: Harness,
) -> None:
    set_role(harness, "frank", "manager")
    set_role(harness, "carol", "manager")
    announce(harness, "frank", ann_title="Ours", ann_body="x", ann_channels=["C0ENGHELP"])
    harness.run_due()
    assert len(harness.messages("C0ENGHELP")) == 1
    refused = str(harness.slash("carol", "/announce", "delete 1").body)
    assert "only they, communications staff and admins" in refused
    harness.slash("frank", "/announce", "delete 1")
    assert wait_until(lambda: harness.messages("C0ENGHELP") == [])
    with harness.store.unit_of_work(write=False) as session:
        assert session.exec(select(Delivery).where(Delivery.target == "C0ENGHELP")).one().ts


def test_an_unsent_posting_is_withdrawn_by_cancel(harness: Harness) -> None:
    announce(harness, "alice", ann_title="Oops", ann_body="x", ann_channels=["C0GENERAL"])
    # the occurrence ran (outbox row written) but the sender has not posted yet
    from bot.scheduling.schedules import run_due

    run_due(store=harness.store, clock=harness.clock, handlers=harness.services.schedule_handlers)
    said = str(harness.slash("alice", "/announce", "cancel 1").body)
    assert "1 unsent message cancelled" in said
    harness.run_due()
    assert harness.messages("C0GENERAL") == []
