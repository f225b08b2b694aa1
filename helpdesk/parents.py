"""A request's parent message in the desk's intake channel: posting it, noting where it landed
(and DMing the requester a link), and finding the ones that show an older state to edit."""

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.outbox.delivery import OutboundMessage
from bot.text.templating import render
from helpdesk.models import Desk, HelpRequest
from helpdesk.notices import send
from helpdesk.views import PACKAGE, Renderer, RequestView, view_of


@dataclass(frozen=True)
class ParentToEdit:
    """A parent message whose content is behind the request's state."""

    request_id: int
    version: int
    channel_id: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]


def content(view: RequestView, renderer: Renderer) -> tuple[str, list[dict[str, Any]]]:
    """The parent's text and blocks for the request's state."""
    text = render(PACKAGE, "parent.j2", view=view, label=view.status_label)
    return text, renderer.parent_blocks(view)


def post_parent(
    *, session: Session, clock: Clock, renderer: Renderer, request: HelpRequest, desk: Desk
) -> RequestView:
    """Enqueue a new request's parent message in the intake channel, keyed by the request."""
    request.parent_key = f"helpdesk.r{request.id}.parent"
    session.add(request)
    view = view_of(session=session, request=request)
    text, blocks = content(view, renderer)
    parent = OutboundMessage(
        target=desk.channel_id, text=text, blocks=blocks, idempotency_key=request.parent_key
    )
    send(session=session, clock=clock, desk=desk, messages=[parent])
    request.rendered_version = request.version
    session.add(request)
    return view


def posted_parents(*, session: Session) -> list[tuple[int, str, str]]:
    """Requests whose parent message was posted but not yet recorded: (id, channel, ts)."""
    from bot.models import Delivery

    rows = session.exec(
        select(HelpRequest.id, Delivery.channel, Delivery.ts)
        .join(Delivery, col(Delivery.idempotency_key) == HelpRequest.parent_key)
        .where(col(HelpRequest.parent_ts).is_(None), col(Delivery.ts).is_not(None))
        .limit(200)
    ).all()
    return [(int(i or 0), str(c), str(t)) for i, c, t in rows]


def record_parent(
    *, session: Session, clock: Clock, request_id: int, channel_id: str, ts: str, permalink: str
) -> None:
    """Note where the parent landed and DM the requester a link to it (once)."""
    request = session.get(HelpRequest, request_id, with_for_update=True)
    if request is None or request.parent_ts is not None:
        return
    desk = session.get(Desk, request.desk_id)
    assert desk is not None
    request.channel_id, request.parent_ts, request.permalink = channel_id, ts, permalink
    session.add(request)
    session.flush()
    view = view_of(session=session, request=request)
    link = OutboundMessage(
        target=request.requester_id,
        text=render(PACKAGE, "dm_opened.j2", view=view, opened_by=request.opened_by),
        idempotency_key=f"helpdesk.r{request.id}.opened.dm",
    )
    send(session=session, clock=clock, desk=desk, messages=[link])


def parents_to_edit(*, session: Session, renderer: Renderer) -> list[ParentToEdit]:
    """Parent messages that show an older state than their request's."""
    rows = session.exec(
        select(HelpRequest)
        .where(
            col(HelpRequest.parent_ts).is_not(None),
            col(HelpRequest.rendered_version) < col(HelpRequest.version),
        )
        .limit(100)
    ).all()
    edits = []
    for r in rows:
        view = view_of(session=session, request=r)
        text, blocks = content(view, renderer)
        edits.append(
            ParentToEdit(
                request_id=view.id,
                version=r.version,
                channel_id=r.channel_id,
                ts=r.parent_ts or "",
                text=text,
                blocks=blocks,
            )
        )
    return edits


def parent_edited(*, session: Session, request_id: int, version: int) -> None:
    """Record that the parent shows `version` (never going backwards)."""
    request = session.get(HelpRequest, request_id)
    if request is not None and request.rendered_version < version:
        request.rendered_version = version
        session.add(request)


def is_request_parent(*, session: Session, channel_id: str, ts: str) -> bool:
    """Whether a message is a request's parent (reactions on those are ignored)."""
    return (
        session.exec(
            select(HelpRequest.id).where(
                HelpRequest.channel_id == channel_id, HelpRequest.parent_ts == ts
            )
        ).first()
        is not None
    )
