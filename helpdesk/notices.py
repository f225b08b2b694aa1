"""What the help desks send, through the delivery outbox in the caller's transaction: each
desk's campaign, and the note a change leaves in the request's thread and the requester's DMs."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from bot.clock import Clock
from bot.outbox.delivery import OutboundMessage, enqueue
from bot.text.mrkdwn import Mrkdwn
from bot.text.templating import render
from helpdesk.models import Desk, HelpRequest
from helpdesk.views import PACKAGE, RequestView, view_of


def send(
    *, session: Session, clock: Clock, desk: Desk, messages: Sequence[OutboundMessage]
) -> None:
    """Enqueue messages under the desk's campaign (opened the first time)."""
    enqueue(
        session=session,
        clock=clock,
        campaign_id=f"helpdesk-desk-{desk.id}",
        messages=messages,
        kind="helpdesk",
        title=f"Help desk {desk.name}",
    )


@dataclass(frozen=True)
class Note:
    """A change as the thread tells it: who made it, what it says (mrkdwn Commons wrote),
    whether the requester hears of it by DM, and any other messages it sends."""

    actor: str
    text: str
    tell_requester: bool = True
    extra: tuple[OutboundMessage, ...] = ()


def record_change(
    *, session: Session, clock: Clock, request: HelpRequest, desk: Desk, note: Note
) -> RequestView:
    """Record a change: bump the version (the parent is edited), note it in the thread, tell the
    requester by DM (unless they made it)."""
    request.version += 1
    request.updated_at = clock.now()
    session.add(request)
    session.flush()
    view = view_of(session=session, request=request)
    base = f"helpdesk.r{request.id}.v{request.version}"
    said, actor = Mrkdwn(note.text), Mrkdwn(f"<@{note.actor}>")
    messages = [
        OutboundMessage(
            target=request.channel_id,
            text=render(PACKAGE, "note.j2", note=said, actor=actor, view=view),
            idempotency_key=f"{base}.note",
            parent_key=request.parent_key,
        )
    ]
    if note.tell_requester and note.actor != request.requester_id:
        messages.append(
            OutboundMessage(
                target=request.requester_id,
                text=render(PACKAGE, "dm_update.j2", note=said, view=view),
                idempotency_key=f"{base}.dm",
            )
        )
    messages.extend(note.extra)
    send(session=session, clock=clock, desk=desk, messages=messages)
    return view
