"""A sender process for the crash tests: posts from the outbox until killed, or until it kills itself.

    python -m tests.bot.sender_worker DATABASE_URL API_URL TOKEN OWNER [--die-at POINT --after N]

`--die-at claimed|posted` makes the process SIGKILL itself the Nth time it reaches that point
(after a claim is committed; after Slack accepted a post and before the outcome is committed).
The clock is shared by every worker: real time since CLOCK_ORIGIN, sped up CLOCK_SPEED times.
"""

import argparse
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient

from bot.outbox.pacing import PostLimits
from bot.outbox.sender import Sender, SenderConfig
from bot.store import Store, make_engine


class SharedClock:
    """Wall time sped up from a common origin, so that separate processes agree on `now`."""

    def __init__(self, origin: float, speed: float) -> None:
        self.origin = origin
        self.speed = speed

    def now(self) -> datetime:
        elapsed = (time.time() - self.origin) * self.speed
        return datetime.fromtimestamp(self.origin, UTC) + timedelta(seconds=elapsed)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("api_url")
    parser.add_argument("token")
    parser.add_argument("owner")
    parser.add_argument("--die-at", choices=["claimed", "posted"])
    parser.add_argument("--after", type=int, default=1)
    args = parser.parse_args()
    clock = SharedClock(float(os.environ["CLOCK_ORIGIN"]), float(os.environ["CLOCK_SPEED"]))
    reached = 0

    def checkpoint(point: str) -> None:
        nonlocal reached
        if point == args.die_at:
            reached += 1
            if reached >= args.after:
                os.kill(os.getpid(), signal.SIGKILL)

    store = Store(make_engine(args.database_url))
    client = WebClient(token=args.token, base_url=args.api_url, retry_handlers=[], timeout=5)
    sender = Sender(
        store,
        client,
        clock,
        owner=args.owner,
        config=SenderConfig(
            limits=PostLimits(per_minute=600_000), batch_size=5, lease=timedelta(seconds=20)
        ),
        checkpoint=checkpoint,
    )
    print("ready", flush=True)
    while True:
        if sender.drain(1.0) == 0:
            time.sleep(0.02)


if __name__ == "__main__":
    sys.exit(main())
