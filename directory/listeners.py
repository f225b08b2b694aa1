"""`/commons whoami | role | roles | department | sync`: the directory's verbs, and the names and
roles the interaction layer asks the directory for."""

import logging
import threading

from sqlmodel import Session

from bot.services import Services
from bot.slack.args import channel_ref, user_ref, usergroup_ref
from bot.slack.interaction import Interaction, Later, Nothing, Outcome, Reply, Wiring
from bot.slack.verbs import Verb
from directory import models, service
from directory.jobs import DirectorySource, sync_directory
from directory.slack_reader import SlackDirectory

logger = logging.getLogger("commons.directory")

_REACH = {
    "admin": "any channel Commons is in; you can also assign roles",
    "comms": "any channel Commons is in",
    "member": "nowhere: announcements are for communications and managers",
}


def on_whoami(i: Interaction, args: list[str]) -> Outcome:
    admins = i.services.settings.admins
    with i.services.store.unit_of_work(write=False) as session:
        me = service.profile(session=session, admins=admins, user_id=i.user_id)
    departments = ", ".join(me.departments) or "none (Commons learns departments from user groups)"
    reach = _REACH.get(me.role.value) or (
        ", ".join(f"<#{c}>" for c in me.department_channels)
        or "your department's channel, once an admin sets it"
    )
    return Reply(
        f"You are *{me.real_name or me.name or me.slack_id}*, *{me.role.value}* ({me.role_source}).\n"
        f"Time zone: {me.tz}. Departments: {departments}.\nYou can announce in: {reach}."
    )


def on_role(i: Interaction, args: list[str]) -> Outcome:
    with i.services.store.unit_of_work() as session:
        person = service.find_person(session=session, reference=user_ref(args[0]))
        before, after = service.set_role(
            session=session,
            clock=i.services.clock,
            admins=i.services.settings.admins,
            actor=i.user_id,
            target=person.slack_id,
            role=args[1],
        )
    undo = f" Undo: `/commons role @{person.name} {before.value}`." if before is not after else ""
    return Reply(f"<@{person.slack_id}> is now *{after.value}* (was {before.value}).{undo}")


def on_roles(i: Interaction, args: list[str]) -> Outcome:
    admins = i.services.settings.admins
    with i.services.store.unit_of_work(write=False) as session:
        service.require_admin(session=session, admins=admins, user_id=i.user_id)
        rows = service.assignments(session=session, admins=admins)
    lines = [f"<@{user}>: *{r.value}* ({source})" for user, r, source in rows]
    return Reply("*Roles* (everyone else is a member)\n" + "\n".join(lines))


def on_department(i: Interaction, args: list[str]) -> Outcome:
    with i.services.store.unit_of_work() as session:
        channel = service.find_channel(session=session, reference=channel_ref(args[1]))
        linked = service.link_department(
            session=session,
            admins=i.services.settings.admins,
            actor=i.user_id,
            usergroup=usergroup_ref(args[0]),
            channel_id=channel.slack_id,
        )
    return Reply(
        f"*{linked.name}* (@{linked.handle}) now posts to <#{channel.slack_id}>: "
        "its managers can announce there."
    )


def sync_verb(source: DirectorySource) -> Verb:
    """`/commons sync`, reading from `source` (Slack's directory)."""

    def on_sync(i: Interaction, args: list[str]) -> Outcome:
        with i.services.store.unit_of_work(write=False) as session:
            service.require_admin(
                session=session, admins=i.services.settings.admins, user_id=i.user_id
            )
        return Later(
            Reply("Syncing people, departments and channels from Slack..."),
            lambda: _start_sync(i, source),
        )

    return Verb(
        "sync",
        "",
        "read people, departments and channels from Slack now",
        on_sync,
        who="admin",
        max_args=0,
    )


def _start_sync(i: Interaction, source: DirectorySource) -> Outcome:
    # Paged users.list is Tier 2: a large workspace takes minutes, so it runs on its own thread
    # and answers through the command's response_url when it is done.
    def run() -> None:
        try:
            result = sync_directory(store=i.services.store, clock=i.services.clock, source=source)
        except Exception:
            logger.exception("a directory sync asked for by an admin failed")
            text = ":warning: The sync failed; the log says why. What was synced before it failed is kept."
        else:
            text = (
                f"Synced: {result.people} people ({result.left} left), {result.departments} "
                f"departments, {result.channels} channels."
            )
        if i.respond is not None:
            i.respond(text=text, response_type="ephemeral")

    threading.Thread(target=run, name="commons-directory-sync", daemon=True).start()
    return Nothing()


def name_of(services: Services, slack_id: str) -> str | None:
    """The name of a channel, person or user group, for plain text."""
    with services.store.unit_of_work(write=False) as session:
        return _name(session, slack_id)


def _name(session: Session, slack_id: str) -> str | None:
    if slack_id[:1] in ("C", "G"):
        channel = session.get(models.Channel, slack_id)
        return channel.name if channel is not None else None
    if slack_id[:1] in ("U", "W"):
        person = session.get(models.Person, slack_id)
        return (person.display_name or person.name) if person is not None else None
    found = service.find_department_by_usergroup(session=session, usergroup_id=slack_id)
    return found.handle if found is not None else None


def audience_of(services: Services, user_id: str) -> frozenset[str]:
    """The words verb tables use for who a person is."""
    with services.store.unit_of_work(write=False) as session:
        role, _ = service.role_of(session=session, admins=services.settings.admins, user_id=user_id)
    words = {
        models.Role.ADMIN: {"admin", "comms", "managers", "agents"},
        models.Role.COMMS: {"comms", "managers"},
        models.Role.MANAGER: {"managers"},
        models.Role.MEMBER: set(),
    }[role]
    return frozenset({"member", *words})


VERBS = (
    Verb("whoami", "", "your role, departments and where you can announce", on_whoami, max_args=0),
    Verb(
        "role",
        "@person admin|comms|manager|member",
        "give someone a role",
        on_role,
        who="admin",
        min_args=2,
        max_args=2,
    ),
    Verb("roles", "", "who has which role", on_roles, who="admin", max_args=0),
    Verb(
        "department",
        "@usergroup #channel",
        "set the channel a department posts to",
        on_department,
        who="admin",
        min_args=2,
        max_args=2,
    ),
)


def register(wire: Wiring) -> None:
    """Add the directory's `/commons` verbs, and its names and roles for the layer."""
    services = wire.services
    services.commons_verbs.extend(VERBS)
    services.commons_verbs.append(sync_verb(SlackDirectory(wire.client)))
    services.name_of = lambda slack_id: name_of(services, slack_id)
    services.audience_of = lambda user_id: audience_of(services, user_id)
