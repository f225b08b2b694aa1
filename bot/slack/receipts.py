"""Receipts of interactions: a redelivered slash command, view submission or Socket Mode envelope
is recognised by its key and changes nothing twice, on both stores and across replicas.

Keys are hashed (Slack's ids can be long, and a view's values may be private) and kept in the
same table as inbound event ids, which the nightly clean-up already trims.
"""

import hashlib
import json
from typing import Any

from sqlalchemy import delete
from sqlmodel import col

from bot.clock import Clock
from bot.models import InboundEvent
from bot.slack.inbound import first_sighting
from bot.store import Store


def key_of(kind: str, *parts: Any) -> str:
    """A receipt key: the kind, then a hash of the parts (never their content)."""
    digest = hashlib.sha256(
        json.dumps(parts, sort_keys=True, default=str, separators=(",", ":")).encode()
    ).hexdigest()
    return f"{kind}:{digest[: 60 - len(kind)]}"


def claim(*, store: Store, clock: Clock, key: str) -> bool:
    """Record the key; True the first time, False when it was already claimed."""
    with store.unit_of_work() as session:
        return first_sighting(session=session, clock=clock, event_id=key)


def release(*, store: Store, key: str) -> None:
    """Forget a claimed key, so that the same interaction can be tried again (after a refusal)."""
    with store.unit_of_work() as session:
        session.execute(delete(InboundEvent).where(col(InboundEvent.event_id) == key))
