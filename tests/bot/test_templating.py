"""Prose templates escape by default, keep what Commons built, and refuse missing values."""

from datetime import UTC, datetime

import pytest
from jinja2 import UndefinedError

from bot.text.mrkdwn import Mrkdwn, user_text
from bot.text.templating import render

DUE = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_values_are_escaped_unless_marked_as_mrkdwn() -> None:
    text = render(
        "tests.bot",
        "example.j2",
        title="Q&A <today>",
        author="<@U0ALICE>",
        body=user_text("Bring <!channel> & friends <@U0BOB>", may_notify_everyone=False),
        due=DUE,
        zone="Asia/Tokyo",
    )
    assert "*Q&amp;A &lt;today&gt;*" in text
    assert "from <@U0ALICE>" in text
    assert "<!channel>" not in text
    assert "&amp; friends <@U0BOB>" in text
    assert "Due Tue 24 Nov 2026, 17:00 JST" in text


def test_comms_may_keep_broadcast_mentions() -> None:
    kept = user_text(
        "<!here> lunch & learn -> 12:00 <https://example.com|agenda>", may_notify_everyone=True
    )
    assert kept == "<!here> lunch &amp; learn -&gt; 12:00 <https://example.com|agenda>"
    assert isinstance(kept, Mrkdwn)


def test_a_missing_value_is_an_error_not_a_blank() -> None:
    with pytest.raises(UndefinedError):
        render("tests.bot", "example.j2", title="x", author="y", body="z", due=DUE)
