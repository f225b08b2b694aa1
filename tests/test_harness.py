"""The harness itself: people act over HTTP, time moves only when told, due work gets posted."""

from datetime import datetime, timedelta

from sqlmodel import Session

from bot.clock import Clock
from bot.models import Schedule
from bot.outbox import delivery
from bot.outbox.delivery import OutboundMessage
from bot.scheduling import schedules
from tests.harness import Harness


class Greet:
    """A schedule handler that posts a greeting in #general."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def run(self, session: Session, schedule: Schedule, occurrence: datetime, late: bool) -> None:
        delivery.open_campaign(
            session=session, clock=self.clock, campaign_id="greet", kind="test", title="Greet"
        )
        delivery.enqueue(
            session=session,
            clock=self.clock,
            campaign_id="greet",
            messages=[
                OutboundMessage(
                    target="C0GENERAL", text="Good morning", idempotency_key=f"g:{occurrence}"
                )
            ],
        )

    def skipped(self, session: Session, schedule: Schedule, occurrences: list[datetime]) -> None:
        raise AssertionError("nothing should be skipped")


def test_a_schedule_fires_when_the_clock_reaches_it_and_is_posted(harness: Harness) -> None:
    harness.services.schedule_handlers["test.greet"] = Greet(harness.clock)
    with harness.store.unit_of_work() as session:
        schedules.schedule_once(
            session=session,
            clock=harness.clock,
            kind="test.greet",
            ref_id="1",
            at=harness.clock.now() + timedelta(minutes=30),
        )
    harness.run_due()
    assert [m.text for m in harness.messages("C0GENERAL")] == []
    harness.advance(timedelta(minutes=30))
    assert [m.text for m in harness.messages("C0GENERAL")] == ["Good morning"]


def test_people_act_over_http_and_see_answers(harness: Harness) -> None:
    ack = harness.slash("bob", "/commons", "whoami")
    assert ack.status == 200
    assert "Bob" in str(ack.body)
