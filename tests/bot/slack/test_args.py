"""The one argument parser, sealed claims, plain text and form errors, tested as sets of inputs."""

import contextlib
from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import InvalidInput
from bot.slack import claims
from bot.slack.args import (
    MAX_ID,
    parse_count,
    parse_date,
    parse_id,
    parse_optional_id,
    parse_time,
    parse_zone,
    words,
)
from bot.slack.forms import Form, FormField
from bot.text.mrkdwn import plain_text

USAGE = "/announce cancel <id>"


@given(st.text(max_size=40))
def test_an_id_is_ascii_digits_in_the_stores_range_or_a_clear_refusal(token: str) -> None:
    stripped = token.strip().lstrip("#")
    valid = stripped.isascii() and stripped.isdigit() and 1 <= int(stripped or 0) <= MAX_ID
    if not valid:
        with pytest.raises(InvalidInput, match="&lt;id&gt;"):  # the usage line, escaped
            parse_id(token, usage=USAGE)
        return
    value = parse_id(token, usage=USAGE)
    assert 1 <= value <= MAX_ID
    assert value == int(stripped)


@pytest.mark.parametrize(
    "token", ["²", "٣", "99999999999999999999", str(2**63), "0", "", "-1", "1.5", "#", "1 2"]
)
def test_ids_python_might_accept_are_refused(token: str) -> None:
    with pytest.raises(InvalidInput):
        parse_id(token, usage=USAGE)


def test_ids_people_type_are_read() -> None:
    assert parse_id("42", usage=USAGE) == 42
    assert parse_id("#42", usage=USAGE) == 42
    assert parse_id(str(MAX_ID), usage=USAGE) == MAX_ID
    assert parse_optional_id("", usage=USAGE) is None


@given(st.text(max_size=20))
def test_counts_zones_dates_and_times_refuse_cleanly(text: str) -> None:
    for parse in (
        lambda t: parse_count(t, what="Days", low=1, high=30),
        parse_zone,
        parse_date,
        parse_time,
    ):
        with contextlib.suppress(InvalidInput):
            parse(text)


def test_dates_times_and_zones_people_type() -> None:
    assert parse_date("2026-12-07") == date(2026, 12, 7)
    assert parse_time("9:30") == time(9, 30)
    assert parse_zone("Europe/Berlin") == "Europe/Berlin"
    for bad in ("24:00", "9.30", "09:60"):
        with pytest.raises(InvalidInput):
            parse_time(bad)
    for bad in ("Mars/Olympus", "../etc/passwd", "", "/etc/localtime"):
        with pytest.raises(InvalidInput):
            parse_zone(bad)


@given(st.text(max_size=60))
def test_words_never_fail(text: str) -> None:
    assert isinstance(words(text), list)


@given(st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=4))
def test_a_sealed_claim_reads_back_and_an_edited_one_is_refused(data: dict[str, object]) -> None:
    token = claims.seal("secret", "purpose", data)
    assert claims.unseal("secret", "purpose", token) == data
    with pytest.raises(InvalidInput):
        claims.unseal("secret", "other purpose", token)
    with pytest.raises(InvalidInput):
        claims.unseal("another secret", "purpose", token)
    payload, _, mac = token.rpartition(".")
    with pytest.raises(InvalidInput):
        claims.unseal("secret", "purpose", payload + "A." + mac)


@given(st.one_of(st.none(), st.integers(), st.text(max_size=80)))
def test_any_claimed_metadata_is_read_or_refused(token: object) -> None:
    with contextlib.suppress(InvalidInput):
        claims.unseal("secret", "purpose", token)


def test_plain_text_reads_as_slack_would_show_it() -> None:
    names = {"C0IT": "it-help", "U0BOB": "bob", "S0IT": "it"}.get
    assert plain_text("Post in <#C0IT> or <#C0HR|hr>", names) == "Post in #it-help or #hr"
    assert plain_text("Ask <@U0BOB> or <!subteam^S0IT>", names) == "Ask @bob or @it"
    assert plain_text("`/announce cancel &lt;id&gt;` &amp; *now*") == "/announce cancel <id> & now"
    assert plain_text("See <https://example.com|the guide>") == "See the guide"


def test_form_errors_land_on_blocks_the_view_has() -> None:
    form = Form(
        "f",
        fields=(FormField("title", "t"), FormField("day", "d"), FormField("repeat", "r")),
        default="title",
    )
    assert form.block_errors({"day": "No such day."}, present=["t", "d", "r"]) == {
        "d": "No such day."
    }
    # The day field is not in this view (a one-off): the error goes to the default field.
    assert form.block_errors({"day": "No such day."}, present=["t", "r"]) == {"t": "No such day."}
    assert form.block_errors({"": "Whole form.", "title": "Short."}, present=["t"]) == {
        "t": "Whole form. Short."
    }
