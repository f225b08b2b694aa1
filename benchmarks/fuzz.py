"""Fuzz a running `commons serve` with random slash commands and malformed interactions.

    python -m benchmarks.fuzz                       # SQLite, 10,000 commands + 4,000 interactions
    python -m benchmarks.fuzz --database postgresql://postgres@127.0.0.1:5432/test
    python -m benchmarks.fuzz --commands 500 --interactions 200 --seed 7

Commons runs as a real process (HTTP mode, waitress) against the sandbox; every request is
signed, as Slack's are. Prints, per kind of request: sent, non-200 answers, acks over 3 s, replies
that carry a reference id (Commons failing on bad input instead of answering it), and ERROR lines
in Commons' log. All should be zero.
"""

import argparse
import json
import random
import sys
import tempfile
import threading
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.harness import scratch_database
from bot.app import create_app
from bot.services import Services
from bot.settings import Settings
from bot.store import Store, make_engine
from sandbox.driver import Ack, Driver
from sandbox.fuzz import PEOPLE, command_text, interactive_payload
from sandbox.server import Sandbox
from tests.support import bot_env, bot_process, free_port, wait_for_http

REFERENCE = "reference: `"


@dataclass
class Tally:
    """What came back for one kind of request."""

    sent: int = 0
    non_200: Counter[int] = field(default_factory=Counter)
    slow: int = 0
    with_reference: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, ack: Ack) -> None:
        with self.lock:
            self.sent += 1
            if ack.status != 200:
                self.non_200[ack.status] += 1
            if ack.seconds >= 3.0:
                self.slow += 1
            if REFERENCE in json.dumps(ack.body):
                self.with_reference += 1


def _wired(sandbox: Sandbox, workdir: Path) -> tuple[Services, list[str]]:
    """What the app wires (ids, verbs, block ids), read from an app built in this process."""
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": sandbox.bot_token,
            "SLACK_SIGNING_SECRET": sandbox.signing_secret,
            "DATABASE_URL": f"sqlite:///{workdir / 'wiring.db'}",
        }
    )
    services = Services(settings=settings, store=Store(make_engine(settings.database_url)))
    create_app(settings, services)
    blocks = sorted({target for kind, target in services.wired if kind == "block"})
    return services, blocks


def _verbs(services: Services) -> dict[str, list[str]]:
    tables = services.command_tables
    return {
        name: ([v.name for v in tables[name].verbs] if name in tables else []) + ["help"]
        for kind, name in services.wired
        if kind == "command"
    }


def run(
    database: str | None,
    commands: int,
    interactions: int,
    seed: int,
    threads: int,
    bot_path: str | None = None,
) -> int:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp, Sandbox() as sandbox:
        workdir = Path(tmp)
        services, block_ids = _wired(sandbox, workdir)
        verbs = _verbs(services)
        with scratch_database(database, workdir) as url:
            port = free_port()
            env = bot_env(sandbox, url)
            if bot_path:
                # Another checkout of Commons (an older commit, say), run by the same client.
                env["PYTHONPATH"] = bot_path
            args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
            with bot_process(args, env, workdir) as process:
                wait_for_http(f"http://127.0.0.1:{port}/healthz", process=process, timeout=60)
                driver = Driver(sandbox, bot_url=f"http://127.0.0.1:{port}/slack/events")
                command_tally, interaction_tally = Tally(), Tally()
                jobs: list[tuple[str, str, str] | dict[str, Any]] = []
                for _ in range(commands):
                    name = rng.choice(sorted(verbs))
                    jobs.append((rng.choice(PEOPLE), name, command_text(rng, verbs[name])))
                for _ in range(interactions):
                    jobs.append(interactive_payload(rng, services.wired, block_ids))
                rng.shuffle(jobs)

                def send(job: tuple[str, str, str] | dict[str, Any]) -> None:
                    if isinstance(job, tuple):
                        command_tally.add(driver.slash(*job))
                        return
                    payload = job
                    if payload.get("type") == "event_callback":
                        ack = driver.send_raw(json.dumps(payload).encode(), "application/json")
                    else:
                        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
                        ack = driver.send_raw(body, "application/x-www-form-urlencoded")
                    interaction_tally.add(ack)

                with ThreadPoolExecutor(max_workers=threads) as pool:
                    list(pool.map(send, jobs))
                # What Commons told people after the ack: ephemerals, DMs, edits.
                later_references = sum(
                    REFERENCE in (activity.text or "")
                    for activity in sandbox.workspace.activity_since(0)
                    if activity.kind not in ("message", "reply", "update")
                    or activity.user == sandbox.bot_user_id
                )
            log = (workdir / "commons.log").read_text(errors="replace").splitlines()
    errors = [line for line in log if " ERROR " in line or "Traceback" in line]
    store_name = "PostgreSQL" if database else "SQLite"
    which = f" from {bot_path}" if bot_path else ""
    print(f"fuzz of commons serve{which} on {store_name}, seed {seed}, {threads} clients")
    for label, tally in (("slash commands", command_tally), ("interactions", interaction_tally)):
        print(
            f"  {label:15} sent {tally.sent:6}  non-200 {sum(tally.non_200.values()):4} "
            f"{dict(tally.non_200) or ''}  acks over 3 s {tally.slow:4}  "
            f"replies with a reference id {tally.with_reference:4}"
        )
    print(f"  messages after the ack with a reference id: {later_references}")
    print(f"  ERROR lines in the log: {len(errors)} (of {len(log)} lines)")
    for line in errors[:10]:
        print(f"    {line[:200]}")
    bad = (
        sum(command_tally.non_200.values())
        + sum(interaction_tally.non_200.values())
        + command_tally.slow
        + interaction_tally.slow
        + command_tally.with_reference
        + interaction_tally.with_reference
        + later_references
        + len(errors)
    )
    return 0 if bad == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite in a scratch folder)")
    parser.add_argument("--commands", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=4_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4, help="clients sending at once")
    parser.add_argument(
        "--bot-path",
        help="run the Commons of this checkout (e.g. a git worktree of an older commit) instead",
    )
    options = parser.parse_args(argv)
    return run(
        options.database,
        options.commands,
        options.interactions,
        options.seed,
        options.threads,
        options.bot_path,
    )


if __name__ == "__main__":
    sys.exit(main())
