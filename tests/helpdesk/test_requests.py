"""A request's life: claim, assign, wait on the requester, replies, resolve, reopen, close."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import Session

from bot.clock import FixedClock
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.store import Store
from helpdesk import requests
from helpdesk.blocks import RENDERER
from helpdesk.models import HelpRequest
from helpdesk.views import RequestView
from tests import factories
from tests.helpdesk.conftest import outbox

PARENT_TS = "1700000000.000100"
Change = Callable[..., RequestView]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(factories.NOW)


@pytest.fixture
def it(store: Store) -> Store:
    """The IT desk (Bob and Erin are its agents) and Carol's request #1, posted."""
    with store.unit_of_work() as session:
        desk = factories.desk(session, "it", agents=("U0BOB", "U0ERIN"))
        factories.person(session, "U0DAVE")
        factories.request(session, desk, parent_ts=PARENT_TS)
    return store


def _do(
    session: Session, clock: FixedClock, change: Change, actor: str, **more: object
) -> RequestView:
    """A button's change to request #1 (or `request_id`), as `actor`."""
    values = {"request_id": 1, **more}
    return change(session=session, clock=clock, renderer=RENDERER, actor=actor, **values)


def _reply(
    session: Session, clock: FixedClock, user_id: str, thread_ts: str = PARENT_TS
) -> RequestView | None:
    """Someone writes in a thread of the intake channel."""
    return requests.thread_reply(
        session=session,
        clock=clock,
        renderer=RENDERER,
        channel_id="C0ITHELP",
        thread_ts=thread_ts,
        user_id=user_id,
    )


def _row(store: Store, request_id: int = 1) -> HelpRequest:
    with store.unit_of_work(write=False) as session:
        row = session.get(HelpRequest, request_id)
        assert row is not None
        return row


def test_an_agent_claims_a_request_and_the_requester_hears_of_it(
    it: Store, clock: FixedClock
) -> None:
    with it.unit_of_work() as session:
        view = _do(session, clock, requests.claim, "U0BOB")
        sent = outbox(session)
    assert (view.status, view.assignee_id) == ("in_progress", "U0BOB")
    note, dm = sent["helpdesk.r1.v2.note"], sent["helpdesk.r1.v2.dm"]
    assert "<@U0BOB> took this request." in note.text
    assert note.parent_id == sent["helpdesk.r1.parent"].id  # in the request's thread
    assert dm.target == "U0CAROL"


def test_someone_outside_the_desk_cannot_claim_and_nothing_changes(
    it: Store, clock: FixedClock
) -> None:
    with pytest.raises(PermissionDenied, match="Only IT agents"), it.unit_of_work() as session:
        _do(session, clock, requests.claim, "U0DAVE")
    assert (_row(it).status, _row(it).version) == ("open", 1)


@pytest.mark.parametrize(
    ("assignee", "refusal"),
    [("U0DAVE", "is not a IT agent"), ("nobody", "Pick the person")],
)
def test_a_request_is_assigned_only_to_an_agent(
    it: Store, clock: FixedClock, assignee: str, refusal: str
) -> None:
    with pytest.raises(InvalidInput, match=refusal), it.unit_of_work() as session:
        _do(session, clock, requests.assign, "U0BOB", assignee=assignee)


def test_claiming_ones_own_request_in_progress_again_is_refused(
    it: Store, clock: FixedClock
) -> None:
    with it.unit_of_work() as session:
        _do(session, clock, requests.assign, "U0BOB", assignee="U0ERIN")
        with pytest.raises(InvalidInput, match="already <@U0ERIN>'s"):
            _do(session, clock, requests.claim, "U0ERIN")


def test_an_unknown_request_is_not_found(it: Store, clock: FixedClock) -> None:
    with pytest.raises(NotFound, match="no request #9"), it.unit_of_work() as session:
        _do(session, clock, requests.resolve, "U0BOB", request_id=9)


def test_waiting_on_the_requester_stops_the_clock_until_they_answer(
    it: Store, clock: FixedClock
) -> None:
    clock.set(factories.NOW + timedelta(hours=2))  # 10:00, the desk is open
    with it.unit_of_work() as session:
        _do(session, clock, requests.wait_on_requester, "U0BOB")
    assert (_row(it).status, _row(it).assignee_id) == ("waiting", "U0BOB")
    clock.set(factories.NOW + timedelta(hours=4))
    with it.unit_of_work() as session:
        stranger = _reply(session, clock, "U0DAVE")
        answered = _reply(session, clock, "U0CAROL")
    assert stranger is None  # neither an agent nor the requester: nothing changes
    assert answered is not None
    assert answered.status == "in_progress"
    row = _row(it)
    assert (row.paused_seconds, row.waiting_since) == (2 * 3600.0, None)


def test_the_first_agent_reply_in_the_thread_is_the_first_response(
    it: Store, clock: FixedClock
) -> None:
    clock.set(factories.NOW + timedelta(hours=1))
    with it.unit_of_work() as session:
        replied = _reply(session, clock, "U0ERIN")
        again = _reply(session, clock, "U0BOB")
        elsewhere = _reply(session, clock, "U0ERIN", thread_ts="1700000000.999999")
    assert replied is not None
    assert replied.first_response_at == clock.now()
    assert (again, elsewhere) == (None, None)


def test_resolving_asks_the_requester_for_a_rating_once(it: Store, clock: FixedClock) -> None:
    with it.unit_of_work() as session:
        view = _do(session, clock, requests.resolve, "U0BOB")
        sent = outbox(session)
        with pytest.raises(InvalidInput, match="is already resolved"):
            _do(session, clock, requests.resolve, "U0BOB")
    assert (view.status, view.assignee_id) == ("resolved", "U0BOB")
    assert sent["helpdesk.r1.v2.rate"].target == "U0CAROL"
    assert "closes by itself in 3 days" in sent["helpdesk.r1.v2.note"].text


def test_the_requester_or_an_agent_reopens_a_resolved_request(it: Store, clock: FixedClock) -> None:
    with it.unit_of_work() as session:
        _do(session, clock, requests.claim, "U0BOB")
        _do(session, clock, requests.resolve, "U0BOB")
        with pytest.raises(PermissionDenied, match="can reopen"):
            _do(session, clock, requests.reopen, "U0DAVE")
        view = _do(session, clock, requests.reopen, "U0CAROL")
    assert (view.status, view.resolved_at) == ("in_progress", None)
    assert _row(it).reopened == 1


def test_a_resolved_request_closes_itself_after_the_desks_days(
    it: Store, clock: FixedClock
) -> None:
    with it.unit_of_work() as session:
        _do(session, clock, requests.resolve, "U0BOB")
        assert requests.close_instants(session=session) == [factories.NOW + timedelta(days=3)]
    clock.set(factories.NOW + timedelta(days=3) - timedelta(seconds=1))
    with it.unit_of_work() as session:
        assert requests.close_resolved(session=session, clock=clock, renderer=RENDERER) == 0
    clock.set(factories.NOW + timedelta(days=3))
    with it.unit_of_work() as session:
        assert requests.close_resolved(session=session, clock=clock, renderer=RENDERER) == 1
        sent = outbox(session)
    assert _row(it).status == "closed"
    assert "Closed automatically, 3 days after" in sent["helpdesk.r1.v3.note"].text
    assert "helpdesk.r1.v3.dm" not in sent  # the requester is not told of the close
    with (
        pytest.raises(InvalidInput, match="open a new request with `/request it"),
        it.unit_of_work() as session,
    ):
        _do(session, clock, requests.reopen, "U0CAROL")
