"""Handlers of the help desks: `/request`, `/commons desk ...`, the request's buttons, the rating,
the "Turn into a request" shortcut, the desk's reaction and replies in request threads. Each one
parses, calls the service and says what the person sees; `register` only wires them."""

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.errors import InvalidInput
from bot.slack.args import parse_count, parse_id
from bot.slack.claims import STALE
from bot.slack.forms import Form
from bot.slack.interaction import Interaction, Later, Nothing, OpenModal, Outcome, Reply, Wiring
from bot.slack.verbs import Bare, CommandTable, Fallback, Verb
from bot.text.mrkdwn import escape
from bot.text.templating import render
from helpdesk import blocks, desks, gateway, intake, jobs, metrics, ratings, requests
from helpdesk.desk_listeners import DESK, DESK_VERB, on_desk_submitted
from helpdesk.hours import describe_minutes
from helpdesk.views import RequestView

REQUEST_COMMAND = "/request"
REACTION_ADDED = "reaction_added"
MESSAGE = "message"
PACKAGE = "helpdesk"
RATE = re.compile(r"^helpdesk\.rate\.[1-5]$")
# What Commons seals into the request form's and the comment form's private_metadata.
REQUEST_SEAL = "helpdesk.request_form"
COMMENT_SEAL = "helpdesk.comment_form"


# -- /request --------------------------------------------------------------------------------


def on_request(i: Interaction) -> Outcome:
    """`/request ...`: the verb table, with today's desks at the end of its help."""
    with i.services.store.unit_of_work(write=False) as session:
        keys = desks.desk_keys(session=session)
    listing = ", ".join(f"`{k}`" for k in keys) or "none yet (an admin adds them)"
    return replace(REQUEST, footer=f"{REQUEST.footer}\nDesks: {listing}.").handle(i)


def on_request_form(i: Interaction) -> Outcome:
    """`/request`: the form (desk, summary, details, priority, category)."""
    with i.services.store.unit_of_work(write=False) as session:
        offered = desks.list_desks(session=session)
    if not offered:
        return Reply(blocks.no_desks_text())
    sealed = i.seal(REQUEST_SEAL, {"for": i.user_id})
    return OpenModal(blocks.request_modal(offered, private_metadata=sealed))


def on_request_now(i: Interaction, args: list[str]) -> Outcome:
    """`/request <desk> <summary>`: open it at once (the summary as typed, quotes and all)."""
    typed = i.text.strip().split(None, 1)
    with i.services.store.unit_of_work() as session:
        opened = intake.open_request(
            session=session,
            clock=i.services.clock,
            renderer=blocks.RENDERER,
            new=intake.NewRequest(
                desk=args[0],
                requester_id=i.user_id,
                opened_by=i.user_id,
                summary=typed[1] if len(typed) > 1 else "",
            ),
        )
    return Reply(render(PACKAGE, "opened.j2", view=opened.view))


def on_list(i: Interaction, args: list[str]) -> Outcome:
    with i.services.store.unit_of_work(write=False) as session:
        mine = metrics.my_open(session=session, user_id=i.user_id)
    return Reply(render(PACKAGE, "list.j2", views=mine, desk=None))


def on_queue(i: Interaction, args: list[str]) -> Outcome:
    with i.services.store.unit_of_work(write=False) as session:
        desk, views = metrics.queue(session=session, desk_ref=" ".join(args))
    return Reply(render(PACKAGE, "list.j2", views=views, desk=desk.name))


def on_stats(i: Interaction, args: list[str]) -> Outcome:
    with i.services.store.unit_of_work(write=False) as session:
        figures = metrics.stats(session=session, clock=i.services.clock, desk_ref=" ".join(args))
    return Reply(render(PACKAGE, "stats.j2", s=figures, hours=_hours))


def on_request_submitted(i: Interaction) -> Outcome:
    """The request form: opened by the person acting, from the message Commons sealed, if any."""
    with i.services.store.unit_of_work() as session:
        opened = intake.submit_request(
            session=session,
            clock=i.services.clock,
            renderer=blocks.RENDERER,
            actor=i.user_id,
            form=blocks.read_request_form(i.submitted),
            source=_sealed_source(i),
        )
    return _already(opened.view) if opened.existed else Nothing()


def _already(view: RequestView) -> Outcome:
    text = f"That message is already request #{view.id} ({escape(view.desk_name)})."
    return Reply(text, title="Already a request")


def _sealed_source(i: Interaction) -> intake.MessageSource | None:
    """The message the form was opened on, as Commons sealed it for this person."""
    sealed = i.unseal(REQUEST_SEAL)
    if sealed.get("for") != i.user_id:
        raise InvalidInput(STALE)
    if not sealed.get("ts"):
        return None
    return intake.MessageSource(
        channel=str(sealed["channel"]),
        ts=str(sealed["ts"]),
        link=str(sealed["link"]) if sealed.get("link") else None,
        author=str(sealed["author"]) if sealed.get("author") else None,
    )


def on_turn_into_request(i: Interaction) -> Outcome:
    """The "Turn into a request" shortcut: the form, prefilled, with the message sealed in it."""
    with i.services.store.unit_of_work(write=False) as session:
        offered = desks.list_desks(session=session)
    if not offered or not i.channel_id:
        return Reply(blocks.no_desks_text())
    found = i.body.get("message")
    message: dict[str, Any] = found if isinstance(found, dict) else {}
    text = str(message.get("text") or "")
    sealed = i.seal(REQUEST_SEAL, _message_claim(i, message))
    summary = next((line for line in text.splitlines() if line.strip()), "")
    return OpenModal(
        blocks.request_modal(offered, summary=summary, details=text, private_metadata=sealed)
    )


def _message_claim(i: Interaction, message: dict[str, Any]) -> dict[str, str]:
    """What the form will trust about the message: where it is, its link and its author."""
    channel, ts = str(i.channel_id or ""), str(i.body.get("message_ts") or "")
    author = message.get("user") if not message.get("bot_id") else None
    return {
        "for": i.user_id,
        "channel": channel,
        "ts": ts,
        "link": gateway.permalink(i.client, channel, ts) or "",
        "author": author if isinstance(author, str) else "",
    }


# -- buttons on the parent message and in DMs ------------------------------------------------


def on_claim(i: Interaction) -> Outcome:
    return _move(i, requests.claim)


def on_wait(i: Interaction) -> Outcome:
    return _move(i, requests.wait_on_requester)


def on_resolve(i: Interaction) -> Outcome:
    return _move(i, requests.resolve)


def on_reopen(i: Interaction) -> Outcome:
    return _move(i, requests.reopen)


def _move(i: Interaction, change: Callable[..., RequestView]) -> Outcome:
    """A status button: the change as the person who clicked, then the parent is redrawn."""
    request_id = _request_of(i.action.get("value"))
    with i.services.store.unit_of_work() as session:
        change(
            session=session,
            clock=i.services.clock,
            renderer=blocks.RENDERER,
            actor=i.user_id,
            request_id=request_id,
        )
    return Later(Nothing(), lambda: _refresh(i))


def on_assign(i: Interaction) -> Outcome:
    """ "Assign to…": the request is named by the menu's block id (`helpdesk.request.<id>`)."""
    request_id = _request_of(str(i.action.get("block_id") or "").rsplit(".", 1)[-1])
    with i.services.store.unit_of_work() as session:
        requests.assign(
            session=session,
            clock=i.services.clock,
            renderer=blocks.RENDERER,
            actor=i.user_id,
            request_id=request_id,
            assignee=str(i.action.get("selected_user") or ""),
        )
    return Later(Nothing(), lambda: _refresh(i))


def on_rate(i: Interaction) -> Outcome:
    """A 1-5 rating button in the requester's DM: thanks, and a way to add a comment."""
    score = parse_count(str(i.action.get("action_id"))[-1:], what="A rating", low=1, high=5)
    request_id = _request_of(i.action.get("value"))
    with i.services.store.unit_of_work() as session:
        view = ratings.rate(
            session=session,
            clock=i.services.clock,
            actor=i.user_id,
            request_id=request_id,
            score=score,
        )
    thanks = f"Thanks! You rated #{view.id} {score}/5."
    shown_thanks = Reply(thanks, blocks=blocks.rated_blocks(view, score), replace_original=True)
    return Later(shown_thanks, lambda: _refresh(i))


def on_comment(i: Interaction) -> Outcome:
    """ "Add a comment": the comment form, if the person may still comment."""
    request_id = _request_of(i.action.get("value"))
    with i.services.store.unit_of_work(write=False) as session:
        ratings.check_commentable(session=session, actor=i.user_id, request_id=request_id)
    return OpenModal(blocks.comment_modal(i.seal(COMMENT_SEAL, {"request": request_id})))


def on_comment_submitted(i: Interaction) -> Outcome:
    request_id = _request_of(str(i.unseal(COMMENT_SEAL).get("request") or ""))
    with i.services.store.unit_of_work() as session:
        ratings.add_comment(
            session=session,
            clock=i.services.clock,
            actor=i.user_id,
            request_id=request_id,
            comment=i.submitted.text("comment"),
        )
    return Nothing()


def _request_of(token: object) -> int:
    """The request a button names."""
    try:
        return parse_id(str(token or ""), usage="/request list", what="request")
    except InvalidInput:
        raise InvalidInput(
            "That button does not name a request (it may be from an older message). "
            "`/request list` shows your requests."
        ) from None


def _refresh(i: Interaction) -> Outcome:
    """Redraw parent messages that show an older state (after the acknowledgement)."""
    jobs.edit_parents(
        store=i.services.store, slack=gateway.SlackMessages(i.client), renderer=blocks.RENDERER
    )
    return Nothing()


# -- events ----------------------------------------------------------------------------------


def on_reaction(i: Interaction) -> None:
    """The desk's emoji on a person's message in its intake channel opens a request."""
    found = _reacted(i)
    if found is None:
        return
    key, message = found
    with i.services.store.unit_of_work() as session:
        intake.open_from_reaction(
            session=session,
            clock=i.services.clock,
            renderer=blocks.RENDERER,
            desk_ref=key,
            reactor=i.user_id,
            message=message,
        )


def _reacted(i: Interaction) -> tuple[str, intake.MessageSource] | None:
    """The desk a reaction is for and the person's message it is on, or None to ignore it."""
    item = i.event.get("item")
    if not isinstance(item, dict) or item.get("type") != "message" or not i.user_id:
        return None
    channel, ts = str(item.get("channel") or ""), str(item.get("ts") or "")
    reaction = str(i.event.get("reaction") or "")
    with i.services.store.unit_of_work(write=False) as session:
        key = intake.reaction_desk(session=session, channel_id=channel, ts=ts, reaction=reaction)
    message = gateway.person_message(i.client, channel, ts) if key is not None else None
    return (key, message) if key is not None and message is not None else None


def on_message(i: Interaction) -> None:
    """A reply in a request's thread: the first response, or the requester answering."""
    thread_ts = _thread_of(i.event)
    if thread_ts is None or not i.user_id:
        return
    with i.services.store.unit_of_work() as session:
        changed = requests.thread_reply(
            session=session,
            clock=i.services.clock,
            renderer=blocks.RENDERER,
            channel_id=str(i.event.get("channel") or ""),
            thread_ts=thread_ts,
            user_id=i.user_id,
        )
    if changed is not None:
        _refresh(i)


def _thread_of(event: dict[str, Any]) -> str | None:
    """The thread a person's reply is in (None for bots, edits, and messages outside threads)."""
    thread_ts = event.get("thread_ts")
    if event.get("bot_id") or event.get("subtype") not in (None, "thread_broadcast"):
        return None
    if not isinstance(thread_ts, str) or thread_ts == event.get("ts"):
        return None
    return thread_ts


# -- the tables and the wiring ---------------------------------------------------------------

REQUEST = CommandTable(
    command=REQUEST_COMMAND,
    title="Ask another department for help",
    bare=Bare("opens a form: desk, summary, details, priority, category", on_request_form),
    fallback=Fallback(
        "<desk> <summary>",
        "opens a request at once, e.g. `/request it My laptop won't start`",
        on_request_now,
    ),
    verbs=(
        Verb(
            "list",
            "",
            "your requests that are not closed yet",
            on_list,
            max_args=0,
            aliases=("mine",),
        ),
        Verb("queue", "<desk>", "the desk's open requests, oldest first", on_queue, min_args=1),
        Verb(
            "stats",
            "<desk>",
            "the desk's figures: response and resolution times, SLA breaches, CSAT, backlog",
            on_stats,
            min_args=1,
        ),
    ),
    footer=(
        "On any message: *More actions*, then *Turn into a request*. In a desk's channel, react with "
        "the desk's emoji (:ticket: by default)."
    ),
)


def _hours(seconds: float | None) -> str:
    """Business or calendar seconds for people: `2h 30m`, or `-` for none."""
    if seconds is None:
        return "-"
    days, rest = divmod(seconds, 86400)
    if days >= 1:
        return f"{int(days)}d {describe_minutes(rest / 60)}"
    return describe_minutes(seconds / 60)


FORMS: tuple[tuple[Form, Callable[[Interaction], Outcome]], ...] = (
    (blocks.REQUEST_FORM, on_request_submitted),
    (blocks.COMMENT_FORM, on_comment_submitted),
    (blocks.DESK_FORM, on_desk_submitted),
)

BUTTONS: tuple[tuple[str | re.Pattern[str], Callable[[Interaction], Outcome]], ...] = (
    (blocks.CLAIM, on_claim),
    (blocks.WAIT, on_wait),
    (blocks.RESOLVE, on_resolve),
    (blocks.REOPEN, on_reopen),
    (blocks.ASSIGN, on_assign),
    (RATE, on_rate),
    (blocks.COMMENT, on_comment),
)


def register(wire: Wiring) -> None:
    """Wire `/request`, the `/commons desk` verbs, the forms, buttons, shortcut, events and tick."""
    services = wire.services
    wire.command(REQUEST.command, on_request)
    wire.table(REQUEST, wire_command=False)  # on_request adds today's desks to its help
    wire.table(DESK, wire_command=False)  # reached through the /commons desk verb
    services.commons_verbs.append(DESK_VERB)
    for form, on_submitted in FORMS:
        wire.view(form, on_submitted)
    wire.message_shortcut(blocks.TURN_INTO_REQUEST, on_turn_into_request)
    for action_id, handler in BUTTONS:
        wire.action(action_id, handler)
    wire.event(REACTION_ADDED, on_reaction)
    wire.event(MESSAGE, on_message)
    slack = gateway.SlackMessages(wire.client)
    services.ticks.append(
        jobs.tick(store=services.store, clock=services.clock, slack=slack, renderer=blocks.RENDERER)
    )
