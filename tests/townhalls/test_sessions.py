"""Town halls: checked input, the notice with its schedules, the list, follow-ups, cancelling."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.clock import FixedClock
from bot.errors import FieldErrors, InvalidInput, PermissionDenied
from bot.models import Delivery, Schedule
from bot.scheduling import schedules
from bot.store import Store
from tests import factories
from tests.announcements.company import COMMS, ENG, GENERAL, MANAGER, MEMBER, POLICY, company
from townhalls.blocks import Renderer
from townhalls.digest import QUESTIONS_KIND
from townhalls.models import TownHall
from townhalls.reminders import REMIND_KIND
from townhalls.sessions import TownHallInput, cancel, check, create, followup, upcoming

CLOCK = FixedClock(factories.NOW)
GOOD = TownHallInput(
    title="Q4 engineering town hall",
    date="2026-11-26",
    time="15:00",
    zone="Europe/Berlin",
    place="https://meet.example.com/q4",
    agenda="Roadmap, hiring",
    channels=[ENG],
)


def _create(session: Session, data: TownHallInput = GOOD, host: str = MANAGER) -> TownHall:
    return create(
        session=session, clock=CLOCK, policy=POLICY, renderer=Renderer(), host_id=host, data=data
    )


def test_the_input_is_checked_into_a_start_in_utc_with_default_duration_and_reminders(
    store: Store,
) -> None:
    with store.unit_of_work() as session:
        company(session)
        checked = check(session=session, clock=CLOCK, policy=POLICY, host_id=MANAGER, data=GOOD)
    assert checked.starts_at == datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    assert (checked.zone, checked.duration_minutes, checked.reminders) == (
        "Europe/Berlin",
        60,
        (1440, 60),
    )
    assert checked.channels == (ENG,)


def test_every_wrong_field_is_reported_at_once(store: Store) -> None:
    wrong = TownHallInput(
        title="",
        date="2026-11-26",
        time="25:00",
        zone="Mars/Olympus",
        duration="2",
        place="x" * 501,
        channels=[GENERAL],
        reminders=["30"],
    )
    with store.unit_of_work() as session:
        company(session)
        with pytest.raises(FieldErrors) as refused:
            check(session=session, clock=CLOCK, policy=POLICY, host_id=MANAGER, data=wrong)
        with pytest.raises(FieldErrors) as past:
            check(
                session=session,
                clock=CLOCK,
                policy=POLICY,
                host_id=MANAGER,
                data=replace(GOOD, date="2026-11-24", time="08:00"),
            )
    assert list(refused.value.errors) == [
        "title",
        "zone",
        "time",
        "duration",
        "place",
        "channels",
        "reminders",
    ]
    assert "As a manager" in refused.value.errors["channels"]
    assert past.value.errors == {"time": "That time has passed: pick a start in the future."}


def test_creating_one_posts_the_notice_and_schedules_its_reminders_and_digest(
    store: Store,
) -> None:
    with store.unit_of_work() as session:
        company(session)
        townhall = _create(session)
        keys = session.exec(select(Delivery.idempotency_key)).all()
        kinds = sorted(session.exec(select(Schedule.kind)).all())
        with pytest.raises(PermissionDenied, match="Town halls are announced by managers"):
            _create(session, host=MEMBER)
    assert keys == [f"th:{townhall.id}:notice:{ENG}"]
    assert kinds == sorted([REMIND_KIND, REMIND_KIND, QUESTIONS_KIND])
    assert not townhall.may_notify_everyone


def test_the_list_shows_what_has_not_ended_and_the_person_may_see(store: Store) -> None:
    with store.unit_of_work() as session:
        factories.channel(session, "C0SECRET", is_private=True)
        coming = factories.townhall(session)
        factories.townhall(session, starts_at=factories.NOW - timedelta(hours=2))
        started = factories.townhall(session, starts_at=factories.NOW - timedelta(minutes=30))
        factories.townhall(session, state="cancelled")
        secret = factories.townhall(session, channels=("C0SECRET",))
        members = factories.Members({"C0SECRET": {MEMBER}})
        for_member = upcoming(session=session, clock=CLOCK, members=members, user_id=MEMBER)
        for_others = upcoming(session=session, clock=CLOCK, members=members, user_id=COMMS)
    assert [t.id for t in for_member] == [started.id, coming.id, secret.id]
    assert [t.id for t in for_others] == [started.id, coming.id]


def test_the_follow_up_goes_in_the_notices_thread_after_the_start(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        townhall = _create(session)
        clock = FixedClock(factories.NOW)

        def follow_up(text: str, who: str = MANAGER) -> int:
            return followup(
                session=session,
                clock=clock,
                policy=POLICY,
                user_id=who,
                townhall_id=townhall.id or 0,
                text=text,
            )

        with pytest.raises(InvalidInput, match="has not started yet"):
            follow_up("Recording: later")
        clock.set(townhall.starts_at + timedelta(hours=2))
        with pytest.raises(InvalidInput, match="Write the follow-up after the id"):
            follow_up("  ")
        with pytest.raises(PermissionDenied):
            follow_up("Recording", who=MEMBER)
        count = follow_up("Recording: https://example.com/r <!channel>")
        notice, reply = session.exec(select(Delivery).order_by(col(Delivery.id))).all()
    assert count == 1
    assert reply.parent_id == notice.id
    assert "<!channel>" not in reply.text
    assert townhall.followups == 1


def test_cancelling_stops_its_schedules_and_says_so_in_the_thread(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        townhall = _create(session)
        said = cancel(
            session=session, clock=CLOCK, policy=POLICY, user_id=COMMS, townhall_id=townhall.id or 0
        )
        again = cancel(
            session=session, clock=CLOCK, policy=POLICY, user_id=COMMS, townhall_id=townhall.id or 0
        )
        states = set(session.exec(select(Schedule.state)).all())
        rows = session.exec(select(Delivery).order_by(col(Delivery.id))).all()
    assert said == f":no_entry_sign: Town hall #{townhall.id} is cancelled; its threads say so."
    assert again == f"Town hall #{townhall.id} was already cancelled."
    assert states == {schedules.CANCELLED}
    assert [r.state for r in rows] == ["cancelled", "pending"]  # the unsent notice, the note
    assert rows[1].parent_id == rows[0].id
