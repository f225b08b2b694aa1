"""`/announce` and `/townhall`: modals, buttons and subcommands of announcements and town halls.

Each listener acks, parses the payload into plain values, calls the service and renders.
"""

import logging
import re
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from announcements import blocks, jobs, service, townhalls
from announcements.blocks import Renderer
from bot.args import words
from bot.blocks import done_view
from bot.errors import DomainError, FieldErrors, InvalidInput
from bot.forms import StateValues, field_flag, field_list, field_raw, field_text
from bot.interaction import Wiring
from bot.mrkdwn import escape
from bot.services import Services, Tick
from bot.templating import render

logger = logging.getLogger("commons.announcements")

ANNOUNCE_COMMAND = "/announce"
TOWNHALL_COMMAND = "/townhall"


def _draft(values: StateValues) -> service.Draft:
    return service.Draft(
        title=field_text(values, blocks.TITLE_BLOCK),
        body=field_text(values, blocks.BODY_BLOCK),
        channels=field_list(values, blocks.CHANNELS_BLOCK),
        department=field_text(values, blocks.DEPARTMENT_BLOCK),
        must_read=field_flag(values, blocks.MUST_READ_BLOCK),
        remind_after_days=field_text(values, blocks.REMIND_BLOCK),
        when=field_text(values, blocks.WHEN_BLOCK) or "now",
        date=field_text(values, blocks.DATE_BLOCK),
        time=field_text(values, blocks.TIME_BLOCK),
        repeat=field_text(values, blocks.REPEAT_BLOCK),
        days=field_list(values, blocks.DAYS_BLOCK),
        month_day=field_text(values, blocks.MONTH_DAY_BLOCK),
        nth=field_text(values, blocks.NTH_BLOCK),
        weekday=field_text(values, blocks.WEEKDAY_BLOCK),
        template=field_text(values, blocks.TEMPLATE_BLOCK),
        save_as=field_text(values, blocks.SAVE_AS_BLOCK),
    )


def _townhall_input(values: StateValues) -> townhalls.TownHallInput:
    reminders = field_raw(values, blocks.TH_REMINDERS)
    return townhalls.TownHallInput(
        title=field_text(values, blocks.TH_TITLE),
        date=field_text(values, blocks.TH_DATE),
        time=field_text(values, blocks.TH_TIME),
        zone=field_text(values, blocks.TH_ZONE),
        duration=field_text(values, blocks.TH_DURATION),
        place=field_text(values, blocks.TH_PLACE),
        agenda=field_text(values, blocks.TH_AGENDA),
        channels=field_list(values, blocks.TH_CHANNELS),
        reminders=None if reminders is None else field_list(values, blocks.TH_REMINDERS),
    )


def _state(body: dict[str, Any]) -> StateValues:
    values: StateValues = body.get("view", {}).get("state", {}).get("values", {})
    return values


def _id(text: str, usage: str) -> int:
    token = text.strip().lstrip("#")
    if not token.isdigit():
        raise InvalidInput(f"Give the number: `{usage}` (`/announce list` shows them).")
    return int(token)


def _unknown(sub: str) -> str:
    if sub in ("help", "?"):
        return ""
    return f"I don't know `{escape(sub[:40])}`. "


def _errors(error: DomainError, fallback_block: str) -> dict[str, str]:
    if isinstance(error, FieldErrors):
        return error.errors
    return {fallback_block: error.message}


# -- registration ------------------------------------------------------------------------------


def register(wire: Wiring) -> None:
    """Wire the feature (legacy listeners until converted to the interaction layer)."""
    _register(wire.app, wire.services)


def _register(app: App, services: Services) -> None:
    """Attach the announcement and town-hall listeners, schedule handlers and the count tick."""
    store, clock = services.store, services.clock
    policy = service.Policy(admins=services.settings.admins)
    renderer = Renderer()

    services.schedule_handlers[service.POST_KIND] = jobs.PostHandler(clock, renderer)
    services.schedule_handlers[service.REMIND_KIND] = jobs.RemindHandler(clock, renderer)
    services.schedule_handlers[townhalls.REMIND_KIND] = jobs.TownHallReminderHandler(
        clock, renderer
    )
    services.schedule_handlers[townhalls.QUESTIONS_KIND] = jobs.TownHallQuestionsHandler(
        clock, renderer
    )
    services.ticks.append(
        Tick(
            job_id="announcements.refresh_counts",
            func=lambda: jobs.refresh_counts(store=store, client=app.client, renderer=renderer),
            interval_seconds=jobs.COUNT_REFRESH_SECONDS,
        )
    )

    def compose_context(user_id: str, announcement_id: int | None = None) -> service.ComposeContext:
        with store.unit_of_work(write=False) as session:
            return service.compose_context(
                session=session, policy=policy, user_id=user_id, announcement_id=announcement_id
            )

    def open_compose(
        ack: Ack, client: WebClient, body: dict[str, Any], announcement_id: int | None
    ) -> None:
        ctx = compose_context(body["user_id"], announcement_id)
        ack()
        client.views_open(
            trigger_id=body["trigger_id"],
            view=blocks.compose_view(ctx, today=blocks.local_today(ctx.zone, clock.now())),
        )

    # -- /announce ---------------------------------------------------------------------------

    def on_announce(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        args = words(body.get("text") or "")
        user_id = body["user_id"]
        sub = args[0].lower() if args else ""
        rest = " ".join(args[1:])
        if sub in ("", "new"):
            open_compose(ack, client, body, None)
        elif sub == "edit":
            open_compose(ack, client, body, _id(rest, "/announce edit &lt;id&gt;"))
        elif sub == "list":
            with store.unit_of_work(write=False) as session:
                items = service.listing(session=session, policy=policy, user_id=user_id)
                comms = service.is_comms(session, policy, user_id)
            ack(
                response_type="ephemeral",
                text=render(
                    "announcements",
                    "list.j2",
                    items=items,
                    channels=[", ".join(f"<#{c}>" for c in i.channels) for i in items],
                    authors=[f"<@{i.author_id}>" for i in items],
                    show_author=comms,
                ),
            )
        elif sub == "cancel":
            with store.unit_of_work() as session:
                text = service.cancel(
                    session=session,
                    clock=clock,
                    policy=policy,
                    user_id=user_id,
                    announcement_id=_id(rest, "/announce cancel &lt;id&gt;"),
                )
            ack(response_type="ephemeral", text=text)
        elif sub == "delete":
            announcement_id = _id(rest, "/announce delete &lt;id&gt;")
            with store.unit_of_work() as session:
                posted = service.posted_messages(
                    session=session,
                    clock=clock,
                    policy=policy,
                    user_id=user_id,
                    announcement_id=announcement_id,
                )
            ack()
            deleted = 0
            for channel, ts in posted[:20]:
                client.chat_delete(channel=channel, ts=ts)
                deleted += 1
            client.chat_postEphemeral(
                channel=body["channel_id"],
                user=user_id,
                text=f":wastebasket: Announcement #{announcement_id} is cancelled and "
                f"{deleted} posted message(s) deleted.",
            )
        elif sub == "stats":
            with store.unit_of_work(write=False) as session:
                figures = service.stats(
                    session=session,
                    policy=policy,
                    user_id=user_id,
                    announcement_id=_id(rest, "/announce stats &lt;id&gt;"),
                )
            ack(response_type="ephemeral", text=render("announcements", "stats.j2", stats=figures))
        elif sub == "config":
            if len(args) < 2:
                raise InvalidInput(
                    "Use `/announce config threshold &lt;people&gt;` or "
                    "`/announce config approvals #channel|dm`."
                )
            value = args[2] if len(args) > 2 else ""
            value = re.sub(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$", r"\1", value)
            with store.unit_of_work() as session:
                said = service.set_config(
                    session=session,
                    clock=clock,
                    policy=policy,
                    actor=user_id,
                    key=args[1].lower(),
                    value=value,
                )
            ack(response_type="ephemeral", text=said)
        else:
            ack(response_type="ephemeral", text=_unknown(sub) + render("announcements", "help.j2"))

    def on_compose(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        meta = view.get("private_metadata") or ""
        try:
            with store.unit_of_work() as session:
                draft = service.save_draft(
                    session=session,
                    clock=clock,
                    policy=policy,
                    author_id=user_id,
                    draft=_draft(_state(body)),
                    replaces=int(meta) if meta.isdigit() else None,
                )
                shown = service.preview(
                    session=session, policy=policy, announcement_id=draft.id or 0, user_id=user_id
                )
        except DomainError as error:
            ack(response_action="errors", errors=_errors(error, blocks.BODY_BLOCK))
            return
        ack(response_action="update", view=blocks.preview_view(shown))

    def on_template(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        values = _state(body)
        chosen = body["actions"][0].get("selected_option") or {}
        reference = str(chosen.get("value") or field_text(values, blocks.TEMPLATE_BLOCK))
        meta = body["view"].get("private_metadata") or ""
        ctx = compose_context(user_id, int(meta) if meta.isdigit() else None)
        with store.unit_of_work(write=False) as session:
            title, text = service.template_text(
                session=session, clock=clock, reference=reference, author_id=user_id
            )
        draft = replace(_draft(values), title=title, body=text, template=reference)
        client.views_update(
            view_id=body["view"]["id"],
            hash=body["view"].get("hash"),
            view=blocks.compose_view(ctx, draft),
        )

    def on_back(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        announcement_id = int(body["actions"][0]["value"])
        with store.unit_of_work(write=False) as session:
            announcement = service.own_draft(session, announcement_id, user_id)
            draft = service.draft_of(session, announcement)
            note = announcement.review_note or ""
        replaces = int(note.removeprefix("replaces:")) if note.startswith("replaces:") else None
        ctx = replace(compose_context(user_id), announcement_id=replaces)
        client.views_update(view_id=body["view"]["id"], view=blocks.compose_view(ctx, draft))

    def on_preview(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        try:
            with store.unit_of_work() as session:
                outcome = service.confirm(
                    session=session,
                    clock=clock,
                    policy=policy,
                    renderer=renderer,
                    announcement_id=int(view.get("private_metadata") or 0),
                    user_id=user_id,
                )
        except DomainError as error:
            ack(
                response_action="update",
                view=done_view("Not sent", f":warning: {error.message}"),
            )
            return
        title = "Sent for approval" if outcome.review else "Announcement"
        ack(response_action="update", view=done_view(title, outcome.text))

    def on_ack(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        with store.unit_of_work() as session:
            first = service.acknowledge(
                session=session,
                clock=clock,
                post_id=int(body["actions"][0]["value"]),
                user_id=user_id,
            )
        text = (
            ":white_check_mark: Thanks, your acknowledgement is recorded."
            if first
            else "You have already acknowledged this one; nothing more to do."
        )
        channel = (body.get("channel") or {}).get("id")
        if channel:
            client.chat_postEphemeral(channel=channel, user=user_id, text=text)

    def _update_review_message(client: WebClient, channel: str, ts: str, text: str) -> None:
        if channel and ts:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=[])

    def on_approve(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        with store.unit_of_work() as session:
            text = service.approve(
                session=session,
                clock=clock,
                policy=policy,
                reviewer=body["user"]["id"],
                announcement_id=int(body["actions"][0]["value"]),
            )
        _update_review_message(
            client,
            (body.get("channel") or {}).get("id", ""),
            (body.get("message") or {}).get("ts", ""),
            text,
        )

    def on_request_changes(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        announcement_id = int(body["actions"][0]["value"])
        with store.unit_of_work(write=False) as session:
            service.pending_review(session, policy, body["user"]["id"], announcement_id)
        where = {
            "channel": (body.get("channel") or {}).get("id", ""),
            "ts": (body.get("message") or {}).get("ts", ""),
        }
        client.views_open(
            trigger_id=body["trigger_id"], view=blocks.changes_view(announcement_id, where)
        )

    def on_changes(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        announcement_id, channel, ts = (view.get("private_metadata") or "0||").split("|")
        try:
            with store.unit_of_work() as session:
                text = service.request_changes(
                    session=session,
                    clock=clock,
                    policy=policy,
                    reviewer=body["user"]["id"],
                    announcement_id=int(announcement_id),
                    note=field_text(_state(body), blocks.NOTE_BLOCK),
                )
        except DomainError as error:
            ack(response_action="errors", errors=_errors(error, blocks.NOTE_BLOCK))
            return
        ack()
        _update_review_message(client, channel, ts, text)

    app.command(ANNOUNCE_COMMAND)(on_announce)
    app.view(blocks.COMPOSE_CALLBACK)(on_compose)
    app.view(blocks.PREVIEW_CALLBACK)(on_preview)
    app.view(blocks.CHANGES_CALLBACK)(on_changes)
    app.action(blocks.TEMPLATE_ACTION)(on_template)
    app.action(blocks.BACK_ACTION)(on_back)
    app.action(blocks.ACK_ACTION)(on_ack)
    app.action(blocks.APPROVE_ACTION)(on_approve)
    app.action(blocks.CHANGES_ACTION)(on_request_changes)

    # -- /townhall ---------------------------------------------------------------------------

    def on_townhall(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        args = words(body.get("text") or "")
        user_id = body["user_id"]
        sub = args[0].lower() if args else ""
        if sub in ("", "new"):
            with store.unit_of_work(write=False) as session:
                service.require_announcer(session=session, policy=policy, user_id=user_id)
                zone = townhalls.default_zone(session=session, user_id=user_id)
            ack()
            client.views_open(
                trigger_id=body["trigger_id"],
                view=blocks.townhall_view(zone, blocks.local_today(zone, clock.now())),
            )
        elif sub == "list":
            with store.unit_of_work(write=False) as session:
                rows = townhalls.upcoming(session=session, clock=clock)
                zone = service.zone_of(session, user_id)
            lines = [
                f"• *#{t.id}* {escape(t.title)} · "
                f"{t.starts_at.astimezone(ZoneInfo(zone)):%a %d %b %H:%M %Z} · host <@{t.host_id}>"
                for t in rows
            ]
            ack(
                response_type="ephemeral",
                text="*Upcoming town halls*\n" + "\n".join(lines)
                if lines
                else "No town halls coming up. `/townhall` announces one.",
            )
        elif sub == "followup":
            if len(args) < 3:
                raise InvalidInput(
                    "Say which and what: `/townhall followup &lt;id&gt; Recording: &lt;link&gt;; answers: ...`."
                )
            raw = body.get("text") or ""
            text = raw.split(args[1], 1)[1] if args[1] in raw else " ".join(args[2:])
            with store.unit_of_work() as session:
                count = townhalls.followup(
                    session=session,
                    clock=clock,
                    policy=policy,
                    user_id=user_id,
                    townhall_id=_id(args[1], "/townhall followup &lt;id&gt; &lt;text&gt;"),
                    text=text,
                )
            ack(
                response_type="ephemeral",
                text=f":memo: Your follow-up goes in the notice's thread in {count} channel(s).",
            )
        elif sub == "cancel":
            with store.unit_of_work() as session:
                text = townhalls.cancel(
                    session=session,
                    clock=clock,
                    policy=policy,
                    user_id=user_id,
                    townhall_id=_id(" ".join(args[1:]), "/townhall cancel &lt;id&gt;"),
                )
            ack(response_type="ephemeral", text=text)
        else:
            ack(response_type="ephemeral", text=_unknown(sub) + render("announcements", "help.j2"))

    def on_townhall_submit(ack: Ack, body: dict[str, Any]) -> None:
        try:
            with store.unit_of_work() as session:
                townhall = townhalls.create(
                    session=session,
                    clock=clock,
                    policy=policy,
                    renderer=renderer,
                    host_id=body["user"]["id"],
                    data=_townhall_input(_state(body)),
                )
        except DomainError as error:
            ack(response_action="errors", errors=_errors(error, blocks.TH_CHANNELS))
            return
        ack(
            response_action="update",
            view=done_view(
                "Town hall",
                f":classical_building: Town hall #{townhall.id} is announced. Questions come in "
                "under the notice; you get them ranked by DM before the start. "
                f"`/townhall cancel {townhall.id}` cancels it.",
            ),
        )

    def on_ask(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        with store.unit_of_work(write=False) as session:
            shown = townhalls.get_view(
                session=session, townhall_id=int(body["actions"][0]["value"])
            )
        client.views_open(trigger_id=body["trigger_id"], view=blocks.ask_view(shown))

    def on_ask_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = _state(body)
        anonymous = field_flag(values, blocks.TH_ANONYMOUS)
        try:
            with store.unit_of_work() as session:
                townhalls.ask(
                    session=session,
                    clock=clock,
                    townhall_id=int(view.get("private_metadata") or 0),
                    user_id=body["user"]["id"],
                    text=field_text(values, blocks.TH_QUESTION),
                    anonymous=anonymous,
                )
        except DomainError as error:
            ack(response_action="errors", errors=_errors(error, blocks.TH_QUESTION))
            return
        ack(
            response_action="update",
            view=done_view(
                "Question sent",
                ":speech_balloon: Your question is in"
                + (" anonymously: your name was not stored." if anonymous else ".")
                + " Others can upvote it.",
            ),
        )

    def questions_modal(user_id: str, townhall_id: int) -> Any:
        with store.unit_of_work(write=False) as session:
            shown = townhalls.get_view(session=session, townhall_id=townhall_id)
            ranked = townhalls.ranked(session=session, townhall_id=townhall_id)
        return blocks.questions_view(shown, ranked, user_id)

    def on_questions(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        client.views_open(
            trigger_id=body["trigger_id"],
            view=questions_modal(user_id, int(body["actions"][0]["value"])),
        )

    def on_upvote(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        with store.unit_of_work() as session:
            townhalls.upvote(
                session=session, question_id=int(body["actions"][0]["value"]), user_id=user_id
            )
        view = body["view"]
        client.views_update(
            view_id=view["id"],
            view=questions_modal(user_id, int(view.get("private_metadata") or 0)),
        )

    app.command(TOWNHALL_COMMAND)(on_townhall)
    app.view(blocks.TOWNHALL_CALLBACK)(on_townhall_submit)
    app.view(blocks.ASK_CALLBACK)(on_ask_submit)
    app.action(blocks.ASK_ACTION)(on_ask)
    app.action(blocks.QUESTIONS_ACTION)(on_questions)
    app.action(blocks.UPVOTE_ACTION)(on_upvote)
