"""What a person does at the sandbox console: commands, clicks, forms, shortcuts, messages.

Messages are addressed as `show` numbers them: `click helpdesk.claim on #it-help 3`,
`on dm bob 2`, `on 3` (in the channel the person acts in), or by ts; without `on`, the newest
message that has the button.
"""

import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sandbox.console_look import Names
from sandbox.driver import Ack, Driver
from sandbox.forms import FormError, form_values
from sandbox.workspace import Message, User, View

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"
WHICH_MESSAGE = "Say which message: `on #it-help 3`, `on dm bob 2` or `on 3` (`show` numbers them)."


@dataclass(frozen=True)
class Shortcut:
    """A shortcut of the app's manifest: on a message, or global (the lightning menu)."""

    name: str
    callback_id: str
    on_message: bool


def manifest_shortcuts(path: Path = MANIFEST) -> list[Shortcut]:
    """The shortcuts manifest.yml declares (none when the file is not beside the package)."""
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        Shortcut(str(s["name"]), str(s["callback_id"]), s.get("type") == "message")
        for s in (data.get("features") or {}).get("shortcuts") or []
    ]


class ParseError(ValueError):
    """A line that cannot be split into words (an unclosed quote); the message says so."""


def split_words(text: str) -> list[str]:
    """Words as a shell splits them, `\\n` inside a quoted value being a newline.

    Raises:
        ParseError: a quote is not closed.
    """
    try:
        return shlex.split(_newlines_in_quotes(text))
    except ValueError as error:
        raise ParseError(
            f'{error} in that line: close it, e.g. submit title="Rota" (nothing was sent).'
        ) from None


def _newlines_in_quotes(text: str) -> str:
    out: list[str] = []
    quote: str | None = None
    index = 0
    while index < len(text):
        char, pair = text[index], text[index : index + 2]
        if char == "\\" and len(pair) == 2 and (quote is None or quote == '"'):
            out.append("\n" if quote and pair == "\\n" else pair)
            index += 2
            continue
        if char == "\\" and pair == "\\n":  # inside single quotes
            out.append("\n")
            index += 2
            continue
        if quote is None and char in "'\"":
            quote = char
        elif char == quote:
            quote = None
        out.append(char)
        index += 1
    return "".join(out)


def with_here(words: list[str], action: str, here: str | None) -> list[str]:
    """The here-block as the last word's value (`body=<<END`) or as a word of its own."""
    if here is None:
        return words
    if words and action.rstrip().endswith("="):
        return [*words[:-1], words[-1] + here]
    return [*words, here]


class Act:
    """Runs one action of a person and returns Commons' acknowledgement (None: nothing sent)."""

    def __init__(
        self,
        names: Names,
        driver: Driver,
        say: Callable[[str], None],
        shortcuts: list[Shortcut],
    ) -> None:
        self.names = names
        self.workspace = names.workspace
        self.driver = driver
        self.say = say
        self.shortcuts = shortcuts

    def dispatch(
        self, person: User, channel_id: str, action: str, here: str | None = None
    ) -> Ack | None:
        """Raises ValueError for an unclosed quote (the console shows it as one line)."""
        if here is not None and not action.rstrip().endswith("="):
            action = action.rstrip() + " "
        raw = action + (here or "")
        if raw.startswith("/"):
            command, _, text = raw.partition(" ")
            return self.driver.slash(person.id, command, text.strip(), channel_id=channel_id)
        # A person's own words are taken as typed (an apostrophe is not a quote).
        first, _, said = raw.partition(" ")
        if first.lower() in ("say", "reply", "react"):
            return self._write(person, channel_id, first.lower(), said.strip())
        words = with_here(split_words(action), action, here)
        verb, rest = words[0].lower(), words[1:]
        if verb == "home":
            return self.driver.open_home(person.id)
        if verb == "click" and rest:
            return self._click(person, channel_id, rest)
        if verb == "shortcut" and rest:
            return self._shortcut(person, channel_id, rest)
        if verb in ("submit", "close"):
            return self._form(person, verb, rest)
        self.say(f"I don't understand {action.strip()!r}; type `help`.")
        return None

    # -- messages of a person --------------------------------------------------------------------

    def _write(self, person: User, channel_id: str, verb: str, said: str) -> Ack | None:
        """`say`, `reply` and `react`: a person's own message or reaction, as Slack sends it."""
        words = said.split()
        if not words:
            self.say(f"Say what, e.g. `{verb} {'ticket' if verb == 'react' else 'Hello'}`.")
            return None
        if verb == "say":
            return self.driver.say(person.id, channel_id, said)[1]
        target: Message | None
        if verb == "reply" and len(words) > 2 and words[0] == "to":
            target, text = self._numbered(channel_id, words[1]), said.split(None, 2)[2]
        elif verb == "react" and len(words) == 3 and words[1] == "to":
            target, text = self._numbered(channel_id, words[2]), words[0]
        else:
            target, text = self._newest(channel_id), said if verb == "reply" else words[0]
        if target is None:
            return None
        if verb == "reply":
            return self.driver.say(person.id, channel_id, text, thread_ts=target.ts)[1]
        return self.driver.react(person.id, target, text.strip(":"))

    def _newest(self, channel_id: str) -> Message | None:
        messages = self.workspace.messages(channel_id)
        if not messages:
            self.say(f"{self.names.channel_name(channel_id)} has no messages yet.")
            return None
        return messages[-1]

    def _numbered(self, channel_id: str, ref: str) -> Message | None:
        found = self.names.message(channel_id, ref)
        if isinstance(found, str):
            self.say(found)
            return None
        return found

    def _addressed(self, person: User, channel_id: str, where: list[str]) -> Message | None:
        """The message `on ...` names: `#chan N`, `dm bob N`, `N` (N a number or a ts)."""
        if not where:
            self.say(WHICH_MESSAGE)
            return None
        if where[0].startswith("#"):
            found = self.names.find_channel(where[0])
            if found is None:
                self.say(f"No channel {where[0]!r}; `channels` lists them.")
                return None
            channel_id, where = found, where[1:]
        elif where[0].lower() == "dm" and len(where) > 1:
            other = self.names.find_person(where[1])
            if other is None:
                self.say(f"No one called {where[1]!r} here; `people` lists everyone.")
                return None
            channel_id, where = self.workspace.dm_channel_for(other.id).id, where[2:]
        if not self.names.visible_to(channel_id, person.id):
            self.say(f"{person.name} cannot see {self.names.channel_name(channel_id)}.")
            return None
        if len(where) > 1:
            self.say(WHICH_MESSAGE)
            return None
        return self._numbered(channel_id, where[0]) if where else self._newest(channel_id)

    # -- buttons and menus -----------------------------------------------------------------------

    def _click(self, person: User, channel_id: str, words: list[str]) -> Ack | None:
        """`click <action_id> [value] [on <message>]`."""
        on = words.index("on", 1) if "on" in words[1:] else len(words)
        action_id, value = words[0], words[1] if on > 1 else None
        if on < len(words):
            message = self._addressed(person, channel_id, words[on + 1 :])
            if message is None:
                return None
            if not has_action(message.blocks or [], action_id):
                shown = ", ".join(actions_in(message.blocks or [])) or "none"
                self.say(f"That message has no button or menu {action_id!r} (it has: {shown}).")
                return None
            return self._click_message(person, action_id, value, message)
        view = self._open_view(person)
        if view is not None and has_action(view.blocks, action_id):
            return self.driver.click(person.id, action_id, value=value, view_id=view.id)
        home = self.workspace.home_view(person.id)
        if home is not None and has_action(home.blocks, action_id):
            return self.driver.click(person.id, action_id, value=value, view_id=home.id)
        for activity in reversed(self.workspace.activity_since(0)):
            if activity.kind not in ("message", "reply", "update") or not activity.ts:
                continue
            if not activity.channel or not self.names.visible_to(activity.channel, person.id):
                continue
            message = self.workspace.find_message(activity.channel, activity.ts)
            if message is not None and has_action(message.blocks or [], action_id):
                return self._click_message(person, action_id, value, message)
        self.say(f"{person.name} sees no button or menu {action_id!r} right now.")
        return None

    def _click_message(
        self, person: User, action_id: str, value: str | None, message: Message
    ) -> Ack:
        return self.driver.click(
            person.id, action_id, value=value, channel_id=message.channel, message_ts=message.ts
        )

    # -- shortcuts -------------------------------------------------------------------------------

    def _shortcut(self, person: User, channel_id: str, words: list[str]) -> Ack | None:
        """`shortcut "Turn into a request" [on <message>]`, `shortcut "New announcement"`."""
        on = words.index("on", 1) if "on" in words[1:] else len(words)
        name = " ".join(words[:on]).strip()
        wanted = name.lower()
        found = next(
            (s for s in self.shortcuts if wanted in (s.name.lower(), s.callback_id.lower())), None
        )
        if found is None:
            known = "; ".join(
                f'"{s.name}"' + (" (on a message)" if s.on_message else "") for s in self.shortcuts
            )
            self.say(f"No shortcut {name!r}. Commons has: {known or 'none'}.")
            return None
        if not found.on_message:
            if on < len(words):
                self.say(f'"{found.name}" is a global shortcut: it is not run on a message.')
                return None
            return self.driver.shortcut(person.id, found.callback_id)
        where = words[on + 1 :]
        message = self._addressed(person, channel_id, where) if where else self._newest(channel_id)
        if message is None:
            return None
        return self.driver.message_shortcut(
            person.id, found.callback_id, message.channel, message.ts
        )

    # -- forms -----------------------------------------------------------------------------------

    def _form(self, person: User, verb: str, words: list[str]) -> Ack | None:
        """`submit [block.action=value ...]` and `close` on the person's open form."""
        view = self._open_view(person)
        if view is None:
            self.say(f"{person.name} has no open form.")
            return None
        try:
            if verb == "close":
                closed = self.driver.close_view(person.id, view.id)
                if not closed.sent:
                    self.say("  (the form closed; it did not ask Slack to tell Commons)")
                    return None
                return closed
            pairs = []
            for word in words:
                key, sep, value = word.partition("=")
                if not sep or not key:
                    raise FormError(f"`{word}` is not block.action=value, e.g. ann_title=Rota.")
                pairs.append((key, value))
            values = form_values(view, pairs, resolve=self.names.resolve)
            return self.driver.submit(person.id, view.id, values)
        except FormError as problem:
            self.say(f"  ! {problem}")
            return None

    def _open_view(self, person: User) -> View | None:
        with self.workspace.lock:
            views = [
                v
                for v in self.workspace.views.values()
                if v.user_id == person.id and v.type == "modal" and not v.closed
            ]
        return views[-1] if views else None


def _elements(blocks: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for block in blocks:
        yield from (e for e in block.get("elements", []) if isinstance(e, dict))
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                yield block[key]


def has_action(blocks: Iterable[dict[str, Any]], action_id: str) -> bool:
    return any(e.get("action_id") == action_id for e in _elements(blocks))


def actions_in(blocks: Iterable[dict[str, Any]]) -> list[str]:
    return [str(e["action_id"]) for e in _elements(blocks) if e.get("action_id")]
