"""Slack's rate limits as token buckets: per-method tiers and chat.postMessage pacing."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Calls per minute of each tier; Slack allows "a minute's worth" of burst, so capacity = rate.
TIER_PER_MINUTE: dict[str, int] = {"t1": 1, "t2": 20, "t3": 50, "t4": 100}

DEFAULT_WORKSPACE_PER_MINUTE = 300
DEFAULT_CHANNEL_PER_SECOND = 1.0
DEFAULT_CHANNEL_BURST = 3
# Without an explicit burst, the workspace budget lets 5 seconds' worth through at once.
WORKSPACE_BURST_SECONDS = 5.0


class TokenBucket:
    """A bucket of ``capacity`` tokens refilled at ``rate`` tokens per second."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.updated = now

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = now

    def wait(self, now: float) -> float:
        """Seconds until one token is available (0.0 when one is available now)."""
        self._refill(now)
        if self.tokens >= 1.0:
            return 0.0
        if self.rate <= 0:
            return math.inf
        return (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        """Spend one token; call after ``wait`` returned 0.0."""
        self.tokens -= 1.0


@dataclass(frozen=True)
class Limits:
    """The current pacing settings."""

    workspace_per_minute: int
    workspace_burst: int
    channel_per_second: float
    channel_burst: int
    tiers: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON form, as ``GET /_sandbox/limits`` returns it."""
        return {
            "workspace_per_minute": self.workspace_per_minute,
            "workspace_burst": self.workspace_burst,
            "channel_per_second": self.channel_per_second,
            "channel_burst": self.channel_burst,
            "tiers": self.tiers,
        }


def retry_after_seconds(wait: float) -> int:
    """The ``Retry-After`` header value for a wait: whole seconds, at least 1."""
    if math.isinf(wait):
        return 60
    return max(1, math.ceil(wait))


class Pacer:
    """Decides whether a Web API call is within Slack's limits; thread-safe.

    Args:
        workspace_per_minute: chat.postMessage budget of the whole workspace.
        clock: monotonic seconds; injectable so tests need not sleep.
    """

    def __init__(
        self,
        *,
        workspace_per_minute: int = DEFAULT_WORKSPACE_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._workspace_per_minute = workspace_per_minute
        self._workspace_burst: int | None = None
        self._channel_per_second = DEFAULT_CHANNEL_PER_SECOND
        self._channel_burst = DEFAULT_CHANNEL_BURST
        self._tiers = True
        self._reset_buckets()

    def _reset_buckets(self) -> None:
        now = self._clock()
        self._method_buckets: dict[str, TokenBucket] = {}
        self._channel_buckets: dict[str, TokenBucket] = {}
        limits = self._limits()
        self._workspace_bucket = TokenBucket(
            limits.workspace_per_minute / 60.0, float(limits.workspace_burst), now
        )

    def _limits(self) -> Limits:
        burst = self._workspace_burst
        if burst is None:
            burst = max(1, round(self._workspace_per_minute / 60.0 * WORKSPACE_BURST_SECONDS))
        return Limits(
            workspace_per_minute=self._workspace_per_minute,
            workspace_burst=burst,
            channel_per_second=self._channel_per_second,
            channel_burst=self._channel_burst,
            tiers=self._tiers,
        )

    @property
    def limits(self) -> Limits:
        """The settings in force."""
        with self._lock:
            return self._limits()

    def set_limits(
        self,
        *,
        workspace_per_minute: int | None = None,
        workspace_burst: int | None = None,
        channel_per_second: float | None = None,
        channel_burst: int | None = None,
        tiers: bool | None = None,
    ) -> Limits:
        """Change some settings (None keeps one); buckets start full under the new settings."""
        with self._lock:
            if workspace_per_minute is not None:
                self._workspace_per_minute = workspace_per_minute
            if workspace_burst is not None:
                self._workspace_burst = workspace_burst
            if channel_per_second is not None:
                self._channel_per_second = channel_per_second
            if channel_burst is not None:
                self._channel_burst = channel_burst
            if tiers is not None:
                self._tiers = tiers
            self._reset_buckets()
            return self._limits()

    def reset(self) -> None:
        """Refill every bucket."""
        with self._lock:
            self._reset_buckets()

    def check(self, method: str, tier: str | None, channel_key: str | None = None) -> float:
        """Spend the tokens a call needs; return 0.0 if allowed, else the seconds to wait.

        chat.postMessage spends from its channel's bucket and the workspace budget; other
        methods from their tier's bucket (t5 and unknown tiers are not limited).
        """
        with self._lock:
            now = self._clock()
            limits = self._limits()
            if method == "chat.postMessage":
                buckets = [self._workspace_bucket]
                if channel_key is not None:
                    channel_bucket = self._channel_buckets.get(channel_key)
                    if channel_bucket is None:
                        channel_bucket = TokenBucket(
                            limits.channel_per_second, float(limits.channel_burst), now
                        )
                        self._channel_buckets[channel_key] = channel_bucket
                    buckets.insert(0, channel_bucket)
            elif limits.tiers and tier in TIER_PER_MINUTE:
                bucket = self._method_buckets.get(method)
                if bucket is None:
                    per_minute = TIER_PER_MINUTE[tier]
                    bucket = TokenBucket(per_minute / 60.0, float(per_minute), now)
                    self._method_buckets[method] = bucket
                buckets = [bucket]
            else:
                return 0.0
            # All or nothing: a call refused by one bucket must not spend from the others.
            wait = max(b.wait(now) for b in buckets)
            if wait > 0:
                return wait
            for b in buckets:
                b.take()
            return 0.0


class ManualClock:
    """A monotonic clock that moves only when told to; for tests and replays."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        """Move forward and return the new reading."""
        self.now += seconds
        return self.now
