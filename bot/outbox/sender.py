"""The sender: claims leased batches from the outbox and posts each message exactly once, paced.

Exactly once rests on three things. A claim is a lease, so a crashed sender's rows come back. Just
before a post the row is marked in doubt (committed), and every post carries the row's key in its
message metadata; a row found in doubt later (a crash, a lost response) is looked up in the
conversation's history before it is posted again. And slack_sdk's automatic retries are off for
posts, so nothing re-sends behind our back.

Posts go out a few at a time (`SenderConfig.concurrency`): Slack answers a post in a few hundred
milliseconds, and the budget, not the round trip, should set the pace.
"""

import http.client
import json
import logging
import math
import random
import socket
import threading
import time
import urllib.error
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Connection, Row, Select, bindparam, delete, or_, select, update
from sqlmodel import col

from bot.clock import Clock
from bot.models import ChannelPace, Delivery
from bot.outbox import pacing
from bot.outbox.delivery import FAILED, PENDING, SENDING, SENT
from bot.store import Store, upsert

logger = logging.getLogger("commons.sender")

METADATA_EVENT = "commons_delivery"

# Slack will never accept these as they are: fail the row and show the reason to its author.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "is_archived",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "not_in_channel",
        "cannot_dm_bot",
        "user_disabled",
        "restricted_action",
        "too_many_attachments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "messages_tab_disabled",
        "invalid_arguments",
        "ekm_access_denied",
        "team_access_not_granted",
    }
)
# The app itself cannot post (a revoked token, a missing scope): pause everything, fail nothing.
APP_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "not_allowed_token_type",
    }
)
NETWORK_ERRORS = (
    urllib.error.URLError,
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
    socket.timeout,
)

Checkpoint = Callable[[str], None]
# How often a sender looks for rows whose lease ran out (their sender died) to put them back.
RELEASE_EVERY = timedelta(seconds=5)


def _no_checkpoint(point: str) -> None:
    """Production runs have no crash points; tests pass one that kills the process."""


# Slack answers a post in about this long (seconds); see SenderConfig.for_limits.
POST_ROUND_TRIP = 0.25
MAX_IN_FLIGHT = 32


@dataclass(frozen=True)
class SenderConfig:
    """How the sender claims, posts and retries."""

    limits: pacing.PostLimits = field(default_factory=pacing.PostLimits)
    batch_size: int = 20
    # Posts in flight at once (see for_limits); the budget, not this, sets the pace.
    concurrency: int = 3
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 8
    app_error_pause: timedelta = timedelta(minutes=5)
    # How far back an in-doubt row is looked for: pages of 200 of the conversation's newest messages.
    history_pages: int = 5

    @classmethod
    def for_limits(cls, limits: pacing.PostLimits) -> "SenderConfig":
        """What a sender needs to keep up with `limits`.

        One post at a time would cap a sender at about four a second (240 a minute) whatever the
        budget, so twice as many posts as the budget allows per round trip are kept in flight:
        3 at the default 300 a minute, 32 (the most) from 3,840 a minute. A batch holds two waves
        at least.
        """
        in_flight = min(
            MAX_IN_FLIGHT, max(2, math.ceil(2 * limits.rate_per_second * POST_ROUND_TRIP))
        )
        return cls(limits=limits, concurrency=in_flight, batch_size=max(20, 2 * in_flight))


@dataclass(frozen=True)
class Claimed:
    """A row this sender holds the lease of, with what it needs to post it."""

    id: int
    key: str
    target: str
    text: str
    blocks: list[dict[str, Any]] | None
    thread_ts: str | None
    in_doubt: bool
    attempts: int
    channel: str | None
    last_attempt_at: datetime | None


@dataclass(frozen=True)
class _Sent:
    """Where Slack put a message (from a post's response or from a history lookup)."""

    channel: str
    ts: str


_NOT_FOUND = object()
_Result = TypeVar("_Result")


class Sender:
    """Posts what the outbox holds. One per process; any number of processes may run.

    A claimed batch is posted in waves of up to `concurrency` rows. One transaction per wave
    records the previous wave's outcomes and marks this wave in doubt; then its posts go out
    together. So after a crash at most one wave is in doubt, and the store writes once per wave.
    """

    def __init__(
        self,
        store: Store,
        client: WebClient,
        clock: Clock,
        *,
        owner: str,
        config: SenderConfig | None = None,
        checkpoint: Checkpoint = _no_checkpoint,
    ) -> None:
        self.store = store
        self.client = client
        self.clock = clock
        self.owner = owner
        self.config = config or SenderConfig.for_limits(pacing.PostLimits())
        if self.config.concurrency < 1 or self.config.batch_size < 1:
            raise ValueError("a sender needs a batch size and a concurrency of at least 1")
        self.checkpoint = checkpoint
        # Posts' outcomes not yet committed: they go with the next wave's transaction.
        self._sent: list[tuple[Claimed, _Sent]] = []
        self._paused_until: datetime | None = None
        self._released_at: datetime | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def close(self) -> None:
        """Stop the posting threads (after the posts under way)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    # -- the loop ------------------------------------------------------------------------------

    def drain(self, max_seconds: float = 1.0) -> int:
        """Post what may be posted now, for at most about `max_seconds`; returns how many rows moved.

        The scheduler calls this every tick; when the budget is spent it returns, and the next tick
        picks up where it left off. Nothing sleeps on a rate limit.
        """
        deadline = time.monotonic() + max_seconds
        handled = 0
        try:
            while time.monotonic() < deadline:
                # The last posts' outcomes go with the next claim's transaction.
                done = self.run_once(flush=False)
                if done == 0:
                    break
                handled += done
        finally:
            self._flush_sent()
        return handled

    def run_once(self, *, flush: bool = True) -> int:
        """Claim one batch and post it; returns the number of rows claimed.

        With `flush=False` the outcomes of the batch's last posts are left for the next claim (or
        `drain`) to commit: one transaction fewer per batch. Until then those rows are in doubt.
        """
        claimed = self.claim()
        if claimed:
            self.checkpoint("claimed")
        self._paused_until = None
        wave_size = self.config.concurrency
        try:
            for start in range(0, len(claimed), wave_size):
                if self._paused_until is not None:
                    # Slack said wait: the rest of the batch waits too, unposted and not in doubt.
                    for rest in claimed[start:]:
                        self._requeue(
                            rest,
                            "ratelimited",
                            doubt=rest.in_doubt,
                            not_before=self._paused_until,
                            count_attempt=False,
                        )
                    break
                self._post_wave(
                    claimed[start : start + wave_size], later=claimed[start + wave_size :]
                )
        except BaseException:
            self._flush_sent()
            raise
        if flush:
            self._flush_sent()
        return len(claimed)

    # -- claiming ------------------------------------------------------------------------------

    def claim(self) -> list[Claimed]:
        """Lease up to a batch of due rows that the budget and the channels' pace allow.

        One short write transaction of a handful of statements, whatever the batch size.
        """
        limits = self.config.limits
        now = self.clock.now()
        with self.store.write_transaction() as connection:
            self._write_sent(connection, now)
            if self._released_at is None or now - self._released_at >= RELEASE_EVERY:
                self._release_expired(connection, now)
                self._released_at = now
            bucket = pacing.lock(
                connection, name=pacing.POST_MESSAGE, now=now, capacity=limits.capacity
            )
            available = bucket.refill(
                now=now, rate_per_second=limits.rate_per_second, capacity=limits.capacity
            )
            wanted = min(self.config.batch_size, int(available))
            if wanted <= 0:
                return []
            query = _due_rows(now, limit=wanted * 4)
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True, of=Delivery)
            chosen = _one_per_channel(connection.execute(query).all(), wanted)
            if not chosen:
                return []
            bucket.tokens -= len(chosen)
            pacing.save(connection, bucket)
            connection.execute(
                update(Delivery)
                .where(col(Delivery.id).in_([row.id for row in chosen]))
                .values(
                    state=SENDING,
                    lease_owner=self.owner,
                    lease_expires_at=now + self.config.lease,
                    attempts=col(Delivery.attempts) + 1,
                    last_attempt_at=now,
                )
            )
            self._set_pace(connection, now, {row.target for row in chosen})
            return [_claimed(row, now) for row in chosen]

    def _release_expired(self, connection: Connection, now: datetime) -> None:
        """Rows whose sender vanished go back to the queue (still in doubt if a post was under way)."""
        connection.execute(
            update(Delivery)
            .where(col(Delivery.state) == SENDING, col(Delivery.lease_expires_at) < now)
            .values(state=PENDING, lease_owner=None, lease_expires_at=None)
        )

    def _set_pace(self, connection: Connection, now: datetime, targets: set[str]) -> None:
        next_at = now + self.config.limits.channel_interval
        statement = upsert(
            connection,
            ChannelPace,
            ["target"],
            ["next_at"],
            target=bindparam("pace_target"),
            next_at=bindparam("pace_at"),
        )
        connection.execute(
            statement, [{"pace_target": target, "pace_at": next_at} for target in sorted(targets)]
        )
        if random.random() < 0.01:  # now and then, forget channels nobody has posted to lately
            connection.execute(
                delete(ChannelPace).where(col(ChannelPace.next_at) < now - timedelta(hours=1))
            )

    # -- posting -------------------------------------------------------------------------------

    def _post_wave(self, wave: list[Claimed], *, later: list[Claimed]) -> None:
        """Post up to `concurrency` rows together, each at most once."""
        to_post: list[Claimed] = []
        doubtful = [row for row in wave if row.in_doubt]
        for row, found in zip(doubtful, self._together(self._find_posted, doubtful), strict=True):
            if isinstance(found, _Sent):
                logger.info("delivery %s was already in Slack; recorded without re-posting", row.id)
                self._sent.append((row, found))
            elif found is _NOT_FOUND:
                to_post.append(row)
            else:
                reason = _describe(found)
                self._requeue(row, f"history lookup failed: {reason}", doubt=True)
        to_post += [row for row in wave if not row.in_doubt]
        to_post = self._mark_in_doubt(to_post, later)
        responses = self._together(self._post, to_post)
        for row, response in zip(to_post, responses, strict=True):
            if isinstance(response, _Sent):
                self.checkpoint("posted")
                self._sent.append((row, response))
            elif isinstance(response, SlackApiError):
                self._on_api_error(row, response)
            else:
                # The message may or may not be in Slack: it stays in doubt and is looked up first.
                reason = _describe(response)
                logger.warning(
                    "delivery %s: no answer from Slack (%s); will check before re-posting",
                    row.id,
                    reason,
                    exc_info=None if isinstance(response, NETWORK_ERRORS) else response,
                )
                self._requeue(row, f"connection: {reason}", doubt=True)

    def _together(
        self, call: Callable[[Claimed], _Result], rows: list[Claimed]
    ) -> list[_Result | BaseException]:
        """`call` for each row, at once on the posting threads; an exception is returned, not raised."""

        def guarded(row: Claimed) -> _Result | BaseException:
            try:
                return call(row)
            except Exception as error:  # each row's outcome is recorded on its own
                return error

        if len(rows) <= 1 or self.config.concurrency == 1:
            return [guarded(row) for row in rows]
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.config.concurrency, thread_name_prefix="commons-post"
                )
            pool = self._pool
        return list(pool.map(guarded, rows))

    def _mark_in_doubt(self, rows: list[Claimed], later: list[Claimed]) -> list[Claimed]:
        """Commit 'these posts are under way' with the last wave's outcomes.

        Returns the rows still ours to post: one whose lease ran out and was taken by another
        sender is left to it. A batch that is taking long (Slack slow to answer) has the lease of
        its later rows renewed too, so that they are not taken from under it.
        """
        if not rows:
            self._flush_sent()
            return []
        now = self.clock.now()
        lease_until = now + self.config.lease
        renew = [
            row.id
            for row in later
            if row.last_attempt_at is None or now - row.last_attempt_at >= self.config.lease / 2
        ]
        with self.store.write_transaction() as connection:
            self._write_sent(connection, now)
            kept = set(
                connection.execute(
                    update(Delivery)
                    .where(col(Delivery.id).in_([row.id for row in rows]), *self._mine())
                    .values(in_doubt=True, lease_expires_at=lease_until)
                    .returning(col(Delivery.id))
                ).scalars()
            )
            if renew:
                connection.execute(
                    update(Delivery)
                    .where(col(Delivery.id).in_(renew), *self._mine())
                    .values(lease_expires_at=lease_until)
                )
        lost = [row.id for row in rows if row.id not in kept]
        if lost:
            logger.info("deliveries %s: lease lost before posting; left to their new sender", lost)
        return [row for row in rows if row.id in kept]

    def _post(self, row: Claimed) -> _Sent:
        response = self.client.chat_postMessage(
            channel=row.target,
            text=row.text,
            blocks=row.blocks,
            thread_ts=row.thread_ts,
            metadata={
                "event_type": METADATA_EVENT,
                "event_payload": {"delivery_id": row.id, "key": row.key},
            },
            unfurl_links=False,
            unfurl_media=False,
        )
        return _Sent(str(response.get("channel") or row.target), str(response.get("ts")))

    def _find_posted(self, row: Claimed) -> _Sent | object:
        """Look for this row's key among the conversation's newest messages (or the thread's).

        The scan is newest-first and bounded, and does not use our clock: Slack's timestamps are
        Slack's, and a skewed server clock must not hide a message that is there.
        """
        channel = row.channel or row.target
        if channel[0] in "UW":
            opened = self.client.conversations_open(users=channel)
            channel = str(opened["channel"]["id"])
        cursor: str | None = None
        for _ in range(self.config.history_pages):
            if row.thread_ts:
                page = self.client.conversations_replies(
                    channel=channel,
                    ts=row.thread_ts,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            else:
                page = self.client.conversations_history(
                    channel=channel, include_all_metadata=True, limit=200, cursor=cursor
                )
            for message in page.get("messages") or []:
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if payload.get("key") == row.key:
                    return _Sent(channel, str(message["ts"]))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return _NOT_FOUND

    def _on_api_error(self, row: Claimed, error: SlackApiError) -> None:
        code = error_code(error)
        status = error.response.status_code
        if status == 429 or code == "ratelimited":
            retry_after = _retry_after(error.response.headers)
            until = self.clock.now() + timedelta(seconds=retry_after)
            self._pause_posting(until)
            logger.info("Slack asked every sender to wait %s s (429)", retry_after)
            # A 429 is Slack's word that nothing was posted: not an attempt, and not in doubt.
            self._requeue(row, "ratelimited", doubt=False, not_before=until, count_attempt=False)
            self._paused_until = max(until, self._paused_until or until)
            return
        if code in PERMANENT_ERRORS:
            self._fail(row, code)
            return
        if code in APP_ERRORS:
            until = self.clock.now() + self.config.app_error_pause
            self._pause_posting(until)
            logger.error(
                "Slack refused to let Commons post (%s): paused all posting for %s; "
                "check SLACK_BOT_TOKEN and the app's scopes",
                code,
                self.config.app_error_pause,
            )
            self._requeue(row, code, doubt=False, not_before=until, count_attempt=False)
            self._paused_until = max(until, self._paused_until or until)
            return
        if row.attempts >= self.config.max_attempts:
            self._fail(row, code)
            return
        self._requeue(row, code, doubt=False)

    def _pause_posting(self, until: datetime) -> None:
        """Stop every replica's posting until `until`."""
        with self.store.write_transaction() as connection:
            pacing.pause(
                connection,
                name=pacing.POST_MESSAGE,
                now=self.clock.now(),
                until=until,
                capacity=self.config.limits.capacity,
            )

    # -- recording outcomes --------------------------------------------------------------------

    def _mine(self) -> tuple[Any, ...]:
        """Rows this sender still holds the lease of."""
        return (col(Delivery.state) == SENDING, col(Delivery.lease_owner) == self.owner)

    def _owned(self, row: Claimed) -> tuple[Any, ...]:
        return (col(Delivery.id) == row.id, *self._mine())

    def _flush_sent(self) -> None:
        """Commit posts' outcomes that are still waiting for the next wave's transaction."""
        if self._sent:
            with self.store.write_transaction() as connection:
                self._write_sent(connection, self.clock.now())

    def _write_sent(self, connection: Connection, now: datetime) -> None:
        if not self._sent:
            return
        # Recorded whoever holds the lease now: the message is in Slack, whatever happens next.
        connection.execute(
            update(Delivery)
            .where(
                col(Delivery.id) == bindparam("row_id"),
                # Not IN (...): an expanding parameter cannot be used with executemany.
                or_(col(Delivery.state) == SENDING, col(Delivery.state) == PENDING),
            )
            .values(
                state=SENT,
                channel=bindparam("sent_channel"),
                ts=bindparam("sent_ts"),
                sent_at=now,
                in_doubt=False,
                lease_owner=None,
                lease_expires_at=None,
                error=None,
            ),
            [
                {"row_id": row.id, "sent_channel": sent.channel, "sent_ts": sent.ts}
                for row, sent in self._sent
            ],
        )
        self._sent = []

    def _fail(self, row: Claimed, reason: str) -> None:
        self._flush_sent()
        logger.warning("delivery %s failed: %s", row.id, reason)
        with self.store.write_transaction() as connection:
            connection.execute(
                update(Delivery)
                .where(*self._owned(row))
                .values(
                    state=FAILED,
                    error=reason[:255],
                    in_doubt=False,
                    lease_owner=None,
                    lease_expires_at=None,
                )
            )

    def _requeue(
        self,
        row: Claimed,
        reason: str,
        *,
        doubt: bool,
        not_before: datetime | None = None,
        count_attempt: bool = True,
    ) -> None:
        self._flush_sent()
        if not_before is None:
            backoff = min(300.0, 2.0 ** min(row.attempts, 8)) * (0.5 + random.random() / 2)
            not_before = self.clock.now() + timedelta(seconds=backoff)
        values: dict[str, Any] = {
            "state": PENDING,
            "not_before": not_before,
            "in_doubt": doubt,
            "error": reason[:255],
            "lease_owner": None,
            "lease_expires_at": None,
        }
        if not count_attempt:
            values["attempts"] = max(0, row.attempts - 1)
        with self.store.write_transaction() as connection:
            connection.execute(update(Delivery).where(*self._owned(row)).values(**values))


def _one_per_channel(candidates: Sequence[Row[Any]], wanted: int) -> list[Row[Any]]:
    """At most one row per channel in a batch: its posts go out together."""
    chosen: list[Row[Any]] = []
    targets: set[str] = set()
    for row in candidates:
        if row.target not in targets:
            targets.add(row.target)
            chosen.append(row)
            if len(chosen) == wanted:
                break
    return chosen


def error_code(error: SlackApiError) -> str:
    """Slack's error code, or `http_<status>` when the answer had none (a bare 5xx, say)."""
    return str(error.response.get("error") or f"http_{error.response.status_code}")


def _describe(error: object) -> str:
    """A short reason for a lookup or post that got no usable answer."""
    if isinstance(error, SlackApiError):
        return error_code(error)
    if isinstance(error, NETWORK_ERRORS):
        return type(error).__name__
    return f"unexpected {type(error).__name__}: {error}"[:200]


def _retry_after(headers: Any) -> int:
    """Slack's Retry-After in seconds (at least 1), whatever the header's case."""
    for key, value in dict(headers or {}).items():
        if str(key).lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(1, int(float(raw)))
            except (TypeError, ValueError):
                return 1
    return 1


def _due_rows(now: datetime, *, limit: int) -> Select[Any]:
    """Pending rows due now, oldest first, with their thread parent's ts and channel: a reply
    waits for its parent's ts, and nothing goes to a channel posted to under a second ago."""
    parent = Delivery.__table__.alias("parent")  # type: ignore[attr-defined]
    pace = ChannelPace.__table__  # type: ignore[attr-defined]
    return (
        select(
            col(Delivery.id),
            col(Delivery.idempotency_key),
            col(Delivery.target),
            col(Delivery.text),
            col(Delivery.blocks),
            col(Delivery.thread_ts),
            col(Delivery.in_doubt),
            col(Delivery.attempts),
            col(Delivery.channel),
            parent.c.ts.label("parent_ts"),
            parent.c.channel.label("parent_channel"),
        )
        .outerjoin(parent, col(Delivery.parent_id) == parent.c.id)
        .outerjoin(pace, pace.c.target == col(Delivery.target))
        .where(
            col(Delivery.state) == PENDING,
            col(Delivery.not_before) <= now,
            or_(col(Delivery.parent_id).is_(None), parent.c.ts.is_not(None)),
            or_(pace.c.next_at.is_(None), pace.c.next_at <= now),
        )
        .order_by(col(Delivery.not_before), col(Delivery.id))
        .limit(limit)
    )


def _claimed(row: Row[Any], now: datetime) -> Claimed:
    """A leased row as the sender posts it (a thread reply goes to its parent's channel)."""
    return Claimed(
        id=row.id,
        key=row.idempotency_key,
        target=(row.parent_channel or row.target) if row.parent_ts else row.target,
        text=row.text,
        blocks=json.loads(row.blocks) if row.blocks else None,
        thread_ts=row.parent_ts or row.thread_ts,
        in_doubt=row.in_doubt,
        attempts=row.attempts + 1,
        channel=row.channel,
        last_attempt_at=now,
    )
