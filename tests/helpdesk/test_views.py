"""A request as people see it."""

from sqlmodel import Session

from bot.store import Store
from helpdesk.models import HelpRequest, Rating
from helpdesk.views import view_of
from tests import factories


def _view_of_first(session: Session) -> tuple[bool, str, int | None]:
    request = session.get(HelpRequest, 1)
    assert request is not None
    view = view_of(session=session, request=request)
    return view.active, view.status_label, view.rated


def test_a_view_shows_the_desk_the_status_in_words_and_the_rating(store: Store) -> None:
    with store.unit_of_work() as session:
        desk = factories.desk(session, "it", name="IT Support")
        request = factories.request(session, desk, status="waiting")
        view = view_of(session=session, request=request)
        assert (view.desk_key, view.desk_name) == ("it", "IT Support")
        assert _view_of_first(session) == (True, "Waiting on requester", None)
        request.status = "resolved"
        session.add(Rating(request_id=1, score=4, rated_at=factories.NOW))
        session.flush()
        assert _view_of_first(session) == (False, "Resolved", 4)
