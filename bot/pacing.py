"""Token buckets kept in the store, so that every replica draws on one budget per Slack limit class."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from bot.models import RateBucket

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


def _locked_bucket(session: Session, name: str, now: datetime, capacity: float) -> RateBucket:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(RateBucket) if dialect == "postgresql" else sqlite.insert(RateBucket)
    session.execute(
        insert.values(name=name, tokens=capacity, refreshed_at=now).on_conflict_do_nothing(
            index_elements=["name"]
        )
    )
    query = select(RateBucket).where(RateBucket.name == name)
    if dialect == "postgresql":
        # Replicas queue here for the bucket; SQLite's BEGIN IMMEDIATE already serialises writers.
        query = query.with_for_update()
    return session.exec(query.execution_options(populate_existing=True)).one()


def take(
    session: Session,
    *,
    name: str,
    now: datetime,
    rate_per_second: float,
    capacity: float,
    wanted: int,
) -> int:
    """Take up to `wanted` tokens from the bucket `name`; returns how many were granted (maybe 0)."""
    bucket = _locked_bucket(session, name, now, capacity)
    if bucket.paused_until is not None and bucket.paused_until > now:
        return 0
    elapsed = max(0.0, (now - bucket.refreshed_at).total_seconds())
    tokens = min(capacity, bucket.tokens + elapsed * rate_per_second)
    granted = max(0, min(wanted, int(tokens)))
    bucket.tokens = tokens - granted
    bucket.refreshed_at = now
    session.add(bucket)
    return granted


def give_back(session: Session, *, name: str, now: datetime, capacity: float, count: int) -> None:
    """Return tokens taken but not used (fewer rows were ready than the bucket allowed)."""
    if count <= 0:
        return
    bucket = _locked_bucket(session, name, now, capacity)
    bucket.tokens = min(capacity, bucket.tokens + count)
    session.add(bucket)


def pause(session: Session, *, name: str, now: datetime, until: datetime, capacity: float) -> None:
    """Stop every replica from drawing on `name` until `until` (Slack answered 429 Retry-After)."""
    bucket = _locked_bucket(session, name, now, capacity)
    if bucket.paused_until is None or bucket.paused_until < until:
        bucket.paused_until = until
    bucket.tokens = 0.0
    bucket.refreshed_at = until
    session.add(bucket)


def seconds_until_token(
    session: Session, *, name: str, now: datetime, rate_per_second: float
) -> float:
    """How long until the bucket can grant a token again (0 when it can now)."""
    bucket = session.get(RateBucket, name)
    if bucket is None:
        return 0.0
    if bucket.paused_until is not None and bucket.paused_until > now:
        return (bucket.paused_until - now).total_seconds()
    elapsed = max(0.0, (now - bucket.refreshed_at).total_seconds())
    missing = 1.0 - (bucket.tokens + elapsed * rate_per_second)
    return max(0.0, missing / rate_per_second) if rate_per_second > 0 else 1.0
