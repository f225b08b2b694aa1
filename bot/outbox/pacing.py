"""Token buckets kept in the store, so that every replica draws on one budget per Slack limit class."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update
from sqlmodel import col

from bot.models import RateBucket
from bot.store import insert_ignore

POST_MESSAGE = "chat.postMessage"


@dataclass(frozen=True)
class PostLimits:
    """How fast Commons posts: a workspace budget and a per-channel interval (SLACK.md)."""

    per_minute: int = 300
    burst_seconds: float = 2.0
    channel_interval: timedelta = timedelta(seconds=1)

    @property
    def rate_per_second(self) -> float:
        return self.per_minute / 60.0

    @property
    def capacity(self) -> float:
        """The most tokens a bucket holds: a short burst, never more than a few seconds' worth."""
        return max(1.0, self.rate_per_second * self.burst_seconds)


@dataclass
class Bucket:
    """One bucket, read under its lock: change it in memory, then `save` it in the same transaction."""

    name: str
    tokens: float
    refreshed_at: datetime
    paused_until: datetime | None

    def refill(self, *, now: datetime, rate_per_second: float, capacity: float) -> float:
        """Bring the tokens up to `now`; returns how many may be taken now (0 while paused)."""
        elapsed = max(0.0, (now - self.refreshed_at).total_seconds())
        self.tokens = min(capacity, self.tokens + elapsed * rate_per_second)
        self.refreshed_at = max(now, self.refreshed_at)
        if self.paused_until is not None and self.paused_until > now:
            return 0.0
        return self.tokens


def lock(connection: Connection, *, name: str, now: datetime, capacity: float) -> Bucket:
    """Read the bucket `name` for update, creating it full if it does not exist yet.

    On PostgreSQL replicas queue here (SELECT ... FOR UPDATE); on SQLite the write transaction's
    BEGIN IMMEDIATE already serialises them.
    """
    postgres = connection.dialect.name == "postgresql"
    query = select(
        col(RateBucket.tokens), col(RateBucket.refreshed_at), col(RateBucket.paused_until)
    ).where(col(RateBucket.name) == name)
    if postgres:
        query = query.with_for_update()
    row = connection.execute(query).first()
    if row is None:
        connection.execute(
            insert_ignore(
                connection, RateBucket, ["name"], name=name, tokens=capacity, refreshed_at=now
            )
        )
        row = connection.execute(query).one()
    return Bucket(name, float(row.tokens), row.refreshed_at, row.paused_until)


def save(connection: Connection, bucket: Bucket) -> None:
    """Write back a bucket read with `lock`."""
    connection.execute(
        update(RateBucket)
        .where(col(RateBucket.name) == bucket.name)
        .values(
            tokens=bucket.tokens,
            refreshed_at=bucket.refreshed_at,
            paused_until=bucket.paused_until,
        )
    )


def pause(
    connection: Connection, *, name: str, now: datetime, until: datetime, capacity: float
) -> None:
    """Stop every replica from drawing on `name` until `until` (Slack answered 429 Retry-After)."""
    bucket = lock(connection, name=name, now=now, capacity=capacity)
    if bucket.paused_until is None or bucket.paused_until < until:
        bucket.paused_until = until
    bucket.tokens = 0.0
    bucket.refreshed_at = max(until, bucket.refreshed_at)
    save(connection, bucket)
