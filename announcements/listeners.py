"""`/announce`: its verbs, the compose, preview and review modals, and the Acknowledge, Approve and
Request changes buttons, as handlers of the interaction layer.

Each handler parses (ids through bot.slack.args, metadata through `i.unseal`), calls the service and
says what the person sees; `register` only wires. Slack is read here (channel membership, through
`SlackMembers`) and written by outcomes, except the deletes of `/announce delete` and the update
of a handled review message: those run after the acknowledgement (issue 14 moves them into the
outbox).
"""

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from announcements import (
    acknowledgements,
    blocks,
    cancellation,
    common,
    compose,
    compose_blocks,
    drafts,
    jobs,
    policy,
    reports,
    review,
    template_library,
)
from bot.errors import DomainError
from bot.services import Tick
from bot.slack.args import channel_ref, parse_id
from bot.slack.blocks import local_today
from bot.slack.gateway import SlackMembers
from bot.slack.interaction import (
    Interaction,
    Later,
    Nothing,
    OpenModal,
    Outcome,
    Reply,
    UpdateModal,
    Wiring,
)
from bot.slack.verbs import Bare, CommandTable, Verb
from bot.text.templating import render

logger = logging.getLogger("commons.announcements")

# conversations.members pages (of 200) read to find one person in a private channel.
MEMBER_PAGES = 25
THANKS = ":white_check_mark: Thanks, your acknowledgement is recorded."
ALREADY = "You have already acknowledged this one; nothing more to do."


def policy_of(i: Interaction) -> policy.Policy:
    """Who may do what, from the settings."""
    return policy.Policy(admins=i.services.settings.admins)


# -- /announce and its form ---------------------------------------------------------------------


def on_compose(i: Interaction) -> Outcome:
    """`/announce`: the compose form."""
    return _compose_form(i, None)


def on_edit(i: Interaction, args: list[str]) -> Outcome:
    """`/announce edit <id>`: the form again, filled in."""
    return _compose_form(i, parse_id(args[0], usage="/announce edit <id>", what="announcement"))


def _compose_form(i: Interaction, announcement_id: int | None) -> Outcome:
    with i.services.store.unit_of_work(write=False) as session:
        ctx = compose.compose_context(
            session=session, policy=policy_of(i), user_id=i.user_id, announcement_id=announcement_id
        )
    today = local_today(ctx.zone, i.services.clock.now())
    return OpenModal(
        compose_blocks.compose_view(ctx, metadata=_compose_seal(i, announcement_id), today=today)
    )


def _compose_seal(i: Interaction, replaces: int | None) -> str:
    return i.seal(blocks.COMPOSE_SEAL, {"replaces": replaces})


def _replaces(i: Interaction) -> int | None:
    value = i.unseal(blocks.COMPOSE_SEAL).get("replaces")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def on_compose_submitted(i: Interaction) -> Outcome:
    """The compose form: checked and kept as a draft, then its preview."""
    rules, replaces = policy_of(i), _replaces(i)
    with i.services.store.unit_of_work() as session:
        draft = drafts.save_draft(
            session=session,
            clock=i.services.clock,
            policy=rules,
            author_id=i.user_id,
            draft=compose_blocks.draft_from(i.submitted),
            replaces=replaces,
        )
        shown = compose.preview(
            session=session, policy=rules, announcement_id=draft.id or 0, user_id=i.user_id
        )
    metadata = i.seal(blocks.PREVIEW_SEAL, {"announcement": shown.announcement_id})
    return UpdateModal(blocks.preview_view(shown, metadata=metadata))


def on_template_chosen(i: Interaction) -> Outcome:
    """A template chosen in the form: its title and text fill the form in."""
    form, replaces = compose_blocks.COMPOSE_FORM.read(i.values), _replaces(i)
    chosen = i.action.get("selected_option")
    reference = str(chosen.get("value") or "") if isinstance(chosen, dict) else ""
    reference = reference or form.text("template")
    with i.services.store.unit_of_work(write=False) as session:
        ctx = compose.compose_context(
            session=session, policy=policy_of(i), user_id=i.user_id, announcement_id=replaces
        )
        title, text = template_library.template_text(
            session=session, clock=i.services.clock, reference=reference, author_id=i.user_id
        )
    draft = replace(compose_blocks.draft_from(form), title=title, body=text, template=reference)
    return UpdateModal(compose_blocks.compose_view(ctx, draft, metadata=_compose_seal(i, replaces)))


def on_back(i: Interaction) -> Outcome:
    """Edit, on the preview: the form again with the draft."""
    announcement_id = i.button_id(what="draft", usage="/announce")
    with i.services.store.unit_of_work(write=False) as session:
        ctx = compose.back_to_form(
            session=session, policy=policy_of(i), user_id=i.user_id, announcement_id=announcement_id
        )
    return UpdateModal(
        compose_blocks.compose_view(ctx, metadata=_compose_seal(i, ctx.announcement_id))
    )


def on_preview_submitted(i: Interaction) -> Outcome:
    """The preview confirmed: scheduled, or sent for approval."""
    try:
        announcement_id = i.sealed_id(blocks.PREVIEW_SEAL, "announcement")
        with i.services.store.unit_of_work() as session:
            outcome = review.confirm(
                session=session,
                clock=i.services.clock,
                policy=policy_of(i),
                renderer=blocks.Renderer(),
                announcement_id=announcement_id,
                user_id=i.user_id,
            )
    except DomainError as error:
        # The preview has no field to show a refusal under: it becomes the form's last step.
        return Reply(f":warning: {error.message}", title="Not sent")
    return Reply(outcome.text, title="Sent for approval" if outcome.review else "Announcement")


# -- buttons ------------------------------------------------------------------------------------


def on_acknowledge(i: Interaction) -> Outcome:
    """Acknowledge, on a must-read or its reminder."""
    post_id = i.button_id(what="announcement", usage="/announce list")
    members = _members_for_post(i, post_id)
    with i.services.store.unit_of_work() as session:
        first = acknowledgements.acknowledge(
            session=session,
            clock=i.services.clock,
            members=members,
            post_id=post_id,
            user_id=i.user_id,
        )
    return Reply(THANKS if first else ALREADY)


def _members_for_post(i: Interaction, post_id: int) -> SlackMembers:
    members = SlackMembers(i.client)
    with i.services.store.unit_of_work(write=False) as session:
        acknowledgements.require_post_visible(
            session=session, members=members, post_id=post_id, user_id=i.user_id
        )
    return members


def on_approve(i: Interaction) -> Outcome:
    """Approve, on a review request: scheduled; the request says who approved it."""
    announcement_id = i.button_id(what="announcement", usage="/announce list")
    with i.services.store.unit_of_work() as session:
        text = review.approve(
            session=session,
            clock=i.services.clock,
            policy=policy_of(i),
            reviewer=i.user_id,
            announcement_id=announcement_id,
        )
    return Reply(text, blocks=[], replace_original=True)


def on_request_changes(i: Interaction) -> Outcome:
    """Request changes, on a review request: the reviewer's note form."""
    announcement_id = i.button_id(what="announcement", usage="/announce list")
    with i.services.store.unit_of_work(write=False) as session:
        review.pending_review(session, policy_of(i), i.user_id, announcement_id)
    message = i.body.get("message")
    ts = message.get("ts") if isinstance(message, dict) else None
    where = {"announcement": announcement_id, "channel": i.channel_id or "", "ts": ts or ""}
    return OpenModal(blocks.changes_view(metadata=i.seal(blocks.CHANGES_SEAL, where)))


def on_changes_submitted(i: Interaction) -> Outcome:
    """The reviewer's note: sent to the author; the review message says it was handled."""
    claim = i.unseal(blocks.CHANGES_SEAL)
    with i.services.store.unit_of_work() as session:
        text = review.request_changes(
            session=session,
            clock=i.services.clock,
            policy=policy_of(i),
            reviewer=i.user_id,
            announcement_id=i.sealed_id(blocks.CHANGES_SEAL, "announcement"),
            note=i.submitted.text("note"),
        )
    return Later(
        Reply(text, title="Changes requested"), lambda: mark_reviewed(i.client, claim, text)
    )


def mark_reviewed(client: WebClient, claim: dict[str, Any], text: str) -> Outcome:
    """Replace a handled review message (and its buttons) with what was decided."""
    channel, ts = claim.get("channel"), claim.get("ts")
    if isinstance(channel, str) and isinstance(ts, str) and channel and ts:
        try:
            client.chat_update(channel=channel, ts=ts, text=text, blocks=[])
        except SlackApiError as error:
            logger.warning("could not mark a review as handled: %s", error.response.get("error"))
    return Nothing()


# -- the verbs ----------------------------------------------------------------------------------


def on_list(i: Interaction, args: list[str]) -> Outcome:
    """`/announce list`."""
    rules = policy_of(i)
    with i.services.store.unit_of_work(write=False) as session:
        items = reports.listing(session=session, policy=rules, user_id=i.user_id)
        comms = policy.is_comms(session, rules, i.user_id)
    return Reply(render("announcements", "list.j2", items=items, show_author=comms))


def on_cancel(i: Interaction, args: list[str]) -> Outcome:
    """`/announce cancel <id>`."""
    announcement_id = parse_id(args[0], usage="/announce cancel <id>", what="announcement")
    with i.services.store.unit_of_work() as session:
        text = cancellation.cancel(
            session=session,
            clock=i.services.clock,
            policy=policy_of(i),
            user_id=i.user_id,
            announcement_id=announcement_id,
        )
    return Reply(text)


def on_delete(i: Interaction, args: list[str]) -> Outcome:
    """`/announce delete <id>`: cancelled now; its posted messages deleted after the ack."""
    announcement_id = parse_id(args[0], usage="/announce delete <id>", what="announcement")
    with i.services.store.unit_of_work() as session:
        posted = cancellation.posted_messages(
            session=session,
            clock=i.services.clock,
            policy=policy_of(i),
            user_id=i.user_id,
            announcement_id=announcement_id,
        )
    if not posted:
        return Reply(cancellation.deletion_text(cancellation.Deletion(announcement_id)))
    working = (
        f":wastebasket: Announcement #{announcement_id} is cancelled; deleting its messages..."
    )
    return Later(Reply(working), lambda: delete_posted(i.client, announcement_id, posted))


def delete_posted(
    client: WebClient, announcement_id: int, posted: Sequence[tuple[str, str]]
) -> Outcome:
    """chat.delete each posted message, going on past errors, and say what went and what did not."""
    deleted, gone, failed = 0, 0, []
    for channel, ts in posted:
        result = _delete_one(client, channel, ts)
        if result == "deleted":
            deleted += 1
        elif result == "message_not_found":
            gone += 1
        else:
            failed.append((channel, result))
    done = cancellation.Deletion(announcement_id, deleted, gone, tuple(failed))
    return Reply(cancellation.deletion_text(done))


def _delete_one(client: WebClient, channel: str, ts: str) -> str:
    """ "deleted", or why not (Slack's error code)."""
    try:
        client.chat_delete(channel=channel, ts=ts)
    except SlackApiError as error:
        return str(error.response.get("error") or f"HTTP {error.response.status_code}")
    except Exception:
        logger.exception("chat.delete of an announcement's message failed")
        return "no answer from Slack"
    return "deleted"


def on_stats(i: Interaction, args: list[str]) -> Outcome:
    """`/announce stats <id>`."""
    announcement_id = parse_id(args[0], usage="/announce stats <id>", what="announcement")
    with i.services.store.unit_of_work(write=False) as session:
        figures = reports.stats(
            session=session,
            policy=policy_of(i),
            members=SlackMembers(i.client),
            user_id=i.user_id,
            announcement_id=announcement_id,
        )
    return Reply(render("announcements", "stats.j2", stats=figures))


def on_config(i: Interaction, args: list[str]) -> Outcome:
    """`/announce config threshold <people>` and `/announce config approvals #channel|dm`."""
    with i.services.store.unit_of_work() as session:
        said = policy.set_config(
            session=session,
            clock=i.services.clock,
            policy=policy_of(i),
            actor=i.user_id,
            key=args[0].lower(),
            value=channel_ref(args[1]) if len(args) > 1 else "",
        )
    return Reply(said)


def _verb(name: str, summary: str, handler: Any) -> Verb:
    """A verb on one announcement, by id, for those who announce."""
    return Verb(name, "<id>", summary, handler, who="managers", min_args=1, max_args=1)


ANNOUNCE = CommandTable(
    command="/announce",
    title="Announcements",
    bare=Bare(
        "compose one (title, message, channels, audience, must-read, when); a preview comes "
        "before it goes",
        on_compose,
    ),
    verbs=(
        Verb(
            "list",
            "",
            "upcoming, recurring and waiting ones, with ids",
            on_list,
            who="managers",
            max_args=0,
        ),
        _verb(
            "edit", "change one that has not gone out (or the future of a recurring one)", on_edit
        ),
        _verb("cancel", "stop it: its schedule, reminders and unsent messages", on_cancel),
        _verb("delete", "cancel it and delete its posted messages", on_delete),
        _verb("stats", "how many have acknowledged a must-read", on_stats),
        Verb(
            "config",
            "threshold <people> | approvals <#channel|dm>",
            "approval above how many people, and where approval requests go",
            on_config,
            who="admin",
            min_args=1,
            max_args=2,
        ),
    ),
    footer="Town halls have a command of their own: `/townhall help`.",
)


# -- wiring -------------------------------------------------------------------------------------


def register(wire: Wiring) -> None:
    """Wire `/announce`, its modals and buttons, its schedules and the acknowledgement-count tick."""
    _schedules(wire)
    wire.table(ANNOUNCE)
    wire.view(compose_blocks.COMPOSE_FORM, on_compose_submitted)
    wire.view(blocks.PREVIEW_CALLBACK, on_preview_submitted)
    wire.view(blocks.CHANGES_FORM, on_changes_submitted)
    wire.action(blocks.TEMPLATE_ACTION, on_template_chosen)
    wire.action(blocks.BACK_ACTION, on_back)
    wire.action(blocks.ACK_ACTION, on_acknowledge)
    wire.action(blocks.APPROVE_ACTION, on_approve)
    wire.action(blocks.CHANGES_ACTION, on_request_changes)


def _schedules(wire: Wiring) -> None:
    services, client, renderer = wire.services, wire.client, blocks.Renderer()
    services.schedule_handlers[common.POST_KIND] = jobs.PostHandler(services.clock, renderer)
    services.schedule_handlers[common.REMIND_KIND] = jobs.RemindHandler(services.clock, renderer)
    services.ticks.append(
        Tick(
            job_id="announcements.refresh_counts",
            func=lambda: jobs.refresh_counts(
                store=services.store, client=client, renderer=renderer
            ),
            interval_seconds=jobs.COUNT_REFRESH_SECONDS,
        )
    )
