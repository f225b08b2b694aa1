"""The console's time words against Commons running for real (Socket Mode, its ticks, a clock
that `wait` moves): what falls due is printed under the moment it happened."""

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sandbox.console import Console
from sandbox.running import Running, running
from sandbox.server import Sandbox

MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # before a 09:00-17:00 UTC desk opens


@pytest.fixture
def commons(tmp_path: Path) -> Iterator[Running]:
    """Commons connected to the demo workspace, its clock on Monday 7 December 2026, 08:00 UTC."""
    with Sandbox() as slack, running(slack, f"sqlite:///{tmp_path / 'c.db'}", start=MONDAY) as on:
        yield on


def _lines(console: Console, out: io.StringIO, line: str) -> str:
    """What one prompt line printed."""
    start = len(out.getvalue())
    console.execute(line)
    return out.getvalue()[start:]


def test_wait_prints_what_fell_due_under_its_moment(commons: Running) -> None:
    out = io.StringIO()
    console = Console.on(commons, out)
    _lines(console, out, 'as alice: /commons desk add it "IT" #it-help @it')
    asked = _lines(console, out, "as carol: /request it Laptop broken")
    # The help desk's tick DMs the link once the card is posted: part of this answer.
    assert "[#it-help] Commons posted:" in asked
    assert "[DM with carol] Commons posted:" in asked

    waited = _lines(console, out, "wait 1d")
    assert "(Commons' clock moves from Mon 07 Dec 2026 08:00 UTC to Tue 08 Dec 2026 08:00 UTC)" in (
        waited
    )
    warned = waited.index("Mon 07 Dec 2026 15:00 UTC:")
    breached = waited.index("Mon 07 Dec 2026 17:00 UTC:")
    assert warned < waited.index("75 % of the first response target") < breached
    assert breached < waited.index("The first response target (8h business time) is breached")
    assert "It is now Tue 08 Dec 2026 08:00 UTC." in waited
    assert "nothing fell due" in _lines(console, out, "wait 90m")


def test_now_and_at_read_the_persons_own_zone(commons: Running) -> None:
    out = io.StringIO()
    console = Console.on(commons, out)
    assert "Mon 07 Dec 2026 08:00 UTC" in _lines(console, out, "now")
    carol = _lines(console, out, "as carol: now")  # America/New_York in the demo workspace
    assert "Mon 07 Dec 2026 03:00 EST (carol's zone)" in carol
    moved = _lines(console, out, "as carol: at tomorrow 09:00")
    assert "It is now Tue 08 Dec 2026 14:00 UTC." in moved
    assert "time only moves forward" in _lines(console, out, "at 2026-12-01 09:00")
    assert "is not a duration" in _lines(console, out, "wait soon")


def test_date_words_are_expanded_by_commons_clock_in_any_line(commons: Running) -> None:
    out = io.StringIO()
    console = Console.on(commons, out)
    console.execute("as carol in #random: say Offsite on {today+3}, setup {tomorrow}")
    said = commons.sandbox.workspace.messages("C0RANDOM")[-1]
    assert said.text == "Offsite on 2026-12-10, setup 2026-12-08"
    console.execute("wait 2d")
    console.execute("as carol in #random: say Today is {today}")
    assert commons.sandbox.workspace.messages("C0RANDOM")[-1].text == "Today is 2026-12-09"
