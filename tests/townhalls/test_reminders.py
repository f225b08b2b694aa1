"""Reminders in a town hall's channels: those still ahead are scheduled, and they post."""

from datetime import timedelta

from sqlmodel import select

from bot.clock import FixedClock
from bot.models import Delivery, Schedule
from bot.store import Store
from tests import factories
from townhalls.blocks import Renderer
from townhalls.reminders import REMIND_KIND, schedule_reminders, send_reminder

CLOCK = FixedClock(factories.NOW)


def test_only_reminders_still_ahead_are_scheduled(store: Store) -> None:
    with store.unit_of_work() as session:
        soon = factories.townhall(session, starts_at=factories.NOW + timedelta(minutes=90))
        schedule_reminders(session, CLOCK, soon, [1440, 60, 15])
        refs = sorted(
            session.exec(select(Schedule.ref_id).where(Schedule.kind == REMIND_KIND)).all()
        )
    assert refs == [f"{soon.id}:15", f"{soon.id}:60"]


def test_a_reminder_posts_in_each_channel_unless_the_town_hall_was_cancelled(
    store: Store,
) -> None:
    with store.unit_of_work() as session:
        held = factories.townhall(session, channels=("C0ENG", "C0OPS"))
        called_off = factories.townhall(session, state="cancelled")
        for which in (held, called_off):
            send_reminder(
                session=session, clock=CLOCK, renderer=Renderer(), ref_id=f"{which.id}:60"
            )
        send_reminder(session=session, clock=CLOCK, renderer=Renderer(), ref_id="404:60")
        rows = session.exec(select(Delivery)).all()
    assert sorted(r.idempotency_key for r in rows) == [
        f"th:{held.id}:remind:60:C0ENG",
        f"th:{held.id}:remind:60:C0OPS",
    ]
    assert "starts in 1 hour" in str(rows[0].blocks)
