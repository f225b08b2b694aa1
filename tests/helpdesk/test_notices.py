"""What a change sends: a note in the request's thread, and a DM unless the requester made it."""

import pytest
from sqlmodel import Session

from bot.clock import FixedClock
from bot.store import Store
from helpdesk import notices
from helpdesk.models import Desk, HelpRequest
from tests import factories
from tests.helpdesk.conftest import outbox

CLOCK = FixedClock(factories.NOW)


@pytest.fixture
def it(store: Store) -> Store:
    """Carol's request #1 at the IT desk."""
    with store.unit_of_work() as session:
        factories.request(session, factories.desk(session, "it"))
    return store


def _loaded(session: Session) -> tuple[HelpRequest, Desk]:
    request = session.get(HelpRequest, 1)
    assert request is not None
    desk = session.get(Desk, request.desk_id)
    assert desk is not None
    return request, desk


def test_a_change_is_noted_in_the_thread_and_told_to_the_requester(it: Store) -> None:
    with it.unit_of_work() as session:
        request, desk = _loaded(session)
        note = notices.Note(actor="U0BOB", text="<@U0BOB> took this request.")
        view = notices.record_change(
            session=session, clock=CLOCK, request=request, desk=desk, note=note
        )
        sent = outbox(session)
    assert view.id == 1
    assert request.version == 2
    thread, dm = sent["helpdesk.r1.v2.note"], sent["helpdesk.r1.v2.dm"]
    assert (thread.target, thread.parent_id) == ("C0ITHELP", sent["helpdesk.r1.parent"].id)
    assert thread.text == "<@U0BOB> took this request. Status: *Open*."
    assert dm.target == "U0CAROL"
    assert thread.campaign_id == dm.campaign_id == f"helpdesk-desk-{desk.id}"


def test_the_requester_is_not_told_of_their_own_change_or_a_quiet_one(it: Store) -> None:
    with it.unit_of_work() as session:
        request, desk = _loaded(session)
        for note in (
            notices.Note(actor="U0CAROL", text="<@U0CAROL> reopened this request."),
            notices.Note(actor="U0BOB", text="Closed automatically.", tell_requester=False),
        ):
            notices.record_change(
                session=session, clock=CLOCK, request=request, desk=desk, note=note
            )
        sent = outbox(session)
    assert {"helpdesk.r1.v2.note", "helpdesk.r1.v3.note"} <= set(sent)
    assert not any(key.endswith(".dm") for key in sent)
