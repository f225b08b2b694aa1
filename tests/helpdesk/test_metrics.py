"""Metric formulas on fixed data."""

from helpdesk.service import breach_rate, csat, median, p90


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
