"""Opening requests: by command, by the form (also from a message), and by a desk's reaction."""

from dataclasses import replace

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.errors import DomainError, InvalidInput
from bot.models import Delivery
from bot.store import Store
from helpdesk import intake
from helpdesk.blocks import RENDERER
from helpdesk.intake import MessageSource, NewRequest, Opened, RequestForm
from helpdesk.models import DeskCategory, HelpRequest
from tests import factories
from tests.helpdesk.conftest import outbox

CLOCK = FixedClock(factories.NOW)
MESSAGE = MessageSource(
    channel="C0GENERAL", ts="1700000000.000100", link="https://x.slack.com/p1", author="U0DAVE"
)
ASKED = NewRequest(desk="it", requester_id="U0CAROL", opened_by="U0CAROL", summary="Help")


@pytest.fixture
def it(store: Store) -> Store:
    """The IT desk (Bob is its agent) with a Hardware category, and the HR desk."""
    with store.unit_of_work() as session:
        desk = factories.desk(session, "it")
        session.add(DeskCategory(desk_id=desk.id or 0, name="Hardware"))
        factories.desk(session, "hr", agents=("U0HANNA",), channel_id="C0HRHELP")
    return store


def test_a_request_posts_its_parent_to_the_intake_channel(it: Store) -> None:
    new = NewRequest(desk="IT", requester_id="U0CAROL", opened_by="U0CAROL", summary="VPN\n  down")
    with it.unit_of_work() as session:
        opened = intake.open_request(session=session, clock=CLOCK, renderer=RENDERER, new=new)
        row = session.exec(select(HelpRequest)).one()
        sent = outbox(session)
    assert (opened.view.summary, opened.view.status, opened.existed) == ("VPN down", "open", False)
    parent = sent[f"helpdesk.r{opened.view.id}.parent"]
    assert parent.target == "C0ITHELP"
    assert parent.text.startswith(f"#{opened.view.id} VPN down (Open, normal priority)")
    assert row.rendered_version == row.version  # the parent shows this state already


def test_a_long_summary_is_cut_to_150_characters(it: Store) -> None:
    new = NewRequest(desk="it", requester_id="U0CAROL", opened_by="U0CAROL", summary="x" * 400)
    with it.unit_of_work() as session:
        opened = intake.open_request(session=session, clock=CLOCK, renderer=RENDERER, new=new)
    assert len(opened.view.summary) == 150
    assert opened.view.summary.endswith("…")


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        (replace(ASKED, summary="   "), "summary"),
        (replace(ASKED, priority="asap"), "priority"),
        (replace(ASKED, category="Plumbing"), "category"),
        (replace(ASKED, desk="plumbing"), "desk"),
    ],
)
def test_a_bad_request_names_its_field_and_writes_nothing(
    it: Store, typed: NewRequest, field: str
) -> None:
    with pytest.raises(DomainError) as refused, it.unit_of_work() as session:
        intake.open_request(session=session, clock=CLOCK, renderer=RENDERER, new=typed)
    assert refused.value.field == field
    with it.unit_of_work(write=False) as session:
        assert session.exec(select(HelpRequest)).all() == []


def _submit(
    store: Store, actor: str, form: RequestForm, source: MessageSource | None = MESSAGE
) -> tuple[Opened, dict[str, Delivery]]:
    """The request form, submitted by `actor` (on a message by default); what it enqueued."""
    with store.unit_of_work() as session:
        opened = intake.submit_request(
            session=session, clock=CLOCK, renderer=RENDERER, actor=actor, form=form, source=source
        )
        return opened, outbox(session)


def test_a_message_made_into_a_request_twice_gives_back_the_first(it: Store) -> None:
    form = RequestForm(desk="it", summary="Printer jam")
    first, _ = _submit(it, "U0CAROL", form)
    again, _ = _submit(it, "U0ERIN", form)
    with it.unit_of_work(write=False) as session:
        rows = session.exec(select(HelpRequest)).all()
    assert (again.existed, again.view.id) == (True, first.view.id)
    assert len(rows) == 1


def test_someone_elses_message_is_linked_and_its_author_told(it: Store) -> None:
    opened, sent = _submit(it, "U0CAROL", RequestForm(desk="it", summary="The wiki is slow"))
    assert (opened.view.requester_id, opened.view.source_link) == ("U0CAROL", MESSAGE.link)
    told = sent[f"helpdesk.r{opened.view.id}.source.dm"]
    assert told.target == "U0DAVE"
    assert "into their request" in told.text


def test_an_agent_files_an_authors_message_on_their_behalf(it: Store) -> None:
    opened, sent = _submit(it, "U0BOB", RequestForm(desk="it", summary="The wiki is slow"))
    assert (opened.view.requester_id, opened.view.opened_by) == ("U0DAVE", "U0BOB")
    assert f"helpdesk.r{opened.view.id}.source.dm" not in sent


def test_a_category_of_another_desk_is_refused(it: Store) -> None:
    form = RequestForm(desk="hr", summary="New laptop", category="Hardware", category_desk="it")
    with pytest.raises(InvalidInput, match="belongs to IT, not HR") as refused:
        _submit(it, "U0CAROL", form, source=None)
    assert refused.value.field == "category"


def test_the_desks_reaction_opens_the_authors_request_from_its_first_line(it: Store) -> None:
    message = MessageSource(
        channel="C0ITHELP", ts="1700000000.000200", author="U0DAVE", text="\nMy mouse\nis broken"
    )
    with it.unit_of_work() as session:
        opened = intake.open_from_reaction(
            session=session,
            clock=CLOCK,
            renderer=RENDERER,
            desk_ref="it",
            reactor="U0BOB",
            message=message,
        )
        row = session.get(HelpRequest, opened.view.id)
    assert row is not None
    assert (row.requester_id, row.opened_by, row.summary) == ("U0DAVE", "U0BOB", "My mouse")
    assert (row.source, row.details) == ("reaction", "My mouse\nis broken")


def test_a_reaction_on_a_requests_own_parent_opens_nothing(it: Store) -> None:
    with it.unit_of_work() as session:
        desk = factories.desk(session, "ops", agents=(), channel_id="C0OPS")
        factories.request(session, desk, parent_ts="1700000000.000300", channel_id="C0OPS")
        on_parent = intake.reaction_desk(
            session=session, channel_id="C0OPS", ts="1700000000.000300", reaction="ticket"
        )
        on_message = intake.reaction_desk(
            session=session, channel_id="C0OPS", ts="1700000000.000400", reaction="ticket"
        )
    assert (on_parent, on_message) == (None, "ops")
