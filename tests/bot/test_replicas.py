"""Replicas: three scheduler+sender processes on PostgreSQL post each occurrence exactly once."""

import os
import random
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from bot.models import Schedule, ScheduleRun
from bot.outbox import delivery
from bot.scheduling import schedules
from bot.scheduling.schedules import Recurrence
from bot.store import Store, make_engine, upgrade
from sandbox.server import Sandbox
from tests.bot.replica_worker import CAMPAIGN, KIND, occurrence_key
from tests.bot.sender_worker import SharedClock
from tests.support import generated_people, posted_keys, wait_until, workspace_with_people

ROOT = Path(__file__).resolve().parents[2]
SPEED = 30.0  # a clock minute passes in two real seconds


def test_three_replicas_post_200_one_offs_and_20_recurring_schedules_exactly_once(
    postgres_url: str,
) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    store = Store(engine)
    env = {**os.environ, "CLOCK_ORIGIN": str(time.time()), "CLOCK_SPEED": str(SPEED)}
    clock = SharedClock(float(env["CLOCK_ORIGIN"]), SPEED)
    people = generated_people(220)
    rng = random.Random(5)
    start = clock.now()
    window = timedelta(minutes=10)
    with store.unit_of_work() as session:
        delivery.open_campaign(
            session=session, clock=clock, campaign_id=CAMPAIGN, kind="test", title="Replicas"
        )
        for n in range(200):
            at = (
                start
                + timedelta(minutes=1)
                + timedelta(seconds=rng.uniform(0, window.total_seconds()))
            )
            schedules.schedule_once(
                session=session, clock=clock, kind=KIND, ref_id=people[n], at=at
            )
        recurring_ids = [
            schedules.schedule_recurring(
                session=session,
                clock=clock,
                kind=KIND,
                ref_id=people[200 + n],
                rule=Recurrence(minute="*/2", hour="*"),
                timezone="Europe/Berlin",
            ).id
            for n in range(20)
        ]
    with Sandbox(workspace_with_people(220), seed=9) as slack:
        slack.set_limits(workspace_per_minute=600_000, workspace_burst=10_000)
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.bot.replica_worker",
                    postgres_url,
                    slack.api_url,
                    slack.bot_token,
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            for _ in range(3)
        ]
        try:
            for worker in workers:
                assert worker.stdout is not None
                assert worker.stdout.readline().strip() == "ready"
            end = start + timedelta(minutes=12)
            assert wait_until(lambda: clock.now() >= end, timeout=60)
            with store.unit_of_work() as session:
                for schedule_id in recurring_ids:
                    schedules.cancel(session=session, clock=clock, schedule_id=schedule_id or 0)

            def all_posted() -> bool:
                with store.unit_of_work(write=False) as session:
                    return delivery.progress(
                        session=session, clock=clock, campaign_id=CAMPAIGN, budget_per_minute=300
                    ).done

            assert wait_until(all_posted, timeout=60)
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=20)
                if worker.stdout is not None:
                    worker.stdout.close()
        keys = posted_keys(slack, "occ:")
    with store.unit_of_work(write=False) as session:
        runs = session.exec(select(ScheduleRun)).all()
        kinds = {s.id: s.rule is None for s in session.exec(select(Schedule)).all()}
    engine.dispose()

    ran = [r for r in runs if r.outcome in ("ran", "late")]
    expected = {occurrence_key(r.schedule_id, r.occurrence_at) for r in ran}
    one_off_runs = Counter(r.schedule_id for r in ran if kinds[r.schedule_id])
    recurring_runs = [r for r in ran if not kinds[r.schedule_id]]
    print(
        f"replicas: {len(ran)} occurrences ({len(one_off_runs)} one-offs, {len(recurring_runs)} recurring), "
        f"{sum(keys.values())} posts"
    )
    assert len(one_off_runs) == 200
    assert set(one_off_runs.values()) == {1}
    assert len(recurring_runs) >= 20 * 5  # every two clock minutes for twelve minutes
    assert [r for r in runs if r.outcome not in ("ran", "late")] == []
    assert set(keys) == expected  # nothing lost
    assert max(keys.values()) == 1  # nothing twice
