"""`/commons whoami | role | roles | department | sync`: the directory's commands."""

import logging
import threading
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond

from bot.commands import channel_ref, user_ref, usergroup_ref
from bot.errors import InvalidInput
from bot.gateway import SlackDirectory
from bot.services import Services, Subcommand
from directory import service
from directory.jobs import DirectorySource, sync_directory

logger = logging.getLogger("commons.directory")


def register(app: App, services: Services) -> None:
    """Add the directory's `/commons` subcommands."""
    admins = services.settings.admins
    source: DirectorySource = SlackDirectory(app.client)

    def whoami(ack: Ack, respond: Respond, command: dict[str, Any], args: list[str]) -> None:
        with services.store.unit_of_work(write=False) as session:
            me = service.profile(session=session, admins=admins, user_id=command["user_id"])
        departments = (
            ", ".join(me.departments) or "none (Commons learns departments from user groups)"
        )
        reach = {
            "admin": "any channel Commons is in; you can also assign roles",
            "comms": "any channel Commons is in",
            "manager": ", ".join(f"<#{c}>" for c in me.department_channels)
            or "your department's channel, once an admin sets it",
            "member": "nowhere: announcements are for communications and managers",
        }[me.role.value]
        ack(
            response_type="ephemeral",
            text=f"You are *{me.real_name or me.name or me.slack_id}*, *{me.role.value}* ({me.role_source}).\n"
            f"Time zone: {me.tz}. Departments: {departments}.\nYou can announce in: {reach}.",
        )

    def role(ack: Ack, respond: Respond, command: dict[str, Any], args: list[str]) -> None:
        if len(args) != 2:
            raise InvalidInput(
                "Say who and which role: `/commons role @person admin|comms|manager|member`."
            )
        with services.store.unit_of_work() as session:
            person = service.find_person(session=session, reference=user_ref(args[0]))
            before, after = service.set_role(
                session=session,
                clock=services.clock,
                admins=admins,
                actor=command["user_id"],
                target=person.slack_id,
                role=args[1],
            )
        undo = (
            f" To undo: `/commons role @{person.name} {before.value}`."
            if before is not after
            else ""
        )
        ack(
            response_type="ephemeral",
            text=f"<@{person.slack_id}> is now *{after.value}* (was {before.value}).{undo}",
        )

    def roles(ack: Ack, respond: Respond, command: dict[str, Any], args: list[str]) -> None:
        with services.store.unit_of_work(write=False) as session:
            service.require_admin(session=session, admins=admins, user_id=command["user_id"])
            rows = service.assignments(session=session, admins=admins)
        lines = [f"<@{user}>: *{r.value}* ({source})" for user, r, source in rows]
        ack(
            response_type="ephemeral",
            text="*Roles* (everyone else is a member)\n" + "\n".join(lines),
        )

    def department(ack: Ack, respond: Respond, command: dict[str, Any], args: list[str]) -> None:
        if len(args) != 2:
            raise InvalidInput(
                "Say which department and channel: `/commons department @it #it-help`."
            )
        with services.store.unit_of_work() as session:
            channel = service.find_channel(session=session, reference=channel_ref(args[1]))
            linked = service.link_department(
                session=session,
                admins=admins,
                actor=command["user_id"],
                usergroup=usergroup_ref(args[0]),
                channel_id=channel.slack_id,
            )
        ack(
            response_type="ephemeral",
            text=f"*{linked.name}* (@{linked.handle}) now posts to <#{channel.slack_id}>: "
            "its managers can announce there.",
        )

    def sync(ack: Ack, respond: Respond, command: dict[str, Any], args: list[str]) -> None:
        with services.store.unit_of_work(write=False) as session:
            service.require_admin(session=session, admins=admins, user_id=command["user_id"])
        ack(
            response_type="ephemeral", text="Syncing people, departments and channels from Slack..."
        )

        def run() -> None:
            try:
                result = sync_directory(store=services.store, clock=services.clock, source=source)
            except Exception:
                logger.exception("directory sync asked for by %s failed", command["user_id"])
                respond(
                    text=":warning: The sync failed; the log says why. Nothing was changed.",
                    response_type="ephemeral",
                )
                return
            respond(
                text=f"Synced: {result.people} people ({result.left} left), {result.departments} departments, "
                f"{result.channels} channels.",
                response_type="ephemeral",
            )

        # Paged users.list is Tier 2: a large workspace takes minutes, far past the 3 s ack.
        threading.Thread(target=run, name="commons-directory-sync", daemon=True).start()

    services.commons_subcommands.update(
        {
            "whoami": Subcommand(
                "/commons whoami", "your role, departments and where you can announce", whoami
            ),
            "role": Subcommand(
                "/commons role @person <admin|comms|manager|member>",
                "give someone a role",
                role,
                admin_only=True,
            ),
            "roles": Subcommand("/commons roles", "who has which role", roles, admin_only=True),
            "department": Subcommand(
                "/commons department @usergroup #channel",
                "set the channel a department posts to",
                department,
                admin_only=True,
            ),
            "sync": Subcommand(
                "/commons sync",
                "read people, departments and channels from Slack now",
                sync,
                admin_only=True,
            ),
        }
    )
