"""Questions: asked by whoever may see the town hall until it ends, anonymous ones nameless."""

from datetime import timedelta

import pytest

from bot.clock import FixedClock
from bot.errors import FieldErrors, InvalidInput, NotFound
from bot.store import Store
from tests import factories
from tests.announcements.company import MEMBER
from townhalls.questions import (
    MAX_QUESTION,
    NewQuestion,
    ask,
    questions,
    ranked,
    require_question_visible,
)

CLOCK = FixedClock(factories.NOW)
NOBODY = factories.Members()


def test_an_anonymous_question_is_stored_without_anyone_s_id(store: Store) -> None:
    with store.unit_of_work() as session:
        townhall = factories.townhall(session)
        named = ask(
            session=session,
            clock=CLOCK,
            members=NOBODY,
            user_id=MEMBER,
            question=NewQuestion(townhall.id or 0, "  What about hiring?  "),
        )
        nameless = ask(
            session=session,
            clock=CLOCK,
            members=NOBODY,
            user_id=MEMBER,
            question=NewQuestion(townhall.id or 0, "Are we moving?", anonymous=True),
        )
    assert (named.author_id, named.text) == (MEMBER, "What about hiring?")
    assert nameless.author_id is None


def test_questions_are_refused_once_it_is_over_cancelled_empty_or_too_long(store: Store) -> None:
    with store.unit_of_work() as session:
        over = factories.townhall(session, starts_at=factories.NOW - timedelta(hours=2))
        called_off = factories.townhall(session, state="cancelled")
        open_one = factories.townhall(session)

        def asking(townhall_id: int | None, text: str = "Why?") -> None:
            ask(
                session=session,
                clock=CLOCK,
                members=NOBODY,
                user_id=MEMBER,
                question=NewQuestion(townhall_id or 0, text),
            )

        with pytest.raises(InvalidInput, match="questions are closed"):
            asking(over.id)
        with pytest.raises(InvalidInput, match="was cancelled"):
            asking(called_off.id)
        with pytest.raises(FieldErrors):
            asking(open_one.id, "   ")
        with pytest.raises(FieldErrors):
            asking(open_one.id, "x" * (MAX_QUESTION + 1))


def test_a_town_hall_in_private_channels_takes_questions_from_their_members_only(
    store: Store,
) -> None:
    with store.unit_of_work() as session:
        factories.channel(session, "C0SECRET", is_private=True)
        secret = factories.townhall(session, channels=("C0SECRET",))
        asked = factories.question(session, secret)
        members = factories.Members({"C0SECRET": {MEMBER}})
        assert (
            require_question_visible(
                session=session, members=members, question_id=asked.id or 0, user_id=MEMBER
            )
            == secret.id
        )
        with pytest.raises(NotFound, match="you can see"):
            ask(
                session=session,
                clock=CLOCK,
                members=members,
                user_id="U0CAROL",
                question=NewQuestion(secret.id or 0, "Hello?"),
            )
        with pytest.raises(NotFound, match="no longer exists"):
            require_question_visible(
                session=session, members=members, question_id=404, user_id=MEMBER
            )


def test_questions_are_ranked_by_votes_then_oldest_first(store: Store) -> None:
    with store.unit_of_work() as session:
        townhall = factories.townhall(session)
        early = factories.question(session, townhall, text="Early", votes=2)
        later = factories.question(
            session,
            townhall,
            text="Later",
            votes=2,
            created_at=factories.NOW + timedelta(minutes=1),
        )
        top = factories.question(session, townhall, text="<!here> Top", votes=7)
        order = [q.question_id for q in ranked(session=session, townhall_id=townhall.id or 0)]
        shown, listed = questions(
            session=session, members=NOBODY, townhall_id=townhall.id or 0, user_id=MEMBER
        )
    assert order == [top.id, early.id, later.id]
    assert shown.questions == 3
    assert "<!here>" not in listed[0].text
