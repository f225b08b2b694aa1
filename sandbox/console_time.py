"""The console's time words: `wait 2d`, `at monday 09:00 Europe/Berlin`, `now`, and `{today+2}`.

Commons runs on a ShiftedClock in the sandbox; these move it forward through a TimeMachine and
print, under the moment it happened, what Commons did at each instant something fell due.
"""

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sandbox.timetravel import TimeError, TimeMachine, parse_duration, parse_instant
from sandbox.workspace import Activity, Workspace

_DATE_WORD = re.compile(r"\{(today|tomorrow)(?:\s*([+-])\s*(\d{1,4}))?\}", re.ASCII)

HELP = """\
Time (Commons' clock; Slack's messages keep real timestamps):
  wait 2d | wait 90m | wait 1h30m  move the clock forward; what falls due on the way happens, in order
  at monday 09:00 [Europe/Berlin]  move it to a moment (a date, today, tomorrow or a weekday)
  now | as bob: now                 the time Commons sees (in bob's own zone)
  {today} {tomorrow} {today+3}      in any line: that date (YYYY-MM-DD) by Commons' clock"""


def expand_dates(line: str, today: date) -> str:
    """Replace `{today}`, `{tomorrow}`, `{today+3}`, `{tomorrow-1}` with ISO dates from `today`."""

    def date_for(match: re.Match[str]) -> str:
        day = today + timedelta(days=1 if match.group(1) == "tomorrow" else 0)
        if match.group(3):
            days = int(match.group(3))
            day += timedelta(days=days if match.group(2) == "+" else -days)
        return day.isoformat()

    return _DATE_WORD.sub(date_for, line)


def moment(instant: datetime, zone: str) -> str:
    """Like "Mon 07 Dec 2026 15:00 UTC" in a zone."""
    return instant.astimezone(ZoneInfo(zone)).strftime("%a %d %b %Y %H:%M %Z")


class TimeWords:
    """`wait`, `at` and `now` for a console: it prints through `say` and `describe`."""

    def __init__(
        self,
        machine: TimeMachine,
        workspace: Workspace,
        say: Callable[[str], None],
        describe: Callable[[Activity], str],
        *,
        zone: str = "UTC",
    ) -> None:
        self.machine = machine
        self.workspace = workspace
        self.say = say
        self.describe = describe
        self.zone = zone  # the company's zone: where headings are shown

    def today(self, zone: str | None = None) -> date:
        """Today's date by Commons' clock, in a zone (the company's by default)."""
        return self.machine.clock.now().astimezone(ZoneInfo(zone or self.zone)).date()

    def now(self, zone: str | None = None, who: str | None = None) -> None:
        """Print the time Commons sees, in a person's zone when given."""
        instant = self.machine.clock.now()
        whose = f" ({who}'s zone)" if who else ""
        self.say(f"  {moment(instant, zone or self.zone)}{whose}")
        if (zone or self.zone) != "UTC":
            self.say(f"  {moment(instant, 'UTC')}")

    def wait(self, text: str) -> None:
        """`wait 2d`: parse, then move."""
        try:
            delta = parse_duration(text)
        except TimeError as error:
            self.say(f"  {error}")
            return
        self._move_to(self.machine.clock.now() + delta)

    def at(self, text: str, zone: str | None = None) -> None:
        """`at monday 09:00 [zone]`: parse (in the person's or the company's zone), then move."""
        try:
            target = parse_instant(text, zone=zone or self.zone, now=self.machine.clock.now())
        except TimeError as error:
            self.say(f"  {error}")
            return
        if target <= self.machine.clock.now():
            self.say(
                f"  {moment(target, self.zone)} has passed (it is "
                f"{moment(self.machine.clock.now(), self.zone)}): time only moves forward."
            )
            return
        self._move_to(target)

    def _move_to(self, target: datetime) -> None:
        start = self.machine.clock.now()
        self.say(
            f"  (Commons' clock moves from {moment(start, self.zone)} to {moment(target, self.zone)})"
        )
        seen = self._last_seq()
        shown = 0

        def step(instant: datetime) -> None:
            nonlocal seen, shown
            new = self.workspace.activity_since(seen)
            if not new:
                return
            self.say(f"{moment(instant, self.zone)}:")
            for activity in new:
                self.say(self.describe(activity))
            seen = new[-1].seq
            shown += 1

        try:
            self.machine.advance_to(target, step)
        except TimeError as error:
            self.say(f"  {error}")
            return
        if not shown:
            self.say("  (nothing fell due)")
        self.say(f"  It is now {moment(self.machine.clock.now(), self.zone)}.")

    def _last_seq(self) -> int:
        activity = self.workspace.activity_since(0)
        return activity[-1].seq if activity else 0
