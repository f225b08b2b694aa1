"""The help desks' tick: record where parent messages landed (and DM the requester a link), edit
parents that show an older state, warn and escalate on SLAs, and close resolved requests.

Every replica runs the same tick. What each step sends is keyed (SLA alerts by a unique row and
outbox idempotency keys, DMs by request), so nothing is sent twice; editing a parent twice with
the same content is harmless.
"""

import logging
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.errors import InvalidInput
from bot.services import Tick
from bot.store import Store
from helpdesk import hours as bh
from helpdesk import service
from helpdesk.models import ACTIVE_STATUSES, Desk, HelpRequest, SlaAlert, Status
from helpdesk.service import Renderer

logger = logging.getLogger("commons.helpdesk")

TICK_ID = "helpdesk.tick"
TICK_SECONDS = 2.0  # parents are edited and links sent soon after a change, yet cheaply


class Messages(Protocol):
    """The two Slack calls the tick needs, for one message each."""

    def permalink(self, channel_id: str, ts: str) -> str:
        """A link to a message (chat.getPermalink)."""
        ...

    def update(self, channel_id: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> bool:
        """Replace a message's content (chat.update); False when Slack refused it."""
        ...


def record_parents(*, store: Store, clock: Clock, slack: Messages) -> int:
    """Note the channel and ts of newly posted parents and DM each requester a link."""
    with store.unit_of_work(write=False) as session:
        posted = service.posted_parents(session=session)
    for request_id, channel_id, ts in posted:
        link = slack.permalink(channel_id, ts)
        with store.unit_of_work() as session:
            service.record_parent(
                session=session,
                clock=clock,
                request_id=request_id,
                channel_id=channel_id,
                ts=ts,
                permalink=link,
            )
    return len(posted)


def edit_parents(*, store: Store, slack: Messages, renderer: Renderer) -> int:
    """Bring parent messages up to their request's state; returns how many were edited."""
    with store.unit_of_work(write=False) as session:
        edits = service.parents_to_edit(session=session, renderer=renderer)
    for edit in edits:
        if not slack.update(edit.channel_id, edit.ts, edit.text, edit.blocks):
            logger.warning("could not edit the parent of request %s", edit.request_id)
        # Recorded even when refused (a deleted parent): retrying forever would help nobody.
        with store.unit_of_work() as session:
            service.parent_edited(session=session, request_id=edit.request_id, version=edit.version)
    return len(edits)


def run(*, store: Store, clock: Clock, slack: Messages, renderer: Renderer) -> None:
    """One tick: parents, SLAs, closing, then the edits those caused."""
    record_parents(store=store, clock=clock, slack=slack)
    with store.unit_of_work() as session:
        service.check_slas(session=session, clock=clock)
    with store.unit_of_work() as session:
        service.close_resolved(session=session, clock=clock, renderer=renderer)
    edit_parents(store=store, slack=slack, renderer=renderer)


def next_due(*, store: Store, clock: Clock) -> datetime | None:
    """The next instant after now at which time alone gives the tick work: an SLA warning or
    breach not yet sent, or a resolved request's automatic close; None when there is none."""
    now = clock.now()
    with store.unit_of_work(write=False) as session:
        instants = [*_sla_instants(session), *_close_instants(session)]
    later = [instant for instant in instants if instant > now]
    return min(later, default=None)


def _sla_instants(session: Session) -> list[datetime]:
    alerted = {
        (alert.request_id, alert.target, alert.level) for alert in session.exec(select(SlaAlert))
    }
    found: list[datetime] = []
    desks: dict[int, tuple[Desk, bh.BusinessHours]] = {}
    active = select(HelpRequest).where(col(HelpRequest.status).in_(ACTIVE_STATUSES))
    for request in session.exec(active):
        if request.desk_id not in desks:
            desk = session.get(Desk, request.desk_id)
            assert desk is not None
            desks[request.desk_id] = (desk, service.business_hours(session=session, desk=desk))
        desk, hours = desks[request.desk_id]
        first, resolution = service.sla_targets(
            session=session, desk=desk, priority=request.priority
        )
        # (target, limit, paused): the resolution clock stops while the requester is asked.
        targets: list[tuple[str, float, float]] = []
        if request.first_response_at is None:
            targets.append((service.FIRST_RESPONSE, first * 60.0, 0.0))
        if request.status != Status.WAITING:  # a request waiting on its requester is paused
            targets.append((service.RESOLUTION, resolution * 60.0, request.paused_seconds))
        for target, limit, paused in targets:
            for level, share in ((service.WARNING, service.WARNING_SHARE), (service.BREACH, 1.0)):
                if (request.id, target, level) in alerted:
                    continue
                try:
                    spent = share * limit + paused
                    found.append(bh.add_business_seconds(hours, request.created_at, spent))
                except InvalidInput:  # a desk with no working time: its SLAs never come due
                    continue
    return found


def _close_instants(session: Session) -> list[datetime]:
    resolved = select(HelpRequest, Desk).where(
        HelpRequest.status == Status.RESOLVED, HelpRequest.desk_id == Desk.id
    )
    return [
        request.resolved_at + timedelta(days=desk.close_after_days)
        for request, desk in session.exec(resolved)
        if request.resolved_at is not None
    ]


def tick(*, store: Store, clock: Clock, slack: Messages, renderer: Renderer) -> Tick:
    """The periodic job to register in services.ticks."""
    return Tick(
        job_id=TICK_ID,
        func=lambda: run(store=store, clock=clock, slack=slack, renderer=renderer),
        interval_seconds=TICK_SECONDS,
        next_due=lambda: next_due(store=store, clock=clock),
    )
