"""Must-reads: one acknowledgement a person, reminders to the rest, counts refreshed once."""

from typing import Any

import pytest
from sqlmodel import Session, select

from announcements.acknowledgements import (
    acknowledge,
    claim_count_refreshes,
    remind,
    require_post_visible,
)
from announcements.blocks import Renderer
from announcements.common import REMIND_KIND
from announcements.models import Announcement, AnnouncementPost
from bot.clock import FixedClock
from bot.errors import NotFound
from bot.models import Delivery, Schedule
from bot.store import Store
from tests import factories
from tests.announcements.company import ENG, MANAGER, MEMBER, company, post_now

CLOCK = FixedClock(factories.NOW)
NOBODY = factories.Members()


def _must_read(session: Session, **fields: Any) -> tuple[Announcement, AnnouncementPost]:
    company(session)
    announcement = factories.announcement(
        session, channels=(ENG,), must_read=True, state="posted", **fields
    )
    return announcement, factories.post(session, announcement, audience_count=3)


def test_a_second_click_changes_nothing(store: Store) -> None:
    with store.unit_of_work() as session:
        _, post = _must_read(session)
        clicks = [
            acknowledge(
                session=session, clock=CLOCK, members=NOBODY, post_id=post.id or 0, user_id=who
            )
            for who in (MEMBER, MEMBER, MANAGER)
        ]
        session.refresh(post)
    assert clicks == [True, False, True]
    assert post.ack_count == 2


def test_a_post_in_a_private_channel_is_acknowledged_by_its_members_only(store: Store) -> None:
    with store.unit_of_work() as session:
        factories.channel(session, "C0SECRET", is_private=True)
        secret = factories.announcement(
            session, channels=("C0SECRET",), must_read=True, state="posted"
        )
        post = factories.post(session, secret)
        members = factories.Members({"C0SECRET": {MEMBER}})
        assert require_post_visible(
            session=session, members=members, post_id=post.id or 0, user_id=MEMBER
        )
        with pytest.raises(NotFound, match="no must-read announcement here"):
            acknowledge(
                session=session, clock=CLOCK, members=members, post_id=post.id or 0, user_id=MANAGER
            )


def test_only_must_reads_that_exist_are_acknowledged(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        plain = factories.announcement(session, channels=(ENG,), state="posted")
        post = factories.post(session, plain)
        for post_id in (post.id or 0, 999):
            with pytest.raises(NotFound):
                acknowledge(
                    session=session, clock=CLOCK, members=NOBODY, post_id=post_id, user_id=MEMBER
                )


def test_reminders_go_to_those_who_have_not_acknowledged_at_most_twice(store: Store) -> None:
    with store.unit_of_work() as session:
        _, post = _must_read(session)
        acknowledge(
            session=session, clock=CLOCK, members=NOBODY, post_id=post.id or 0, user_id=MEMBER
        )
        sent = [
            remind(session=session, clock=CLOCK, renderer=Renderer(), post_id=post.id or 0)
            for _ in range(3)
        ]
        targets = sorted(session.exec(select(Delivery.target)).all())
        next_reminders = session.exec(select(Schedule).where(Schedule.kind == REMIND_KIND)).all()
    assert sent == [2, 2, 0]
    assert targets == sorted([MANAGER, "U0CAROL"] * 2)
    assert len(next_reminders) == 1  # after the first; the second is the last


def test_no_reminder_for_a_cancelled_announcement(store: Store) -> None:
    with store.unit_of_work() as session:
        _, post = _must_read(session, max_reminders=2)
        announcement = session.get(Announcement, post.announcement_id)
        assert announcement is not None
        announcement.state = "cancelled"
        assert remind(session=session, clock=CLOCK, renderer=Renderer(), post_id=post.id or 0) == 0
        assert remind(session=session, clock=CLOCK, renderer=Renderer(), post_id=404) == 0


def test_a_changed_count_is_claimed_once_for_each_message_that_landed(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        announcement = factories.announcement(
            session, channels=(ENG,), must_read=True, state="scheduled"
        )
        post = post_now(session, announcement)
        assert post is not None
        landed = session.exec(select(Delivery)).one()
        landed.channel, landed.ts = ENG, "1700000000.000100"
        session.add(landed)
        assert claim_count_refreshes(session=session, renderer=Renderer()) == []
        acknowledge(
            session=session, clock=CLOCK, members=NOBODY, post_id=post.id or 0, user_id=MEMBER
        )
        first = claim_count_refreshes(session=session, renderer=Renderer())
        second = claim_count_refreshes(session=session, renderer=Renderer())
    assert [(r.channel, r.ts, r.text) for r in first] == [
        (ENG, "1700000000.000100", announcement.title)
    ]
    assert "1 of 3 acknowledged" in str(first[0].blocks)
    assert second == []
