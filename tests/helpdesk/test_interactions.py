"""The help desk through the interaction layer: refusals reach the clicker at once, payloads are
not trusted, replays change nothing twice, and every answer is readable (issue 10)."""

import base64
import json
import re
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlmodel import select

from helpdesk.desk_listeners import DESK
from helpdesk.listeners import REQUEST
from helpdesk.models import HelpRequest
from tests.harness import Harness
from tests.helpdesk.conftest import (
    IT_HELP,
    add_it_desk,
    parent,
    request_row,
    text_of,
    wait_status,
)
from tests.support import wait_until

DOCS = Path(__file__).resolve().parents[2] / "docs" / "commands.md"
FORM = "application/x-www-form-urlencoded"


def _requests(harness: Harness) -> list[HelpRequest]:
    with harness.store.unit_of_work(write=False) as session:
        return list(session.exec(select(HelpRequest)).all())


def _opened_by_carol(harness: Harness, summary: str = "Printer jam") -> str:
    """The IT desk, carol's request #1, and its parent's ts."""
    add_it_desk(harness)
    harness.slash("carol", "/request", f"it {summary}")
    harness.run_due()
    return parent(harness, 1).ts


def _refused(harness: Harness, who: str, words: str) -> bool:
    return wait_until(lambda: any(words in t for t in harness.ephemeral_texts(who)))


def _request_form_values(desk: str, summary: str, **more: str) -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, Any]] = {
        "desk": {"desk": {"type": "static_select", "selected_option": {"value": desk}}},
        "summary": {"summary": {"type": "plain_text_input", "value": summary}},
    }
    for block, value in more.items():
        values[block] = {block: {"type": "plain_text_input", "value": value}}
    return values


# -- refusals on buttons: acked, ephemeral, nothing changed ----------------------------------


def test_a_claim_by_someone_who_is_not_an_agent_is_refused_to_them_at_once(
    harness: Harness,
) -> None:
    ts = _opened_by_carol(harness)
    before = request_row(harness, 1)
    ack = harness.click("dave", "helpdesk.claim", channel_id=IT_HELP, message_ts=ts)
    assert ack.status == 200, ack
    assert ack.seconds < 3
    assert _refused(harness, "dave", "Only IT agents")
    after = request_row(harness, 1)
    assert (after.status, after.assignee_id, after.version) == ("open", None, before.version)


def test_assign_resolve_reopen_and_rate_by_the_wrong_person_are_refused_ephemerally(
    harness: Harness,
) -> None:
    ts = _opened_by_carol(harness)
    for action in ("helpdesk.resolve", "helpdesk.wait"):
        ack = harness.click("dave", action, channel_id=IT_HELP, message_ts=ts)
        assert ack.status == 200
        assert ack.seconds < 3
    ack = harness.click(
        "dave", "helpdesk.assign", channel_id=IT_HELP, message_ts=ts, selected="U0BOB"
    )
    assert ack.status == 200
    assert ack.seconds < 3
    assert _refused(harness, "dave", "claim or assign")
    assert request_row(harness, 1).status == "open"
    assert request_row(harness, 1).assignee_id is None

    harness.click("bob", "helpdesk.resolve", channel_id=IT_HELP, message_ts=ts)
    wait_status(harness, 1, "resolved")
    harness.run_due()
    ack = harness.click("dave", "helpdesk.reopen", channel_id=IT_HELP, message_ts=ts)
    assert ack.status == 200
    assert ack.seconds < 3
    assert _refused(harness, "dave", "can reopen")
    assert request_row(harness, 1).status == "resolved"

    rate_dm = next(m for m in reversed(harness.dms("carol")) if "helpdesk.rate.5" in str(m.blocks))
    dm = harness.slack.workspace.dm_channel_for("U0CAROL").id
    ack = harness.click("dave", "helpdesk.rate.1", channel_id=dm, message_ts=rate_dm.ts)
    assert ack.status == 200
    assert ack.seconds < 3
    assert _refused(harness, "dave", "can rate request #1")
    with harness.store.unit_of_work(write=False) as session:
        assert service_rating(session) is None


def service_rating(session: Any) -> Any:
    from helpdesk.models import Rating

    return session.get(Rating, 1)


def test_an_assign_to_someone_outside_the_desk_is_refused_and_an_agent_can_assign(
    harness: Harness,
) -> None:
    ts = _opened_by_carol(harness)
    harness.click("bob", "helpdesk.assign", channel_id=IT_HELP, message_ts=ts, selected="U0CAROL")
    assert _refused(harness, "bob", "is not a IT agent")
    assert request_row(harness, 1).assignee_id is None
    harness.click("bob", "helpdesk.assign", channel_id=IT_HELP, message_ts=ts, selected="U0OSCAR")
    assert wait_until(lambda: request_row(harness, 1).assignee_id == "U0OSCAR")
    harness.run_due()
    assert "Assignee: <@U0OSCAR>" in str(parent(harness, 1).blocks)


def test_buttons_that_name_no_request_are_answered_without_a_reference(harness: Harness) -> None:
    ts = _opened_by_carol(harness)
    for value in ("²", "99999999999999999999", "abc", "", "-1", "1e3"):
        ack = harness.click("bob", "helpdesk.claim", channel_id=IT_HELP, message_ts=ts, value=value)
        assert ack.status == 200, (value, ack)
    assert wait_until(
        lambda: sum("does not name a request" in t for t in harness.ephemeral_texts("bob")) >= 6
    )
    assert not any("reference" in t for t in harness.ephemeral_texts("bob"))
    assert request_row(harness, 1).status == "open"
    ack = harness.click("bob", "helpdesk.claim", channel_id=IT_HELP, message_ts=ts, value="7")
    assert ack.status == 200
    assert _refused(harness, "bob", "There is no request #7")


# -- /request and /commons desk: help, bad input, text ---------------------------------------


def test_request_help_comes_from_its_table_with_the_desks(harness: Harness) -> None:
    add_it_desk(harness)
    shown = text_of(harness.slash("carol", "/request", "help").body)
    assert "*Ask another department for help*" in shown
    assert "`/request list`" in shown
    assert "Desks: `it`." in shown
    desk_help = text_of(harness.slash("alice", "/commons", "desk help").body)
    assert "*Help desks (admins)*" in desk_help
    assert "`/commons desk autoclose &lt;key&gt; &lt;days&gt;`" in desk_help
    assert "Ask another department" not in desk_help


def test_bad_arguments_get_a_clear_escaped_answer_never_a_reference(harness: Harness) -> None:
    add_it_desk(harness)
    answers = {
        line: harness.slash("carol", "/request", line)
        for line in (
            "queue",
            "queue ²",
            "stats 99999999999999999999",
            "queue <b>&it</b>",
            "list extra",
            '"" x',
        )
    }
    for line, ack in answers.items():
        assert ack.status == 200, line
        said = text_of(ack.body)
        assert said, line
        assert "reference" not in said, (line, said)
        assert "<b>" not in said, said
    assert "Usage: `/request queue &lt;desk&gt;`" in text_of(answers["queue"].body)
    assert "There is no desk `²`" in text_of(answers["queue ²"].body)
    assert "`&lt;b&gt;&amp;it&lt;/b&gt;`" in text_of(answers["queue <b>&it</b>"].body)
    admin = {
        line: text_of(harness.slash("alice", "/commons", f"desk {line}").body)
        for line in (
            "autoclose it ²",
            "autoclose it 99999999999999999999",
            "holiday it 2026-02-30",
            "holiday it remove",
            "hours it <x> 09:00-17:00 UTC",
            "reaction it <!channel>",
            "frob",
        )
    }
    for line, said in admin.items():
        assert said, line
        assert "reference" not in said, (line, said)
        assert "<x>" not in said, said
        assert "<!channel>" not in said, said
    assert "from 1 to 90" in admin["autoclose it ²"]
    assert "not a date" in admin["holiday it 2026-02-30"]
    assert "Usage: `/commons desk holiday" in admin["holiday it remove"]
    assert "I don't know `/commons desk frob`" in admin["frob"]
    assert _requests(harness) == []


def test_answers_use_proper_plurals(harness: Harness) -> None:
    ts = _opened_by_carol(harness)
    one = text_of(harness.slash("alice", "/commons", "desk autoclose it 1").body)
    assert "close 1 day after" in one
    assert "closes 1 day after" in text_of(harness.slash("alice", "/commons", "desk show it").body)
    five = text_of(harness.slash("alice", "/commons", "desk autoclose it 5").body)
    assert "close 5 days after" in five
    harness.click("bob", "helpdesk.resolve", channel_id=IT_HELP, message_ts=ts)
    wait_status(harness, 1, "resolved")
    harness.run_due()
    notes = [m.text for m in harness.slack.workspace.replies(IT_HELP, ts)]
    assert any("closes by itself in 5 days" in n for n in notes), notes
    everything = notes + [m.text for m in harness.dms("carol")] + harness.ephemeral_texts("alice")
    assert not any("(s)" in t for t in everything)


def test_people_s_text_is_escaped_in_replies_and_messages(harness: Harness) -> None:
    add_it_desk(harness)
    category = text_of(
        harness.slash("alice", "/commons", "desk category it <b>Hard & soft</b>").body
    )
    assert "`&lt;b&gt;Hard &amp; soft&lt;/b&gt;` added to `it`" in category
    opened = text_of(
        harness.slash("carol", "/request", "it <!channel> & <https://x.example|y>").body
    )
    assert "<!channel>" not in opened
    assert "&amp;" in opened
    harness.run_due()
    assert "<!channel>" not in str(parent(harness, 1).blocks)


# -- the request form: field errors where they belong ----------------------------------------


def test_request_form_errors_land_on_their_own_field_in_plain_text(harness: Harness) -> None:
    add_it_desk(harness)
    harness.slash("alice", "/commons", "desk category it Hardware")
    harness.slash("alice", "/commons", 'desk add hr "HR" <#C0HRHELP|hr-help> <!subteam^S0HR|@hr>')
    harness.slash("alice", "/commons", "desk category hr Payroll")
    harness.slash("carol", "/request")
    view = harness.open_view("carol")
    cases = {
        "desk": _request_form_values("plumbing", "Leak"),
        "summary": _request_form_values("it", "   "),
        "priority": _request_form_values("it", "Leak", priority="whenever"),
        "category": {
            **_request_form_values("it", "Leak"),
            "category": {
                "category": {"type": "static_select", "selected_option": {"value": "hr:Payroll"}}
            },
        },
    }
    for block, values in cases.items():
        ack = harness.submit("carol", view.id, values)
        assert isinstance(ack.body, dict), ack.body
        assert ack.body["response_action"] == "errors", ack.body
        errors = ack.body["errors"]
        assert list(errors) == [block], (block, errors)
        assert not re.search(r"`|&lt;|&gt;|&amp;|<[#@!]", errors[block]), errors[block]
        harness.slack.workspace.views[view.id].state_values.clear()
    assert "There is no desk plumbing" in text_of(
        harness.submit("carol", view.id, cases["desk"]).body["errors"]["desk"]  # type: ignore[index]
    )
    assert "Pick a desk" in text_of(
        harness.submit("carol", view.id, _request_form_values("", "Leak")).body["errors"]["desk"]  # type: ignore[index]
    )
    assert _requests(harness) == []
    ok = harness.submit("carol", view.id, _request_form_values("it", "Leak", priority="high"))
    assert ok.body in (None, "", {}), ok.body
    assert (request_row(harness, 1).requester_id, request_row(harness, 1).priority) == (
        "U0CAROL",
        "high",
    )


# -- "Turn into a request": the person acting, the real message ------------------------------


def _shortcut_form(harness: Harness, who: str, author: str, text: str) -> tuple[str, str]:
    """`who` runs the shortcut on a message `author` wrote in #general: (view id, message ts)."""
    message = harness.slack.workspace.post_message(
        "C0GENERAL", text=text, user=harness.user(author)
    )
    harness.driver.message_shortcut(
        harness.user(who), "helpdesk.turn_into_request", "C0GENERAL", message.ts
    )
    view = harness.open_view(who)
    assert text in str(view.blocks)
    return view.id, message.ts


def test_a_colleague_s_message_becomes_the_actor_s_request_and_its_author_is_told(
    harness: Harness,
) -> None:
    add_it_desk(harness)
    view_id, ts = _shortcut_form(harness, "carol", "dave", "Printer on 3 is out of toner")
    ack = harness.submit("carol", view_id, _request_form_values("it", "Toner, please"))
    assert ack.status == 200
    assert ack.body in (None, "", {}), ack.body
    row = request_row(harness, 1)
    assert (row.requester_id, row.opened_by, row.summary) == ("U0CAROL", "U0CAROL", "Toner, please")
    assert row.source_link is not None
    assert row.source_link.endswith(f"/archives/C0GENERAL/p{ts.replace('.', '')}")
    harness.run_due()
    told = [m.text for m in harness.dms("dave")]
    assert any("<@U0CAROL> turned" in t and "request #1" in t for t in told), told
    shown = str(parent(harness, 1).blocks)
    assert "From <@U0CAROL>" in shown
    assert "on behalf of" not in shown
    assert "Your request #1 to IT is open" in harness.dms("carol")[-1].text


def test_an_agent_files_a_colleague_s_message_on_their_behalf_and_the_parent_says_so(
    harness: Harness,
) -> None:
    add_it_desk(harness)
    view_id, _ = _shortcut_form(harness, "bob", "dave", "VPN drops every hour")
    harness.submit("bob", view_id, _request_form_values("it", "VPN drops every hour"))
    row = request_row(harness, 1)
    assert (row.requester_id, row.opened_by, row.source) == ("U0DAVE", "U0BOB", "shortcut")
    harness.run_due()
    assert "Filed by <@U0BOB> on behalf of <@U0DAVE>" in str(parent(harness, 1).blocks)
    assert any("<@U0BOB> opened request #1 to IT for you" in m.text for m in harness.dms("dave"))


def _tampered(sealed: str, **changes: str) -> str:
    payload, _, mac = sealed.rpartition(".")
    data = json.loads(base64.urlsafe_b64decode(payload.encode()))
    data.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode()
    return f"{forged}.{mac}"


def test_forged_or_edited_form_metadata_is_refused_and_nothing_is_created(
    harness: Harness,
) -> None:
    add_it_desk(harness)
    view_id, ts = _shortcut_form(harness, "dave", "carol", "Laptop will not boot")
    view = harness.slack.workspace.views[view_id]
    sealed = view.private_metadata
    forgeries = [
        # What the old form trusted: another requester and any link.
        json.dumps(
            {
                "requester": "U0CAROL",
                "link": "https://evil.example",
                "channel": "C0GENERAL",
                "ts": ts,
            }
        ),
        _tampered(sealed, link="https://evil.example/phish"),
        _tampered(sealed, author="U0BOB"),
        "{}",
        "1|",
        "",
    ]
    for forged in forgeries:
        view.private_metadata = forged
        ack = harness.submit("dave", view_id, _request_form_values("it", "Laptop will not boot"))
        assert ack.status == 200, (forged, ack)
        assert isinstance(ack.body, dict), ack.body
        assert ack.body.get("response_action") == "errors", ack.body
        assert "out of date" in str(ack.body["errors"]), ack.body
    assert _requests(harness) == []

    # Carol's sealed form is hers: dave cannot submit it as his.
    view.private_metadata = sealed
    harness.slash("carol", "/request")
    carol_view = harness.open_view("carol")
    view.private_metadata = carol_view.private_metadata
    refused = harness.submit("dave", view_id, _request_form_values("it", "Laptop will not boot"))
    assert isinstance(refused.body, dict)
    assert refused.body["response_action"] == "errors"
    assert _requests(harness) == []

    view.private_metadata = sealed
    harness.submit("dave", view_id, _request_form_values("it", "Laptop will not boot"))
    assert request_row(harness, 1).requester_id == "U0DAVE"


def test_a_raw_forged_submission_creates_nothing(harness: Harness) -> None:
    add_it_desk(harness)
    payload = {
        "type": "view_submission",
        "team": {"id": harness.slack.team_id, "domain": harness.slack.team_domain},
        "user": {"id": "U0DAVE", "name": "dave", "username": "dave"},
        "api_app_id": harness.slack.app_id,
        "trigger_id": harness.slack.mint_trigger_id("U0DAVE"),
        "view": {
            "id": "VFORGED1",
            "type": "modal",
            "callback_id": "helpdesk.request_modal",
            "private_metadata": json.dumps({"requester": "U0CAROL", "link": "https://evil"}),
            "hash": "1",
            "blocks": [
                {"type": "input", "block_id": "desk", "element": {"type": "static_select"}},
                {"type": "input", "block_id": "summary", "element": {"type": "plain_text_input"}},
            ],
            "state": {"values": _request_form_values("it", "Give carol's laptop to dave")},
        },
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    ack = harness.driver.send_raw(body, FORM)
    assert ack.status == 200, ack
    assert isinstance(ack.body, dict), ack.body
    assert ack.body["response_action"] == "errors", ack.body
    assert _requests(harness) == []


# -- replays ---------------------------------------------------------------------------------


def _slash_body(harness: Harness, who: str, command: str, text: str) -> bytes:
    """One signed-able slash command body, as Slack sends it (one trigger_id)."""
    sb, user = harness.slack, harness.user(who)
    channel = sb.workspace.dm_channel_for(user).id
    fields = {
        "token": "sandbox-verification-token",
        "team_id": sb.team_id,
        "team_domain": sb.team_domain,
        "channel_id": channel,
        "channel_name": "directmessage",
        "user_id": user,
        "user_name": who,
        "command": command,
        "text": text,
        "api_app_id": sb.app_id,
        "response_url": sb.new_response_url(user_id=user, channel_id=channel),
        "trigger_id": sb.mint_trigger_id(user),
    }
    return urllib.parse.urlencode(fields).encode()


def run_a_slash_command_delivered_30_times_opens_one_request(harness: Harness) -> None:
    add_it_desk(harness)
    body = _slash_body(harness, "carol", "/request", "it Printer jam")
    first = harness.driver.send_raw(body, FORM)
    assert "Request #1 is open at IT" in text_of(first.body)
    with ThreadPoolExecutor(max_workers=6) as pool:
        acks = list(pool.map(lambda _: harness.driver.send_raw(body, FORM), range(29)))
    assert all(ack.status == 200 for ack in acks), [a.status for a in acks]
    assert all(ack.seconds < 3 for ack in acks)
    assert len(_requests(harness)) == 1
    harness.run_due()
    parents = [m for m in harness.messages(IT_HELP) if "Printer jam" in m.text]
    assert len(parents) == 1


def test_a_slash_command_delivered_30_times_opens_one_request(harness: Harness) -> None:
    run_a_slash_command_delivered_30_times_opens_one_request(harness)


def test_a_slash_command_delivered_30_times_opens_one_request_on_postgresql(
    harness_pg: Harness,
) -> None:
    run_a_slash_command_delivered_30_times_opens_one_request(harness_pg)


def run_a_request_form_submitted_twice_opens_one_request(harness: Harness) -> None:
    add_it_desk(harness)
    harness.slash("carol", "/request")
    view = harness.open_view("carol")
    values = _request_form_values("it", "Monitor flickers")
    acks = [harness.submit("carol", view.id, values) for _ in range(2)]
    assert all(ack.status == 200 for ack in acks)
    assert [r.summary for r in _requests(harness)] == ["Monitor flickers"]


def test_a_request_form_submitted_twice_opens_one_request(harness: Harness) -> None:
    run_a_request_form_submitted_twice_opens_one_request(harness)


def test_a_request_form_submitted_twice_opens_one_request_on_postgresql(
    harness_pg: Harness,
) -> None:
    run_a_request_form_submitted_twice_opens_one_request(harness_pg)


def test_a_nul_byte_in_a_request_is_no_error_on_postgresql(harness_pg: Harness) -> None:
    add_it_desk(harness_pg)
    ack = harness_pg.slash("carol", "/request", "it a\x00b")
    assert ack.status == 200
    assert "Request #1 is open at IT" in text_of(ack.body), ack.body
    assert request_row(harness_pg, 1).summary == "ab"


# -- docs ------------------------------------------------------------------------------------


def test_every_usage_line_of_both_tables_is_in_the_docs() -> None:
    documented = set(re.findall(r"`([^`\n]+)`", DOCS.read_text()))
    for table in (REQUEST, DESK):
        missing = [line for line in table.usage_lines() if line not in documented]
        assert missing == [], missing
