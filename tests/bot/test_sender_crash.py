"""Crashes: a sender process SIGKILLed at named points and at random times, restarted 20+ times
during one fan-out, loses nothing and posts nothing twice."""

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

from bot.models import Delivery
from bot.outbox import delivery
from bot.outbox.delivery import OutboundMessage
from bot.store import Store, make_engine, upgrade
from sandbox.server import Sandbox
from tests.bot.sender_worker import SharedClock
from tests.support import generated_people, posted_keys, workspace_with_people

ROOT = Path(__file__).resolve().parents[2]
COUNT = 1000  # large enough that all 24 deaths fall inside the fan-out


def _worker(
    url: str, slack: Sandbox, owner: str, env: dict[str, str], *extra: str
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.bot.sender_worker",
            url,
            slack.api_url,
            slack.bot_token,
            owner,
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


@pytest.mark.slow
def test_a_sender_killed_20_times_during_a_fan_out_loses_nothing_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'commons.db'}"
    engine = make_engine(url)
    upgrade(engine)
    store = Store(engine)
    env = {**os.environ, "CLOCK_ORIGIN": str(time.time()), "CLOCK_SPEED": "20"}
    clock = SharedClock(float(env["CLOCK_ORIGIN"]), 20)
    rng = random.Random(11)
    with Sandbox(workspace_with_people(COUNT), seed=3) as slack:
        slack.set_limits(workspace_per_minute=600_000, workspace_burst=10_000)
        # Now and then a response is lost too, so in-doubt rows come from both causes.
        with store.unit_of_work() as session:
            delivery.open_campaign(
                session=session, clock=clock, campaign_id="c1", kind="test", title="Crash"
            )
            delivery.enqueue(
                session=session,
                clock=clock,
                campaign_id="c1",
                messages=[
                    OutboundMessage(target=p, text="Hi", idempotency_key=f"k:{p}")
                    for p in generated_people(COUNT)
                ],
            )
        plan = ["claimed", "posted", "random"] * 8  # 24 deaths
        for round_number, how in enumerate(plan):
            owner = f"w{round_number}"
            if how == "random":
                process = _worker(url, slack, owner, env)
                assert process.stdout is not None
                process.stdout.readline()  # "ready"
                time.sleep(rng.uniform(0.05, 0.15))
                process.send_signal(signal.SIGKILL)
            else:
                process = _worker(
                    url, slack, owner, env, "--die-at", how, "--after", str(rng.randint(1, 6))
                )
            process.wait(timeout=60)
            if process.stdout is not None:
                process.stdout.close()
            assert process.returncode == -signal.SIGKILL, (
                f"round {round_number} ({how}) did not die"
            )
        sent_before_survivor = len(posted_keys(slack))
        survivor = _worker(url, slack, "survivor", env)
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                with store.unit_of_work(write=False) as session:
                    progress = delivery.progress(
                        session=session, clock=clock, campaign_id="c1", budget_per_minute=300
                    )
                if progress.done:
                    break
                time.sleep(0.2)
        finally:
            survivor.terminate()
            survivor.wait(timeout=10)
            if survivor.stdout is not None:
                survivor.stdout.close()
        keys = posted_keys(slack)
        with store.unit_of_work(write=False) as session:
            states = Counter(r.state for r in session.exec(select(Delivery)).all())
        in_doubt_lookups = len(slack.calls("conversations.history"))
    engine.dispose()
    print(
        f"crash: {len(plan)} deaths, {sent_before_survivor} posted before the survivor, "
        f"{in_doubt_lookups} in-doubt lookups"
    )
    assert states == Counter({"sent": COUNT})  # 0 lost
    assert len(keys) == COUNT
    assert max(keys.values()) == 1  # 0 duplicates
    assert in_doubt_lookups > 0  # the posted-then-killed rows really were in doubt
    assert 0 < sent_before_survivor < COUNT  # the crashes really happened during the fan-out
