"""The sender: claims leased batches from the outbox and posts each message exactly once, paced.

Exactly once rests on three things. A claim is a lease, so a crashed sender's rows come back. Just
before a post the row is marked in doubt (committed), and every post carries the row's key in its
message metadata; a row found in doubt later (a crash, a lost response) is looked up in the
conversation's history before it is posted again. And slack_sdk's automatic retries are off for
posts, so nothing re-sends behind our back.
"""

import http.client
import json
import logging
import random
import socket
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Connection, delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot import pacing
from bot.clock import Clock
from bot.delivery import FAILED, PENDING, SENDING, SENT
from bot.models import ChannelPace, Delivery
from bot.store import Store

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


def _no_checkpoint(point: str) -> None:
    """Production runs have no crash points; tests pass one that kills the process."""


@dataclass(frozen=True)
class SenderConfig:
    """How the sender claims and retries."""

    limits: pacing.PostLimits = field(default_factory=pacing.PostLimits)
    batch_size: int = 10
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 8
    app_error_pause: timedelta = timedelta(minutes=5)
    # How far back an in-doubt row is looked for: pages of 200 of the conversation's newest messages.
    history_pages: int = 5


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


class Sender:
    """Posts what the outbox holds. One per process; any number of processes may run."""

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
        self.config = config or SenderConfig()
        self.checkpoint = checkpoint
        # A post's outcome is committed together with the next row's in-doubt mark: one
        # transaction per message instead of two, and still always between two posts.
        self._completion: tuple[Claimed, str, str] | None = None
        self._paused_until: datetime | None = None

    # -- the loop ------------------------------------------------------------------------------

    def drain(self, max_seconds: float = 1.0) -> int:
        """Post what may be posted now, for at most about `max_seconds`; returns how many rows moved.

        The scheduler calls this every tick; when the budget is spent it returns, and the next tick
        picks up where it left off. Nothing sleeps on a rate limit.
        """
        deadline = time.monotonic() + max_seconds
        handled = 0
        while time.monotonic() < deadline:
            done = self.run_once()
            if done == 0:
                break
            handled += done
        return handled

    def run_once(self) -> int:
        """Claim one batch and post it; returns the number of rows claimed."""
        claimed = self.claim()
        if claimed:
            self.checkpoint("claimed")
        self._paused_until = None
        try:
            for index, row in enumerate(claimed):
                if self._paused_until is not None:
                    # Slack said 429: the rest of the batch waits too, unposted and not in doubt.
                    for rest in claimed[index:]:
                        self._requeue(
                            rest,
                            "ratelimited",
                            doubt=rest.in_doubt,
                            not_before=self._paused_until,
                            count_attempt=False,
                        )
                    break
                self._deliver(row)
        finally:
            self._flush_completion()
        return len(claimed)

    # -- claiming ------------------------------------------------------------------------------

    def claim(self) -> list[Claimed]:
        """Lease up to a batch of due rows that the budget and the channels' pace allow."""
        limits = self.config.limits
        now = self.clock.now()
        with self.store.unit_of_work() as session:
            self._release_expired(session, now)
            granted = pacing.take(
                session,
                name=pacing.POST_MESSAGE,
                now=now,
                rate_per_second=limits.rate_per_second,
                capacity=limits.capacity,
                wanted=self.config.batch_size,
            )
            if granted == 0:
                return []
            parent = aliased(Delivery)
            query = (
                select(Delivery, parent.ts, parent.channel)
                .outerjoin(parent, col(Delivery.parent_id) == parent.id)
                .where(
                    Delivery.state == PENDING,
                    col(Delivery.not_before) <= now,
                    or_(col(Delivery.parent_id).is_(None), col(parent.ts).is_not(None)),
                )
                .order_by(col(Delivery.not_before), col(Delivery.id))
                .limit(granted * 4)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True, of=Delivery)
            candidates = session.exec(query).all()
            chosen = self._paced(session, now, [c for c in candidates], granted)
            for row, _, _ in chosen:
                row.state = SENDING
                row.lease_owner = self.owner
                row.lease_expires_at = now + self.config.lease
                row.attempts += 1
                row.last_attempt_at = now
                session.add(row)
            self._set_pace(session, now, {row.target for row, _, _ in chosen})
            pacing.give_back(
                session,
                name=pacing.POST_MESSAGE,
                now=now,
                capacity=limits.capacity,
                count=granted - len(chosen),
            )
            return [
                Claimed(
                    id=row.id or 0,
                    key=row.idempotency_key,
                    target=(parent_channel or row.target) if parent_ts else row.target,
                    text=row.text,
                    blocks=json.loads(row.blocks) if row.blocks else None,
                    thread_ts=parent_ts or row.thread_ts,
                    in_doubt=row.in_doubt,
                    attempts=row.attempts,
                    channel=row.channel,
                    last_attempt_at=row.last_attempt_at,
                )
                for row, parent_ts, parent_channel in chosen
            ]

    def _release_expired(self, session: Session, now: datetime) -> None:
        """Rows whose sender vanished go back to the queue (still in doubt if a post was under way)."""
        session.execute(
            update(Delivery)
            .where(col(Delivery.state) == SENDING, col(Delivery.lease_expires_at) < now)
            .values(state=PENDING, lease_owner=None, lease_expires_at=None)
        )

    def _paced(
        self, session: Session, now: datetime, candidates: list[Any], wanted: int
    ) -> list[tuple[Delivery, str | None, str | None]]:
        """At most one row per channel per batch, and none to a channel posted to under a second ago."""
        targets = {row.target for row, _, _ in candidates}
        if not targets:
            return []
        busy = set(
            session.exec(
                select(ChannelPace.target).where(
                    col(ChannelPace.target).in_(targets), col(ChannelPace.next_at) > now
                )
            ).all()
        )
        chosen: list[tuple[Delivery, str | None, str | None]] = []
        for row, parent_ts, parent_channel in candidates:
            if row.target in busy:
                continue
            busy.add(row.target)
            chosen.append((row, parent_ts, parent_channel))
            if len(chosen) == wanted:
                break
        return chosen

    def _set_pace(self, session: Session, now: datetime, targets: set[str]) -> None:
        if not targets:
            return
        next_at = now + self.config.limits.channel_interval
        dialect = session.get_bind().dialect.name
        insert = (
            postgresql.insert(ChannelPace)
            if dialect == "postgresql"
            else sqlite.insert(ChannelPace)
        )
        statement = insert.values([{"target": t, "next_at": next_at} for t in sorted(targets)])
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["target"], set_={"next_at": statement.excluded.next_at}
            )
        )
        if random.random() < 0.01:  # now and then, forget channels nobody has posted to lately
            session.execute(
                delete(ChannelPace).where(col(ChannelPace.next_at) < now - timedelta(hours=1))
            )

    # -- posting -------------------------------------------------------------------------------

    def _deliver(self, row: Claimed) -> None:
        if row.in_doubt:
            try:
                found = self._find_posted(row)
            except SlackApiError as error:
                self._requeue(
                    row, f"history lookup failed: {error.response.get('error')}", doubt=True
                )
                return
            except NETWORK_ERRORS as error:
                self._requeue(row, f"history lookup failed: {type(error).__name__}", doubt=True)
                return
            if found is not None:
                logger.info("delivery %s was already in Slack; recorded without re-posting", row.id)
                self._complete(row, channel=found[0], ts=found[1])
                return
        if not self._mark_in_doubt(row):
            return
        try:
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
        except SlackApiError as error:
            self._on_api_error(row, error)
            return
        except NETWORK_ERRORS as error:
            # The message may or may not be in Slack: it stays in doubt and is looked up first.
            logger.warning(
                "delivery %s: response lost (%s); will check before re-posting",
                row.id,
                type(error).__name__,
            )
            self._requeue(row, f"connection: {type(error).__name__}", doubt=True)
            return
        self.checkpoint("posted")
        self._completion = (
            row,
            str(response.get("channel") or row.target),
            str(response.get("ts")),
        )

    def _mark_in_doubt(self, row: Claimed) -> bool:
        """Commit 'a post is under way' (and renew the lease); False if the lease was lost."""
        now = self.clock.now()
        with self.store.write_transaction() as connection:
            self._write_completion(connection)
            result = connection.execute(
                update(Delivery)
                .where(
                    col(Delivery.id) == row.id,
                    col(Delivery.state) == SENDING,
                    col(Delivery.lease_owner) == self.owner,
                )
                .values(
                    in_doubt=True, lease_expires_at=now + self.config.lease, last_attempt_at=now
                )
            )
            return bool(result.rowcount)

    def _find_posted(self, row: Claimed) -> tuple[str, str] | None:
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
                    return channel, str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return None

    def _on_api_error(self, row: Claimed, error: SlackApiError) -> None:
        code = str(error.response.get("error") or f"http_{error.response.status_code}")
        status = error.response.status_code
        if status == 429 or code == "ratelimited":
            retry_after = _retry_after(error.response.headers)
            until = self.clock.now() + timedelta(seconds=retry_after)
            self._pause_posting(until)
            logger.info("Slack asked every sender to wait %s s (429)", retry_after)
            # A 429 is Slack's word that nothing was posted: not an attempt, and not in doubt.
            self._requeue(row, "ratelimited", doubt=False, not_before=until, count_attempt=False)
            self._paused_until = until
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
            return
        if row.attempts >= self.config.max_attempts:
            self._fail(row, code)
            return
        self._requeue(row, code, doubt=False)

    def _pause_posting(self, until: datetime) -> None:
        """Stop every replica's posting until `until`."""
        with self.store.unit_of_work() as session:
            pacing.pause(
                session,
                name=pacing.POST_MESSAGE,
                now=self.clock.now(),
                until=until,
                capacity=self.config.limits.capacity,
            )

    # -- recording outcomes --------------------------------------------------------------------

    def _owned(self, row: Claimed) -> Any:
        return (
            col(Delivery.id) == row.id,
            col(Delivery.state) == SENDING,
            col(Delivery.lease_owner) == self.owner,
        )

    def _complete(self, row: Claimed, *, channel: str, ts: str) -> None:
        self._flush_completion()
        self._completion = (row, channel, ts)
        self._flush_completion()

    def _flush_completion(self) -> None:
        """Commit a post's outcome that is still waiting for the next row's transaction."""
        if self._completion is not None:
            with self.store.write_transaction() as connection:
                self._write_completion(connection)

    def _write_completion(self, connection: Connection) -> None:
        if self._completion is None:
            return
        row, channel, ts = self._completion
        connection.execute(
            update(Delivery)
            .where(col(Delivery.id) == row.id, col(Delivery.state).in_((SENDING, PENDING)))
            .values(
                state=SENT,
                channel=channel,
                ts=ts,
                sent_at=self.clock.now(),
                in_doubt=False,
                lease_owner=None,
                lease_expires_at=None,
                error=None,
            )
        )
        self._completion = None

    def _fail(self, row: Claimed, reason: str) -> None:
        self._flush_completion()
        logger.warning("delivery %s failed: %s", row.id, reason)
        with self.store.unit_of_work() as session:
            session.execute(
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
        self._flush_completion()
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
        with self.store.unit_of_work() as session:
            session.execute(update(Delivery).where(*self._owned(row)).values(**values))


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
