"""The help desks' tick: record where parent messages landed (and DM the requester a link), edit
parents that show an older state, warn and escalate on SLAs, and close resolved requests.

Every replica runs the same tick. What each step sends is keyed (SLA alerts by a unique row and
outbox idempotency keys, DMs by request), so nothing is sent twice; editing a parent twice with
the same content is harmless.
"""

import logging
from datetime import datetime
from typing import Any, Protocol

from bot.clock import Clock
from bot.services import Tick
from bot.store import Store
from helpdesk import parents, requests, sla
from helpdesk.views import Renderer

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
        posted = parents.posted_parents(session=session)
    for request_id, channel_id, ts in posted:
        link = slack.permalink(channel_id, ts)
        with store.unit_of_work() as session:
            parents.record_parent(
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
        edits = parents.parents_to_edit(session=session, renderer=renderer)
    for edit in edits:
        if not slack.update(edit.channel_id, edit.ts, edit.text, edit.blocks):
            logger.warning("could not edit the parent of request %s", edit.request_id)
        # Recorded even when refused (a deleted parent): retrying forever would help nobody.
        with store.unit_of_work() as session:
            parents.parent_edited(session=session, request_id=edit.request_id, version=edit.version)
    return len(edits)


def run(*, store: Store, clock: Clock, slack: Messages, renderer: Renderer) -> None:
    """One tick: parents, SLAs, closing, then the edits those caused."""
    record_parents(store=store, clock=clock, slack=slack)
    with store.unit_of_work() as session:
        sla.check_slas(session=session, clock=clock)
    with store.unit_of_work() as session:
        requests.close_resolved(session=session, clock=clock, renderer=renderer)
    edit_parents(store=store, slack=slack, renderer=renderer)


def next_due(*, store: Store, clock: Clock) -> datetime | None:
    """The next instant after now at which time alone gives the tick work: an SLA warning or
    breach not yet sent, or a resolved request's automatic close; None when there is none."""
    now = clock.now()
    with store.unit_of_work(write=False) as session:
        instants = [
            *sla.alert_instants(session=session),
            *requests.close_instants(session=session),
        ]
    later = [instant for instant in instants if instant > now]
    return min(later, default=None)


def tick(*, store: Store, clock: Clock, slack: Messages, renderer: Renderer) -> Tick:
    """The periodic job to register in services.ticks."""
    return Tick(
        job_id=TICK_ID,
        func=lambda: run(store=store, clock=clock, slack=slack, renderer=renderer),
        interval_seconds=TICK_SECONDS,
        next_due=lambda: next_due(store=store, clock=clock),
    )
