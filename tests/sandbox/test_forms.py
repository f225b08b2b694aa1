"""Forms in the sandbox as Slack fills them: initial values, typed values, closing, refusals.

Each test here failed on the sandbox before forms behaved as Slack's: submit sent no initial
values, close always sent `view_closed`, values for fields a form lacks were ignored, and a
plain-text label was read as mrkdwn.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import Ack as BoltAck
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from announcements import blocks as announcement_blocks
from sandbox.driver import Driver, FormError
from sandbox.forms import form_values, initial_state
from sandbox.render import blocks_to_lines
from sandbox.server import Sandbox
from sandbox.workspace import View
from tests.announcements.support import announce, modal
from tests.harness import Harness
from tests.support import serve_wsgi

ALICE = "U0ALICE"


def _plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text), "value": value}


ONCE, RECURRING = _option("Once", "once"), _option("Every week", "recurring")
MON, TUE = _option("Monday", "mon"), _option("Tuesday", "tue")


def _input(block_id: str, element: dict[str, Any], label: str = "") -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label or block_id.title()),
        "element": {"action_id": "v", **element},
    }


FORM_BLOCKS = [
    _input("title", {"type": "plain_text_input", "initial_value": "Weekly rota"}),
    _input("body", {"type": "plain_text_input", "multiline": True}),
    _input("when", {"type": "static_select", "options": [ONCE, RECURRING], "initial_option": ONCE}),
    _input("days", {"type": "checkboxes", "options": [MON, TUE], "initial_options": [MON]}),
    _input("kind", {"type": "radio_buttons", "options": [ONCE, RECURRING]}),
    _input("tags", {"type": "multi_static_select", "options": [MON, TUE]}),
    _input("host", {"type": "users_select", "initial_user": "U0BOB"}),
    _input("guests", {"type": "multi_users_select"}),
    _input("where", {"type": "conversations_select", "initial_conversation": "C0GENERAL"}),
    _input("chan", {"type": "channels_select"}),
    _input("also", {"type": "multi_conversations_select", "initial_conversations": ["C0GENERAL"]}),
    _input("date", {"type": "datepicker", "initial_date": "2026-12-07"}),
    _input("time", {"type": "timepicker", "initial_time": "09:00"}),
]
FORM = {
    "type": "modal",
    "callback_id": "form",
    "title": _plain("Compose"),
    "submit": _plain("Send"),
    "blocks": FORM_BLOCKS,
}
UNTOUCHED = {
    "title": {"v": {"type": "plain_text_input", "value": "Weekly rota"}},
    "body": {"v": {"type": "plain_text_input", "value": None}},
    "when": {"v": {"type": "static_select", "selected_option": ONCE}},
    "days": {"v": {"type": "checkboxes", "selected_options": [MON]}},
    "kind": {"v": {"type": "radio_buttons", "selected_option": None}},
    "tags": {"v": {"type": "multi_static_select", "selected_options": []}},
    "host": {"v": {"type": "users_select", "selected_user": "U0BOB"}},
    "guests": {"v": {"type": "multi_users_select", "selected_users": []}},
    "where": {"v": {"type": "conversations_select", "selected_conversation": "C0GENERAL"}},
    "chan": {"v": {"type": "channels_select", "selected_channel": None}},
    "also": {"v": {"type": "multi_conversations_select", "selected_conversations": ["C0GENERAL"]}},
    "date": {"v": {"type": "datepicker", "selected_date": "2026-12-07"}},
    "time": {"v": {"type": "timepicker", "selected_time": "09:00"}},
}


def _names(ref: str) -> str | None:
    return {"@bob": "U0BOB", "@carol": "U0CAROL", "#general": "C0GENERAL"}.get(ref)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def seen() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def driver(sandbox: Sandbox, seen: list[dict[str, Any]]) -> Iterator[Driver]:
    """A Bolt app that records what it is sent, behind the driver over signed HTTP."""
    app = App(
        signing_secret=sandbox.signing_secret,
        client=WebClient(token=sandbox.bot_token, base_url=sandbox.api_url),
        token_verification_enabled=False,
        process_before_response=True,
    )

    @app.view("form")
    def submitted(ack: BoltAck, body: dict[str, Any]) -> None:
        ack()
        seen.append(body)

    @app.view_closed("form")
    def closed(ack: BoltAck, body: dict[str, Any]) -> None:
        ack()
        seen.append(body)

    @app.action("pick")
    def chosen(ack: BoltAck, body: dict[str, Any]) -> None:
        ack()
        seen.append(body)

    with serve_wsgi(SlackRequestHandler(app)) as url:
        yield Driver(sandbox, bot_url=f"{url}/slack/events", timeout=10)


def _open(sandbox: Sandbox, **definition: Any) -> View:
    """Open a modal for Alice the way Commons does: views.open with a fresh trigger."""
    client = WebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    opened = client.views_open(
        trigger_id=sandbox.mint_trigger_id(ALICE), view={**FORM, **definition}
    )
    return sandbox.workspace.views[opened["view"]["id"]]


# -- initial values ------------------------------------------------------------------------------


def test_an_untouched_form_holds_each_input_s_initial_value_in_slack_s_shape() -> None:
    assert initial_state(FORM_BLOCKS) == UNTOUCHED


def test_submit_without_values_sends_the_initial_values(
    sandbox: Sandbox, driver: Driver, seen: list[dict[str, Any]]
) -> None:
    view = _open(sandbox)
    ack = driver.submit(ALICE, view.id)
    assert ack.status == 200
    assert seen.pop()["view"]["state"]["values"] == UNTOUCHED


def test_values_given_replace_only_their_own_inputs(
    sandbox: Sandbox, driver: Driver, seen: list[dict[str, Any]]
) -> None:
    view = _open(sandbox)
    values = form_values(view, [("title", "New rota"), ("body", "a\nb"), ("when", "every WEEK")])
    driver.submit(ALICE, view.id, values)
    state = seen.pop()["view"]["state"]["values"]
    assert state["title"]["v"] == {"type": "plain_text_input", "value": "New rota"}
    assert state["body"]["v"] == {"type": "plain_text_input", "value": "a\nb"}
    assert state["when"]["v"] == {"type": "static_select", "selected_option": RECURRING}
    assert state["days"] == UNTOUCHED["days"]
    assert state["date"] == UNTOUCHED["date"]


def test_a_click_in_a_form_carries_its_values_and_the_choice_is_kept(
    sandbox: Sandbox, driver: Driver, seen: list[dict[str, Any]]
) -> None:
    when = {**FORM_BLOCKS[2], "dispatch_action": True}
    when["element"] = {**when["element"], "action_id": "pick"}
    view = _open(sandbox, blocks=[FORM_BLOCKS[0], when])
    driver.click(ALICE, "pick", view_id=view.id, selected="recurring")
    click = seen.pop()
    assert click["state"]["values"]["title"] == UNTOUCHED["title"]
    assert click["state"]["values"]["when"]["pick"]["selected_option"] == RECURRING
    assert click["view"]["state"]["values"] == click["state"]["values"]
    driver.submit(ALICE, view.id)
    assert seen.pop()["view"]["state"]["values"]["when"]["pick"]["selected_option"] == RECURRING


# -- console words as values ---------------------------------------------------------------------


def test_console_words_become_each_element_s_shape(sandbox: Sandbox) -> None:
    view = _open(sandbox)
    pairs = [
        ("days", "tuesday, mon"),
        ("kind.v", "once"),
        ("host", "@carol"),
        ("guests", "@bob,U0CAROL"),
        ("chan", "#general"),
        ("date", "2026-12-08"),
        ("title", ""),
    ]
    assert form_values(view, pairs, resolve=_names) == {
        "days": {"v": {"type": "checkboxes", "selected_options": [TUE, MON]}},
        "kind": {"v": {"type": "radio_buttons", "selected_option": ONCE}},
        "host": {"v": {"type": "users_select", "selected_user": "U0CAROL"}},
        "guests": {"v": {"type": "multi_users_select", "selected_users": ["U0BOB", "U0CAROL"]}},
        "chan": {"v": {"type": "channels_select", "selected_channel": "C0GENERAL"}},
        "date": {"v": {"type": "datepicker", "selected_date": "2026-12-08"}},
        "title": {"v": {"type": "plain_text_input", "value": None}},
    }


@pytest.mark.parametrize(
    ("pairs", "said"),
    [
        ([("when", "sometimes")], "'sometimes' is not one of its choices (once, recurring)"),
        ([("days", "mon,sun")], "'sun' is not one of its choices (mon, tue)"),
        ([("titel", "x")], "no field 'titel'; its fields are: title, body, when"),
        ([("title.text", "x")], "no field 'title.text'"),
        ([("host", "@nobody")], "there is no @nobody here"),
    ],
)
def test_words_that_do_not_fit_the_form_are_refused_in_plain_words(
    sandbox: Sandbox, pairs: list[tuple[str, str]], said: str
) -> None:
    view = _open(sandbox)
    with pytest.raises(FormError, match=said.replace("(", r"\(").replace(")", r"\)")):
        form_values(view, pairs, resolve=_names)


# -- what the driver refuses ---------------------------------------------------------------------


def test_values_for_a_field_the_form_lacks_are_refused(
    sandbox: Sandbox, driver: Driver, seen: list[dict[str, Any]]
) -> None:
    view = _open(sandbox)
    given = {"title": {"text": {"value": "x"}}}
    with pytest.raises(FormError, match=r"no field 'title.text'; its fields are: title.v, body.v"):
        driver.submit(ALICE, view.id, given)
    assert seen == []


def test_values_on_a_step_without_fields_are_refused(
    sandbox: Sandbox, driver: Driver, seen: list[dict[str, Any]]
) -> None:
    preview = _open(sandbox, blocks=[{"type": "section", "text": _plain("Looks right?")}])
    with pytest.raises(FormError, match="no fields to fill; submit it without values"):
        driver.submit(ALICE, preview.id, {"title": {"v": {"value": "x"}}})
    with pytest.raises(FormError, match="no fields to fill"):
        form_values(preview, [("title", "x")])
    assert seen == []
    assert driver.submit(ALICE, preview.id).status == 200


def test_a_form_without_a_submit_button_cannot_be_submitted(
    sandbox: Sandbox, driver: Driver, seen: list[dict[str, Any]]
) -> None:
    done = _open(sandbox, submit=None, blocks=[{"type": "section", "text": _plain("Sent.")}])
    with pytest.raises(FormError, match="no submit button; close it or click one of its"):
        driver.submit(ALICE, done.id)
    assert seen == []
    assert not done.closed


# -- closing -------------------------------------------------------------------------------------


def test_closing_a_form_that_did_not_ask_sends_nothing(
    sandbox: Sandbox, driver: Driver, seen: list[dict[str, Any]]
) -> None:
    view = _open(sandbox)
    ack = driver.close_view(ALICE, view.id)
    assert (ack.sent, ack.status, ack.body, ack.seconds) == (False, 200, None, 0.0)
    assert view.closed
    assert seen == []


def test_closing_a_form_opened_with_notify_on_close_tells_the_app(
    sandbox: Sandbox, driver: Driver, seen: list[dict[str, Any]]
) -> None:
    view = _open(sandbox, notify_on_close=True)
    ack = driver.close_view(ALICE, view.id)
    assert (ack.sent, ack.status) == (True, 200)
    closed = seen.pop()
    assert (closed["type"], closed["view"]["id"]) == ("view_closed", view.id)
    assert closed["view"]["state"]["values"]["title"] == UNTOUCHED["title"]
    assert view.closed


# -- what a person sees --------------------------------------------------------------------------


def _lines(blocks: list[dict[str, Any]], state: dict[str, Any] | None = None) -> list[str]:
    return blocks_to_lines(blocks, lambda _: "alice", lambda _: "#general", state)


def test_an_input_shows_what_it_holds() -> None:
    lines = _lines(FORM_BLOCKS, initial_state(FORM_BLOCKS))
    assert lines[0].startswith('Title: <plain_text_input> (v) = "Weekly rota"')
    assert '= "Once"' in lines[2]
    assert '= "Monday"' in lines[3]
    assert '= "@alice"' in lines[6]
    assert '= "2026-12-07"' in lines[11]
    assert "=" not in lines[1]  # nothing is typed in the body yet
    typed = {"body": {"v": {"type": "plain_text_input", "value": "a\nb"}}}
    assert '= "a\\nb"' in _lines(FORM_BLOCKS, typed)[1]


def test_plain_text_is_shown_as_written_and_mrkdwn_is_formatted() -> None:
    raw = "*not bold* <@U0ALICE>"
    button = {"type": "button", "action_id": "go", "text": _plain(raw)}
    lines = _lines(
        [
            {"type": "header", "text": _plain(raw)},
            {"type": "section", "text": _plain(raw)},
            {"type": "context", "elements": [_plain(raw), {"type": "mrkdwn", "text": raw}]},
            {"type": "actions", "elements": [button]},
            {"type": "section", "text": {"type": "mrkdwn", "text": raw}},
        ]
    )
    assert lines == [
        raw.upper(),
        raw,
        f"  {raw}  *not bold* @alice",
        f"[{raw}] (click go)",
        "*not bold* @alice",
    ]


# -- Commons itself ------------------------------------------------------------------------------


def test_a_shortcut_s_prefilled_summary_reaches_commons(harness: Harness) -> None:
    from tests.helpdesk.conftest import add_it_desk, request_row

    add_it_desk(harness)
    message = harness.slack.workspace.post_message(
        "C0GENERAL", text="Printer on 3 is out of toner", user=harness.user("dave")
    )
    harness.driver.message_shortcut(
        harness.user("carol"), "helpdesk.turn_into_request", "C0GENERAL", message.ts
    )
    view = harness.open_view("carol")
    ack = harness.submit("carol", view.id, form_values(view, [("desk", "IT")]))
    assert ack.body in (None, "", {}), ack.body
    assert request_row(harness, 1).summary == "Printer on 3 is out of toner"


def test_announce_edit_then_submit_keeps_what_was_filled_in(harness: Harness) -> None:
    announce(
        harness,
        "alice",
        ann_title="Later",
        ann_body="First text",
        ann_channels=["C0GENERAL"],
        ann_when="at",
        ann_date="2026-11-25",
        ann_time="10:00",
    )
    harness.slash("alice", "/announce", "edit 1")
    form = modal(harness, "alice", announcement_blocks.COMPOSE_CALLBACK)
    ack = harness.submit("alice", form.id, {})
    assert isinstance(ack.body, dict), ack.body
    assert ack.body.get("response_action") == "update", ack.body
    preview = modal(harness, "alice", announcement_blocks.PREVIEW_CALLBACK)
    assert "Later" in str(preview.blocks)
    assert "First text" in str(preview.blocks)


def test_a_forged_submission_is_sent_as_given(
    sandbox: Sandbox, driver: Driver, seen: list[dict[str, Any]]
) -> None:
    done = _open(sandbox, submit=None)
    driver.submit(ALICE, done.id, {"save_as": {"v": {"value": "Mine"}}}, forged=True)
    state = seen.pop()["view"]["state"]["values"]
    assert state["save_as"] == {"v": {"value": "Mine"}}
    assert state["title"] == UNTOUCHED["title"]
