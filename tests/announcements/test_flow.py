"""Announcements end to end: compose -> preview -> scheduled -> tick -> posted -> acknowledged ->
reminded (only those who did not), through the sandbox over HTTP."""

from datetime import timedelta

from sqlmodel import select

from announcements import blocks
from announcements.models import Acknowledgement, AnnouncementPost
from tests.announcements.support import acked, announce, compose, modal, set_role, text_of
from tests.harness import Harness
from tests.support import wait_until


def _must_read_flow(h: Harness) -> None:
    set_role(h, "frank", "manager")
    said = announce(
        h,
        "frank",
        ann_title="New on-call rota",
        ann_body="Please read the new rota before Friday.",
        ann_channels=["C0ENGHELP"],
        ann_must_read=["yes"],
    )
    assert "going out now" in said
    assert h.messages("C0ENGHELP") == []  # nothing before the tick
    h.run_due()
    [posted] = h.messages("C0ENGHELP")
    assert "New on-call rota" in text_of(posted)
    assert "0 of 5 acknowledged" in text_of(posted)

    # Engineering is frank, grace, ivan, nina, uma: grace and ivan acknowledge, grace twice.
    for who in ("grace", "grace", "ivan"):
        h.click(who, blocks.ACK_ACTION, channel_id="C0ENGHELP", message_ts=posted.ts)
    assert wait_until(lambda: any("already acknowledged" in t for t in h.ephemeral_texts("grace")))
    acked(h, 2)
    with h.store.unit_of_work(write=False) as session:
        acks = session.exec(select(Acknowledgement.user_id)).all()
        post = session.exec(select(AnnouncementPost)).one()
    assert sorted(acks) == ["U0GRACE", "U0IVAN"]
    assert post.ack_count == 2

    h.run_due()  # the count tick updates the posted message once, not per click
    [updated] = h.messages("C0ENGHELP")
    assert "2 of 5 acknowledged" in text_of(updated)

    stats = h.slash("frank", "/announce", f"stats {post.announcement_id}")
    assert "2 of 5 acknowledged (40%)" in str(stats.body)

    # Tuesday 08:00 UTC + 2 working days = Thursday.
    h.advance(timedelta(days=1, hours=23))
    assert h.dms("nina") == []
    h.advance(timedelta(hours=2))
    for who in ("frank", "nina", "uma"):
        assert any("New on-call rota" in text_of(m) for m in h.dms(who)), who
    for who in ("grace", "ivan"):
        assert not any("New on-call rota" in text_of(m) for m in h.dms(who)), who
    # nina acknowledges from the reminder; the second reminder goes only to frank and uma.
    reminder = h.dms("nina")[-1]
    h.click("nina", blocks.ACK_ACTION, message_ts=reminder.ts)
    acked(h, 3)
    h.advance(timedelta(days=4))
    assert len([m for m in h.dms("uma") if "New on-call rota" in text_of(m)]) == 2
    assert len([m for m in h.dms("nina") if "New on-call rota" in text_of(m)]) == 1
    h.advance(timedelta(days=7))  # at most 2 reminders
    assert len([m for m in h.dms("uma") if "New on-call rota" in text_of(m)]) == 2


def test_must_read_is_posted_acknowledged_once_and_reminds_only_those_who_did_not(
    harness: Harness,
) -> None:
    _must_read_flow(harness)


def test_the_main_flow_on_postgresql(harness_pg: Harness) -> None:
    _must_read_flow(harness_pg)


def test_a_tokyo_author_scheduling_0900_gets_0900_tokyo(harness: Harness) -> None:
    set_role(harness, "grace", "comms")
    said = announce(
        harness,
        "grace",
        ann_title="Tokyo office news",
        ann_body="Hello",
        ann_channels=["C0GENERAL"],
        ann_when="at",
        ann_date="2026-11-26",
        ann_time="09:00",
    )
    assert "Thu 26 Nov 2026, 09:00 JST" in said
    # 09:00 in Tokyo is 00:00 UTC on the 26th: nothing at 23:59 UTC on the 25th.
    harness.advance(timedelta(hours=39, minutes=59))
    assert harness.messages("C0GENERAL") == []
    harness.advance(timedelta(minutes=1))
    assert "Tokyo office news" in text_of(harness.messages("C0GENERAL")[0])


def _weekly_on_monday_at_nine(harness: Harness, title: str) -> str:
    """alice (Europe/Berlin) announces `title` to #announce every Monday at 09:00."""
    return announce(
        harness,
        "alice",
        ann_title=title,
        ann_body="This week",
        ann_channels=["C0ANNOUNCE"],
        ann_when="recurring",
        ann_repeat="weekly",
        ann_days=["mon"],
        ann_time="09:00",
    )


def test_weekly_across_a_dst_change_keeps_0900(harness: Harness) -> None:
    # alice is in Europe/Berlin; summer time starts on 29 March 2026... and 28 March 2027.
    said = _weekly_on_monday_at_nine(harness, "Weekly update")
    assert "every Monday at 09:00" in said.lower() or "Monday" in said
    from bot.models import Schedule
    from bot.scheduling.schedules import upcoming

    with harness.store.unit_of_work(write=False) as session:
        schedule = session.exec(select(Schedule).where(Schedule.kind == "announcements.post")).one()
        times = upcoming(session=session, schedule_id=schedule.id or 0, count=20)
    from zoneinfo import ZoneInfo

    local = [t.astimezone(ZoneInfo("Europe/Berlin")) for t in times]
    assert {(t.hour, t.minute, t.weekday()) for t in local} == {(9, 0, 0)}
    assert {t.utcoffset() for t in local} == {timedelta(hours=1), timedelta(hours=2)}
    # The first Monday (30 Nov) posts at 09:00 Berlin = 08:00 UTC.
    harness.advance(timedelta(days=6))
    assert len(harness.messages("C0ANNOUNCE")) == 1
    harness.advance(timedelta(days=7))
    assert len(harness.messages("C0ANNOUNCE")) == 2
    listing = harness.slash("alice", "/announce", "list")
    assert "Weekly update" in str(listing.body)
    assert "recurring" in str(listing.body)


def test_preview_shows_the_message_and_where_before_it_goes(harness: Harness) -> None:
    ack = compose(
        harness,
        "alice",
        ann_title="Holiday party",
        ann_body="Friday at *6pm*",
        ann_channels=["C0GENERAL"],
    )
    assert isinstance(ack.body, dict)
    assert ack.body["response_action"] == "update"
    preview = harness.open_view("alice")
    shown = str(preview.blocks)
    assert "Holiday party" in shown
    assert "Friday at *6pm*" in shown
    assert "<#C0GENERAL>" in shown
    assert harness.messages("C0GENERAL") == []
    # Edit goes back to the form, filled in.
    harness.click("alice", blocks.BACK_ACTION, view_id=preview.id)
    form = modal(harness, "alice", blocks.COMPOSE_CALLBACK)
    assert "Holiday party" in str(form.blocks)


def test_a_shipped_template_fills_the_form(harness: Harness) -> None:
    harness.slash("alice", "/announce")
    view = modal(harness, "alice", blocks.COMPOSE_CALLBACK)
    harness.click(
        "alice", blocks.TEMPLATE_ACTION, view_id=view.id, selected="shipped:office_closure"
    )
    assert wait_until(lambda: "office will be closed" in str(harness.open_view("alice").blocks))
    form = harness.open_view("alice")
    assert "Office closure" in str(form.blocks)


def test_comms_save_a_template_that_others_start_from(harness: Harness) -> None:
    said = announce(
        harness,
        "alice",
        ann_title="Fire drill",
        ann_body="Fire drill at 11:00, leave by the stairs.",
        ann_channels=["C0GENERAL"],
        ann_save_as="Fire drill",
    )
    assert "going out now" in said
    set_role(harness, "frank", "manager")
    harness.slash("frank", "/announce")
    view = modal(harness, "frank", blocks.COMPOSE_CALLBACK)
    assert "Fire drill" in str(view.blocks)
    # an empty message takes the chosen template's text
    from tests.announcements.support import fields

    harness.submit(
        "frank",
        view.id,
        fields(ann_title="", ann_body="", ann_channels=["C0ENGHELP"], ann_template="saved:1"),
    )
    preview = modal(harness, "frank", blocks.PREVIEW_CALLBACK)
    assert "leave by the stairs" in str(preview.blocks)


def test_a_manager_cannot_save_templates(harness: Harness) -> None:
    set_role(harness, "frank", "manager")
    ack = compose(
        harness,
        "frank",
        forged=True,
        ann_title="x",
        ann_body="y",
        ann_channels=["C0ENGHELP"],
        ann_save_as="Mine",
    )
    assert isinstance(ack.body, dict)
    # A manager's form has no "Save as" field: the refusal shows on the message field.
    assert "Only communications staff" in ack.body["errors"]["ann_body"]


def test_monthly_on_the_second_tuesday_in_the_authors_zone(harness: Harness) -> None:
    set_role(harness, "ken", "comms")
    said = announce(
        harness,
        "ken",
        ann_title="Sales numbers",
        ann_body="Monthly",
        ann_channels=["C0SALESHELP"],
        ann_when="recurring",
        ann_repeat="monthly_nth",
        ann_nth="2",
        ann_weekday="tue",
        ann_time="09:00",
    )
    assert "second Tuesday" in said
    assert "Asia/Tokyo" in said
    # 8 Dec 2026 09:00 JST = 8 Dec 00:00 UTC
    harness.advance(timedelta(days=13, hours=15, minutes=59))
    assert harness.messages("C0SALESHELP") == []
    harness.advance(timedelta(minutes=1))
    assert len(harness.messages("C0SALESHELP")) == 1


def test_commons_down_over_a_weekly_post_skips_it_and_tells_the_author(harness: Harness) -> None:
    _weekly_on_monday_at_nine(harness, "Weekly <update>")
    # Down from now until Monday 30 Nov 10:00 Berlin: an hour past the post, beyond the grace.
    harness.clock.advance(timedelta(days=6, hours=1))
    harness.run_due()
    assert harness.messages("C0ANNOUNCE") == []
    notices = [m.text or "" for m in harness.dms("alice") if "skipped" in (m.text or "")]
    assert len(notices) == 1
    assert "Weekly &lt;update&gt;" in notices[0]
    assert "Mon 30 Nov 2026 09:00 CET" in notices[0]
    harness.advance(timedelta(days=6, hours=23))  # the next Monday, 09:00 Berlin, as planned
    assert len(harness.messages("C0ANNOUNCE")) == 1
    assert len([m for m in harness.dms("alice") if "skipped" in (m.text or "")]) == 1


def test_a_one_off_due_while_commons_was_down_goes_out_late_and_says_so(harness: Harness) -> None:
    announce(
        harness,
        "alice",
        ann_title="Office closed Friday",
        ann_body="Heating repairs",
        ann_channels=["C0ANNOUNCE"],
        ann_when="at",
        ann_date="2026-11-25",
        ann_time="10:00",
    )
    # Down until 10:40 Berlin: a one-off still goes out, however late, and its author is told.
    harness.clock.advance(timedelta(days=1, hours=1, minutes=40))
    harness.run_due()
    assert "Office closed Friday" in text_of(harness.messages("C0ANNOUNCE")[0])
    notices = [m.text or "" for m in harness.dms("alice") if "late" in (m.text or "")]
    assert notices == [
        ":hourglass: your announcement “Office closed Friday” was due Wed 25 Nov 2026 10:00 CET "
        "but Commons was unavailable; it went out 40 min late."
    ]
