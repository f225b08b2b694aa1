"""Templates an author starts from: shipped ones, saved ones, and saving one."""

import pytest

from announcements.template_library import choices, save_template, template_text
from bot.clock import FixedClock
from bot.errors import NotFound
from bot.store import Store
from tests import factories
from tests.announcements.company import COMMS

CLOCK = FixedClock(factories.NOW)


def test_a_shipped_template_is_written_for_its_author_today(store: Store) -> None:
    with store.unit_of_work() as session:
        factories.person(session, COMMS, real_name="Grace Hopper")
        title, body = template_text(
            session=session, clock=CLOCK, reference="shipped:office_closure", author_id=COMMS
        )
    assert title == "Office closure"
    assert "Grace Hopper" in body


def test_a_saved_template_comes_back_and_saving_again_under_its_name_replaces_it(
    store: Store,
) -> None:
    with store.unit_of_work() as session:
        first = factories.announcement(
            session, title="Rota", body="Week 1", save_template_as="rota"
        )
        save_template(session, CLOCK, first)
        session.flush()
        second = factories.announcement(
            session, title="Rota", body="Week 2", save_template_as="rota"
        )
        save_template(session, CLOCK, second)
        session.flush()
        listed = choices(session)
        reference = next(ref for ref, name in listed if name == "rota")
        text = template_text(session=session, clock=CLOCK, reference=reference, author_id=COMMS)
    assert [name for _, name in listed] == ["Office closure", "Policy update", "rota"]
    assert text == ("Rota", "Week 2")


@pytest.mark.parametrize("reference", ["shipped:nothing", "saved:999", "saved:x", "other"])
def test_a_template_that_does_not_exist_is_refused(store: Store, reference: str) -> None:
    with store.unit_of_work() as session, pytest.raises(NotFound, match="no longer exists"):
        template_text(session=session, clock=CLOCK, reference=reference, author_id=COMMS)
