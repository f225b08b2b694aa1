"""A town hall as messages show it."""

from bot.store import Store
from tests import factories
from townhalls.views import view_of


def test_the_view_counts_questions_and_keeps_the_hosts_mentions_only_if_allowed(
    store: Store,
) -> None:
    with store.unit_of_work() as session:
        quiet = factories.townhall(session, agenda="<!channel> roadmap", place="Room 4 & 5")
        loud = factories.townhall(session, agenda="<!channel> roadmap", may_notify_everyone=True)
        factories.question(session, quiet)
        factories.question(session, quiet, author_id=None)
        shown_quiet, shown_loud = view_of(session, quiet), view_of(session, loud)
    assert (shown_quiet.questions, shown_loud.questions) == (2, 0)
    assert "<!channel>" not in shown_quiet.agenda
    assert shown_quiet.place == "Room 4 &amp; 5"
    assert "<!channel>" in shown_loud.agenda
    assert not shown_quiet.cancelled
