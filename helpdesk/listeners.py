"""Listeners of the help desks: `/request`, `/commons desk ...`, the request's buttons, the
rating, the "Turn into a request" shortcut, the ticket reaction and replies in request threads."""

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.args import channel_ref, user_ref, usergroup_ref
from bot.blocks import done_view
from bot.errors import DomainError, FieldErrors, InvalidInput, NotFound
from bot.forms import field_text
from bot.interaction import Interaction, OpenModal, Outcome, Reply, Wiring
from bot.mrkdwn import escape
from bot.services import Services
from bot.templating import render
from bot.verbs import Verb
from directory import service as directory
from helpdesk import blocks, jobs, service
from helpdesk.hours import describe_minutes

logger = logging.getLogger("commons.helpdesk")

REQUEST_COMMAND = "/request"
DESK_SUBCOMMAND = "desk"
REACTION_ADDED = "reaction_added"
MESSAGE = "message"
PACKAGE = "helpdesk"


class SlackMessages:
    """jobs.Messages over the Web API client."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def permalink(self, channel_id: str, ts: str) -> str:
        try:
            return str(
                self.client.chat_getPermalink(channel=channel_id, message_ts=ts)["permalink"]
            )
        except SlackApiError as error:
            logger.warning("no permalink for a request parent: %s", error.response.get("error"))
            return f"https://slack.com/archives/{channel_id}/p{ts.replace('.', '')}"

    def update(self, channel_id: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> bool:
        try:
            self.client.chat_update(channel=channel_id, ts=ts, text=text, blocks=blocks)
        except SlackApiError as error:
            logger.warning("chat.update refused: %s", error.response.get("error"))
            return False
        return True


def _request_id(value: str | None) -> int:
    if not value or not value.isdigit():
        raise InvalidInput("That button does not name a request any more; open it again.")
    return int(value)


def register(wire: Wiring) -> None:
    """Wire the feature (legacy listeners until converted to the interaction layer)."""
    _register(wire.app, wire.services)


def _register(app: App, services: Services) -> None:
    """Attach the help-desk listeners, the `/commons desk` subcommand and the tick."""
    store, clock, admins = services.store, services.clock, services.settings.admins
    settings_zone = services.settings.timezone
    renderer = blocks.RENDERER
    messages = SlackMessages(app.client)

    def refresh() -> None:
        jobs.edit_parents(store=store, slack=messages, renderer=renderer)

    # -- /request ------------------------------------------------------------------------------

    def on_request(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        text = (command.get("text") or "").strip()
        user = command["user_id"]
        verb = text.split(None, 1)[0].lower() if text else ""
        rest = text.split(None, 1)[1].strip() if len(text.split(None, 1)) > 1 else ""
        if not text:
            with store.unit_of_work(write=False) as session:
                desks = service.list_desks(session=session)
            if not desks:
                ack(response_type="ephemeral", text=blocks.no_desks_text())
                return
            ack()
            client.views_open(trigger_id=command["trigger_id"], view=blocks.request_modal(desks))
            return
        if verb in ("help", "?"):
            with store.unit_of_work(write=False) as session:
                keys = service.desk_keys(session=session)
            ack(response_type="ephemeral", text=render(PACKAGE, "help.j2", keys=keys))
            return
        if verb in ("list", "mine"):
            with store.unit_of_work(write=False) as session:
                mine = service.my_open(session=session, user_id=user)
            ack(response_type="ephemeral", text=render(PACKAGE, "list.j2", views=mine, desk=None))
            return
        if verb in ("queue", "stats"):
            if not rest:
                raise InvalidInput(f"Say which desk: `/request {verb} it`.")
            with store.unit_of_work(write=False) as session:
                if verb == "queue":
                    desk, views = service.queue(session=session, desk_ref=rest)
                    reply = render(PACKAGE, "list.j2", views=views, desk=desk.name)
                else:
                    figures = service.stats(session=session, clock=clock, desk_ref=rest)
                    reply = render(PACKAGE, "stats.j2", s=figures, hours=_hours)
            ack(response_type="ephemeral", text=reply)
            return
        with store.unit_of_work() as session:
            opened = service.open_request(
                session=session,
                clock=clock,
                renderer=renderer,
                desk_ref=verb,
                requester_id=user,
                opened_by=user,
                summary=rest,
            )
        ack(response_type="ephemeral", text=render(PACKAGE, "opened.j2", view=opened.view))

    def on_request_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        meta = json.loads(view.get("private_metadata") or "{}")
        user = body["user"]["id"]
        category = field_text(values, blocks.CATEGORY_BLOCK)
        desk_key = field_text(values, blocks.DESK_BLOCK)
        if category and ":" in category:
            category_desk, _, category = category.partition(":")
            if category_desk != desk_key:
                ack(
                    response_action="errors",
                    errors={blocks.CATEGORY_BLOCK: "That category belongs to another desk."},
                )
                return
        try:
            with store.unit_of_work() as session:
                service.open_request(
                    session=session,
                    clock=clock,
                    renderer=renderer,
                    desk_ref=desk_key,
                    requester_id=meta.get("requester") or user,
                    opened_by=user,
                    summary=field_text(values, blocks.SUMMARY_BLOCK),
                    details=field_text(values, blocks.DETAILS_BLOCK),
                    priority=field_text(values, blocks.PRIORITY_BLOCK) or "normal",
                    category=category or None,
                    source="shortcut" if meta.get("ts") else "modal",
                    source_channel=meta.get("channel"),
                    source_ts=meta.get("ts"),
                    source_link=meta.get("link"),
                )
        except DomainError as error:
            ack(response_action="errors", errors={_field_of(error): error.message[:500]})
            return
        ack()

    def on_turn_into_request(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        channel, ts = body["channel"]["id"], body["message_ts"]
        message = body.get("message") or {}
        with store.unit_of_work(write=False) as session:
            desks = service.list_desks(session=session)
        if not desks:
            client.chat_postEphemeral(
                channel=channel, user=body["user"]["id"], text=blocks.no_desks_text()
            )
            return
        author = message.get("user")
        requester = author if isinstance(author, str) and not message.get("bot_id") else None
        link = client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
        text = str(message.get("text") or "")
        client.views_open(
            trigger_id=body["trigger_id"],
            view=blocks.request_modal(
                desks,
                summary=text.splitlines()[0] if text else "",
                details=text,
                metadata={
                    "channel": channel,
                    "ts": ts,
                    "link": str(link),
                    "requester": requester or body["user"]["id"],
                },
            ),
        )

    # -- buttons on the parent message and in DMs ------------------------------------------------

    def transition(
        change: Callable[..., service.RequestView],
    ) -> Callable[..., None]:
        def on_click(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            # The change is quick and committed before the ack, so the click is never lost;
            # a refusal is raised after the ack and answered ephemerally by the error handler.
            try:
                with store.unit_of_work() as session:
                    change(
                        session=session,
                        clock=clock,
                        renderer=renderer,
                        actor=body["user"]["id"],
                        request_id=_request_id(action.get("value")),
                    )
            finally:
                ack()
            refresh()

        on_click.__name__ = f"on_{change.__name__}"
        return on_click

    def on_assign(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        block_id = str(action.get("block_id") or "")
        try:
            with store.unit_of_work() as session:
                service.assign(
                    session=session,
                    clock=clock,
                    renderer=renderer,
                    actor=body["user"]["id"],
                    request_id=_request_id(block_id.rsplit(".", 1)[-1]),
                    assignee=str(action.get("selected_user") or ""),
                )
        finally:
            ack()
        refresh()

    def on_rate(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        score = int(str(action["action_id"]).rsplit(".", 1)[-1])
        try:
            with store.unit_of_work() as session:
                view = service.rate(
                    session=session,
                    clock=clock,
                    actor=body["user"]["id"],
                    request_id=_request_id(action.get("value")),
                    score=score,
                )
        finally:
            ack()
        respond(
            replace_original=True,
            text=f"Thanks! You rated #{view.id} {score}/5.",
            blocks=blocks.rated_blocks(view, score),
        )
        refresh()

    def on_comment(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        client.views_open(
            trigger_id=body["trigger_id"],
            view=blocks.comment_modal(_request_id(action.get("value"))),
        )

    def on_comment_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            with store.unit_of_work() as session:
                service.add_comment(
                    session=session,
                    clock=clock,
                    actor=body["user"]["id"],
                    request_id=_request_id(view.get("private_metadata")),
                    comment=field_text(view["state"]["values"], blocks.COMMENT_BLOCK),
                )
        except DomainError as error:
            ack(response_action="errors", errors={blocks.COMMENT_BLOCK: error.message[:500]})
            return
        ack()

    # -- events ----------------------------------------------------------------------------------

    def on_reaction(event: dict[str, Any], client: WebClient) -> None:
        item = event.get("item") or {}
        if item.get("type") != "message":
            return
        channel, ts = str(item.get("channel") or ""), str(item.get("ts") or "")
        with store.unit_of_work(write=False) as session:
            key = service.desk_for_reaction(
                session=session, channel_id=channel, reaction=str(event.get("reaction") or "")
            )
            if key is None or service.is_request_parent(session=session, channel_id=channel, ts=ts):
                return
        found = client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
        message = next((m for m in found.get("messages") or [] if m.get("ts") == ts), None)
        if message is None or message.get("bot_id"):
            return
        text = str(message.get("text") or "")
        link = str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
        with store.unit_of_work() as session:
            service.open_request(
                session=session,
                clock=clock,
                renderer=renderer,
                desk_ref=key,
                requester_id=str(message.get("user") or event["user"]),
                opened_by=str(event["user"]),
                summary=text.splitlines()[0] if text.strip() else "Request from a message",
                details=text,
                source="reaction",
                source_channel=channel,
                source_ts=ts,
                source_link=link,
            )

    def on_message(event: dict[str, Any]) -> None:
        thread_ts, ts = event.get("thread_ts"), event.get("ts")
        if event.get("bot_id") or event.get("subtype") not in (None, "thread_broadcast"):
            return
        if not thread_ts or thread_ts == ts or not event.get("user"):
            return
        with store.unit_of_work() as session:
            changed = service.thread_reply(
                session=session,
                clock=clock,
                renderer=renderer,
                channel_id=str(event.get("channel") or ""),
                thread_ts=str(thread_ts),
                user_id=str(event["user"]),
            )
        if changed is not None:
            refresh()

    # -- /commons desk -------------------------------------------------------------------------

    def on_desk(ack: Ack, respond: Respond, command: dict[str, Any], args: list[str]) -> None:
        if args and args[0].lower() == "new":
            open_desk_form(ack, command)
            return
        ack(response_type="ephemeral", text=desk_command(command["user_id"], args))

    def open_desk_form(ack: Ack, command: dict[str, Any]) -> None:
        actor = command["user_id"]
        with store.unit_of_work(write=False) as session:
            directory.require_admin(session=session, admins=admins, user_id=actor)
            departments = [
                (f"{d.name or d.handle} (@{d.handle})", d.usergroup_id)
                for d in directory.list_departments(session=session)
            ]
            zone = directory.zone_of(session=session, user_id=actor, default=settings_zone)
        if not departments:
            ack(
                response_type="ephemeral",
                text="A desk's agents are a Slack user group, and Commons knows none yet. Create "
                "one in Slack (People > User groups), then `/commons sync` and try again.",
            )
            return
        ack()
        app.client.views_open(
            trigger_id=command["trigger_id"], view=blocks.desk_modal(departments, zone)
        )

    def on_desk_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        form = service.DeskForm(
            **{name: field_text(values, f"desk_{name}") for name in blocks.DESK_FIELDS}
        )
        try:
            with store.unit_of_work() as session:
                desk = service.create_desk(
                    session=session, clock=clock, admins=admins, actor=body["user"]["id"], form=form
                )
                hours = service.business_hours(session=session, desk=desk).describe()
        except FieldErrors as error:
            ack(
                response_action="errors",
                errors={f"desk_{name}": text[:500] for name, text in error.errors.items()},
            )
            return
        except DomainError as error:
            ack(response_action="errors", errors={"desk_key": error.message[:500]})
            return
        ack(
            response_action="update",
            view=done_view(
                "Desk created",
                render(
                    PACKAGE,
                    "desk_created.j2",
                    desk=desk,
                    hours=hours,
                    defaults=service.DEFAULT_SLA,
                    describe=_minutes,
                ),
            ),
        )

    def desk_command(actor: str, args: list[str]) -> str:
        verb = args[0].lower() if args else "help"
        rest = args[1:]
        if verb in ("help", "?"):
            return render(PACKAGE, "desk_help.j2")
        if verb == "list":
            with store.unit_of_work(write=False) as session:
                desks = service.list_desks(session=session)
            return render(PACKAGE, "desk_list.j2", desks=desks, describe=_minutes)
        usage = DESK_USAGE.get(verb)
        if usage is None:
            raise InvalidInput(
                f"`{verb}` is not a desk command. " + render(PACKAGE, "desk_help.j2")
            )
        arity, text = usage
        if len(rest) < arity[0] or (arity[1] is not None and len(rest) > arity[1]):
            raise InvalidInput(f"Usage: `{escape(text)}`")
        key = rest[0]
        with store.unit_of_work(write=verb != "show") as session:
            if verb == "add":
                desk = service.add_desk(
                    session=session,
                    clock=clock,
                    admins=admins,
                    actor=actor,
                    key=key,
                    name=rest[1],
                    channel=channel_ref(rest[2]),
                    usergroup=usergroup_ref(rest[3]),
                )
                done = (
                    f"Desk `{desk.key}` (*{desk.name}*) takes requests in <#{desk.channel_id}>; "
                    f"its agents are <!subteam^{desk.usergroup_id}>. Next: `/commons desk hours "
                    f"{desk.key} Mon-Fri 09:00-17:00 Europe/London`. Undo: `/commons desk remove {desk.key}`."
                )
            elif verb == "remove":
                desk = service.remove_desk(
                    session=session, clock=clock, admins=admins, actor=actor, key=key
                )
                done = (
                    f"Desk `{desk.key}` takes no new requests. Its requests are kept. "
                    f'Undo: `/commons desk add {desk.key} "{desk.name}" <#{desk.channel_id}> '
                    f"<!subteam^{desk.usergroup_id}>`."
                )
            elif verb == "hours":
                desk = service.set_hours(
                    session=session,
                    clock=clock,
                    admins=admins,
                    actor=actor,
                    key=key,
                    days=rest[1],
                    window=rest[2],
                    zone=rest[3],
                )
                hours = service.business_hours(session=session, desk=desk)
                done = f"`{desk.key}` works {hours.describe()}."
            elif verb == "holiday":
                remove = rest[1].lower() == "remove"
                if remove and len(rest) < 3:
                    raise InvalidInput(f"Usage: `{escape(text)}`")
                desk, day = service.set_holiday(
                    session=session,
                    admins=admins,
                    actor=actor,
                    key=key,
                    day=rest[2] if remove else rest[1],
                    remove=remove,
                )
                done = f"`{desk.key}` is {'open' if remove else 'closed'} on {day:%a %d %b %Y}" + (
                    "." if remove else f". Undo: `/commons desk holiday {desk.key} remove {day}`."
                )
            elif verb == "sla":
                desk, first, resolve = service.set_sla(
                    session=session,
                    admins=admins,
                    actor=actor,
                    key=key,
                    priority=rest[1],
                    first_response=rest[2],
                    resolution=rest[3],
                )
                done = (
                    f"`{desk.key}` {rest[1].lower()} priority: first response within "
                    f"{_minutes(first)}, resolution within {_minutes(resolve)} (business time)."
                )
            elif verb in ("alias", "category"):
                remove = rest[1].lower() == "remove" and len(rest) > 2
                value = " ".join(rest[2:] if remove else rest[1:])
                if verb == "alias":
                    desk = service.set_alias(
                        session=session,
                        admins=admins,
                        actor=actor,
                        key=key,
                        alias=value,
                        remove=remove,
                    )
                else:
                    desk = service.set_category(
                        session=session,
                        admins=admins,
                        actor=actor,
                        key=key,
                        name=value,
                        remove=remove,
                    )
                done = f"{verb.title()} `{value}` {'removed from' if remove else 'added to'} `{desk.key}`."
            elif verb == "lead":
                target = rest[1]
                is_channel = target.startswith(("<#", "#"))
                desk = service.set_lead(
                    session=session,
                    admins=admins,
                    actor=actor,
                    key=key,
                    user_id=None if is_channel else user_ref(target),
                    channel=channel_ref(target) if is_channel else None,
                )
                where = (
                    f"<#{desk.escalation_channel_id}>" if is_channel else f"<@{desk.lead_user_id}>"
                )
                done = f"SLA breaches at `{desk.key}` now go to {where}."
            elif verb == "reaction":
                desk = service.set_reaction(
                    session=session, admins=admins, actor=actor, key=key, reaction=rest[1]
                )
                done = (
                    f"Reacting with :{desk.reaction}: to a message in <#{desk.channel_id}> turns it "
                    "into a request."
                )
            elif verb == "autoclose":
                desk = service.set_autoclose(
                    session=session, admins=admins, actor=actor, key=key, days=rest[1]
                )
                done = (
                    f"Resolved requests at `{desk.key}` close after {desk.close_after_days} day(s)."
                )
            else:  # show
                desk = service.find_desk(session=session, reference=key)
                info = service.desk_info(session=session, desk=desk)
                done = render(PACKAGE, "desk_list.j2", desks=[info], describe=_minutes)
        return done

    app.command(REQUEST_COMMAND)(on_request)
    app.view(blocks.REQUEST_MODAL)(on_request_submitted)
    app.view(blocks.COMMENT_MODAL)(on_comment_submitted)
    app.view(blocks.DESK_MODAL)(on_desk_submitted)
    app.message_shortcut(blocks.TURN_INTO_REQUEST)(on_turn_into_request)
    app.action(blocks.CLAIM)(transition(service.claim))
    app.action(blocks.WAIT)(transition(service.wait_on_requester))
    app.action(blocks.RESOLVE)(transition(service.resolve))
    app.action(blocks.REOPEN)(transition(service.reopen))
    app.action(blocks.ASSIGN)(on_assign)
    app.action(re.compile(r"^helpdesk\.rate\.[1-5]$"))(on_rate)
    app.action(blocks.COMMENT)(on_comment)
    app.event(REACTION_ADDED)(on_reaction)
    app.event(MESSAGE)(on_message)

    def on_desk_verb(i: Interaction, args: list[str]) -> Outcome:
        if args and args[0].lower() == "new":
            with store.unit_of_work(write=False) as session:
                directory.require_admin(session=session, admins=admins, user_id=i.user_id)
                departments = [
                    (f"{d.name or d.handle} (@{d.handle})", d.usergroup_id)
                    for d in directory.list_departments(session=session)
                ]
                zone = directory.zone_of(session=session, user_id=i.user_id, default=settings_zone)
            if not departments:
                return Reply(
                    "A desk's agents are a Slack user group, and Commons knows none yet. Create "
                    "one in Slack (People > User groups), then `/commons sync` and try again."
                )
            return OpenModal(blocks.desk_modal(departments, zone))
        return Reply(desk_command(i.user_id, args))

    services.commons_verbs.append(
        Verb(
            "desk",
            "<new|add|hours|holiday|sla|alias|category|lead|reaction|autoclose|show|list|remove> ...",
            "set up help desks (`/commons desk new` opens a form; `/commons desk help`)",
            on_desk_verb,
            who="admin",
        )
    )
    services.ticks.append(jobs.tick(store=store, clock=clock, slack=messages, renderer=renderer))


# (minimum, maximum) words after the verb, and the usage line.
DESK_USAGE: dict[str, tuple[tuple[int, int | None], str]] = {
    "add": ((4, 4), '/commons desk add <key> "<Name>" #intake-channel @agents-group'),
    "remove": ((1, 1), "/commons desk remove <key>"),
    "show": ((1, 1), "/commons desk show <key>"),
    "hours": ((4, 4), "/commons desk hours <key> <Mon-Fri> <09:00-17:00> <Europe/London>"),
    "holiday": ((2, 3), "/commons desk holiday <key> [remove] <YYYY-MM-DD>"),
    "sla": (
        (4, 4),
        "/commons desk sla <key> <low|normal|high|urgent> <first response> <resolution>",
    ),
    "alias": ((2, 3), "/commons desk alias <key> [remove] <alias>"),
    "category": ((2, None), "/commons desk category <key> [remove] <Category name>"),
    "lead": ((2, 2), "/commons desk lead <key> @person|#channel"),
    "reaction": ((2, 2), "/commons desk reaction <key> :emoji:"),
    "autoclose": ((2, 2), "/commons desk autoclose <key> <days>"),
}


def _field_of(error: DomainError) -> str:
    """The modal block an error is about."""
    if isinstance(error, NotFound):
        return blocks.DESK_BLOCK
    lowered = error.message.lower()
    if "category" in lowered:
        return blocks.CATEGORY_BLOCK
    if "priority" in lowered:
        return blocks.PRIORITY_BLOCK
    return blocks.SUMMARY_BLOCK


def _minutes(minutes: float) -> str:
    return describe_minutes(minutes)


def _hours(seconds: float | None) -> str:
    """Business or calendar seconds for people: `2h 30m`, or `-` for none."""
    if seconds is None:
        return "-"

    days, rest = divmod(seconds, 86400)
    return (
        f"{int(days)}d {describe_minutes(rest / 60)}"
        if days >= 1
        else describe_minutes(seconds / 60)
    )
