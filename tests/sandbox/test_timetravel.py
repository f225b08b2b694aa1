"""Time passing on demand: the clocks, the gate that holds the ticks, and a help-desk request
followed over days by Commons running for real (Socket Mode, background ticks) in seconds."""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from bot.clock import FixedClock, ShiftedClock
from bot.scheduling.ticker import Gate, _Guarded
from helpdesk.models import HelpRequest, SlaAlert
from sandbox.running import Running, running
from sandbox.server import Sandbox
from sandbox.timetravel import LONGEST_WAIT, TimeError, parse_duration, parse_instant

MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # before a 09:00-17:00 UTC desk opens


# -- durations and instants ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2d", timedelta(days=2)),
        ("90m", timedelta(minutes=90)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1w 2d", timedelta(days=9)),
        ("45s", timedelta(seconds=45)),
        ("3H", timedelta(hours=3)),
    ],
)
def test_durations_are_written_as_people_write_them(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "2", "d", "2 days", "0m", "-1h", "1.5h", "9999d", "2d x"])
def test_anything_else_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(TimeError):
        parse_duration(text)


@given(st.text(max_size=30))
def test_any_text_is_a_duration_or_a_clear_refusal(text: str) -> None:
    try:
        delta = parse_duration(text)
    except TimeError as error:
        message = str(error)
        assert message.startswith(("`", "Wait"))
        return
    assert timedelta(0) < delta <= LONGEST_WAIT


def test_an_instant_takes_the_given_zone_or_the_default() -> None:
    berlin = parse_instant("2026-12-07 09:00 Europe/Berlin", zone="UTC")
    assert berlin == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert parse_instant("2026-12-07 09:00", zone="America/New_York").utcoffset() == timedelta(
        hours=-5
    )
    for wrong in ("2026-12-07", "tomorrow 9h", "2026-13-01 09:00", "2026-12-07 09:00 Mars/Base"):
        with pytest.raises(TimeError):
            parse_instant(wrong, zone="UTC")


def test_an_instant_can_be_written_relative_to_now_so_a_transcript_reads_the_same_any_day() -> None:
    wednesday = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)
    assert parse_instant("tomorrow 09:00", zone="UTC", now=wednesday) == datetime(
        2026, 12, 3, 9, 0, tzinfo=UTC
    )
    assert parse_instant("monday 08:30", zone="UTC", now=wednesday) == datetime(
        2026, 12, 7, 8, 30, tzinfo=UTC
    )
    assert parse_instant("wed 08:00", zone="UTC", now=wednesday).day == 9  # the next one
    assert parse_instant("today 21:00 Europe/Berlin", zone="UTC", now=wednesday).day == 2


# -- clocks and the gate ------------------------------------------------------------------------


def test_a_shifted_clock_starts_where_told_runs_on_and_never_goes_back() -> None:
    clock = ShiftedClock(start=MONDAY)
    assert abs(clock.now() - MONDAY) < timedelta(seconds=1)
    later = clock.advance_to(MONDAY + timedelta(days=2))
    assert later >= MONDAY + timedelta(days=2)
    clock.advance_to(MONDAY)  # the past: nothing happens
    clock.advance(timedelta(hours=-3))
    assert clock.now() >= later


def test_a_fixed_clock_moves_forward_to_an_instant_but_not_back() -> None:
    clock = FixedClock(MONDAY)
    assert clock.advance_to(MONDAY + timedelta(hours=1)) == MONDAY + timedelta(hours=1)
    assert clock.advance_to(MONDAY) == MONDAY + timedelta(hours=1)


def test_a_held_gate_waits_for_a_running_job_and_skips_the_ones_that_come_meanwhile() -> None:
    gate = Gate()
    started, release, runs = threading.Event(), threading.Event(), []

    def slow() -> None:
        runs.append("slow")
        started.set()
        release.wait(5)

    worker = threading.Thread(target=_Guarded("slow", slow, gate))
    worker.start()
    assert started.wait(5)
    holding = threading.Event()

    def hold() -> None:
        with gate.held():
            holding.set()
            _Guarded("other", lambda: runs.append("other"), gate)()  # skipped while held

    holder = threading.Thread(target=hold)
    holder.start()
    assert not holding.wait(0.2)  # the holder waits for the job under way
    release.set()
    holder.join(5)
    worker.join(5)
    assert holding.is_set()
    assert runs == ["slow"]
    _Guarded("after", lambda: runs.append("after"), gate)()
    assert runs == ["slow", "after"]


# -- a request over days, Commons running for real ---------------------------------------------


@pytest.fixture
def commons(tmp_path: Path) -> Iterator[Running]:
    """Commons connected to a sandbox, its clock on Monday 7 December 2026, 08:00 UTC."""
    with Sandbox() as slack, running(slack, f"sqlite:///{tmp_path / 'c.db'}", start=MONDAY) as on:
        yield on


def _thread_texts(on: Running, channel: str) -> list[str]:
    workspace = on.sandbox.workspace
    parents = [m for m in workspace.messages(channel) if not m.is_reply]
    return [r.text or "" for p in parents for r in workspace.replies(channel, p.ts)]


def test_a_request_is_warned_escalated_and_closed_each_at_its_own_instant(commons: Running) -> None:
    driver, on = commons.driver, commons
    desk = driver.slash("U0ALICE", "/commons", 'desk add it "IT" #it-help @it')
    assert desk.status == 200
    assert driver.slash("U0CAROL", "/request", "it Laptop broken").status == 200
    steps: list[datetime] = []
    on.machine.advance(timedelta(days=3), steps.append)

    with on.runtime.services.store.unit_of_work(write=False) as session:
        alerts = {(a.target, a.level): a.at for a in session.exec(select(SlaAlert))}
    # Normal priority: first response 8 business hours, resolution 24, warned at 75 %.
    expected = {
        ("first_response", "warning"): datetime(2026, 12, 7, 15, tzinfo=UTC),
        ("first_response", "breach"): datetime(2026, 12, 7, 17, tzinfo=UTC),
        ("resolution", "warning"): datetime(2026, 12, 9, 11, tzinfo=UTC),
        ("resolution", "breach"): datetime(2026, 12, 9, 17, tzinfo=UTC),
    }
    assert alerts.keys() == expected.keys()
    for key, at in expected.items():
        assert abs(alerts[key] - at) < timedelta(seconds=5), key
    replies = _thread_texts(on, "C0ITHELP")
    assert [("75 %" in r, "breached" in r) for r in replies] == [
        (True, False),
        (False, True),
        (True, False),
        (False, True),
    ]
    assert any(s.hour == 15 and s.day == 7 for s in steps), steps
    # No lead: the breach is posted in the desk's channel, and the thread says so.
    assert "the desk's channel has been told" in replies[1]
    assert any(
        "SLA breach at IT" in (m.text or "") for m in on.sandbox.workspace.messages("C0ITHELP")
    )

    parent = next(m for m in on.sandbox.workspace.messages("C0ITHELP") if not m.is_reply)
    resolved = driver.click(
        "U0BOB", "helpdesk.resolve", channel_id="C0ITHELP", message_ts=parent.ts
    )
    assert resolved.status == 200
    on.machine.advance(timedelta(days=4))
    with on.runtime.services.store.unit_of_work(write=False) as session:
        request = session.exec(select(HelpRequest)).one()
    assert request.status == "closed"
    assert request.closed_at is not None
    assert request.resolved_at is not None
    assert request.closed_at - request.resolved_at == pytest.approx(
        timedelta(days=3), abs=timedelta(seconds=5)
    )
