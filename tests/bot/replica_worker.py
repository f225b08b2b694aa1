"""A Commons replica for the replicas test: the schedules tick and the outbox sender, until SIGTERM.

    python -m tests.bot.replica_worker DATABASE_URL API_URL TOKEN

Each occurrence of a "test.post" schedule enqueues one DM to the user in the schedule's ref_id.
The clock is shared with the test: real time since CLOCK_ORIGIN, sped up CLOCK_SPEED times.
"""

import signal
import sys
import threading
from datetime import datetime

from slack_sdk import WebClient
from sqlmodel import Session

from bot.models import Schedule
from bot.outbox import delivery
from bot.outbox.delivery import OutboundMessage
from bot.outbox.pacing import PostLimits
from bot.outbox.sender import Sender, SenderConfig
from bot.scheduling import notices
from bot.scheduling.ticker import Ticker
from bot.store import Store, make_engine
from tests.bot.sender_worker import SharedClock

KIND = "test.post"
CAMPAIGN = "replicas"


def occurrence_key(schedule_id: int, occurrence: datetime) -> str:
    return f"occ:{schedule_id}:{occurrence:%Y%m%dT%H%M%S}"


class PostOccurrence:
    """Posts one DM per occurrence, in the transaction that claims it."""

    def __init__(self, clock: SharedClock) -> None:
        self.clock = clock

    def run(self, session: Session, schedule: Schedule, occurrence: datetime, late: bool) -> None:
        delivery.enqueue(
            session=session,
            clock=self.clock,
            campaign_id=CAMPAIGN,
            messages=[
                OutboundMessage(
                    target=schedule.ref_id,
                    text=f"Occurrence {occurrence:%H:%M}",
                    idempotency_key=occurrence_key(schedule.id or 0, occurrence),
                )
            ],
        )

    def skipped(self, session: Session, schedule: Schedule, occurrences: list[datetime]) -> None:
        notices.tell_owner(
            session=session,
            clock=self.clock,
            schedule=schedule,
            text=notices.skipped_text("a test post", schedule, occurrences),
            key=f"skipped:{occurrences[-1]:%Y%m%dT%H%M%S}",
        )


def main() -> int:
    import os

    database_url, api_url, token = sys.argv[1:4]
    clock = SharedClock(float(os.environ["CLOCK_ORIGIN"]), float(os.environ["CLOCK_SPEED"]))
    store = Store(make_engine(database_url))
    client = WebClient(token=token, base_url=api_url, retry_handlers=[], timeout=5)
    sender = Sender(
        store,
        client,
        clock,
        owner=f"replica-{os.getpid()}",
        config=SenderConfig(limits=PostLimits(per_minute=600_000), batch_size=10),
    )
    ticker = Ticker(store, clock, {KIND: PostOccurrence(clock)}, interval_seconds=0.2)
    ticker.add_tick("commons.outbox", lambda: sender.drain(0.2), 0.2)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    ticker.start()
    print("ready", flush=True)
    stop.wait()
    ticker.shutdown(wait=True)
    store.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
