"""Inbound de-duplication: an Events API event is acted on once per event_id, whatever Slack retries."""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import BoltResponse
from sqlalchemy import delete
from sqlmodel import Session, col

from bot.clock import Clock
from bot.models import InboundEvent
from bot.services import Services
from bot.store import insert_ignore

logger = logging.getLogger("commons.inbound")

KEEP = timedelta(days=1)  # Slack's last retry comes about 5 minutes after the first delivery


def first_sighting(*, session: Session, clock: Clock, event_id: str) -> bool:
    """Record the event id; True the first time it is seen, False for any repeat."""
    statement = insert_ignore(
        session, InboundEvent, ["event_id"], event_id=event_id[:64], received_at=clock.now()
    ).returning(col(InboundEvent.event_id))
    return session.execute(statement).first() is not None


def forget_old(*, session: Session, clock: Clock) -> int:
    """Drop event ids older than any retry could be; returns how many."""
    result = session.execute(
        delete(InboundEvent).where(col(InboundEvent.received_at) < clock.now() - KEEP)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def dedupe_middleware(services: Services) -> Callable[..., BoltResponse | None]:
    """A Bolt global middleware that acknowledges a repeated event and goes no further."""

    # Bolt passes arguments by name, so the continuation must be called `next`.
    def dedupe_events(
        body: dict[str, Any], next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and event_id:
            with services.store.unit_of_work() as session:
                fresh = first_sighting(session=session, clock=services.clock, event_id=event_id)
            if not fresh:
                logger.info("event %s was already handled; ignoring Slack's retry", event_id)
                return BoltResponse(status=200, body="")
        return next()

    return dedupe_events
