"""An announcement as messages show it: safe text, and the audience it expects or reached."""

from announcements.views import post_view
from bot.store import Store
from tests import factories
from tests.announcements.company import ENG, MANAGER, company


def test_before_it_goes_the_view_counts_the_audience_it_expects(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        draft = factories.announcement(session, author_id=MANAGER, channels=(ENG,), must_read=True)
        shown = post_view(session, draft)
    assert (shown.post_id, shown.audience_count, shown.ack_count) == (None, 3, 0)
    assert shown.must_read
    assert shown.author_id == MANAGER


def test_once_posted_it_shows_the_posts_own_figures(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        posted = factories.announcement(session, channels=(ENG,))
        occurrence = factories.post(session, posted, audience_count=40, ack_count=12)
        shown = post_view(session, posted, occurrence)
    assert (shown.post_id, shown.audience_count, shown.ack_count) == (occurrence.id, 40, 12)


def test_mentions_of_everyone_are_neutralised_unless_the_author_may_use_them(
    store: Store,
) -> None:
    with store.unit_of_work() as session:
        loud = factories.announcement(session, body="<!channel> lunch & learn")
        allowed = factories.announcement(
            session, body="<!channel> lunch & learn", may_notify_everyone=True
        )
        quiet, heard = post_view(session, loud), post_view(session, allowed)
    assert "<!channel>" not in quiet.body
    assert "&amp;" in quiet.body
    assert "<!channel>" in heard.body
