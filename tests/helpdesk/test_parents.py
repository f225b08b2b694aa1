"""A request's parent message: where it landed, the requester's link, and keeping it current."""

import pytest

from bot.clock import FixedClock
from bot.store import Store
from helpdesk import parents
from helpdesk.blocks import RENDERER
from helpdesk.models import HelpRequest
from tests import factories
from tests.helpdesk.conftest import outbox

CLOCK = FixedClock(factories.NOW)
TS = "1700000000.000100"
LINK = "https://example.slack.com/archives/C0ITHELP/p1700000000000100"


@pytest.fixture
def it(store: Store) -> Store:
    """Carol's request #1 at the IT desk, its parent enqueued but not posted yet."""
    with store.unit_of_work() as session:
        factories.request(session, factories.desk(session, "it"))
    return store


def _post(store: Store) -> None:
    """The sender posts the parent: the delivery gets its channel and ts."""
    with store.unit_of_work() as session:
        delivery = outbox(session)["helpdesk.r1.parent"]
        delivery.channel, delivery.ts, delivery.state = "C0ITHELP", TS, "sent"
        session.add(delivery)


def test_a_posted_parent_is_recorded_once_and_the_requester_gets_its_link(it: Store) -> None:
    with it.unit_of_work(write=False) as session:
        assert parents.posted_parents(session=session) == []
    _post(it)
    with it.unit_of_work() as session:
        assert parents.posted_parents(session=session) == [(1, "C0ITHELP", TS)]
        for _ in range(2):
            parents.record_parent(
                session=session,
                clock=CLOCK,
                request_id=1,
                channel_id="C0ITHELP",
                ts=TS,
                permalink=LINK,
            )
        assert parents.posted_parents(session=session) == []
        row = session.get(HelpRequest, 1)
        dms = [d for d in outbox(session).values() if d.target == "U0CAROL"]
    assert row is not None
    assert (row.parent_ts, row.permalink) == (TS, LINK)
    assert [d.idempotency_key for d in dms] == ["helpdesk.r1.opened.dm"]


def test_only_parents_behind_their_request_are_edited_and_never_backwards(it: Store) -> None:
    _post(it)
    with it.unit_of_work() as session:
        parents.record_parent(
            session=session, clock=CLOCK, request_id=1, channel_id="C0ITHELP", ts=TS, permalink=LINK
        )
        assert parents.parents_to_edit(session=session, renderer=RENDERER) == []
        row = session.get(HelpRequest, 1)
        assert row is not None
        row.version, row.status = 3, "in_progress"
        session.add(row)
        (edit,) = parents.parents_to_edit(session=session, renderer=RENDERER)
        assert (edit.request_id, edit.version, edit.ts) == (1, 3, TS)
        assert "(In progress, normal priority)" in edit.text
        parents.parent_edited(session=session, request_id=1, version=3)
        parents.parent_edited(session=session, request_id=1, version=2)
        assert row.rendered_version == 3
        assert parents.parents_to_edit(session=session, renderer=RENDERER) == []


def test_a_requests_own_parent_is_known_as_one(it: Store) -> None:
    _post(it)
    with it.unit_of_work() as session:
        parents.record_parent(
            session=session, clock=CLOCK, request_id=1, channel_id="C0ITHELP", ts=TS, permalink=LINK
        )
        assert parents.is_request_parent(session=session, channel_id="C0ITHELP", ts=TS)
        assert not parents.is_request_parent(session=session, channel_id="C0ITHELP", ts="1.2")
