"""The SLA watch in business hours: a warning at 75 %, an escalation on breach, each once."""

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.store import Store
from helpdesk import sla
from helpdesk.models import SlaAlert
from tests import factories
from tests.helpdesk.conftest import outbox


def at(hour: int, minute: int = 0) -> datetime:
    """That time on the Tuesday the request is opened (08:00, before the desk opens at 09:00)."""
    return datetime(2026, 11, 24, hour, minute, tzinfo=UTC)


@pytest.fixture
def it(store: Store) -> Store:
    """The IT desk (lead: Frank; normal priority: 1h to respond, 8h to resolve) and Carol's
    request #1, taken by Bob."""
    with store.unit_of_work() as session:
        desk = factories.desk(session, "it", lead_user_id="U0FRANK")
        factories.sla(session, desk, "normal", first_response=60, resolution=480)
        factories.request(session, desk, assignee_id="U0BOB", status="in_progress")
    return store


def _check(store: Store, clock: FixedClock) -> int:
    with store.unit_of_work() as session:
        return sla.check_slas(session=session, clock=clock)


def _alerts(store: Store) -> set[tuple[str, str]]:
    with store.unit_of_work(write=False) as session:
        return {(a.target, a.level) for a in session.exec(select(SlaAlert)).all()}


def test_a_warning_at_75_percent_then_the_breach_to_the_lead_each_once(it: Store) -> None:
    clock = FixedClock(at(9, 44))
    assert _check(it, clock) == 0
    clock.set(at(9, 45))
    assert (_check(it, clock), _check(it, clock)) == (1, 0)
    clock.set(at(10, 0))
    assert (_check(it, clock), _check(it, clock)) == (1, 0)
    with it.unit_of_work(write=False) as session:
        sent = outbox(session)
    base = "helpdesk.r1.sla.first_response"
    assert sent[f"{base}.warning.thread"].parent_id == sent["helpdesk.r1.parent"].id
    assert sent[f"{base}.warning.assignee"].target == "U0BOB"
    escalation = sent[f"{base}.breach.escalation.0"]
    assert escalation.target == "U0FRANK"
    assert "SLA breach at IT" in escalation.text
    assert f"{base}.breach.escalation.1" not in sent
    assert _alerts(it) == {("first_response", "warning"), ("first_response", "breach")}


def test_a_breach_found_first_is_sent_alone_and_counts_as_warned(it: Store) -> None:
    assert _check(it, FixedClock(at(10, 30))) == 1
    with it.unit_of_work(write=False) as session:
        sent = outbox(session)
    assert "helpdesk.r1.sla.first_response.breach.thread" in sent
    assert "helpdesk.r1.sla.first_response.warning.thread" not in sent
    assert ("first_response", "warning") in _alerts(it)


def test_a_desk_with_no_lead_hears_of_breaches_in_its_own_channel(store: Store) -> None:
    with store.unit_of_work() as session:
        desk = factories.desk(session, "hr", channel_id="C0HRHELP")
        factories.request(session, desk, priority="urgent")
    assert _check(store, FixedClock(at(11))) == 1  # urgent: an hour to respond, by default
    with store.unit_of_work(write=False) as session:
        sent = outbox(session)
    assert sent["helpdesk.r1.sla.first_response.breach.escalation.0"].target == "C0HRHELP"


def test_the_resolution_clock_stands_still_while_the_requester_is_asked(store: Store) -> None:
    with store.unit_of_work() as session:
        desk = factories.desk(session, "it")
        factories.request(
            session, desk, status="waiting", first_response_at=at(9), waiting_since=at(9)
        )
    assert _check(store, FixedClock(datetime(2026, 12, 24, 12, tzinfo=UTC))) == 0
    assert _alerts(store) == set()


def test_the_next_alerts_fall_due_in_business_time_and_sent_ones_are_not_due(it: Store) -> None:
    with it.unit_of_work(write=False) as session:
        due = sorted(sla.alert_instants(session=session))
    assert due == [at(9, 45), at(10), at(15), at(17)]
    _check(it, FixedClock(at(10, 30)))
    with it.unit_of_work(write=False) as session:
        assert sorted(sla.alert_instants(session=session)) == [at(15), at(17)]


def test_a_desk_with_no_working_time_has_nothing_due(store: Store) -> None:
    with store.unit_of_work() as session:
        desk = factories.desk(session, "it", work_days="")
        factories.request(session, desk)
    with store.unit_of_work(write=False) as session:
        assert sla.alert_instants(session=session) == []
    assert _check(store, FixedClock(datetime(2027, 6, 1, tzinfo=UTC))) == 0
