"""Injectable Web API faults (errors, HTTP statuses, latency, dropped connections), seeded."""

from __future__ import annotations

import dataclasses
import fnmatch
import random
import threading
from dataclasses import dataclass
from typing import Any

DROP_MODES = frozenset({"before", "after"})


@dataclass(frozen=True)
class FaultRule:
    """What to do to calls of ``method`` (``*`` and shell patterns such as ``chat.*`` match).

    ``probability`` is the chance that a matching call is hit; ``times`` limits how many calls
    are hit (None: no limit). ``status`` answers that HTTP status (429 with ``Retry-After``);
    ``error`` answers HTTP 200 ``{"ok": false, "error": error}``; ``latency`` waits that many
    seconds first; ``drop`` closes the connection without a response, ``"before"`` or
    ``"after"`` running the method.
    """

    method: str = "*"
    probability: float = 1.0
    times: int | None = None
    status: int | None = None
    retry_after: int | None = None
    error: str | None = None
    latency: float = 0.0
    drop: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be within [0, 1], not {self.probability}")
        if self.times is not None and self.times < 0:
            raise ValueError(f"times must be >= 0, not {self.times}")
        if self.drop is not None and self.drop not in DROP_MODES:
            raise ValueError(f"drop must be 'before' or 'after', not {self.drop!r}")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status, not {self.status}")
        if self.latency < 0:
            raise ValueError(f"latency must be >= 0, not {self.latency}")

    def matches(self, method: str) -> bool:
        """True if this rule applies to calls of ``method``."""
        return fnmatch.fnmatchcase(method, self.method)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FaultRule:
        """Build a rule from its JSON form (``POST /_sandbox/faults``).

        Raises:
            ValueError: an unknown field or an invalid value.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
        try:
            return cls(
                method=str(raw.get("method", "*")),
                probability=float(raw.get("probability", 1.0)),
                times=None if raw.get("times") is None else int(raw["times"]),
                status=None if raw.get("status") is None else int(raw["status"]),
                retry_after=None if raw.get("retry_after") is None else int(raw["retry_after"]),
                error=None if raw.get("error") is None else str(raw["error"]),
                latency=float(raw.get("latency", 0.0)),
                drop=None if raw.get("drop") is None else str(raw["drop"]),
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(str(exc)) from exc

    def as_dict(self) -> dict[str, Any]:
        """JSON form of the rule."""
        return dataclasses.asdict(self)


@dataclass
class _Armed:
    rule: FaultRule
    remaining: int | None
    hits: int = 0


class FaultPlan:
    """The active rules and the seeded generator that decides which call gets which fault."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._random = random.Random(seed)
        self._rules: list[_Armed] = []

    def add(self, rule: FaultRule) -> None:
        """Arm a rule after the existing ones (earlier rules win)."""
        with self._lock:
            self._rules.append(_Armed(rule, rule.times))

    def clear(self) -> None:
        """Disarm every rule and restart the generator from the seed, so runs repeat."""
        with self._lock:
            self._rules.clear()
            self._random = random.Random(self._seed)

    def pick(self, method: str) -> FaultRule | None:
        """The fault for one call of ``method``: the first matching rule whose draw succeeds."""
        with self._lock:
            for armed in self._rules:
                if armed.remaining == 0 or not armed.rule.matches(method):
                    continue
                # Draw only for matching rules so other traffic does not shift the sequence.
                if self._random.random() >= armed.rule.probability:
                    continue
                if armed.remaining is not None:
                    armed.remaining -= 1
                armed.hits += 1
                return armed.rule
            return None

    def describe(self) -> list[dict[str, Any]]:
        """The rules with their remaining budgets and hit counts (``GET /_sandbox/faults``)."""
        with self._lock:
            return [
                {**armed.rule.as_dict(), "remaining": armed.remaining, "hits": armed.hits}
                for armed in self._rules
            ]
