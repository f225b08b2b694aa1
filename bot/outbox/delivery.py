"""The delivery outbox for the domain: enqueue messages (one or a batch), follow a campaign's progress.

Features never call chat.postMessage themselves: they write rows here, in their own transaction, and
the sender (bot/outbox/sender.py) posts each row exactly once, paced to Slack's limits.
"""

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.errors import InvalidInput, NotFound
from bot.models import Campaign, Delivery
from bot.store import insert_ignore

TARGET = re.compile(r"^[CGDUW][A-Z0-9]{2,31}$")
MAX_TEXT = 40_000
MAX_BLOCKS = 50
MAX_KEY = 255

PENDING, SENDING, SENT, FAILED, CANCELLED = "pending", "sending", "sent", "failed", "cancelled"


@dataclass(frozen=True)
class OutboundMessage:
    """One message to post: already rendered, addressed, and keyed so that it is posted once.

    Attributes:
        target: a channel id (C..., G..., D...) or a user id (U..., W...) for a DM.
        text: the message text (also the notification and screen-reader text when blocks are given).
        idempotency_key: enqueueing the same key again is a no-op.
        blocks: Block Kit blocks as dicts, or None.
        thread_ts: post as a reply in this existing thread.
        parent_key: post as a reply to another delivery (by its key); waits until that one is posted.
        not_before: do not post before this instant.
    """

    target: str
    text: str
    idempotency_key: str
    blocks: Sequence[dict[str, Any]] | None = None
    thread_ts: str | None = None
    parent_key: str | None = None
    not_before: datetime | None = None


@dataclass(frozen=True)
class EnqueueResult:
    """How many of a batch were new, and how many were already in the outbox."""

    added: int
    duplicates: int


@dataclass(frozen=True)
class CampaignProgress:
    """Where a fan-out stands."""

    campaign_id: str
    kind: str
    title: str
    owner_user_id: str | None
    created_at: datetime
    total: int
    sent: int
    pending: int
    failed: int
    cancelled: int
    failures: dict[str, int] = field(default_factory=dict)
    rate_per_minute: float = 0.0
    eta: timedelta | None = None

    @property
    def done(self) -> bool:
        """Nothing is left to post."""
        return self.pending == 0


def validate(message: OutboundMessage) -> list[str]:
    """Every reason Slack would refuse this message, in words for the author; empty when it is fine."""
    problems: list[str] = []
    where = f"message {message.idempotency_key!r}"
    if not TARGET.match(message.target or ""):
        problems.append(
            f"{where}: target {message.target!r} is not a Slack channel id (C..., G..., D...) "
            "or user id (U..., W...)."
        )
    if not message.idempotency_key or len(message.idempotency_key) > MAX_KEY:
        problems.append(f"{where}: the idempotency key must be 1 to {MAX_KEY} characters.")
    if not (message.text or "").strip() and not message.blocks:
        problems.append(f"{where}: the message is empty; give it text or blocks.")
    if len(message.text or "") > MAX_TEXT:
        problems.append(
            f"{where}: the text has {len(message.text):,} characters; Slack takes at most {MAX_TEXT:,}."
        )
    if message.thread_ts and message.parent_key:
        problems.append(f"{where}: give thread_ts or parent_key, not both.")
    blocks = list(message.blocks or [])
    if len(blocks) > MAX_BLOCKS:
        problems.append(
            f"{where}: {len(blocks)} blocks; a Slack message holds at most {MAX_BLOCKS}."
        )
    for index, raw in enumerate(blocks):
        try:
            parsed = Block.parse(raw)
            if parsed is None:
                raise SlackObjectFormationError(f"unknown block type {raw.get('type')!r}")
            parsed.validate_json()
        except (SlackObjectFormationError, AttributeError, TypeError, ValueError) as error:
            problems.append(f"{where}: block {index + 1} is not valid Block Kit: {error}")
    return problems


def open_campaign(
    *,
    session: Session,
    clock: Clock,
    campaign_id: str,
    kind: str,
    title: str,
    owner_user_id: str | None = None,
) -> Campaign:
    """The campaign with this id, created if new (so a retried job does not fail on it)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        campaign = Campaign(
            id=campaign_id,
            kind=kind,
            title=title[:255],
            owner_user_id=owner_user_id,
            created_at=clock.now(),
        )
        session.add(campaign)
        session.flush()
    return campaign


def enqueue(
    *,
    session: Session,
    clock: Clock,
    campaign_id: str,
    messages: Iterable[OutboundMessage],
    chunk_size: int = 500,
    kind: str | None = None,
    title: str = "",
    owner_user_id: str | None = None,
) -> EnqueueResult:
    """Add messages to the outbox, in the caller's transaction: all of them or none.

    Args:
        session: the caller's unit of work; nothing is committed here.
        clock: for created_at and the default not_before.
        campaign_id: an existing campaign (see `open_campaign`).
        messages: any iterable; it is consumed in chunks, so a generator of 100,000 recipients
            never sits in memory at once.
        chunk_size: rows written per statement.
        kind: when given, the campaign is opened first (with `title` and `owner_user_id`) if it
            does not exist yet; otherwise it must exist already.

    Returns:
        How many were added, and how many keys were already there.

    Raises:
        InvalidInput: a message is empty, too large, or badly addressed; nothing is written.
        NotFound: the campaign does not exist.
    """
    if kind is not None:
        open_campaign(
            session=session,
            clock=clock,
            campaign_id=campaign_id,
            kind=kind,
            title=title,
            owner_user_id=owner_user_id,
        )
    elif session.get(Campaign, campaign_id) is None:
        raise NotFound(f"There is no delivery campaign {campaign_id!r}.")
    added = duplicates = 0
    chunk: list[OutboundMessage] = []
    for message in messages:
        chunk.append(message)
        if len(chunk) >= chunk_size:
            a, d = _insert_chunk(session, clock, campaign_id, chunk)
            added, duplicates, chunk = added + a, duplicates + d, []
    if chunk:
        a, d = _insert_chunk(session, clock, campaign_id, chunk)
        added, duplicates = added + a, duplicates + d
    return EnqueueResult(added=added, duplicates=duplicates)


def _insert_chunk(
    session: Session, clock: Clock, campaign_id: str, chunk: list[OutboundMessage]
) -> tuple[int, int]:
    problems = [p for m in chunk for p in validate(m)]
    if problems:
        shown = problems[:5] + ([f"... and {len(problems) - 5} more"] if len(problems) > 5 else [])
        # Raising here makes the caller's unit of work roll back: the batch is all or nothing.
        raise InvalidInput("Nothing was sent: " + " ".join(shown))
    now = clock.now()
    rows = [
        {
            "idempotency_key": m.idempotency_key,
            "campaign_id": campaign_id,
            "target": m.target,
            "text": m.text,
            "blocks": json.dumps(list(m.blocks)) if m.blocks else None,
            "thread_ts": m.thread_ts,
            "state": PENDING,
            "not_before": m.not_before or now,
            "attempts": 0,
            "in_doubt": False,
            "created_at": now,
        }
        for m in chunk
    ]
    statement = insert_ignore(session, Delivery, ["idempotency_key"]).returning(
        col(Delivery.idempotency_key)
    )
    inserted = set(session.execute(statement, rows).scalars().all())
    children = [m for m in chunk if m.parent_key and m.idempotency_key in inserted]
    for child in children:
        parent_id = session.exec(
            select(Delivery.id).where(Delivery.idempotency_key == child.parent_key)
        ).first()
        if parent_id is None:
            raise InvalidInput(
                f"Nothing was sent: message {child.idempotency_key!r} replies to "
                f"{child.parent_key!r}, which is not in the outbox."
            )
        session.execute(
            update(Delivery)
            .where(col(Delivery.idempotency_key) == child.idempotency_key)
            .values(parent_id=parent_id)
        )
    return len(inserted), len(chunk) - len(inserted)


def progress(
    *, session: Session, clock: Clock, campaign_id: str, budget_per_minute: int
) -> CampaignProgress:
    """Counts by state, failure reasons, the rate of the last minute and the time left.

    Raises:
        NotFound: no such campaign.
    """
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(
            f"There is no delivery campaign {campaign_id!r}; `commons outbox list` shows them."
        )
    counts = dict(
        session.execute(
            select(Delivery.state, func.count())
            .where(Delivery.campaign_id == campaign_id)
            .group_by(Delivery.state)
        ).all()
    )
    failures = dict(
        session.execute(
            select(Delivery.error, func.count())
            .where(Delivery.campaign_id == campaign_id, Delivery.state == FAILED)
            .group_by(Delivery.error)
        ).all()
    )
    now = clock.now()
    recent = session.exec(
        select(func.count()).where(
            Delivery.campaign_id == campaign_id,
            Delivery.state == SENT,
            col(Delivery.sent_at) > now - timedelta(minutes=1),
        )
    ).one()
    pending = int(counts.get(PENDING, 0)) + int(counts.get(SENDING, 0))
    rate = float(recent)
    pace = rate if rate > 0 else float(budget_per_minute)
    eta = timedelta(minutes=pending / pace) if pending and pace > 0 else None
    return CampaignProgress(
        campaign_id=campaign.id,
        kind=campaign.kind,
        title=campaign.title,
        owner_user_id=campaign.owner_user_id,
        created_at=campaign.created_at,
        total=sum(int(v) for v in counts.values()),
        sent=int(counts.get(SENT, 0)),
        pending=pending,
        failed=int(counts.get(FAILED, 0)),
        cancelled=int(counts.get(CANCELLED, 0)),
        failures={str(k): int(v) for k, v in failures.items()},
        rate_per_minute=rate,
        eta=eta,
    )


def recent_campaigns(*, session: Session, limit: int = 20) -> list[str]:
    """Ids of the newest campaigns, newest first."""
    return list(
        session.exec(
            select(Campaign.id).order_by(col(Campaign.created_at).desc()).limit(limit)
        ).all()
    )


def retry_failed(*, session: Session, clock: Clock, campaign_id: str) -> int:
    """Put a campaign's failed deliveries back in the queue; returns how many."""
    if session.get(Campaign, campaign_id) is None:
        raise NotFound(f"There is no delivery campaign {campaign_id!r}.")
    result = session.execute(
        update(Delivery)
        .where(col(Delivery.campaign_id) == campaign_id, col(Delivery.state) == FAILED)
        .values(state=PENDING, not_before=clock.now(), attempts=0, error=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def cancel_pending(*, session: Session, campaign_id: str) -> int:
    """Cancel what a campaign has not posted yet (a post already under way still lands)."""
    if session.get(Campaign, campaign_id) is None:
        raise NotFound(f"There is no delivery campaign {campaign_id!r}.")
    result = session.execute(
        update(Delivery)
        .where(col(Delivery.campaign_id) == campaign_id, col(Delivery.state) == PENDING)
        .values(state=CANCELLED, error="cancelled")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
