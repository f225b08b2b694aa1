"""Fan-out benchmark: N survey DMs through the outbox and the sandbox; prints rate, 429s, memory.

    python -m benchmarks.fanout                                  # 10,000 DMs at 6,000/min, SQLite
    python -m benchmarks.fanout --replicas 3 --database postgresql://postgres@127.0.0.1:5432/test
    python -m benchmarks.fanout --store-only --database sqlite:////tmp/x.db   # no Slack at all
    python -m benchmarks.fanout --recipients 100000 --per-minute 60000       # the memory check

Figures and the commands that printed them are recorded in docs/benchmarks.md. Nothing here is a
test: it prints what it measured and exits 0 unless something broke.
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from benchmarks.harness import (
    ROOT,
    SandboxProcess,
    SlackReport,
    cpu_seconds,
    is_postgres,
    peak_rss_mib,
    rss_mib,
    scratch_database,
    survey_dms,
)
from bot.background import owner_id
from bot.clock import SystemClock
from bot.outbox import delivery
from bot.outbox.pacing import PostLimits
from bot.outbox.sender import Claimed, Sender, SenderConfig
from bot.store import Store, make_engine, upgrade
from tests.support import free_port, wait_for_http

COMMONS_MAX_BUDGET = 6000  # COMMONS_POST_BUDGET_PER_MINUTE's ceiling in bot/settings.py
POLL_SECONDS = 1.0
TICK_SECONDS = 1.0  # Background's default tick
SERVE = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--threads", "2"]
UNSENT_TOKEN = "xoxb-unsent"  # noqa: S105 (no Slack is called with it)

DESCRIPTION = """\
Fan out survey DMs to distinct people through Commons' outbox and sender, against the sandbox
(a local stand-in for Slack, in its own process), and print: recipients, elapsed time, achieved
rate per minute and its ratio to the configured limit, 429s the sandbox answered, duplicates and
lost messages (delivery keys found in the sandbox's conversations versus the keys enqueued), and
the peak resident memory of the process that enqueued and sent.

--per-minute is both the sandbox's workspace-wide chat.postMessage limit and Commons' posting
budget. Its default, 6,000/min, lets 10,000 DMs finish in under two minutes; Slack's real budget is
about 300/min ("several hundred"), at which 10,000 DMs take 33 minutes, whatever Commons does."""


@dataclass(frozen=True)
class Run:
    """The parsed command line."""

    recipients: int
    per_minute: int
    replicas: int
    database: str | None
    store_only: bool
    batch_size: int | None
    concurrency: int | None
    sandbox_burst: int | None
    post_latency: float
    timeout: float


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.fanout",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--recipients", type=int, default=10_000, help="DMs to distinct people (default 10,000)"
    )
    parser.add_argument(
        "--per-minute",
        type=int,
        default=6000,
        help="the sandbox's workspace limit and Commons' budget, posts per minute (default 6,000; "
        "Slack's real one is ~300, which makes 10,000 DMs take 33 min)",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="1: the sender runs in this process, on the outbox tick of `commons serve`; K > 1: K real "
        "`commons serve` processes sharing --database, which must then be PostgreSQL (default 1)",
    )
    parser.add_argument(
        "--database",
        help="SQLAlchemy URL (default: a new SQLite file in a temporary folder). On PostgreSQL the "
        "run uses a new schema in that database and drops it afterwards",
    )
    parser.add_argument(
        "--store-only",
        action="store_true",
        help="no Slack: claim + post + complete through the real Sender with a client that "
        "answers at once, to measure what the store alone sustains (messages/s)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        help="rows per claim, in-process sender only (default: what `commons serve` uses at "
        "--per-minute, see SenderConfig.for_limits)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        help="posts in flight at once, in-process sender only (default: as --batch-size)",
    )
    parser.add_argument(
        "--post-latency",
        type=float,
        default=0.0,
        help="seconds the sandbox takes to answer each chat.postMessage (default 0; Slack takes "
        "a few hundred milliseconds)",
    )
    parser.add_argument(
        "--sandbox-burst",
        type=int,
        help="the sandbox's workspace burst in posts (default: 5 seconds of --per-minute)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        help="stop sending after this many seconds even if not done (default: twice the time the "
        "limit needs, plus a minute, at most 600)",
    )
    return parser


def _parse(argv: list[str] | None) -> Run:
    parser = _parser()
    args = parser.parse_args(argv)
    numbers = (args.recipients, args.per_minute, args.replicas, args.batch_size, args.concurrency)
    if any(number is not None and number < 1 for number in numbers):
        parser.error(
            "--recipients, --per-minute, --replicas, --batch-size and --concurrency must be positive"
        )
    if args.replicas > 1:
        if args.store_only:
            parser.error("--store-only runs in this process; leave out --replicas")
        if args.database is None or not is_postgres(args.database):
            parser.error(
                "--replicas > 1 needs --database postgresql://... (shared by the replicas)"
            )
        if args.per_minute > COMMONS_MAX_BUDGET:
            parser.error(
                f"`commons serve` takes COMMONS_POST_BUDGET_PER_MINUTE up to {COMMONS_MAX_BUDGET}"
            )
    needed = args.recipients / args.per_minute * 60
    timeout = args.timeout if args.timeout is not None else min(600.0, 2 * needed + 60)
    return Run(
        recipients=args.recipients,
        per_minute=args.per_minute,
        replicas=args.replicas,
        database=args.database,
        store_only=args.store_only,
        batch_size=args.batch_size,
        concurrency=args.concurrency,
        sandbox_burst=args.sandbox_burst,
        post_latency=args.post_latency,
        timeout=timeout,
    )


def show(label: str, value: object) -> None:
    """One figure, aligned."""
    print(f"{label:<46} {value}", flush=True)


def _header(run: Run, database_url: str) -> None:
    show("command", "python -m benchmarks.fanout " + " ".join(sys.argv[1:]))
    show("when", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    show(
        "machine",
        f"{os.cpu_count()} cores, {platform.node()}, Python {platform.python_version()}",
    )
    show(
        "database",
        database_url.split("://", 1)[0]
        + (" (scratch schema)" if is_postgres(database_url) else ""),
    )


# -- enqueue, shared by every mode -------------------------------------------------------------


def _enqueue(store: Store, campaign: str, prefix: str, count: int) -> float:
    """Enqueue `count` DMs from a generator in one unit of work; returns the seconds it took."""
    clock = SystemClock()
    started = time.monotonic()
    with store.unit_of_work() as session:
        delivery.open_campaign(
            session=session, clock=clock, campaign_id=campaign, kind="benchmark", title="Fan-out"
        )
        result = delivery.enqueue(
            session=session, clock=clock, campaign_id=campaign, messages=survey_dms(prefix, count)
        )
    elapsed = time.monotonic() - started
    if result.added != count:
        raise RuntimeError(f"enqueued {result.added} of {count}")
    return elapsed


def _progress(store: Store, campaign: str, budget: int) -> delivery.CampaignProgress:
    with store.unit_of_work(write=False) as session:
        return delivery.progress(
            session=session, clock=SystemClock(), campaign_id=campaign, budget_per_minute=budget
        )


def _wait_until_sent(
    store: Store, campaign: str, run: Run, alive: Callable[[], bool]
) -> tuple[float, delivery.CampaignProgress]:
    """Poll the campaign until nothing is pending, the deadline passes, or `alive` says stop."""
    started = time.monotonic()
    deadline = started + run.timeout
    while True:
        time.sleep(POLL_SECONDS)
        state = _progress(store, campaign, run.per_minute)
        if state.done or time.monotonic() > deadline or not alive():
            return time.monotonic() - started, state


def _show_outcome(
    run: Run, elapsed: float, state: delivery.CampaignProgress, slack: SlackReport
) -> None:
    show("finished", "yes" if state.done else f"NO: stopped after {run.timeout:.0f} s")
    show("elapsed, start to all sent (s)", f"{elapsed:.1f}")
    show("outbox: sent / pending / failed", f"{state.sent} / {state.pending} / {state.failed}")
    show("configured limit (posts/min)", run.per_minute)
    show("achieved rate, first to last post (/min)", f"{slack.rate_per_minute:.0f}")
    show("achieved / limit", f"{slack.rate_per_minute / run.per_minute:.3f}")
    show("steady rate, middle 80 % of posts (/min)", f"{slack.steady_rate_per_minute:.0f}")
    show("steady / limit", f"{slack.steady_rate_per_minute / run.per_minute:.3f}")
    show("busiest 10 s, as a rate (/min)", f"{slack.busiest_10s_per_minute:.0f}")
    if slack.busiest_60s is not None:
        show("busiest 60 s window (posts)", slack.busiest_60s)
    show("chat.postMessage calls by HTTP status", dict(sorted(slack.statuses.items())))
    show("posts in flight together, at most", slack.peak_in_flight)
    show(
        "429s / calls",
        f"{slack.ratelimited} / {slack.calls} ({100 * slack.ratelimited / max(1, slack.calls):.2f} %)",
    )
    show("posted (distinct keys)", slack.posted)
    show("duplicates", slack.duplicates)
    # Rows still pending at a deadline are not lost: lost is what the outbox thinks is done.
    show("lost (recorded done, not in Slack)", max(0, slack.lost - state.pending))
    if not state.done:
        show("not posted yet (pending at the deadline)", state.pending)
    show("unexpected keys", slack.unexpected)
    show("sandbox process peak RSS (MiB)", f"{slack.sandbox_peak_rss_mib:.0f}")


# -- one process: the sender in this process, on Commons' own ticks ----------------------------


def _sender_config(run: Run, limits: PostLimits) -> SenderConfig:
    """What `commons serve` would use at --per-minute, with the command line's overrides."""
    chosen = SenderConfig.for_limits(PostLimits(per_minute=run.per_minute))
    return replace(
        chosen,
        limits=limits,
        batch_size=run.batch_size or chosen.batch_size,
        concurrency=run.concurrency or chosen.concurrency,
    )


def _tick(sender: Sender, stop: threading.Event) -> None:
    """The outbox tick of bot/background.py: drain for 0.9 s every 1 s; a late tick is not made up."""
    next_at = time.monotonic()
    while not stop.is_set():
        sender.drain(TICK_SECONDS * 0.9)
        next_at = max(next_at + TICK_SECONDS, time.monotonic())
        stop.wait(next_at - time.monotonic())


def _in_process(run: Run, database_url: str, store: Store) -> None:
    campaign = f"bench-{uuid.uuid4().hex[:8]}"
    prefix = f"{campaign}:"
    with SandboxProcess(
        people=run.recipients,
        per_minute=run.per_minute,
        burst=run.sandbox_burst,
        latency=run.post_latency,
    ) as slack:
        show("recipients", run.recipients)
        show("senders", "1, in this process (the outbox tick: drain 0.9 s every 1 s)")
        config = _sender_config(run, PostLimits(per_minute=run.per_minute))
        show("batch size, posts in flight at once", f"{config.batch_size}, {config.concurrency}")
        show("sandbox's answer to a post takes (s)", f"{run.post_latency:g} more than it needs")
        show("RSS before enqueue (MiB)", f"{rss_mib():.0f}")
        enqueue_seconds = _enqueue(store, campaign, prefix, run.recipients)
        show(
            "enqueue (s, rows/s)", f"{enqueue_seconds:.1f}, {run.recipients / enqueue_seconds:.0f}"
        )
        show("RSS after enqueue (MiB)", f"{rss_mib():.0f}")
        client = WebClient(token=slack.bot_token, base_url=slack.api_url, retry_handlers=[])
        sender = Sender(store, client, SystemClock(), owner=owner_id(), config=config)
        stop = threading.Event()
        ticks = threading.Thread(target=_tick, args=(sender, stop), name="outbox-tick")
        ticks.start()
        try:
            elapsed, state = _wait_until_sent(store, campaign, run, ticks.is_alive)
        finally:
            stop.set()
            ticks.join()
        peak = peak_rss_mib()
        report = slack.report(prefix, run.recipients)
    _show_outcome(run, elapsed, state, report)
    show("peak RSS, this process: enqueue + send (MiB)", f"{peak:.0f}")


# -- K replicas: real `commons serve` processes on PostgreSQL ---------------------------------


def _replicas(run: Run, database_url: str, store: Store, workdir: Path) -> None:
    campaign = f"bench-{uuid.uuid4().hex[:8]}"
    prefix = f"{campaign}:"
    with SandboxProcess(
        people=run.recipients,
        per_minute=run.per_minute,
        burst=run.sandbox_burst,
        latency=run.post_latency,
    ) as slack:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COMMONS_"))}
        env.update(
            SLACK_BOT_TOKEN=slack.bot_token,
            SLACK_SIGNING_SECRET=slack.signing_secret,
            SLACK_APP_TOKEN=slack.app_token,
            SLACK_API_URL=slack.api_url,
            DATABASE_URL=database_url,
            COMMONS_POST_BUDGET_PER_MINUTE=str(run.per_minute),
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
            PYTHONPATH=str(ROOT),
        )
        processes: list[subprocess.Popen[bytes]] = []
        try:
            for n in range(run.replicas):
                port = free_port()
                with (workdir / f"replica-{n}.log").open("wb") as log:
                    processes.append(
                        subprocess.Popen(
                            [*SERVE, "--port", str(port)],
                            cwd=workdir,  # no .env from the source tree
                            env=env,
                            stdout=log,
                            stderr=subprocess.STDOUT,
                        )
                    )
                wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=60)
            show("recipients", run.recipients)
            show("senders", f"{run.replicas} `commons serve` processes, one PostgreSQL")
            enqueue_seconds = _enqueue(store, campaign, prefix, run.recipients)
            show(
                "enqueue (s, rows/s)",
                f"{enqueue_seconds:.1f}, {run.recipients / enqueue_seconds:.0f}",
            )

            def alive() -> bool:
                return all(p.poll() is None for p in processes)

            elapsed, state = _wait_until_sent(store, campaign, run, alive)
            usage = [
                (peak_rss_mib(p.pid), cpu_seconds(p.pid)) for p in processes if p.poll() is None
            ]
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        report = slack.report(prefix, run.recipients)
    _show_outcome(run, elapsed, state, report)
    show(
        "fleet rate / one budget",
        f"{report.rate_per_minute / run.per_minute:.3f} (not {run.replicas}x)",
    )
    show(
        "replicas: peak RSS MiB, CPU s",
        "; ".join(f"{rss:.0f}, {cpu:.1f}" for rss, cpu in usage) or "a replica died: see logs",
    )
    show("replica exit codes", [p.returncode for p in processes])


# -- the store alone ---------------------------------------------------------------------------


class UnsentClient(WebClient):
    """Answers chat.postMessage at once as Slack would, without a network call."""

    def __init__(self) -> None:
        super().__init__(token=UNSENT_TOKEN, retry_handlers=[])
        self.posts = 0
        self.seconds = 0.0

    def chat_postMessage(self, **kwargs: Any) -> SlackResponse:
        started = time.perf_counter()
        self.posts += 1
        data = {"ok": True, "channel": "D" + str(kwargs["channel"])[1:], "ts": f"{self.posts}.0"}
        response = SlackResponse(
            client=self,
            http_verb="POST",
            api_url="chat.postMessage",
            req_args={},
            data=data,
            headers={},
            status_code=200,
        )
        self.seconds += time.perf_counter() - started
        return response


class TimedSender(Sender):
    """The real Sender, timing its claims."""

    claim_seconds = 0.0
    claims = 0

    def claim(self) -> list[Claimed]:
        started = time.perf_counter()
        claimed = super().claim()
        self.claim_seconds += time.perf_counter() - started
        self.claims += 1
        return claimed


def _store_only(run: Run, store: Store) -> None:
    campaign = f"bench-{uuid.uuid4().hex[:8]}"
    enqueue_seconds = _enqueue(store, campaign, f"{campaign}:", run.recipients)
    show("recipients", run.recipients)
    show("enqueue (s, rows/s)", f"{enqueue_seconds:.1f}, {run.recipients / enqueue_seconds:.0f}")
    client = UnsentClient()
    # A budget no fan-out reaches: the bucket is still taken from on every claim, as in production.
    limits = PostLimits(per_minute=1_000_000_000)
    config = _sender_config(run, limits)
    sender = TimedSender(
        store,
        client,
        SystemClock(),
        owner="bench",
        config=config,
    )
    started = time.perf_counter()
    deadline = started + run.timeout
    while time.perf_counter() < deadline and sender.drain(1.0):
        pass
    elapsed = time.perf_counter() - started
    state = _progress(store, campaign, run.per_minute)
    per_row = elapsed - sender.claim_seconds - client.seconds
    show("batch size (rows per claim)", config.batch_size)
    show("posts in flight at once", config.concurrency)
    show("outbox: sent / pending / failed", f"{state.sent} / {state.pending} / {state.failed}")
    show("elapsed (s)", f"{elapsed:.1f}")
    show("claim + mark in doubt + complete (msgs/s)", f"{state.sent / elapsed:.0f}")
    show(
        "claim: ms per batch, share of time",
        f"{1000 * sender.claim_seconds / max(1, sender.claims):.2f}, "
        f"{100 * sender.claim_seconds / elapsed:.0f} %",
    )
    show(
        "mark in doubt + complete: ms per message",
        f"{1000 * per_row / max(1, state.sent):.2f}",
    )
    show("peak RSS (MiB)", f"{peak_rss_mib():.0f}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark the command line asks for; returns the exit status."""
    run = _parse(argv)
    with (
        tempfile.TemporaryDirectory(prefix="commons-bench-") as folder,
        scratch_database(run.database, Path(folder)) as database_url,
    ):
        engine = make_engine(database_url)
        try:
            upgrade(engine)
            store = Store(engine)
            _header(run, database_url)
            if run.store_only:
                _store_only(run, store)
            elif run.replicas > 1:
                _replicas(run, database_url, store, Path(folder))
            else:
                _in_process(run, database_url, store)
        finally:
            engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
