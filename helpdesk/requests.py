"""A request's life after it is opened: an agent claims or assigns it, waits on the requester,
resolves it; the requester or an agent reopens it; replies in its thread are the first response
or the requester's answer; a resolved request closes itself after its desk's number of days."""

import re
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot.clock import Clock
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.outbox.delivery import OutboundMessage
from bot.text.mrkdwn import counted
from bot.text.templating import render
from helpdesk.desks import is_agent, require_agent
from helpdesk.models import ACTIVE_STATUSES, Desk, HelpRequest, Rating, Status
from helpdesk.notices import Note, record_change
from helpdesk.sla import pause, resume
from helpdesk.views import PACKAGE, STATUS_LABELS, Renderer, RequestView, view_of

SLACK_USER = re.compile(r"[UW][A-Z0-9]{1,31}")


def load_request(*, session: Session, request_id: int) -> tuple[HelpRequest, Desk]:
    """A request, locked for the change, and its desk.

    Raises:
        NotFound: no such request.
    """
    request = session.get(HelpRequest, request_id, with_for_update=True)
    if request is None:
        raise NotFound(f"There is no request #{request_id}.")
    desk = session.get(Desk, request.desk_id)
    assert desk is not None
    return request, desk


def _load_as_agent(
    session: Session, request_id: int, actor: str, *, doing: str
) -> tuple[HelpRequest, Desk]:
    """A request an agent of its desk is changing (see `load_request`, `require_agent`)."""
    request, desk = load_request(session=session, request_id=request_id)
    require_agent(session=session, desk=desk, actor=actor, doing=doing)
    return request, desk


def _state(request: HelpRequest) -> str:
    return STATUS_LABELS[request.status].lower()


def claim(
    *, session: Session, clock: Clock, renderer: Renderer, actor: str, request_id: int
) -> RequestView:
    """An agent takes the request: it is theirs and in progress.

    Raises:
        PermissionDenied: not an agent of the desk.
        InvalidInput: the request is resolved or closed, or already theirs.
    """
    return assign(
        session=session,
        clock=clock,
        renderer=renderer,
        actor=actor,
        request_id=request_id,
        assignee=actor,
    )


def assign(
    *,
    session: Session,
    clock: Clock,
    renderer: Renderer,
    actor: str,
    request_id: int,
    assignee: str,
) -> RequestView:
    """An agent gives the request to an agent (themselves when claiming).

    Raises:
        PermissionDenied: the actor is not an agent.
        InvalidInput: the assignee is not an agent; the request is not active; no change.
    """
    request, desk = _load_as_agent(session, request_id, actor, doing="claim or assign requests")
    if not SLACK_USER.fullmatch(assignee):
        raise InvalidInput("Pick the person to assign it to in *Assign to…*.")
    if request.status not in ACTIVE_STATUSES:
        raise InvalidInput(f"Request #{request.id} is {_state(request)}; reopen it first.")
    if not is_agent(session=session, desk=desk, user_id=assignee):
        raise InvalidInput(f"<@{assignee}> is not a {desk.name} agent; pick someone in the desk.")
    if request.assignee_id == assignee and request.status == Status.IN_PROGRESS:
        raise InvalidInput(f"Request #{request.id} is already <@{assignee}>'s and in progress.")
    resume(session=session, request=request, desk=desk, now=clock.now())
    request.assignee_id = assignee
    request.status = Status.IN_PROGRESS
    text = (
        f"<@{actor}> took this request."
        if assignee == actor
        else f"<@{actor}> assigned this request to <@{assignee}>."
    )
    note = Note(actor=actor, text=text)
    return record_change(session=session, clock=clock, request=request, desk=desk, note=note)


def wait_on_requester(
    *, session: Session, clock: Clock, renderer: Renderer, actor: str, request_id: int
) -> RequestView:
    """An agent is waiting for the requester: the resolution clock stops until they reply.

    Raises:
        PermissionDenied: not an agent of the desk.
        InvalidInput: the request is neither open nor in progress.
    """
    request, desk = _load_as_agent(session, request_id, actor, doing="change a request's status")
    if request.status not in (Status.OPEN, Status.IN_PROGRESS):
        raise InvalidInput(
            f"Request #{request.id} is {_state(request)}; "
            "only open or in-progress requests can wait on the requester."
        )
    request.status = Status.WAITING
    if request.assignee_id is None:
        request.assignee_id = actor
    pause(request, clock.now())
    text = f"Waiting on <@{request.requester_id}>: please answer in this thread."
    note = Note(actor=actor, text=text)
    return record_change(session=session, clock=clock, request=request, desk=desk, note=note)


def resolve(
    *, session: Session, clock: Clock, renderer: Renderer, actor: str, request_id: int
) -> RequestView:
    """An agent resolves the request; the requester is asked to rate it (once).

    Raises:
        PermissionDenied: not an agent of the desk.
        InvalidInput: the request is already resolved or closed.
    """
    request, desk = _load_as_agent(session, request_id, actor, doing="resolve requests")
    if request.status not in ACTIVE_STATUSES:
        raise InvalidInput(f"Request #{request.id} is already {_state(request)}.")
    now = clock.now()
    resume(session=session, request=request, desk=desk, now=now)
    request.status = Status.RESOLVED
    request.resolved_at = now
    request.assignee_id = request.assignee_id or actor
    pause(request, now)
    rate: tuple[OutboundMessage, ...] = ()
    if session.get(Rating, request.id) is None:
        view = view_of(session=session, request=request)
        rate = (
            OutboundMessage(
                target=request.requester_id,
                text=render(PACKAGE, "rate.j2", view=view),
                blocks=renderer.rating_blocks(view),
                idempotency_key=f"helpdesk.r{request.id}.v{request.version + 1}.rate",
            ),
        )
    text = (
        f"<@{actor}> resolved this request. It closes by itself in "
        f"{counted(desk.close_after_days, 'day')} unless <@{request.requester_id}> reopens it."
    )
    note = Note(actor=actor, text=text, extra=rate)
    return record_change(session=session, clock=clock, request=request, desk=desk, note=note)


def reopen(
    *, session: Session, clock: Clock, renderer: Renderer, actor: str, request_id: int
) -> RequestView:
    """The requester or an agent reopens a resolved request.

    Raises:
        PermissionDenied: neither the requester nor an agent.
        InvalidInput: the request is not resolved (a closed one needs a new request).
    """
    request, desk = load_request(session=session, request_id=request_id)
    if actor != request.requester_id and not is_agent(session=session, desk=desk, user_id=actor):
        raise PermissionDenied(
            f"Only <@{request.requester_id}> (who asked) or a {desk.name} agent can reopen "
            f"request #{request.id}."
        )
    if request.status != Status.RESOLVED:
        hint = (
            " It is closed: open a new request with `/request " + desk.key + " ...`."
            if request.status == Status.CLOSED
            else ""
        )
        raise InvalidInput(
            f"Request #{request.id} is {_state(request)}; "
            f"only resolved requests can be reopened.{hint}"
        )
    resume(session=session, request=request, desk=desk, now=clock.now())
    request.status = Status.IN_PROGRESS if request.assignee_id else Status.OPEN
    request.resolved_at = None
    request.reopened += 1
    note = Note(actor=actor, text=f"<@{actor}> reopened this request.")
    return record_change(session=session, clock=clock, request=request, desk=desk, note=note)


def thread_reply(
    *,
    session: Session,
    clock: Clock,
    renderer: Renderer,
    channel_id: str,
    thread_ts: str,
    user_id: str,
) -> RequestView | None:
    """Someone wrote in a request's thread: the first agent reply is the first response; the
    requester answering a request that waits on them puts it back in progress.

    Returns:
        The request when it changed, else None (also for threads that are not requests).
    """
    request = session.exec(
        select(HelpRequest)
        .where(HelpRequest.channel_id == channel_id, HelpRequest.parent_ts == thread_ts)
        .with_for_update()
    ).first()
    if request is None:
        return None
    desk = session.get(Desk, request.desk_id)
    assert desk is not None
    now = clock.now()
    if (
        request.first_response_at is None
        and request.status in ACTIVE_STATUSES
        and is_agent(session=session, desk=desk, user_id=user_id)
    ):
        request.first_response_at = now
        request.version += 1
        session.add(request)
        return view_of(session=session, request=request)
    if request.status == Status.WAITING and user_id == request.requester_id:
        resume(session=session, request=request, desk=desk, now=now)
        request.status = Status.IN_PROGRESS
        note = Note(actor=user_id, text=f"<@{user_id}> answered; back in progress.")
        return record_change(session=session, clock=clock, request=request, desk=desk, note=note)
    return None


def close_resolved(*, session: Session, clock: Clock, renderer: Renderer) -> int:
    """Close requests resolved more than their desk's N days ago; returns how many."""
    now = clock.now()
    rows = session.exec(select(HelpRequest.id).where(HelpRequest.status == Status.RESOLVED)).all()
    closed = 0
    for request_id in rows:
        assert request_id is not None
        request, desk = load_request(session=session, request_id=request_id)
        if request.status != Status.RESOLVED or request.resolved_at is None:
            continue
        if request.resolved_at + timedelta(days=desk.close_after_days) > now:
            continue
        request.status = Status.CLOSED
        request.closed_at = now
        after = counted(desk.close_after_days, "day")
        note = Note(
            actor=request.assignee_id or request.requester_id,
            text=f"Closed automatically, {after} after it was resolved.",
            tell_requester=False,
        )
        record_change(session=session, clock=clock, request=request, desk=desk, note=note)
        closed += 1
    return closed


def close_instants(*, session: Session) -> list[datetime]:
    """When each resolved request closes itself."""
    resolved = select(HelpRequest, Desk).where(
        HelpRequest.status == Status.RESOLVED, HelpRequest.desk_id == Desk.id
    )
    return [
        request.resolved_at + timedelta(days=desk.close_after_days)
        for request, desk in session.exec(resolved)
        if request.resolved_at is not None
    ]
