"""What the sandbox console shows: names, the directory with Commons' roles, channels, and activity."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sandbox.forms import current
from sandbox.render import blocks_to_lines, message_lines
from sandbox.server import Sandbox
from sandbox.workspace import Activity, Message, User

if TYPE_CHECKING:
    from bot.services import Services

SHOWN_MESSAGES = 20  # `show` lists this many of a channel's newest messages


class Names:
    """People, channels and messages as a person names them at the prompt."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.workspace = sandbox.workspace

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

    def resolve(self, ref: str) -> str | None:
        """`@bob` or `#it-help` as an id (for form fields that take a person or a channel)."""
        if ref.startswith("#"):
            return self.find_channel(ref)
        person = self.find_person(ref)
        return person.id if person else None

    def visible_to(self, channel_id: str, user_id: str) -> bool:
        channel = self.workspace.channels.get(channel_id)
        if channel is None:
            return False
        if channel.is_im:
            return channel.im_user == user_id
        return user_id in channel.members or not channel.is_private

    def message(self, channel_id: str, ref: str) -> Message | str:
        """The message `show` numbers `ref` (1 is the oldest), or the one with that ts; or why not."""
        where = self.channel_name(channel_id)
        if ref.isascii() and ref.isdigit():
            messages = self.workspace.messages(channel_id)
            number = int(ref)
            if 1 <= number <= len(messages):
                return messages[number - 1]
            count = f"{len(messages)} message{'' if len(messages) == 1 else 's'}"
            return f"{where} has {count}, so no message {number}; `show` numbers them."
        found = self.workspace.find_message(channel_id, ref)
        if found is None:
            return f"No message {ref} in {where}; `show` lists them."
        return found


@dataclass(frozen=True)
class Standing:
    """A person's place in Commons: role words and department names, from its store."""

    roles: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)


def standings(services: "Services") -> dict[str, Standing]:
    """Everyone's Commons role (admin, comms, manager of X, desk agent or lead of Y) and
    departments, by Slack user id, read through the directory's and help desk's services."""
    from sqlmodel import select

    from directory import service as directory
    from directory.models import Person, Role
    from helpdesk import desks as helpdesk

    admins = services.settings.admins
    found: dict[str, Standing] = {}
    with services.store.unit_of_work(write=False) as session:
        desks = helpdesk.list_desks(session=session)
        people = session.exec(select(Person).where(Person.active == True)).all()  # noqa: E712
        for person in people:
            role, _ = directory.role_of(session=session, admins=admins, user_id=person.slack_id)
            departments = directory.departments_of(session=session, user_id=person.slack_id)
            names = [d.name or d.handle for d in departments]
            words = [] if role is Role.MEMBER else [role.value]
            if role is Role.MANAGER and names:
                words = [f"manager of {', '.join(names)}"]
            groups = {d.usergroup_id for d in departments}
            for desk in desks:
                if desk.lead_user_id == person.slack_id:
                    words.append(f"desk lead of {desk.name}")
                elif desk.usergroup_id in groups:
                    words.append(f"desk agent of {desk.name}")
            found[person.slack_id] = Standing(words or ["member"], names)
    return found


class Look:
    """`people`, `channels`, `groups`, `show`, and one activity described as a person sees it."""

    def __init__(
        self, names: Names, say: Callable[[str], None], services: "Services | None" = None
    ) -> None:
        self.names = names
        self.sandbox = names.sandbox
        self.workspace = names.workspace
        self.say = say
        self.services = services

    # -- the directory ---------------------------------------------------------------------------

    def people(self) -> None:
        """Everyone, with their zone and, from Commons' store, their role and departments."""
        standing = standings(self.services) if self.services is not None else {}
        groups = self._groups_of()
        last = "Commons role; departments" if standing else "user groups"
        self.say(f"  {'person':<10} {'name':<20} {'title':<28} {'zone':<19} {last}")
        for user in sorted(self.workspace.users.values(), key=lambda u: u.name):
            if user.is_bot or user.deleted:
                continue
            if user.id in standing:
                place = standing[user.id]
                where = "; " + ", ".join(place.departments) if place.departments else ""
                role = ", ".join(place.roles) + where
            else:
                role = ", ".join(groups.get(user.id, [])) or ("not in Commons" if standing else "")
            notes = (" (guest)" if user.is_restricted else "") + (
                " (workspace admin)" if user.is_admin else ""
            )
            self.say(
                f"  {user.name:<10} {user.real_name[:20]:<20} {user.title[:28]:<28} "
                f"{user.tz:<19} {role}{notes}".rstrip()
            )

    def _groups_of(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for group in self.workspace.usergroups.values():
            for user_id in group.users:
                found.setdefault(user_id, []).append("@" + group.handle)
        return found

    def channels(self) -> None:
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

    def groups(self) -> None:
        for group in sorted(self.workspace.usergroups.values(), key=lambda g: g.handle):
            people = ", ".join(self.names.user_name(u) for u in group.users)
            channels = ", ".join(self.names.channel_name(c) for c in group.channels)
            self.say(f"  @{group.handle:<12} {group.name:<12} {channels:<14} {people}")

    # -- a channel -------------------------------------------------------------------------------

    def show(self, what: str) -> None:
        """A channel's or DM's newest messages, numbered 1..N from the oldest, replies under them."""
        what = what.strip()
        if what.startswith("dm "):
            person = self.names.find_person(what[3:])
            if person is None:
                self.say(f"No one called {what[3:]!r}.")
                return
            channel_id = self.workspace.dm_channel_for(person.id).id
        else:
            found = self.names.find_channel(what)
            if found is None:
                self.say("Say `show #channel` or `show dm <person>`.")
                return
            channel_id = found
        messages = self.workspace.messages(channel_id)
        if not messages:
            self.say(f"  {self.names.channel_name(channel_id)} has no messages yet.")
        first = max(0, len(messages) - SHOWN_MESSAGES)
        for number, message in enumerate(messages[first:], first + 1):
            self._show_message(message, f"  {number}. ")
            for reply in self.workspace.replies(channel_id, message.ts):
                self._show_message(reply, "      ")

    def _show_message(self, message: Message, lead: str) -> None:
        author = self.names.user_name(message.user or "") if message.user else "Commons"
        where = ", in its thread" if message.is_reply else ""
        self.say(f"{lead}{author} ({message.ts}{where}):")
        indent = " " * len(lead) + "    "
        for line in message_lines(
            message.text, message.blocks, self.names.user_name, self.names.channel_name
        ):
            self.say(indent + line)

    # -- activity --------------------------------------------------------------------------------

    def describe(self, activity: Activity) -> str:
        """One activity as a short heading and the indented content."""
        names = self.names
        where = names.channel_name(activity.channel) if activity.channel else ""
        who = names.user_name(activity.user) if activity.user else ""
        reaction = activity.detail.get("name", "?")
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
            "reaction": f"[{where}] Commons reacted :{reaction}:",
            "file": f"[{where}] Commons shared a file: {activity.detail.get('title', '')}",
        }
        if activity.user and activity.user != self.sandbox.bot_user_id:
            headings.update(
                {
                    "message": f"[{where}] {who} wrote:",
                    "reply": f"[{where}, in a thread] {who} replied:",
                    "reaction": f"[{where}] {who} reacted :{reaction}:",
                }
            )
        heading = headings.get(activity.kind, f"[{activity.kind}] {where} {who}")
        return "\n".join([heading, *("    " + line for line in self._body(activity))])

    def _body(self, activity: Activity) -> list[str]:
        names = self.names
        if activity.kind.startswith("view_") or activity.kind == "home":
            view = self.workspace.views.get(activity.view_id or "")
            if view is None or activity.kind == "view_close":
                return []
            body = [f'"{view.title}"'] if view.title else []
            body += blocks_to_lines(view.blocks, names.user_name, names.channel_name, current(view))
            body += [f"! {block}: {error}" for block, error in view.errors.items()]
            return body
        if activity.kind in ("delete", "reaction"):
            return []
        return message_lines(activity.text, activity.blocks, names.user_name, names.channel_name)
