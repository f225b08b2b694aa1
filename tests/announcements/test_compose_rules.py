"""Who may announce where, each inline modal error, and mention safety."""

from typing import Any

import pytest

from tests.announcements.support import announce, compose, set_role, text_of
from tests.harness import Harness

GOOD: dict[str, Any] = {
    "ann_title": "Title",
    "ann_body": "Body",
    "ann_channels": ["C0GENERAL"],
}


def _errors(ack: Any) -> dict[str, str]:
    assert isinstance(ack.body, dict), ack.body
    assert ack.body.get("response_action") == "errors", ack.body
    errors: dict[str, str] = ack.body["errors"]
    return errors


def test_a_member_is_refused_before_any_modal_opens(harness: Harness) -> None:
    ack = harness.slash("bob", "/announce")
    assert "Announcements are for communications staff and managers" in str(ack.body)
    assert harness.slack.workspace.top_modal("U0BOB") is None
    assert "Town halls" in str(harness.slash("bob", "/townhall").body) or "managers" in str(
        harness.slash("bob", "/townhall").body
    )


@pytest.mark.parametrize(
    ("changes", "block_id", "words"),
    [
        ({"ann_body": "   "}, "ann_body", "message is empty"),
        ({"ann_title": ""}, "ann_title", "title"),
        ({"ann_title": "x" * 151}, "ann_title", "at most 150"),
        ({"ann_body": "x" * 3001}, "ann_body", "too long"),
        ({"ann_body": "<" * 1000}, "ann_body", "too long"),  # 4,000 once escaped
        ({"ann_channels": ["C0RANDOM"]}, "ann_channels", "not in"),
        ({"ann_channels": ["C0OFFSITE2024"]}, "ann_channels", "archived"),
        ({"ann_channels": []}, "ann_channels", "at least one channel"),
        (
            {"ann_when": "at", "ann_date": "2026-11-24", "ann_time": "08:59"},
            "ann_time",
            "has passed",
        ),
        ({"ann_when": "at", "ann_time": "10:00"}, "ann_date", "date"),
        ({"ann_when": "recurring", "ann_repeat": "weekly", "ann_time": "09:00"}, "ann_days", "day"),
        (
            {
                "ann_when": "recurring",
                "ann_repeat": "monthly_day",
                "ann_month_day": "40",
                "ann_time": "09:00",
            },
            "ann_month_day",  # under the day of the month, not under "Repeats"
            "1 to 31",
        ),
    ],
)
def test_each_invalid_input_comes_back_inline_on_its_field(
    harness: Harness, changes: dict[str, Any], block_id: str, words: str
) -> None:
    values = {**GOOD, **changes}
    if "ann_date" not in values and values.get("ann_when") == "at":
        values["ann_date"] = ""
    errors = _errors(compose(harness, "alice", **values))
    assert block_id in errors, errors
    assert words in errors[block_id]
    assert harness.messages("C0GENERAL") == []


def test_a_manager_may_not_post_outside_their_department_channel(harness: Harness) -> None:
    set_role(harness, "frank", "manager")
    errors = _errors(compose(harness, "frank", **GOOD))
    assert "As a manager you can announce in your department's channels" in errors["ann_channels"]
    # Slack shows field errors as plain text: channels by name, not as <#C...> tokens.
    assert "(#engineering-help), not in #general" in errors["ann_channels"]


def test_broadcast_mentions_are_neutralised_for_managers_and_kept_for_comms(
    harness: Harness,
) -> None:
    set_role(harness, "frank", "manager")
    body = "Hey <!channel> and <!here> and <!subteam^S0ENG|@engineering>, see <@U0GRACE>"
    announce(harness, "frank", ann_title="Note", ann_body=body, ann_channels=["C0ENGHELP"])
    announce(harness, "alice", ann_title="Note", ann_body=body, ann_channels=["C0GENERAL"])
    harness.run_due()
    manager = text_of(harness.messages("C0ENGHELP")[0])
    assert "<!channel>" not in manager
    assert "<!here>" not in manager
    assert "<!subteam" not in manager
    assert "<@U0GRACE>" in manager
    comms = text_of(harness.messages("C0GENERAL")[0])
    assert "<!channel>" in comms
    assert "<!here>" in comms


def test_a_department_audience_posts_in_its_channel_and_counts_its_people(
    harness: Harness,
) -> None:
    said = announce(
        harness,
        "alice",
        ann_title="HR news",
        ann_body="Hello HR",
        ann_channels=[],
        ann_department="2",
        ann_must_read=["yes"],
    )
    assert "going out now" in said
    harness.run_due()
    [posted] = harness.messages("C0HRHELP")
    assert "0 of 2 acknowledged" in text_of(posted)


def test_the_console_can_compose_with_plain_text_values(harness: Harness) -> None:
    """`commons sandbox` sends every field as plain text: names, yes, dates, days."""
    harness.slash("alice", "/announce")
    from announcements import blocks
    from tests.announcements.support import modal

    view = modal(harness, "alice", blocks.COMPOSE_CALLBACK)

    def typed(value: str) -> dict[str, Any]:
        return {"value": {"type": "plain_text_input", "value": value}}

    ack = harness.submit(
        "alice",
        view.id,
        {
            "ann_title": typed("Typed"),
            "ann_body": typed("From the console"),
            "ann_channels": typed("#general, announcements"),
            "ann_must_read": typed("yes"),
            "ann_when": typed("recurring"),
            "ann_repeat": typed("weekly"),
            "ann_days": typed("mon wed"),
            "ann_time": typed("09:30"),
        },
    )
    assert isinstance(ack.body, dict), ack.body
    assert ack.body.get("response_action") == "update", ack.body
    assert "Monday and Wednesday at 09:30" in str(harness.open_view("alice").blocks)


def test_an_unknown_subcommand_gets_the_usage(harness: Harness) -> None:
    body = str(harness.slash("alice", "/announce", "<!channel>").body)
    assert "I don't know `/announce &lt;!channel&gt;`" in body
    assert "/announce cancel &lt;id&gt;" in body
