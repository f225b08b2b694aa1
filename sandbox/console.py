"""`commons sandbox`: the local Slack stand-in, Commons connected to it, and a prompt to act as anyone."""

import contextlib
import logging
import shlex
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sandbox.driver import Ack, Driver
from sandbox.render import message_lines
from sandbox.server import Sandbox
from sandbox.workspace import Activity, Message, User, View

if TYPE_CHECKING:
    from bot.services import Services

PROMPT = "commons> "
SETTLE_SECONDS = 0.4  # no new activity for this long: the bot is done answering
MAX_WAIT_SECONDS = 8.0

HELP = """\
Act as a person of the demo company, and see what Commons does:
  as alice: /commons help          a slash command (typed in #general, or where you say:)
  as alice in #it-help: /request   ... typed in another channel
  as bob: home                     open the Commons App Home
  as bob: click <action_id> [value]  click a button Commons showed bob (most recent first)
  as bob: submit [block.action=value ...]   submit bob's open form
  as bob: close                    close bob's open form
  as carol in #it-help: say <text>   write a message in a channel
  as bob in #it-help: reply <text>   reply in the thread of the channel's newest message
    ... reply to <ts> <text>         ... or of the message with that ts (`show` lists them)
  as erin in #it-help: react ticket  react to the channel's newest message (or: react ticket to <ts>)
Look around:
  people | channels | groups       the demo directory
  show #general | show dm alice    what is in a channel or a DM with Commons
  help | quit"""


class Console:
    """Reads prompt lines, drives the bot as a person, and prints what the bot did."""

    def __init__(
        self,
        sandbox: Sandbox,
        driver: Driver,
        out: TextIO = sys.stdout,
        *,
        outbox_due: Callable[[], int] | None = None,
    ) -> None:
        self.sandbox = sandbox
        # How many messages Commons' outbox may post right now: the console waits for them too.
        self.outbox_due = outbox_due or (lambda: 0)
        self.workspace = sandbox.workspace
        self.driver = driver
        self.out = out
        self._seen = self._last_seq()

    # -- names ---------------------------------------------------------------------------------

    def user_name(self, user_id: str) -> str:
        if user_id == self.sandbox.bot_user_id:
            return "Commons"
        user = self.workspace.users.get(user_id)
        return user.name if user else user_id

    def channel_name(self, channel_id: str) -> str:
        group = self.workspace.usergroups.get(channel_id)
        if group is not None:
            return group.handle
        channel = self.workspace.channels.get(channel_id)
        if channel is None:
            return channel_id
        if channel.is_im:
            return f"DM with {self.user_name(channel.im_user or '?')}"
        return "#" + channel.name

    def find_person(self, name: str) -> User | None:
        wanted = name.strip().lstrip("@").lower()
        for user in self.workspace.users.values():
            if wanted in (user.id.lower(), user.name.lower(), user.display_name.lower()):
                return None if user.deleted or user.is_bot else user
        return None

    def find_channel(self, name: str) -> str | None:
        wanted = name.strip().lstrip("#").lower()
        for channel in self.workspace.channels.values():
            if not channel.is_im and wanted in (channel.id.lower(), channel.name.lower()):
                return channel.id
        return None

    # -- the loop ------------------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def execute(self, line: str) -> bool:
        """Run one prompt line; False means quit."""
        line = line.strip()
        if not line or line.startswith("#!"):
            return True
        word = line.split()[0].lower()
        if word in ("quit", "exit", "q"):
            return False
        if word in ("help", "?"):
            self.say(HELP)
        elif word == "people":
            self._people()
        elif word == "channels":
            self._channels()
        elif word == "groups":
            self._groups()
        elif word == "show":
            self._show(line.split(None, 1)[1] if " " in line else "")
        elif word == "as":
            self._act(line[2:].strip())
        else:
            self.say(f"I don't understand {line!r}. Type `help` for what you can do.")
        return True

    def _act(self, rest: str) -> None:
        who, sep, action = rest.partition(":")
        if not sep or not action.strip():
            self.say("Say who and what, e.g. `as alice: /commons help`.")
            return
        person_part, _, channel_part = who.partition(" in ")
        person = self.find_person(person_part)
        if person is None:
            self.say(f"No one called {person_part.strip()!r} here; `people` lists everyone.")
            return
        channel_id = self._default_channel(person)
        if channel_part.strip():
            found = self.find_channel(channel_part)
            if found is None:
                self.say(f"No channel {channel_part.strip()!r}; `channels` lists them.")
                return
            channel_id = found
        action = action.strip()
        before = self._last_seq()
        ack = self._dispatch(person, channel_id, action)
        if ack is None:
            return
        self._report_ack(ack)
        self._print_new(before)

    def _dispatch(self, person: User, channel_id: str, action: str) -> Ack | None:
        if action.startswith("/"):
            command, _, text = action.partition(" ")
            return self.driver.slash(person.id, command, text.strip(), channel_id=channel_id)
        # A person's own words are taken as typed (an apostrophe is not a quote).
        first, _, said = action.partition(" ")
        if first.lower() in ("say", "reply", "react"):
            return self._write(person, channel_id, first.lower(), [said.strip()] if said else [])
        words = shlex.split(action)
        verb = words[0].lower()
        if verb == "home":
            return self.driver.open_home(person.id)
        if verb == "click" and len(words) >= 2:
            return self._click(person, words[1], words[2] if len(words) > 2 else None)
        if verb == "submit":
            view = self._open_view(person)
            if view is None:
                self.say(f"{person.name} has no open form.")
                return None
            return self.driver.submit(person.id, view.id, _values(words[1:]))
        if verb == "close":
            view = self._open_view(person)
            if view is None:
                self.say(f"{person.name} has no open form.")
                return None
            return self.driver.close_view(person.id, view.id)
        self.say(f"I don't understand {action!r}; type `help`.")
        return None

    def _write(self, person: User, channel_id: str, verb: str, rest: list[str]) -> Ack | None:
        """`say`, `reply` and `react`: a person's own message or reaction, as Slack sends it."""
        words = rest[0].split() if rest else []
        if not words:
            self.say(f"Say what, e.g. `{verb} {'ticket' if verb == 'react' else 'Hello'}`.")
            return None
        if verb == "say":
            return self.driver.say(person.id, channel_id, rest[0])[1]
        if verb == "reply" and len(words) > 2 and words[0] == "to":
            target, text = self._message_at(channel_id, words[1]), rest[0].split(None, 2)[2]
        elif verb == "react" and len(words) == 3 and words[1] == "to":
            target, text = self._message_at(channel_id, words[2]), words[0]
        else:
            target, text = self._newest(channel_id), rest[0] if verb == "reply" else words[0]
        if target is None:
            return None
        if verb == "reply":
            return self.driver.say(person.id, channel_id, text, thread_ts=target.ts)[1]
        return self.driver.react(person.id, target, text.strip(":"))

    def _newest(self, channel_id: str) -> Message | None:
        messages = [m for m in self.workspace.messages(channel_id) if not m.is_reply]
        if not messages:
            self.say(f"{self.channel_name(channel_id)} has no messages yet.")
            return None
        return messages[-1]

    def _message_at(self, channel_id: str, ts: str) -> Message | None:
        message = self.workspace.find_message(channel_id, ts)
        if message is None:
            self.say(f"No message {ts} in {self.channel_name(channel_id)}; `show` lists them.")
        return message

    def _click(self, person: User, action_id: str, value: str | None) -> Ack | None:
        view = self._open_view(person)
        if view is not None and _has_action(view.blocks, action_id):
            return self.driver.click(person.id, action_id, value=value, view_id=view.id)
        home = self.workspace.home_view(person.id)
        if home is not None and _has_action(home.blocks, action_id):
            return self.driver.click(person.id, action_id, value=value, view_id=home.id)
        for activity in reversed(self.workspace.activity_since(0)):
            if activity.kind not in ("message", "reply", "update") or not activity.ts:
                continue
            if not activity.channel or not self._visible_to(activity.channel, person.id):
                continue
            message = self.workspace.find_message(activity.channel, activity.ts)
            if message is not None and _has_action(message.blocks or [], action_id):
                return self.driver.click(
                    person.id,
                    action_id,
                    value=value,
                    channel_id=message.channel,
                    message_ts=message.ts,
                )
        self.say(f"{person.name} sees no button or menu {action_id!r} right now.")
        return None

    def _visible_to(self, channel_id: str, user_id: str) -> bool:
        channel = self.workspace.channels.get(channel_id)
        if channel is None:
            return False
        if channel.is_im:
            return channel.im_user == user_id
        return user_id in channel.members or not channel.is_private

    def _open_view(self, person: User) -> View | None:
        with self.workspace.lock:
            views = [
                v
                for v in self.workspace.views.values()
                if v.user_id == person.id and v.type == "modal" and not v.closed
            ]
        return views[-1] if views else None

    def _default_channel(self, person: User) -> str:
        general = self.find_channel("general")
        if general and person.id in self.workspace.channels[general].members:
            return general
        return self.workspace.dm_channel_for(person.id).id

    # -- output --------------------------------------------------------------------------------

    def _last_seq(self) -> int:
        activity = self.workspace.activity_since(0)
        return activity[-1].seq if activity else 0

    def wait_for_quiet(self, since: int) -> list[Activity]:
        """Wait until the bot has gone quiet, then return what it did since `since`."""
        deadline = time.monotonic() + MAX_WAIT_SECONDS
        count = -1
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            current = len(self.workspace.activity_since(since))
            if current != count or self.outbox_due() > 0:
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
        activities = self.wait_for_quiet(since)
        if not activities:
            self.say("  (nothing visible happened)")
        for activity in activities:
            self.say(self.describe(activity))

    def describe(self, activity: Activity) -> str:
        """One activity as a short heading and the indented content."""
        where = self.channel_name(activity.channel) if activity.channel else ""
        who = self.user_name(activity.user) if activity.user else ""
        headings = {
            "message": f"[{where}] Commons posted:",
            "reply": f"[{where}, in a thread] Commons replied:",
            "update": f"[{where}] Commons edited a message:",
            "delete": f"[{where}] Commons deleted a message.",
            "ephemeral": f"[{where}] only {who} sees:",
            "response": f"[{where}] only {who} sees:",
            "view_open": f"[form for {who}] opened:",
            "view_update": f"[form for {who}] changed:",
            "view_push": f"[form for {who}] a new step opened:",
            "view_close": f"[form for {who}] closed.",
            "home": f"[App Home of {who}]",
            "reaction": f"[{where}] Commons reacted :{activity.detail.get('name', '?')}:",
            "file": f"[{where}] Commons shared a file: {activity.detail.get('title', '')}",
        }
        if activity.user and activity.user != self.sandbox.bot_user_id:
            headings.update(
                {
                    "message": f"[{where}] {who} wrote:",
                    "reply": f"[{where}, in a thread] {who} replied:",
                    "reaction": f"[{where}] {who} reacted :{activity.detail.get('name', '?')}:",
                }
            )
        heading = headings.get(activity.kind, f"[{activity.kind}] {where} {who}")
        body: list[str] = []
        if activity.kind.startswith("view_") or activity.kind == "home":
            view = self.workspace.views.get(activity.view_id or "")
            if view is not None and activity.kind != "view_close":
                if view.title:
                    body.append(f'"{view.title}"')
                body.extend(message_lines(None, view.blocks, self.user_name, self.channel_name))
                body.extend(f"! {block}: {error}" for block, error in view.errors.items())
        elif activity.kind not in ("delete", "reaction", "view_close"):
            body = message_lines(activity.text, activity.blocks, self.user_name, self.channel_name)
        return "\n".join([heading, *("    " + line for line in body)])

    # -- directory -----------------------------------------------------------------------------

    def _people(self) -> None:
        groups = self._groups_of()
        for user in sorted(self.workspace.users.values(), key=lambda u: u.name):
            if user.is_bot or user.deleted:
                continue
            guest = " (guest)" if user.is_restricted else ""
            admin = " (workspace admin)" if user.is_admin else ""
            self.say(
                f"  {user.name:<10} {user.real_name:<22} {user.title[:30]:<30} {user.tz:<20} "
                f"{', '.join(groups.get(user.id, []))}{guest}{admin}"
            )

    def _groups_of(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for group in self.workspace.usergroups.values():
            for user_id in group.users:
                found.setdefault(user_id, []).append("@" + group.handle)
        return found

    def _channels(self) -> None:
        for channel in sorted(self.workspace.channels.values(), key=lambda c: c.name):
            if channel.is_im:
                continue
            notes = []
            if self.sandbox.bot_user_id in channel.members:
                notes.append("Commons is a member")
            if channel.is_private:
                notes.append("private")
            if channel.is_archived:
                notes.append("archived")
            self.say(f"  #{channel.name:<18} {len(channel.members):>3} members  {', '.join(notes)}")

    def _groups(self) -> None:
        for group in sorted(self.workspace.usergroups.values(), key=lambda g: g.handle):
            people = ", ".join(self.user_name(u) for u in group.users)
            channels = ", ".join(self.channel_name(c) for c in group.channels)
            self.say(f"  @{group.handle:<12} {group.name:<12} {channels:<14} {people}")

    def _show(self, what: str) -> None:
        what = what.strip()
        if what.startswith("dm "):
            person = self.find_person(what[3:])
            if person is None:
                self.say(f"No one called {what[3:]!r}.")
                return
            channel_id = self.workspace.dm_channel_for(person.id).id
        else:
            found = self.find_channel(what)
            if found is None:
                self.say("Say `show #channel` or `show dm <person>`.")
                return
            channel_id = found
        messages = self.workspace.messages(channel_id)
        if not messages:
            self.say(f"  {self.channel_name(channel_id)} has no messages yet.")
        for message in messages[-20:]:
            self._show_message(message, "  ")
            for reply in self.workspace.replies(channel_id, message.ts):
                self._show_message(reply, "      ")

    def _show_message(self, message: Message, indent: str) -> None:
        author = self.user_name(message.user or "") if message.user else "Commons"
        where = ", in its thread" if message.is_reply else ""
        self.say(f"{indent}{author} ({message.ts}{where}):")
        for line in message_lines(message.text, message.blocks, self.user_name, self.channel_name):
            self.say(indent + "    " + line)


def _has_action(blocks: Iterable[dict[str, Any]], action_id: str) -> bool:
    for block in blocks:
        elements = list(block.get("elements", []))
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                elements.append(block[key])
        if any(isinstance(e, dict) and e.get("action_id") == action_id for e in elements):
            return True
    return False


def _values(pairs: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """`block.action=value` words as view_submission state values (plain text inputs)."""
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        block_id, _, action_id = key.partition(".")
        values.setdefault(block_id, {})[action_id or block_id] = {
            "type": "plain_text_input",
            "value": value,
        }
    return values


def main(*, db_path: str, fresh: bool, commands: list[str]) -> int:
    """Start the sandbox and Commons (Socket Mode, SQLite), then prompt; returns the exit status."""
    from bot import runtime, socket_mode
    from bot.settings import Settings

    db = Path(db_path).resolve()
    db.parent.mkdir(parents=True, exist_ok=True)
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    log_file = db.parent / "commons.log"
    _log_to(log_file)

    print("Starting the Slack sandbox and Commons...", flush=True)
    with Sandbox() as sandbox:
        admins = [u.id for u in sandbox.workspace.users.values() if u.is_admin and not u.is_bot]
        settings = Settings.from_env(
            {
                "SLACK_BOT_TOKEN": sandbox.bot_token,
                "SLACK_SIGNING_SECRET": sandbox.signing_secret,
                "SLACK_APP_TOKEN": sandbox.app_token,
                "SLACK_API_URL": sandbox.api_url,
                "DATABASE_URL": f"sqlite:///{db}",
                "COMMONS_ADMINS": ",".join(admins),
                "LOG_LEVEL": "INFO",
            },
            mode="socket",
        )
        started = runtime.start(settings)
        started.background.sync_directory()
        started.background.start()
        handler = socket_mode.connect(started.app, settings.slack_app_token, started.services)
        try:
            if not sandbox.hub.wait_for_connections(1, timeout=15):
                print(f"Commons did not connect to the sandbox; see {log_file}", file=sys.stderr)
                return 1
            console = Console(sandbox, Driver(sandbox), outbox_due=lambda: _due(started.services))
            team = sandbox.team_domain
            print(
                f"Commons is connected to the sandbox workspace '{team}' (Socket Mode, {db}).\n"
                f"Its log goes to {log_file}. Type `help` for what you can do, `quit` to leave.",
                flush=True,
            )
            if commands:
                for line in commands:
                    print(PROMPT + line, flush=True)
                    console.execute(line)
                return 0
            _interactive(console)
        finally:
            handler.close()  # type: ignore[no-untyped-call]
            started.close()
    return 0


def _due(services: "Services") -> int:
    """Schedules and outbox messages due now: the background ticks handle them within a second
    or two, and what they post is part of the answer to what the person just did."""
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


def _interactive(console: Console) -> None:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history at the prompt)
    while True:
        try:
            line = input(PROMPT)
        except EOFError:
            print()
            return
        if not console.execute(line):
            return


def _log_to(path: Path) -> None:
    from bot.logs import RedactingFilter

    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
