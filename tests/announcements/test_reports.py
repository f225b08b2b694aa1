"""What authors and communications see: the list, and a must-read's acknowledgement figures."""

from datetime import timedelta

import pytest

from announcements.models import State
from announcements.reports import listing, stats
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.store import Store
from tests import factories
from tests.announcements.company import COMMS, ENG, MANAGER, MEMBER, POLICY, company

NOBODY = factories.Members()


def test_managers_list_their_own_and_comms_list_everyones_waiting_or_upcoming(
    store: Store,
) -> None:
    with store.unit_of_work() as session:
        company(session)
        mine = factories.announcement(
            session, author_id=MANAGER, channels=(ENG,), state="scheduled"
        )
        theirs = factories.announcement(session, author_id=COMMS, state="pending_approval")
        factories.announcement(session, author_id=MANAGER, state=State.POSTED.value)
        factories.announcement(session, author_id=MANAGER)  # a draft
        for_manager = listing(session=session, policy=POLICY, user_id=MANAGER)
        for_comms = listing(session=session, policy=POLICY, user_id=COMMS)
        with pytest.raises(PermissionDenied):
            listing(session=session, policy=POLICY, user_id=MEMBER)
    assert [(i.announcement_id, i.channels, i.when) for i in for_manager] == [
        (mine.id, [ENG], "now")
    ]
    assert [i.announcement_id for i in for_comms] == [mine.id, theirs.id]


def test_the_figures_are_those_of_the_latest_post(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        weekly = factories.announcement(
            session, author_id=MANAGER, channels=(ENG,), must_read=True, state="recurring"
        )
        factories.post(session, weekly, audience_count=3, ack_count=3)
        factories.post(
            session,
            weekly,
            occurrence_at=factories.NOW + timedelta(days=7),
            audience_count=4,
            ack_count=1,
            reminders_sent=1,
        )
        figures = stats(
            session=session,
            policy=POLICY,
            members=NOBODY,
            user_id=MANAGER,
            announcement_id=weekly.id or 0,
        )
    assert (figures.audience, figures.acknowledged, figures.reminders_sent, figures.posts) == (
        4,
        1,
        1,
        2,
    )
    assert figures.rate == 0.25


def test_figures_are_refused_to_others_and_for_what_has_nothing_to_count(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        factories.channel(session, "C0SECRET", is_private=True)
        plain = factories.announcement(session, author_id=MANAGER, state="posted")
        waiting = factories.announcement(
            session, author_id=MANAGER, must_read=True, state="scheduled"
        )
        secret = factories.announcement(
            session, channels=("C0SECRET",), must_read=True, state="posted"
        )

        def ask(who: str, announcement_id: int | None) -> object:
            return stats(
                session=session,
                policy=POLICY,
                members=NOBODY,
                user_id=who,
                announcement_id=announcement_id or 0,
            )

        with pytest.raises(PermissionDenied, match="Only the author"):
            ask(MEMBER, waiting.id)
        with pytest.raises(InvalidInput, match="is not a must-read"):
            ask(MANAGER, plain.id)
        with pytest.raises(InvalidInput, match="has not gone out yet"):
            ask(COMMS, waiting.id)
        with pytest.raises(NotFound, match="you can see"):
            ask(MANAGER, secret.id)
