"""Shared pieces of the benchmarks: the sandbox in a process of its own, scratch databases, memory.

The sandbox runs in a child process so that the memory and CPU the benchmark reports are Commons'
own, not the stand-in Slack's. The child is driven over its stdin/stdout, one JSON line per answer:

    python -m benchmarks.harness sandbox --people 10000 --per-minute 6000

prints `{"api_url": ..., "bot_token": ..., ...}` once it listens, then answers `report PREFIX COUNT`
with what Slack saw (chat.postMessage statuses, posts per delivery key, the rate) and stops on
`quit` or when its stdin closes (the benchmark died): it never outlives the benchmark.
"""

import argparse
import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.outbox.delivery import OutboundMessage

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024

# A survey DM as Commons sends one: text for the notification plus a section and two buttons.
SURVEY_TEXT = "Pulse survey: how was your week?"


def person_id(n: int) -> str:
    """The n-th generated person, as `tests.support.workspace_with_people` names them."""
    return f"U9{n:07d}"


def survey_dms(prefix: str, count: int) -> Iterator[OutboundMessage]:
    """`count` survey DMs to distinct people, generated one at a time (never a list in memory)."""
    for n in range(count):
        yield OutboundMessage(
            target=person_id(n),
            text=SURVEY_TEXT,
            idempotency_key=f"{prefix}{n}",
            blocks=[
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": f"*{SURVEY_TEXT}* (run {prefix})"},
                },
                {
                    "type": "actions",
                    "block_id": "pulse",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "answer",
                            "text": {"type": "plain_text", "text": "Answer"},
                            "value": f"{prefix}{n}",
                        },
                        {
                            "type": "button",
                            "action_id": "skip",
                            "text": {"type": "plain_text", "text": "Not now"},
                            "value": "skip",
                        },
                    ],
                },
            ],
        )


# -- memory and CPU, from /proc -------------------------------------------------------------------


def _status_kib(field: str, pid: int | None) -> int:
    path = Path(f"/proc/{pid}/status") if pid else Path("/proc/self/status")
    for line in path.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def peak_rss_mib(pid: int | None = None) -> float:
    """The high-water mark of resident memory (VmHWM) of a process (this one by default), MiB."""
    return _status_kib("VmHWM", pid) / 1024


def rss_mib(pid: int | None = None) -> float:
    """Resident memory right now (VmRSS), MiB."""
    return _status_kib("VmRSS", pid) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- databases ---------------------------------------------------------------------------------


def is_postgres(url: str) -> bool:
    """True for a PostgreSQL URL (with or without the +psycopg driver suffix)."""
    return make_url(url).get_backend_name() == "postgresql"


@contextmanager
def scratch_database(url: str | None, workdir: Path) -> Iterator[str]:
    """A database the run has to itself; yields its URL.

    None: a new SQLite file in `workdir`. A SQLite URL: that file, as given (use a new one).
    A PostgreSQL URL: a new schema in that database, selected through `search_path` and dropped
    at the end, so a run neither sees nor leaves rows of other runs.
    """
    if url is None:
        yield f"sqlite:///{workdir / 'commons.db'}"
        return
    if not is_postgres(url):
        yield url
        return
    base = url.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# -- the sandbox in its own process ---------------------------------------------------------------


@dataclass(frozen=True)
class SlackReport:
    """What the sandbox saw of a fan-out."""

    statuses: dict[str, int]
    posted: int
    duplicates: int
    lost: int
    unexpected: int
    first_to_last_seconds: float
    rate_per_minute: float
    steady_rate_per_minute: float
    busiest_10s_per_minute: float
    busiest_60s: int | None
    sandbox_peak_rss_mib: float
    peak_in_flight: int

    @property
    def calls(self) -> int:
        return sum(self.statuses.values())

    @property
    def ratelimited(self) -> int:
        return self.statuses.get("429", 0)


class SandboxProcess:
    """The sandbox with `people` generated users, in a child process; a context manager."""

    def __init__(
        self, *, people: int, per_minute: int, burst: int | None = None, latency: float = 0.0
    ) -> None:
        command = [sys.executable, "-m", "benchmarks.harness", "sandbox"]
        command += ["--people", str(people), "--per-minute", str(per_minute)]
        if burst is not None:
            command += ["--burst", str(burst)]
        if latency > 0:
            command += ["--latency", str(latency)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        ready = self._answer()
        self.api_url = str(ready["api_url"])
        self.bot_token = str(ready["bot_token"])
        self.signing_secret = str(ready["signing_secret"])
        self.app_token = str(ready["app_token"])

    @property
    def pid(self) -> int:
        return self.process.pid

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        return self.process.stdin, self.process.stdout

    def _answer(self) -> dict[str, Any]:
        line = self._pipes()[1].readline()
        if not line:
            raise RuntimeError(f"the sandbox process exited ({self.process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def report(self, prefix: str, count: int) -> SlackReport:
        """Statuses of every chat.postMessage, and posts of the keys `prefix`0..`count`-1."""
        stdin = self._pipes()[0]
        stdin.write(f"report {prefix} {count}\n")
        stdin.flush()
        return SlackReport(**self._answer())

    def close(self) -> None:
        """Stop the child: `quit`, then a kill if it lingers."""
        if self.process.poll() is None:
            try:
                stdin = self._pipes()[0]
                stdin.write("quit\n")
                stdin.close()
                self.process.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> "SandboxProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _busiest(times: list[float], window: float) -> int:
    """The most events inside any `window` seconds (times sorted)."""
    best = start = 0
    for end, at in enumerate(times):
        while at - times[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


def _report(slack: Any, prefix: str, count: int) -> dict[str, Any]:
    calls = slack.calls("chat.postMessage")
    statuses = Counter(str(c.status) for c in calls)
    times = sorted(c.at for c in calls if c.status == 200)
    keys: Counter[str] = Counter()
    with slack.workspace.lock:
        channel_ids = list(slack.workspace.channels)
    for channel_id in channel_ids:
        for message in slack.workspace.all_messages(channel_id):
            key = str(((message.metadata or {}).get("event_payload") or {}).get("key", ""))
            if key.startswith(prefix):
                keys[key] += 1
    expected = {f"{prefix}{n}" for n in range(count)}
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    # The middle 80 % of the posts: the rate once the opening burst is spent, before the tail.
    low, high = len(times) // 10, max(0, len(times) * 9 // 10 - 1)
    middle = times[high] - times[low] if high > low else 0.0
    return {
        "statuses": dict(statuses),
        "posted": len(keys),
        "duplicates": sum(c - 1 for c in keys.values() if c > 1),
        "lost": len(expected - keys.keys()),
        "unexpected": len(keys.keys() - expected),
        "first_to_last_seconds": span,
        "rate_per_minute": (len(times) - 1) / span * 60 if span > 0 else 0.0,
        "steady_rate_per_minute": (high - low) / middle * 60 if middle > 0 else 0.0,
        "busiest_10s_per_minute": _busiest(times, 10.0) * 6.0,
        "busiest_60s": _busiest(times, 60.0) if span >= 60 else None,
        "sandbox_peak_rss_mib": peak_rss_mib(),
        "peak_in_flight": slack.peak_in_flight("chat.postMessage"),
    }


def _host_sandbox(people: int, per_minute: int, burst: int | None, latency: float) -> int:
    from sandbox.faults import FaultRule
    from sandbox.server import Sandbox
    from tests.support import workspace_with_people

    with Sandbox(workspace_with_people(people), workspace_per_minute=per_minute) as slack:
        if burst is not None:
            slack.set_limits(workspace_burst=burst)
        if latency > 0:
            slack.add_fault(FaultRule(method="chat.postMessage", latency=latency))
        ready = {
            "api_url": slack.api_url,
            "bot_token": slack.bot_token,
            "signing_secret": slack.signing_secret,
            "app_token": slack.app_token,
        }
        print(json.dumps(ready), flush=True)
        for line in sys.stdin:  # ends when the benchmark closes the pipe, or dies
            words = line.split()
            if words[:1] == ["report"] and len(words) == 3:
                print(json.dumps(_report(slack, words[1], int(words[2]))), flush=True)
            elif words[:1] == ["quit"]:
                break
    return 0


def main() -> int:
    """`python -m benchmarks.harness sandbox ...`: host the sandbox for a benchmark."""
    parser = argparse.ArgumentParser(description="Host the sandbox for a benchmark (stdin-driven).")
    commands = parser.add_subparsers(dest="command", required=True)
    host = commands.add_parser("sandbox")
    host.add_argument("--people", type=int, required=True)
    host.add_argument("--per-minute", type=int, required=True)
    host.add_argument("--burst", type=int)
    host.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    return _host_sandbox(args.people, args.per_minute, args.burst, args.latency)


if __name__ == "__main__":
    sys.exit(main())
