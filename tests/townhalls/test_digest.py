"""The host's digest: the ranked questions DM'd before the start."""

from datetime import timedelta

from sqlmodel import select

from bot.clock import FixedClock
from bot.models import Delivery, Schedule
from bot.store import Store
from tests import factories
from townhalls.blocks import Renderer
from townhalls.digest import QUESTIONS_KIND, QUESTIONS_LEAD, schedule_digest, send_questions

CLOCK = FixedClock(factories.NOW)


def test_the_digest_is_due_shortly_before_the_start_or_now_when_that_has_passed(
    store: Store,
) -> None:
    with store.unit_of_work() as session:
        later = factories.townhall(session)
        soon = factories.townhall(session, starts_at=factories.NOW + timedelta(minutes=5))
        for which in (later, soon):
            schedule_digest(session, CLOCK, which)
        due = {
            ref: factories.as_utc(at)
            for ref, at in session.exec(
                select(Schedule.ref_id, Schedule.next_run_at).where(Schedule.kind == QUESTIONS_KIND)
            ).all()
        }
    assert due == {
        str(later.id): later.starts_at - QUESTIONS_LEAD,
        str(soon.id): factories.NOW,
    }


def test_the_host_gets_the_questions_most_voted_first_and_nothing_once_cancelled(
    store: Store,
) -> None:
    with store.unit_of_work() as session:
        held = factories.townhall(session)
        called_off = factories.townhall(session, state="cancelled")
        factories.question(session, held, text="Why?", votes=1)
        factories.question(session, held, text="When?", votes=5, author_id=None)
        for which in (held, called_off):
            send_questions(
                session=session, clock=CLOCK, renderer=Renderer(), townhall_id=which.id or 0
            )
        sent = session.exec(select(Delivery)).one()
    assert sent.target == held.host_id
    assert sent.text == "Questions for your town hall “Q4 town hall” (2 questions)"
    assert str(sent.blocks).index("When?") < str(sent.blocks).index("Why?")
