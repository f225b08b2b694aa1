"""What the announcement modules share: numbers as people type them, channels, outbox names."""

from announcements.common import campaign_of, channels_of, number, post_key, post_key_prefix
from bot.store import Store
from tests import factories


def test_a_number_is_ascii_digits_with_spaces_around_and_at_most_so_many() -> None:
    assert number(" 42 ") == 42
    assert number("007", 3) == 7


def test_anything_else_is_no_number() -> None:
    for typed in ("", "4.2", "-1", "12a", "٣", "1234"):
        assert number(typed, 3) is None, typed


def test_an_announcements_channels_campaign_and_post_keys(store: Store) -> None:
    with store.unit_of_work() as session:
        row = factories.announcement(session, channels=("C0GENERAL", "C0ENG"))
        assert channels_of(row) == ["C0GENERAL", "C0ENG"]
        assert campaign_of(row.id) == f"announcement-{row.id}"
    assert post_key(7, "C0ENG") == "ann:post:7:C0ENG"
    assert post_key(7, "C0ENG").startswith(post_key_prefix(7))
    assert not post_key(70, "C0ENG").startswith(post_key_prefix(7))
