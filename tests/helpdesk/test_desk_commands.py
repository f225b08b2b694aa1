"""`/commons desk ...`: an admin configures a desk; every answer says what happened."""

from typing import Any

from sqlmodel import select

from helpdesk.models import Desk
from tests.harness import Harness
from tests.helpdesk.conftest import add_it_desk, text_of


def test_an_admin_configures_a_desk_and_sees_its_settings(harness: Harness) -> None:
    add_it_desk(harness)
    answers = [
        text_of(harness.slash("alice", "/commons", line).body)
        for line in (
            "desk hours it Mon-Fri 09:00-17:00 Europe/London",
            "desk holiday it 2026-12-25",
            "desk sla it high 1h 8h",
            "desk alias it tech",
            "desk category it Hardware",
            "desk lead it <@U0BOB|bob>",
            "desk reaction it :sos:",
            "desk autoclose it 5",
        )
    ]
    assert "works Mon-Fri 09:00-17:00 Europe/London" in answers[0]
    assert "closed on Fri 25 Dec 2026" in answers[1]
    assert "first response within 1h, resolution within 8h" in answers[2]
    assert "now go to <@U0BOB>" in answers[5]
    shown = text_of(harness.slash("alice", "/commons", "desk show tech").body)
    for expected in ("*IT* (`it`, `tech`)", "2026-12-25", "high 1h/8h", ":sos:", "Hardware"):
        assert expected in shown, shown
    assert "*IT*" in text_of(harness.slash("alice", "/commons", "desk list").body)
    assert "/commons desk add" in text_of(harness.slash("alice", "/commons", "desk").body)
    unknown = text_of(harness.slash("alice", "/commons", "desk frob").body)
    assert "I don't know `/commons desk frob`" in unknown
    opened = text_of(harness.slash("carol", "/request", "tech Keyboard missing keys").body)
    assert "Request #1 is open at IT" in opened
    removed = text_of(harness.slash("alice", "/commons", "desk remove it").body)
    assert "takes no new requests" in removed
    assert "There is no desk `it`" in text_of(harness.slash("carol", "/request", "it x").body)


def _desk_form(**fields: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """The set-up form's state, in the element shapes Slack sends."""

    def state(name: str, value: Any) -> dict[str, Any]:
        if name == "channel":
            return {"type": "conversations_select", "selected_conversation": value}
        if name == "usergroup":
            return {"type": "static_select", "selected_option": {"value": value}}
        if name == "days":
            return {"type": "checkboxes", "selected_options": [{"value": d} for d in value]}
        if name in ("start", "end"):
            return {"type": "timepicker", "selected_time": value}
        return {"type": "plain_text_input", "value": value}

    return {f"desk_{k}": {f"desk_{k}": state(k, v)} for k, v in fields.items()}


GOOD = {
    "key": "it",
    "name": "IT",
    "channel": "C0ITHELP",
    "usergroup": "S0IT",
    "days": ["Mon", "Tue", "Wed", "Thu", "Fri"],
    "start": "08:30",
    "end": "17:30",
    "zone": "Europe/London",
}


def test_an_admin_sets_up_a_desk_with_the_form_and_mistakes_are_shown_inline(
    harness: Harness,
) -> None:
    assert harness.slash("alice", "/commons", "desk new").status == 200
    view = harness.open_view("alice")
    assert view.title == "New help desk"
    bad = {
        **GOOD,
        "key": "IT desk!",
        "name": " ",
        "channel": "C0OFFSITE2024",
        "days": [],
        "start": "18:00",
        "end": "09:00",
        "zone": "Mars/Base",
    }
    refused = harness.submit("alice", view.id, _desk_form(**bad))
    assert isinstance(refused.body, dict)
    assert refused.body["response_action"] == "errors"
    errors = refused.body["errors"]
    assert set(errors) == {
        "desk_key",
        "desk_name",
        "desk_channel",
        "desk_days",
        "desk_end",
        "desk_zone",
    }
    assert "archived" in errors["desk_channel"]
    with harness.store.unit_of_work(write=False) as session:
        assert session.exec(select(Desk)).all() == []
    done = harness.submit("alice", view.id, _desk_form(**GOOD))
    assert isinstance(done.body, dict)
    assert done.body["response_action"] == "update"
    said = str(done.body["view"]["blocks"])
    assert "Desk `it` (*IT*) takes requests in <#C0ITHELP>" in said
    assert "Mon-Fri 08:30-17:30 Europe/London" in said
    assert "urgent 1h/4h" in said
    opened = text_of(harness.slash("carol", "/request", "it Keyboard missing keys").body)
    assert "Request #1 is open at IT" in opened
    harness.slash("alice", "/commons", "desk new")  # a second desk on the same channel: refused
    second = harness.open_view("alice", other_than=view.id)
    taken = harness.submit("alice", second.id, _desk_form(**{**GOOD, "key": "hr"}))
    assert isinstance(taken.body, dict)
    # Field errors are plain text: Slack shows them as written.
    assert "already the intake channel of it" in taken.body["errors"]["desk_channel"]


def test_only_admins_open_the_desk_form(harness: Harness) -> None:
    refused = text_of(harness.slash("bob", "/commons", "desk new").body)
    assert "admin" in refused.lower()
    assert harness.slack.workspace.top_modal(harness.user("bob")) is None


def test_a_desk_form_sent_empty_asks_for_each_field(harness: Harness) -> None:
    harness.slash("alice", "/commons", "desk new")
    view = harness.open_view("alice")
    empty = {name: ([] if name == "days" else "") for name in GOOD}
    refused = harness.submit("alice", view.id, _desk_form(**empty))
    assert isinstance(refused.body, dict)
    errors = refused.body["errors"]
    assert errors["desk_channel"] == "Fill in the channel where requests are posted."
    assert errors["desk_zone"] == "Fill in the time zone."
    assert all(text.startswith("Fill in") for text in errors.values()), errors
