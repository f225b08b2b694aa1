"""Opening requests: by `/request`, by the form (also from a message, by the shortcut), and by
a desk's reaction in its intake channel. A message made into a request once gives back that
request; whoever filed it, the requester is told where it went."""

from dataclasses import dataclass

from sqlmodel import Session, select

from bot.clock import Clock
from bot.errors import InvalidInput
from bot.outbox.delivery import OutboundMessage
from bot.slack.args import shown
from bot.text.mrkdwn import escape
from bot.text.templating import render
from helpdesk.desks import desk_for_reaction, desk_info, find_desk, is_agent, parse_priority
from helpdesk.models import Desk, HelpRequest
from helpdesk.notices import send
from helpdesk.parents import is_request_parent, post_parent
from helpdesk.views import MAX_DETAILS, PACKAGE, Renderer, RequestView, view_of

MAX_SUMMARY = 150


@dataclass(frozen=True)
class MessageSource:
    """A Slack message a request is made from, as Commons read it (never as a payload claims)."""

    channel: str
    ts: str
    link: str | None = None
    author: str | None = None
    text: str = ""


@dataclass(frozen=True)
class RequestForm:
    """The request form as filled in. `category_desk`: the desk the chosen category belongs to
    (the form lists every desk's categories)."""

    desk: str
    summary: str
    details: str = ""
    priority: str = "normal"
    category: str | None = None
    category_desk: str | None = None


@dataclass(frozen=True)
class NewRequest:
    """A request to open: at which desk, for whom, filed by whom, what it says, and how it came
    (`source`: command, modal, shortcut or reaction; `message`: the message it was made from)."""

    desk: str
    requester_id: str
    opened_by: str
    summary: str
    details: str = ""
    priority: str = "normal"
    category: str | None = None
    source: str = "command"
    message: MessageSource | None = None


@dataclass(frozen=True)
class Opened:
    """The outcome of opening a request: the request, and whether it already existed."""

    view: RequestView
    existed: bool = False


def open_request(*, session: Session, clock: Clock, renderer: Renderer, new: NewRequest) -> Opened:
    """Open a request: its parent message goes to the desk's intake channel through the outbox.

    A message already turned into a request (by shortcut or reaction) gives back that request.
    Errors name the form field they are about ("desk", "summary", "priority", "category").

    Raises:
        NotFound: no such desk (the message lists the desks).
        InvalidInput: an empty summary, an unknown priority or category.
    """
    desk = find_desk(session=session, reference=new.desk, field="desk")
    summary = _summary(desk, new.summary)
    wanted = parse_priority(new.priority, field="priority")
    if new.category:
        _check_category(session, desk, new.category)
    existing = _made_from(session, new.message)
    if existing is not None:
        return Opened(view=view_of(session=session, request=existing), existed=True)
    now, message = clock.now(), new.message
    request = HelpRequest(
        desk_id=desk.id or 0,
        requester_id=new.requester_id,
        opened_by=new.opened_by,
        summary=summary,
        details=new.details.strip()[:MAX_DETAILS],
        priority=wanted.value,
        category=new.category or None,
        source=new.source,
        source_channel=message.channel if message else None,
        source_ts=message.ts if message else None,
        source_link=message.link if message else None,
        channel_id=desk.channel_id,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    view = post_parent(session=session, clock=clock, renderer=renderer, request=request, desk=desk)
    return Opened(view=view)


def _summary(desk: Desk, typed: str) -> str:
    """The summary on one line, shortened to fit."""
    summary = " ".join(typed.split())
    if not summary:
        raise InvalidInput(
            f"Say what you need: `/request {desk.key} &lt;one-line summary&gt;`, or `/request` "
            "for a form.",
            field="summary",
        )
    if len(summary) > MAX_SUMMARY:
        summary = summary[: MAX_SUMMARY - 1] + "…"
    return summary


def _check_category(session: Session, desk: Desk, category: str) -> None:
    known = desk_info(session=session, desk=desk).categories
    if category not in known:
        listing = ", ".join(escape(k) for k in known) or "none"
        raise InvalidInput(
            f"`{shown(category, 64)}` is not a category of {escape(desk.name)}. "
            f"Categories: {listing}.",
            field="category",
        )


def _made_from(session: Session, message: MessageSource | None) -> HelpRequest | None:
    """The request already made from this message, if any."""
    if message is None or not (message.channel and message.ts):
        return None
    return session.exec(
        select(HelpRequest).where(
            HelpRequest.source_channel == message.channel, HelpRequest.source_ts == message.ts
        )
    ).first()


def submit_request(
    *,
    session: Session,
    clock: Clock,
    renderer: Renderer,
    actor: str,
    form: RequestForm,
    source: MessageSource | None = None,
) -> Opened:
    """Open a request from the form, as `actor`; from a message when `source` is given.

    The requester is the person acting. From someone else's message, its author is linked as
    the source and told by DM; unless the actor is an agent of the chosen desk, who files it on
    the author's behalf (the author is then the requester, and the parent message says who
    filed it).

    Raises:
        NotFound, InvalidInput: as `open_request`, with the field each error is about.
    """
    desk = find_desk(session=session, reference=form.desk, field="desk")
    if form.category and form.category_desk is not None:
        owner = find_desk(session=session, reference=form.category_desk, field="category")
        if owner.id != desk.id:
            raise InvalidInput(
                f"That category belongs to {escape(owner.name)}, not {escape(desk.name)}.",
                field="category",
            )
    author = source.author if source is not None else None
    on_behalf = bool(author and author != actor) and is_agent(
        session=session, desk=desk, user_id=actor
    )
    new = NewRequest(
        desk=desk.key,
        requester_id=author if on_behalf and author else actor,
        opened_by=actor,
        summary=form.summary,
        details=form.details,
        priority=form.priority or "normal",
        category=form.category or None,
        source="shortcut" if source is not None else "modal",
        message=source,
    )
    opened = open_request(session=session, clock=clock, renderer=renderer, new=new)
    if source is not None and author and author != opened.view.requester_id and not opened.existed:
        _tell_author(session, clock, opened.view, author=author, source=source)
    return opened


def _tell_author(
    session: Session, clock: Clock, view: RequestView, *, author: str, source: MessageSource
) -> None:
    """DM the author of a message someone else turned into their own request."""
    desk = find_desk(session=session, reference=view.desk_key)
    text = render(PACKAGE, "dm_source.j2", view=view, link=source.link, channel=source.channel)
    dm = OutboundMessage(target=author, text=text, idempotency_key=f"helpdesk.r{view.id}.source.dm")
    send(session=session, clock=clock, desk=desk, messages=[dm])


def open_from_reaction(
    *,
    session: Session,
    clock: Clock,
    renderer: Renderer,
    desk_ref: str,
    reactor: str,
    message: MessageSource,
) -> Opened:
    """A desk's reaction on a message in its intake channel: the message's author asked, so the
    request is theirs; the parent says who reacted."""
    first_line = next((line for line in message.text.splitlines() if line.strip()), "")
    new = NewRequest(
        desk=desk_ref,
        requester_id=message.author or reactor,
        opened_by=reactor,
        summary=first_line or "Request from a message",
        details=message.text,
        source="reaction",
        message=message,
    )
    return open_request(session=session, clock=clock, renderer=renderer, new=new)


def reaction_desk(*, session: Session, channel_id: str, ts: str, reaction: str) -> str | None:
    """The key of the desk a reaction opens a request at, or None (another channel or emoji, or
    a reaction on a request's own parent message)."""
    key = desk_for_reaction(session=session, channel_id=channel_id, reaction=reaction)
    if key is None or is_request_parent(session=session, channel_id=channel_id, ts=ts):
        return None
    return key
