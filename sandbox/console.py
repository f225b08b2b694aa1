"""`commons sandbox`'s prompt: act as a person of the demo company and see what Commons does.

Reads a line (with its here-block), runs it as a person, as a look around, or as a time word,
and prints what Commons did in answer. The start-up is in sandbox.console_main.
"""

import re
import sys
import time
from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, TextIO
from zoneinfo import ZoneInfo

from sandbox import console_time
from sandbox.console_act import Act, ParseError, Shortcut, manifest_shortcuts
from sandbox.console_look import Look, Names
from sandbox.console_time import TimeWords, expand_dates
from sandbox.driver import Ack, Driver
from sandbox.server import Sandbox
from sandbox.timetravel import TimeMachine
from sandbox.workspace import Activity, User

if TYPE_CHECKING:
    from bot.services import Services
    from sandbox.running import Running

PROMPT = "commons> "
MORE = "     ... "  # the prompt for a here-block's lines
SETTLE_SECONDS = 0.4  # no new activity for this long: the bot is done answering
MAX_WAIT_SECONDS = 8.0
# `body=<<END` takes the lines up to `END` as the value, as in sandbox.transcript.
HERE = re.compile(r"<<([A-Z]+)\s*$")

HELP = f"""\
Act as a person of the demo company, and see what Commons does:
  as alice: /commons help          a slash command (typed in #general, or where you say:)
  as alice in #it-help: /request   ... typed in another channel
  as bob: home                     open the Commons App Home
  as bob: click <action_id> [value]  click a button Commons showed bob (the newest first)
    ... click <action_id> on #it-help 3 | on dm bob 2 | on 3   ... on a message `show` numbers
  as bob: shortcut "Turn into a request" on #general 2   a shortcut (global ones: no `on`)
  as bob: submit [block.action=value ...]   submit bob's open form ("a\\nb": two lines)
    ... submit body=<<END            ... a value over several lines, up to a line `END`
  as bob: close                    close bob's open form
  as carol in #it-help: say <text>   write a message in a channel
  as bob in #it-help: reply <text>   reply in the thread of the channel's newest message
    ... reply to 3 <text>          ... or of message 3 as `show` numbers it (or its ts)
  as erin in #it-help: react ticket  react to the channel's newest message (or: react ticket to 3)
{console_time.HELP}
Look around:
  people | channels | groups       the demo directory, with Commons' roles and departments
  show #general | show dm alice    a channel's or a DM's messages, numbered, with their ts
  help | quit"""


class Console:
    """Reads prompt lines, drives the bot as a person, and prints what the bot did.

    Args:
        services: Commons' services, for the roles `people` shows and the outbox to wait for.
        machine: moves Commons' clock for `wait` and `at`, and runs what is due after each action.
    """

    def __init__(
        self,
        sandbox: Sandbox,
        driver: Driver,
        out: TextIO = sys.stdout,
        *,
        services: "Services | None" = None,
        machine: TimeMachine | None = None,
        shortcuts: list[Shortcut] | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.workspace = sandbox.workspace
        self.driver = driver
        self.out = out
        self.services = services
        self.machine = machine
        self.names = Names(sandbox)
        self.look = Look(self.names, self.say, services)
        found = manifest_shortcuts() if shortcuts is None else shortcuts
        self.act = Act(self.names, driver, self.say, found)
        self.zone = services.settings.timezone if services is not None else "UTC"
        self.time = (
            TimeWords(machine, self.workspace, self.say, self.look.describe, zone=self.zone)
            if machine is not None
            else None
        )
        self._seen = self._last_seq()

    @classmethod
    def on(cls, commons: "Running", out: TextIO = sys.stdout) -> "Console":
        """A console for Commons started by sandbox.running.running()."""
        return cls(
            commons.sandbox,
            commons.driver,
            out,
            services=commons.runtime.services,
            machine=commons.machine,
        )

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    # -- the loop --------------------------------------------------------------------------------

    def run(self, lines: Iterable[str]) -> bool:
        """Run lines in order, a here-block taking the lines after its prompt line; False: quit."""
        remaining = iter(lines)
        return all(self.execute(line, more=lambda: next(remaining, None)) for line in remaining)

    def execute(self, line: str, more: Callable[[], str | None] | None = None) -> bool:
        """Run one prompt line; `more` gives the lines of its here-block. False means quit."""
        line = line.strip()
        if not line or line.startswith("#!"):
            return True
        here: str | None = None
        if match := HERE.search(line):
            here = self._here_block(match.group(1), more)
            if here is None:
                self.say(f"  ! The here-block needs its lines, then a line `{match.group(1)}`.")
                return True
            line = line[: match.start()]
        today = self._today()
        line = expand_dates(line, today)
        here = expand_dates(here, today) if here is not None else None
        self._meanwhile()
        try:
            return self._execute(line, here)
        finally:
            self._seen = self._last_seq()

    def _execute(self, line: str, here: str | None) -> bool:
        word, _, rest = line.partition(" ")
        word = word.lower()
        if word in ("quit", "exit", "q"):
            return False
        if word in ("help", "?"):
            self.say(HELP)
        elif word == "people":
            self.look.people()
        elif word == "channels":
            self.look.channels()
        elif word == "groups":
            self.look.groups()
        elif word == "show":
            self.look.show(rest)
        elif word in ("wait", "at", "now"):
            self._time_word(word, rest.strip())
        elif word == "as":
            self._act(rest.strip(), here)
        else:
            self.say(f"I don't understand {line!r}. Type `help` for what you can do.")
        return True

    @staticmethod
    def _here_block(end: str, more: Callable[[], str | None] | None) -> str | None:
        lines: list[str] = []
        while more is not None and (line := more()) is not None:
            if line.strip() == end:
                return "\n".join(lines)
            lines.append(line.rstrip("\n"))
        return None

    def _today(self) -> date:
        if self.time is not None:
            return self.time.today()
        if self.services is not None:
            return self.services.clock.now().astimezone(ZoneInfo(self.zone)).date()
        return date.today()

    def _time_word(self, word: str, rest: str, person: User | None = None) -> None:
        if self.time is None:
            self.say("  Commons' clock cannot move here: `commons sandbox` starts it on one.")
            return
        zone = person.tz if person is not None else None
        if word == "now":
            self.time.now(zone, person.name if person is not None else None)
        elif word == "wait":
            self.time.wait(rest)
        else:
            self.time.at(rest, zone)

    # -- acting as a person ----------------------------------------------------------------------

    def _act(self, rest: str, here: str | None) -> None:
        who, sep, action = rest.partition(":")
        if not sep or not (action.strip() or here):
            self.say("Say who and what, e.g. `as alice: /commons help`.")
            return
        person_part, _, channel_part = who.partition(" in ")
        person = self.names.find_person(person_part)
        if person is None:
            self.say(f"No one called {person_part.strip()!r} here; `people` lists everyone.")
            return
        channel_id = self._default_channel(person)
        if channel_part.strip():
            found = self.names.find_channel(channel_part)
            if found is None:
                self.say(f"No channel {channel_part.strip()!r}; `channels` lists them.")
                return
            channel_id = found
        action = action.strip()
        verb, _, words = action.partition(" ")
        if verb.lower() in ("now", "wait", "at") and here is None:
            self._time_word(verb.lower(), words.strip(), person)
            return
        before = self._last_seq()
        try:
            ack = self.act.dispatch(person, channel_id, action, here)
        except ParseError as error:
            self.say(f"  ! {error}")
            return
        except LookupError as error:
            self.say(f"  ! {error}")
            return
        if ack is None:
            return
        self._report_ack(ack)
        self._print_new(before)

    def _default_channel(self, person: User) -> str:
        general = self.names.find_channel("general")
        if general and person.id in self.workspace.channels[general].members:
            return general
        return self.workspace.dm_channel_for(person.id).id

    # -- output ----------------------------------------------------------------------------------

    def _last_seq(self) -> int:
        activity = self.workspace.activity_since(0)
        return activity[-1].seq if activity else 0

    def _meanwhile(self) -> None:
        """What Commons did on its own since the last line (its clock runs between lines)."""
        new = self.workspace.activity_since(self._seen)
        if new:
            self.say("  (meanwhile:)")
            for activity in new:
                self.say(self.look.describe(activity))

    def _outbox_due(self) -> int:
        # Only a running Commons (one with a machine) posts on its own: worth waiting for.
        if self.services is None or self.machine is None:
            return 0
        return outbox_due(self.services)

    def wait_for_quiet(self, since: int) -> list[Activity]:
        """Wait until the bot has gone quiet, then return what it did since `since`."""
        deadline = time.monotonic() + MAX_WAIT_SECONDS
        count = -1
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            current = len(self.workspace.activity_since(since))
            if current != count or self._outbox_due() > 0:
                count = current
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= SETTLE_SECONDS:
                break
            time.sleep(0.05)
        return self.workspace.activity_since(since)

    def _report_ack(self, ack: Ack) -> None:
        if ack.status == 200:
            self.say(f"  (Commons acknowledged in {ack.seconds * 1000:.0f} ms)")
        elif ack.status == 0:
            self.say(
                "  (Commons did not acknowledge within the deadline: Slack would show an error)"
            )
        else:
            self.say(f"  (Commons answered HTTP {ack.status}: Slack would show an error)")

    def _print_new(self, since: int) -> None:
        """What the action brought, with what fell due because of it (a tick's DM) run now."""
        self.wait_for_quiet(since)
        if self.machine is not None:
            with self.machine.hold():
                self.machine.settle()
        activities = self.wait_for_quiet(since)
        if not activities:
            self.say("  (nothing visible happened)")
        for activity in activities:
            self.say(self.look.describe(activity))

    def describe(self, activity: Activity) -> str:
        """One activity as a short heading and the indented content."""
        return self.look.describe(activity)


def outbox_due(services: "Services") -> int:
    """Schedules and outbox messages due now: what they post is part of the answer to what the
    person just did, so the console waits for them."""
    from sqlmodel import col, func, select

    from bot.models import Delivery, Schedule

    now = services.clock.now()
    with services.store.unit_of_work(write=False) as session:
        messages = session.exec(
            select(func.count()).where(
                col(Delivery.state).in_(("pending", "sending")), col(Delivery.not_before) <= now
            )
        ).one()
        schedules = session.exec(
            select(func.count()).where(
                Schedule.state == "active",
                col(Schedule.next_run_at) <= now,
                col(Schedule.kind).in_(list(services.schedule_handlers)),
            )
        ).one()
        return int(messages) + int(schedules)
