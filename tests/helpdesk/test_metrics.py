"""Metric formulas on fixed data, and a desk's figures, queue and one's own requests."""

from datetime import UTC, datetime

import pytest

from bot.clock import FixedClock
from bot.errors import NotFound
from bot.store import Store
from helpdesk import metrics
from helpdesk.metrics import breach_rate, csat, median, p90
from helpdesk.models import Rating, SlaAlert
from tests import factories


def test_median_and_p90_use_the_middle_and_the_nearest_rank() -> None:
    assert median([1, 2, 3, 4]) == 2.5
    assert median([7]) == 7
    assert p90(list(range(1, 11))) == 9
    assert p90([5]) == 5
    assert p90([10, 1, 3]) == 10
    assert median([]) is None
    assert p90([]) is None


def test_csat_is_the_share_of_four_and_five_among_rated() -> None:
    assert csat([5, 4, 3, 1]) == 50.0
    assert csat([5]) == 100.0
    assert csat([]) is None


def test_breach_rate_is_the_share_of_requests_with_a_breach() -> None:
    assert breach_rate(1, 4) == 25.0
    assert breach_rate(0, 0) is None


# -- a desk's figures, its queue and one's own requests, from the store -------------------------


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in the week of 23 November 2026 (Monday the 23rd), UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def it(store: Store) -> Store:
    """Four requests at the IT desk (Mon-Fri 09:00-17:00 UTC): #1 answered in an hour and
    resolved (rated 5), #2 answered in three hours, breached and closed (rated 2), #3 open since
    Tuesday 10:00, #4 waiting on its requester since Wednesday 10:00."""
    with store.unit_of_work() as session:
        desk = factories.desk(session, "it")
        # (answered, resolved, status, business seconds waiting on the requester)
        done = (
            (at(24, 10), at(24, 13), "resolved", 0.0),
            (at(24, 12), at(25, 9), "closed", 3600.0),
        )
        first, second = (
            factories.request(
                session,
                desk,
                created_at=at(24, 9),
                first_response_at=answered,
                resolved_at=resolved,
                status=status,
                paused_seconds=paused,
            )
            for answered, resolved, status, paused in done
        )
        factories.request(session, desk, created_at=at(24, 10), requester_id="U0DAVE")
        factories.request(session, desk, created_at=at(25, 10), status="waiting")
        for row, score in ((first, 5), (second, 2)):
            session.add(Rating(request_id=row.id or 0, score=score, rated_at=at(25, 10)))
        session.add(
            SlaAlert(
                request_id=second.id or 0, target="first_response", level="breach", at=at(24, 11)
            )
        )
    return store


def test_a_desks_figures_are_in_business_time_and_its_backlog_in_calendar_time(it: Store) -> None:
    with it.unit_of_work(write=False) as session:
        figures = metrics.stats(session=session, clock=FixedClock(at(26, 10)), desk_ref="it")
    assert figures.counts == {
        "open": 1,
        "in_progress": 0,
        "waiting": 1,
        "resolved": 1,
        "closed": 1,
    }
    assert (figures.first_response_median, figures.first_response_p90) == (7200.0, 10800.0)
    assert figures.resolution_median == (4 * 3600 + 7 * 3600) / 2  # 8 h of work less 1 h waiting
    assert (figures.breach_rate, figures.csat, figures.rated) == (25.0, 50.0, 2)
    assert (figures.backlog, figures.backlog_oldest) == (2, 2 * 86400.0)


def test_the_queue_is_the_desks_active_requests_oldest_first(it: Store) -> None:
    with it.unit_of_work(write=False) as session:
        desk, views = metrics.queue(session=session, desk_ref="IT")
        with pytest.raises(NotFound, match="There is no desk `hr`"):
            metrics.queue(session=session, desk_ref="hr")
    assert desk.key == "it"
    assert [v.id for v in views] == [3, 4]


def test_ones_own_requests_are_the_ones_not_closed(it: Store) -> None:
    with it.unit_of_work(write=False) as session:
        carols = metrics.my_open(session=session, user_id="U0CAROL")
        daves = metrics.my_open(session=session, user_id="U0DAVE")
    assert [v.id for v in carols] == [1, 4]
    assert [v.id for v in daves] == [3]
