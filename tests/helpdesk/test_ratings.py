"""Satisfaction: the requester rates a resolved request once, and may comment once."""

import pytest

from bot.clock import FixedClock
from bot.errors import InvalidInput, PermissionDenied
from bot.store import Store
from helpdesk import ratings
from helpdesk.models import Rating
from tests import factories

CLOCK = FixedClock(factories.NOW)


@pytest.fixture
def it(store: Store) -> Store:
    """Carol's resolved request #1 and her open request #2, at the IT desk."""
    with store.unit_of_work() as session:
        desk = factories.desk(session, "it")
        factories.request(session, desk, status="resolved", resolved_at=factories.NOW)
        factories.request(session, desk)
    return store


def test_the_requester_rates_once_and_the_parent_shows_it(it: Store) -> None:
    with it.unit_of_work() as session:
        view = ratings.rate(session=session, clock=CLOCK, actor="U0CAROL", request_id=1, score=5)
        with pytest.raises(InvalidInput, match="already rated request #1"):
            ratings.rate(session=session, clock=CLOCK, actor="U0CAROL", request_id=1, score=1)
        rating = session.get(Rating, 1)
    assert view.rated == 5
    assert rating is not None
    assert rating.score == 5


@pytest.mark.parametrize(
    ("actor", "request_id", "score", "refusal"),
    [
        ("U0DAVE", 1, 5, PermissionDenied),
        ("U0CAROL", 2, 5, InvalidInput),  # not resolved yet
        ("U0CAROL", 1, 6, InvalidInput),
    ],
)
def test_a_rating_from_another_too_early_or_out_of_range_is_refused(
    it: Store, actor: str, request_id: int, score: int, refusal: type[Exception]
) -> None:
    with pytest.raises(refusal), it.unit_of_work() as session:
        ratings.rate(session=session, clock=CLOCK, actor=actor, request_id=request_id, score=score)
    with it.unit_of_work(write=False) as session:
        assert session.get(Rating, request_id) is None


def test_a_comment_follows_the_rating_once(it: Store) -> None:
    with it.unit_of_work() as session:
        with pytest.raises(InvalidInput, match="Rate the request first"):
            ratings.check_commentable(session=session, actor="U0CAROL", request_id=1)
        ratings.rate(session=session, clock=CLOCK, actor="U0CAROL", request_id=1, score=4)
        with pytest.raises(PermissionDenied):
            ratings.check_commentable(session=session, actor="U0DAVE", request_id=1)
        with pytest.raises(InvalidInput, match="The comment is empty") as empty:
            ratings.add_comment(
                session=session, clock=CLOCK, actor="U0CAROL", request_id=1, comment="  "
            )
        ratings.add_comment(
            session=session, clock=CLOCK, actor="U0CAROL", request_id=1, comment=" Quick, thanks "
        )
        with pytest.raises(InvalidInput, match="already added a comment"):
            ratings.add_comment(
                session=session, clock=CLOCK, actor="U0CAROL", request_id=1, comment="Again"
            )
        rating = session.get(Rating, 1)
    assert empty.value.field == "comment"
    assert rating is not None
    assert rating.comment == "Quick, thanks"
