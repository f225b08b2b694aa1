"""Stopping an announcement: its schedule, reminders and unsent messages; deleting what landed."""

import pytest
from sqlmodel import Session, col, select

from announcements.cancellation import Deletion, cancel, deletion_text, posted_messages, stop
from announcements.common import REMIND_KIND
from announcements.models import Announcement, State
from announcements.posting import schedule
from bot.clock import FixedClock
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.models import Delivery, Schedule
from bot.scheduling import schedules
from bot.store import Store
from tests import factories
from tests.announcements.company import COMMS, ENG, GENERAL, MANAGER, POLICY, company, post_now

CLOCK = FixedClock(factories.NOW)


def _posted(session: Session, author: str = MANAGER) -> Announcement:
    """A must-read posted in #general and #eng, one of its two messages landed in Slack."""
    company(session)
    announcement = factories.announcement(
        session, author_id=author, channels=(GENERAL, ENG), must_read=True, state="scheduled"
    )
    post_now(session, announcement)
    landed = session.exec(select(Delivery).order_by(col(Delivery.id))).first()
    assert landed is not None
    landed.state, landed.channel, landed.ts = "sent", GENERAL, "1700000000.000100"
    session.add(landed)
    session.flush()
    return announcement


def _cancel(session: Session, who: str, announcement_id: int | None) -> str:
    return cancel(
        session=session,
        clock=CLOCK,
        policy=POLICY,
        user_id=who,
        announcement_id=announcement_id or 0,
    )


def _delete(session: Session, who: str, announcement: Announcement) -> list[tuple[str, str]]:
    return posted_messages(
        session=session,
        clock=CLOCK,
        policy=POLICY,
        user_id=who,
        announcement_id=announcement.id or 0,
    )


def test_cancelling_a_scheduled_one_stops_its_schedule_and_says_so(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        later = factories.announcement(
            session, author_id=MANAGER, channels=(ENG,), when="at", at=factories.NOW.replace(day=26)
        )
        schedule(session, CLOCK, later)
        said = _cancel(session, MANAGER, later.id)
        planned = session.get(Schedule, later.schedule_id)
    assert said == f":no_entry_sign: Announcement #{later.id} is cancelled; nothing more goes out."
    assert later.state == State.CANCELLED.value
    assert planned is not None
    assert planned.state != schedules.ACTIVE


def test_cancelling_a_posted_one_stops_its_reminders_and_unsent_messages(store: Store) -> None:
    with store.unit_of_work() as session:
        posted = _posted(session)
        said = _cancel(session, COMMS, posted.id)
        reminders = session.exec(select(Schedule.state).where(Schedule.kind == REMIND_KIND)).all()
        states = sorted(session.exec(select(Delivery.state)).all())
    assert said == (
        f"#{posted.id} was already posted; its reminders are stopped and 1 unsent message "
        f"cancelled. `/announce delete {posted.id}` removes the posted messages."
    )
    assert reminders == [schedules.CANCELLED]
    assert states == ["cancelled", "sent"]


def test_someone_elses_or_a_finished_one_is_not_cancelled(store: Store) -> None:
    with store.unit_of_work() as session:
        posted = _posted(session, author=COMMS)
        done = factories.announcement(session, author_id=MANAGER, state=State.CANCELLED.value)
        with pytest.raises(PermissionDenied, match="only they, communications staff"):
            _cancel(session, MANAGER, posted.id)
        with pytest.raises(InvalidInput, match="is cancelled already"):
            _cancel(session, MANAGER, done.id)
        with pytest.raises(NotFound):
            _cancel(session, MANAGER, 404)
        assert stop(session, CLOCK, 404) == 0


def test_delete_stops_it_and_names_the_messages_that_landed(store: Store) -> None:
    with store.unit_of_work() as session:
        posted = _posted(session)
        found = _delete(session, MANAGER, posted)
        with pytest.raises(PermissionDenied):
            _delete(session, "U0CAROL", posted)
    assert found == [(GENERAL, "1700000000.000100")]
    assert posted.state == State.CANCELLED.value


def test_what_the_author_is_told_after_the_deletes() -> None:
    assert deletion_text(Deletion(7)) == (
        ":wastebasket: Announcement #7 is cancelled. It had no posted messages to delete."
    )
    told = deletion_text(Deletion(7, deleted=2, already_gone=1, failed=(("C0ENG", "<nope>"),)))
    assert "Deleted 2 posted messages." in told
    assert "1 message was already gone." in told
    assert "<#C0ENG> (&lt;nope&gt;)" in told
    assert "Delete it in Slack, or run `/announce delete 7` again later." in told
