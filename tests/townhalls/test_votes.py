"""Upvotes: once a person a question, never on one's own named question or a cancelled one."""

import pytest

from bot.errors import InvalidInput, NotFound
from bot.store import Store
from tests import factories
from tests.announcements.company import MANAGER, MEMBER
from townhalls.votes import upvote

NOBODY = factories.Members()


def test_a_second_vote_changes_nothing(store: Store) -> None:
    with store.unit_of_work() as session:
        townhall = factories.townhall(session)
        asked = factories.question(session, townhall)
        votes = [
            upvote(session=session, members=NOBODY, question_id=asked.id or 0, user_id=who)
            for who in (MEMBER, MEMBER, MANAGER)
        ]
        session.refresh(asked)
    assert [v.counted for v in votes] == [True, False, True]
    assert {v.townhall_id for v in votes} == {townhall.id}
    assert asked.votes == 2


def test_ones_own_question_and_a_cancelled_town_hall_take_no_votes(store: Store) -> None:
    with store.unit_of_work() as session:
        townhall = factories.townhall(session)
        mine = factories.question(session, townhall, author_id=MEMBER)
        anonymous = factories.question(session, townhall, author_id=None)
        called_off = factories.question(session, factories.townhall(session, state="cancelled"))
        with pytest.raises(InvalidInput, match="your own question"):
            upvote(session=session, members=NOBODY, question_id=mine.id or 0, user_id=MEMBER)
        with pytest.raises(InvalidInput, match="was cancelled"):
            upvote(session=session, members=NOBODY, question_id=called_off.id or 0, user_id=MEMBER)
        with pytest.raises(NotFound):
            upvote(session=session, members=NOBODY, question_id=404, user_id=MEMBER)
        # An anonymous question has no author, so its asker cannot be told apart: it counts.
        assert upvote(
            session=session, members=NOBODY, question_id=anonymous.id or 0, user_id=MEMBER
        ).counted
