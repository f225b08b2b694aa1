"""The sandbox's Web API answers slack_sdk's real WebClient as Slack would."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.pacing import ManualClock
from sandbox.server import Sandbox
from sandbox.workspace import Message

HttpCall = Callable[..., tuple[int, dict[str, Any], dict[str, str]]]
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "Hello"}}
MODAL = {
    "type": "modal",
    "callback_id": "survey",
    "title": {"type": "plain_text", "text": "Pulse"},
    "blocks": [SECTION],
}
HOME = {"type": "home", "blocks": [SECTION]}


@pytest.fixture(autouse=True)
def _no_limits(roomy: Sandbox) -> None:
    """Rate limits are test_limits.py's subject; here they stay out of the way."""


def error_of(excinfo: pytest.ExceptionInfo[SlackApiError]) -> str:
    return str(excinfo.value.response["error"])


def page_through(client: WebClient, method: str, key: str, **params: Any) -> list[Any]:
    """Follow next_cursor until it is empty, as a well-behaved client does."""
    items: list[Any] = []
    cursor = ""
    for _ in range(100):
        response = client.api_call(
            method, http_verb="GET", params={**params, **({"cursor": cursor} if cursor else {})}
        )
        items.extend(response[key])
        cursor = response["response_metadata"]["next_cursor"]
        if not cursor:
            return items
    raise AssertionError(f"{method} never ended its pagination")


def post(client: WebClient, channel: str, text: str, **kwargs: Any) -> str:
    ts = client.chat_postMessage(channel=channel, text=text, **kwargs)["ts"]
    assert isinstance(ts, str)
    return ts


# -- auth, arguments, methods -------------------------------------------------------------


def test_auth_test_describes_the_bot(client: WebClient) -> None:
    response = client.auth_test()
    assert response["user_id"] == "U0BOT"
    assert response["bot_id"] == "B0BOT"
    assert response["team_id"] == "T0TEST"
    assert response["url"] == "https://testco.slack.com/"


def test_a_call_without_token_is_not_authed(slack: Sandbox) -> None:
    anonymous = WebClient(base_url=slack.api_url, retry_handlers=[])
    with pytest.raises(SlackApiError) as excinfo:
        anonymous.auth_test()
    assert error_of(excinfo) == "not_authed"


def test_an_unknown_token_is_invalid_auth(slack: Sandbox) -> None:
    stranger = WebClient(token="xoxb-not-ours", base_url=slack.api_url, retry_handlers=[])
    with pytest.raises(SlackApiError) as excinfo:
        stranger.chat_postMessage(channel="C0GENERAL", text="hi")
    assert error_of(excinfo) == "invalid_auth"
    assert slack.workspace.messages("C0GENERAL") == []


def test_the_token_may_come_as_a_form_argument(slack: Sandbox, http: HttpCall) -> None:
    form = urllib.parse.urlencode({"token": slack.bot_token, "channel": "C0GENERAL", "text": "hi"})
    status, body, _ = http("POST", "/api/chat.postMessage", form=form.encode())
    assert status == 200
    assert body["ok"] is True
    assert [m.text for m in slack.workspace.messages("C0GENERAL")] == ["hi"]


def test_only_the_app_token_opens_socket_mode_connections(
    slack: Sandbox, client: WebClient
) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.apps_connections_open(app_token=slack.bot_token)
    assert error_of(excinfo) == "not_allowed_token_type"
    app_client = WebClient(token=slack.app_token, base_url=slack.api_url, retry_handlers=[])
    with pytest.raises(SlackApiError) as excinfo:
        app_client.chat_postMessage(channel="C0GENERAL", text="hi")
    assert error_of(excinfo) == "not_allowed_token_type"
    url = client.apps_connections_open(app_token=slack.app_token)["url"]
    assert url.startswith(f"ws://127.0.0.1:{slack.port}/link?ticket=")


def test_an_unknown_method_is_404(slack: Sandbox, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("chat.postMessagez", json={"channel": "C0GENERAL"})
    assert excinfo.value.response.status_code == 404
    assert error_of(excinfo) == "unknown_method"
    assert slack.calls("chat.postMessagez")[0].status == 404


def test_a_missing_required_argument_is_named(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("conversations.history", http_verb="GET", params={})
    assert error_of(excinfo) == "invalid_arguments"
    assert excinfo.value.response["response_metadata"]["messages"] == [
        "[ERROR] missing required field: channel"
    ]


def test_a_method_without_emulation_answers_ok_and_is_logged(
    slack: Sandbox, client: WebClient
) -> None:
    assert client.api_call("dnd.info", http_verb="GET")["ok"] is True
    assert [(c.method, c.status, c.error) for c in slack.calls("dnd.info")] == [
        ("dnd.info", 200, None)
    ]


def test_the_demo_workspace_is_the_default() -> None:
    with Sandbox() as demo:
        client = WebClient(token=demo.bot_token, base_url=demo.api_url, retry_handlers=[])
        assert client.auth_test()["user_id"] == demo.bot_user_id
        assert demo.workspace.users
        assert demo.api_url == f"http://127.0.0.1:{demo.port}/api/"


def test_a_port_in_use_fails_to_start(slack: Sandbox) -> None:
    with pytest.raises(RuntimeError, match="could not start"):
        Sandbox(port=slack.port).start()


def test_team_info(client: WebClient) -> None:
    team = client.team_info()["team"]
    assert (team["id"], team["name"], team["domain"]) == ("T0TEST", "Test Co", "testco")


# -- chat ---------------------------------------------------------------------------------


def test_a_posted_message_is_stored_and_echoed(slack: Sandbox, client: WebClient) -> None:
    response = client.chat_postMessage(channel="C0GENERAL", text="Hello *all*", blocks=[SECTION])
    assert response["channel"] == "C0GENERAL"
    assert response["message"]["bot_id"] == "B0BOT"
    [message] = slack.workspace.messages("C0GENERAL")
    assert (message.ts, message.text, message.blocks) == (response["ts"], "Hello *all*", [SECTION])
    assert message.user == "U0BOT"


def test_timestamps_are_unique_and_increasing(client: WebClient) -> None:
    stamps = [post(client, "C0GENERAL", f"m{i}") for i in range(20)]
    assert stamps == sorted(stamps, key=float)
    assert len(set(stamps)) == 20
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)


def test_a_post_to_a_user_id_goes_to_their_dm(slack: Sandbox, client: WebClient) -> None:
    response = client.chat_postMessage(channel="U0ALICE", text="Your survey is ready")
    dm = response["channel"]
    assert dm.startswith("D")
    assert slack.workspace.dm_channel_for("U0ALICE").id == dm
    assert [m.text for m in slack.workspace.messages(dm)] == ["Your survey is ready"]
    opened = client.conversations_open(users="U0ALICE")
    assert opened["channel"]["id"] == dm
    assert opened["already_open"] is True
    assert client.chat_postMessage(channel=dm, text="again")["channel"] == dm


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        ("C0RANDOM", "not_in_channel"),
        ("C0OLD", "is_archived"),
        ("C0NOPE", "channel_not_found"),
        ("C0HIDDEN", "channel_not_found"),
        ("U0NOPE", "user_not_found"),
    ],
)
def test_where_the_bot_cannot_post(
    slack: Sandbox, client: WebClient, channel: str, error: str
) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel=channel, text="hi")
    assert error_of(excinfo) == error


def test_a_channel_may_be_named(client: WebClient) -> None:
    assert client.chat_postMessage(channel="#general", text="hi")["channel"] == "C0GENERAL"


def test_a_message_needs_content(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("chat.postMessage", json={"channel": "C0GENERAL"})
    assert error_of(excinfo) == "no_text"


def test_text_over_40000_characters_is_too_long(slack: Sandbox, client: WebClient) -> None:
    post(client, "C0GENERAL", "x" * 40_000)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0GENERAL", text="x" * 40_001)
    assert error_of(excinfo) == "msg_too_long"
    assert len(slack.workspace.messages("C0GENERAL")) == 1


def test_more_than_50_blocks_are_invalid_blocks(slack: Sandbox, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0GENERAL", text="t", blocks=[SECTION] * 51)
    assert error_of(excinfo) == "invalid_blocks"
    messages = excinfo.value.response["response_metadata"]["messages"]
    assert any("/blocks" in m for m in messages)
    assert slack.workspace.messages("C0GENERAL") == []


def test_blocks_arrive_as_json_text_in_form_bodies(slack: Sandbox, client: WebClient) -> None:
    client.api_call(
        "chat.postMessage",
        data={"channel": "C0GENERAL", "text": "t", "blocks": json.dumps([SECTION])},
    )
    assert slack.workspace.messages("C0GENERAL")[0].blocks == [SECTION]
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("chat.postMessage", data={"channel": "C0GENERAL", "blocks": "[nope"})
    assert error_of(excinfo) == "invalid_blocks_format"


def test_metadata_is_returned_only_with_include_all_metadata(client: WebClient) -> None:
    metadata = {"event_type": "commons_delivery", "event_payload": {"delivery_id": "d-1"}}
    post(client, "U0BOB", "Survey", metadata=metadata)
    dm = client.conversations_open(users="U0BOB")["channel"]["id"]
    plain = client.conversations_history(channel=dm)["messages"]
    assert "metadata" not in plain[0]
    full = client.conversations_history(channel=dm, include_all_metadata=True)["messages"]
    assert full[0]["metadata"] == metadata


def test_bad_metadata_is_refused(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call(
            "chat.postMessage", json={"channel": "C0GENERAL", "text": "t", "metadata": [1]}
        )
    assert error_of(excinfo) == "invalid_metadata_format"


def test_the_bot_updates_and_deletes_its_messages(slack: Sandbox, client: WebClient) -> None:
    ts = post(client, "C0GENERAL", "draft")
    updated = client.chat_update(channel="C0GENERAL", ts=ts, text="final", blocks=[SECTION])
    assert updated["text"] == "final"
    message = slack.workspace.find_message("C0GENERAL", ts)
    assert message is not None
    assert (message.text, message.blocks) == ("final", [SECTION])
    assert message.edited is not None
    client.chat_delete(channel="C0GENERAL", ts=ts)
    assert slack.workspace.find_message("C0GENERAL", ts) is None
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel="C0GENERAL", ts=ts, text="late")
    assert error_of(excinfo) == "message_not_found"


def test_the_bot_cannot_edit_what_people_wrote(slack: Sandbox, client: WebClient) -> None:
    theirs = slack.workspace.post_message("C0GENERAL", text="mine", user="U0ALICE")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel="C0GENERAL", ts=theirs.ts, text="edited")
    assert error_of(excinfo) == "cant_update_message"
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_delete(channel="C0GENERAL", ts=theirs.ts)
    assert error_of(excinfo) == "cant_delete_message"


def test_threads_keep_replies_out_of_history(slack: Sandbox, client: WebClient) -> None:
    parent = post(client, "C0GENERAL", "question")
    first = post(client, "C0GENERAL", "one", thread_ts=parent)
    # A reply to a reply lands in the same thread, as in Slack.
    second = post(client, "C0GENERAL", "two", thread_ts=first)
    history = client.conversations_history(channel="C0GENERAL")["messages"]
    assert [m["ts"] for m in history] == [parent]
    assert history[0]["reply_count"] == 2
    thread = client.conversations_replies(channel="C0GENERAL", ts=parent)["messages"]
    assert [m["ts"] for m in thread] == [parent, first, second]
    assert thread[2]["thread_ts"] == parent
    assert [m.ts for m in slack.workspace.replies("C0GENERAL", parent)] == [first, second]
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_replies(channel="C0GENERAL", ts="1.000001")
    assert error_of(excinfo) == "thread_not_found"
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C0GENERAL", text="x", thread_ts="1.000001")
    assert error_of(excinfo) == "thread_not_found"


def test_an_ephemeral_message_is_shown_to_one_member(slack: Sandbox, client: WebClient) -> None:
    assert client.chat_postEphemeral(channel="C0GENERAL", user="U0ALICE", text="psst")["ok"]
    [shown] = slack.workspace.ephemerals("U0ALICE")
    assert (shown.channel, shown.text, shown.source) == ("C0GENERAL", "psst", "chat.postEphemeral")
    assert slack.workspace.messages("C0GENERAL") == []
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postEphemeral(channel="C0SECRET", user="U0BOB", text="psst")
    assert error_of(excinfo) == "user_not_in_channel"


def test_permalinks_point_at_the_message_and_its_thread(client: WebClient) -> None:
    parent = post(client, "C0GENERAL", "question")
    reply = post(client, "C0GENERAL", "answer", thread_ts=parent)
    link = client.chat_getPermalink(channel="C0GENERAL", message_ts=parent)["permalink"]
    assert link == f"https://testco.slack.com/archives/C0GENERAL/p{parent.replace('.', '')}"
    threaded = client.chat_getPermalink(channel="C0GENERAL", message_ts=reply)["permalink"]
    assert threaded.endswith(f"?thread_ts={parent}&cid=C0GENERAL")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_getPermalink(channel="C0GENERAL", message_ts="1.000001")
    assert error_of(excinfo) == "message_not_found"


def test_reactions_are_added_once(slack: Sandbox, client: WebClient) -> None:
    ts = post(client, "C0GENERAL", "ship it")
    client.reactions_add(channel="C0GENERAL", timestamp=ts, name=":white_check_mark:")
    with pytest.raises(SlackApiError) as excinfo:
        client.reactions_add(channel="C0GENERAL", timestamp=ts, name="white_check_mark")
    assert error_of(excinfo) == "already_reacted"
    message = slack.workspace.find_message("C0GENERAL", ts)
    assert message is not None
    assert message.reactions == {"white_check_mark": ["U0BOT"]}
    history = client.conversations_history(channel="C0GENERAL")["messages"]
    assert history[0]["reactions"] == [{"name": "white_check_mark", "users": ["U0BOT"], "count": 1}]


# -- conversations ------------------------------------------------------------------------


def test_conversations_list_shows_what_the_bot_may_see(client: WebClient) -> None:
    public = {c["id"] for c in client.conversations_list()["channels"]}
    assert public == {"C0GENERAL", "C0RANDOM", "C0OLD"}
    unarchived = client.conversations_list(exclude_archived=True)["channels"]
    assert {c["id"] for c in unarchived} == {"C0GENERAL", "C0RANDOM"}
    private = client.conversations_list(types="private_channel")["channels"]
    assert [c["id"] for c in private] == ["C0SECRET"]
    post(client, "U0CAROL", "hi")
    ims = client.conversations_list(types="im")["channels"]
    assert [(c["is_im"], c["user"]) for c in ims] == [(True, "U0CAROL")]


def test_conversations_info_members_and_join(client: WebClient) -> None:
    info = client.conversations_info(channel="C0GENERAL")["channel"]
    assert (info["name"], info["is_member"], info["topic"]["value"]) == (
        "general",
        True,
        "Everything",
    )
    assert client.conversations_members(channel="C0GENERAL")["members"] == [
        "U0ALICE",
        "U0BOB",
        "U0CAROL",
        "U0BOT",
    ]
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_history(channel="C0RANDOM")
    assert error_of(excinfo) == "not_in_channel"
    assert client.conversations_join(channel="C0RANDOM")["channel"]["is_member"] is True
    assert client.conversations_history(channel="C0RANDOM")["messages"] == []
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_info(channel="C0HIDDEN")
    assert error_of(excinfo) == "channel_not_found"


def test_history_is_newest_first_within_oldest_and_latest(client: WebClient) -> None:
    stamps = [post(client, "C0GENERAL", f"m{i}") for i in range(5)]
    everything = client.conversations_history(channel="C0GENERAL")["messages"]
    assert [m["ts"] for m in everything] == stamps[::-1]
    window = client.conversations_history(channel="C0GENERAL", oldest=stamps[1], latest=stamps[3])
    assert [m["ts"] for m in window["messages"]] == [stamps[2]]
    inclusive = client.conversations_history(
        channel="C0GENERAL", oldest=stamps[1], latest=stamps[3], inclusive=True
    )
    assert [m["ts"] for m in inclusive["messages"]] == [stamps[3], stamps[2], stamps[1]]
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_history(channel="C0GENERAL", oldest="yesterday")
    assert error_of(excinfo) == "invalid_ts_oldest"


# -- pagination ---------------------------------------------------------------------------


def test_users_list_pages_end(slack: Sandbox, client: WebClient) -> None:
    members = page_through(client, "users.list", "members", limit=2)
    assert [m["id"] for m in members] == list(slack.workspace.users)
    assert "U0BOT" in {m["id"] for m in members}


def test_conversations_list_pages_end(client: WebClient) -> None:
    channels = page_through(client, "conversations.list", "channels", limit=1)
    assert len(channels) == 3


def test_conversations_members_pages_end(client: WebClient) -> None:
    members = page_through(client, "conversations.members", "members", channel="C0GENERAL", limit=3)
    assert members == ["U0ALICE", "U0BOB", "U0CAROL", "U0BOT"]


def test_history_pages_end_and_cover_every_message(client: WebClient) -> None:
    stamps = [post(client, "C0GENERAL", f"m{i}") for i in range(12)]
    pages = []
    cursor = ""
    while True:
        response = client.conversations_history(channel="C0GENERAL", limit=5, cursor=cursor)
        pages.append([m["ts"] for m in response["messages"]])
        assert response["has_more"] is bool(response["response_metadata"]["next_cursor"])
        cursor = response["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert [len(p) for p in pages] == [5, 5, 2]
    assert [ts for page in pages for ts in page] == stamps[::-1]


def test_replies_pages_end(client: WebClient) -> None:
    parent = post(client, "C0GENERAL", "q")
    for i in range(4):
        post(client, "C0GENERAL", f"r{i}", thread_ts=parent)
    thread = page_through(
        client, "conversations.replies", "messages", channel="C0GENERAL", ts=parent, limit=2
    )
    assert len(thread) == 5


def test_a_malformed_cursor_is_invalid_cursor(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.users_list(cursor="not a cursor!")
    assert error_of(excinfo) == "invalid_cursor"


# -- users and groups ---------------------------------------------------------------------


def test_users_look_like_slack_users(client: WebClient) -> None:
    alice = client.users_info(user="U0ALICE")["user"]
    assert alice["tz"] == "Europe/Berlin"
    assert alice["tz_offset"] in {3600, 7200}
    assert alice["tz_label"] in {"CET", "CEST"}
    assert alice["profile"]["display_name"] == "Alice"
    assert alice["profile"]["email"] == "alice@test.example"
    assert alice["profile"]["title"] == "Head of Communications"
    assert alice["is_admin"] is True
    members = {m["id"]: m for m in client.users_list()["members"]}
    assert members["U0GONE"]["deleted"] is True
    assert members["U0DEPLOY"]["is_bot"] is True
    assert members["U0BOT"]["is_bot"] is True
    with pytest.raises(SlackApiError) as excinfo:
        client.users_info(user="U0NOPE")
    assert error_of(excinfo) == "user_not_found"


def test_usergroups_and_their_members(client: WebClient) -> None:
    [group] = client.usergroups_list(include_users=True)["usergroups"]
    assert (group["id"], group["handle"], group["users"]) == ("S0HR", "hr", ["U0ALICE", "U0BOB"])
    assert "users" not in client.usergroups_list()["usergroups"][0]
    assert client.usergroups_users_list(usergroup="S0HR")["users"] == ["U0ALICE", "U0BOB"]
    with pytest.raises(SlackApiError) as excinfo:
        client.usergroups_users_list(usergroup="S0NOPE")
    assert error_of(excinfo) == "no_such_subteam"


# -- views --------------------------------------------------------------------------------


def test_a_modal_opens_with_a_fresh_trigger(slack: Sandbox, client: WebClient) -> None:
    trigger = slack.mint_trigger_id("U0ALICE")
    view = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert (view["type"], view["callback_id"], view["root_view_id"]) == (
        "modal",
        "survey",
        view["id"],
    )
    stored = slack.workspace.views[view["id"]]
    assert (stored.user_id, stored.title, stored.closed) == ("U0ALICE", "Pulse", False)


def test_a_trigger_is_single_use(slack: Sandbox, client: WebClient) -> None:
    trigger = slack.mint_trigger_id("U0ALICE")
    client.views_open(trigger_id=trigger, view=MODAL)
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=trigger, view=MODAL)
    assert error_of(excinfo) == "exchanged_trigger_id"


def test_a_trigger_expires_after_3_seconds(
    slack: Sandbox, client: WebClient, clock: ManualClock
) -> None:
    trigger = slack.mint_trigger_id("U0ALICE")
    clock.advance(3.01)
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=trigger, view=MODAL)
    assert error_of(excinfo) == "expired_trigger_id"


def test_an_unknown_trigger_is_invalid(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id="12345.67890", view=MODAL)
    assert error_of(excinfo) == "invalid_trigger_id"


def test_a_view_over_the_limits_is_invalid_arguments(slack: Sandbox, client: WebClient) -> None:
    too_long = {**MODAL, "title": {"type": "plain_text", "text": "x" * 25}}
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=slack.mint_trigger_id("U0ALICE"), view=too_long)
    assert error_of(excinfo) == "invalid_arguments"
    assert any("/view/title" in m for m in excinfo.value.response["response_metadata"]["messages"])


def test_views_push_stacks_up_to_three(slack: Sandbox, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.views_push(trigger_id=slack.mint_trigger_id("U0ALICE"), view=MODAL)
    assert error_of(excinfo) == "not_found"
    root = client.views_open(trigger_id=slack.mint_trigger_id("U0ALICE"), view=MODAL)["view"]
    second = client.views_push(trigger_id=slack.mint_trigger_id("U0ALICE"), view=MODAL)["view"]
    third = client.views_push(trigger_id=slack.mint_trigger_id("U0ALICE"), view=MODAL)["view"]
    assert (second["previous_view_id"], third["previous_view_id"]) == (root["id"], second["id"])
    assert third["root_view_id"] == root["id"]
    with pytest.raises(SlackApiError) as excinfo:
        client.views_push(trigger_id=slack.mint_trigger_id("U0ALICE"), view=MODAL)
    assert error_of(excinfo) == "push_limit_reached"


def test_views_update_by_id_or_external_id_with_hash(slack: Sandbox, client: WebClient) -> None:
    opened = client.views_open(
        trigger_id=slack.mint_trigger_id("U0ALICE"), view={**MODAL, "external_id": "survey-1"}
    )["view"]
    renamed = {
        **MODAL,
        "external_id": "survey-1",
        "title": {"type": "plain_text", "text": "Thanks"},
    }
    updated = client.views_update(view_id=opened["id"], view=renamed, hash=opened["hash"])["view"]
    assert updated["id"] == opened["id"]
    assert updated["hash"] != opened["hash"]
    assert slack.workspace.views[opened["id"]].title == "Thanks"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(view_id=opened["id"], view=MODAL, hash=opened["hash"])
    assert error_of(excinfo) == "hash_conflict"
    client.views_update(external_id="survey-1", view=MODAL)
    assert slack.workspace.views[opened["id"]].title == "Pulse"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(view_id="V0NOPE", view=MODAL)
    assert error_of(excinfo) == "not_found"


def test_views_publish_sets_a_users_home_tab(slack: Sandbox, client: WebClient) -> None:
    first = client.views_publish(user_id="U0BOB", view=HOME)["view"]
    again = client.views_publish(user_id="U0BOB", view=HOME, hash=first["hash"])["view"]
    assert again["id"] == first["id"]
    home = slack.workspace.home_view("U0BOB")
    assert home is not None
    assert (home.type, home.blocks, home.hash) == ("home", [SECTION], again["hash"])
    with pytest.raises(SlackApiError) as excinfo:
        client.views_publish(user_id="U0BOB", view=HOME, hash=first["hash"])
    assert error_of(excinfo) == "hash_conflict"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_publish(user_id="U0BOB", view=MODAL)
    assert error_of(excinfo) == "invalid_arguments"


def test_view_submission_responses_apply_as_in_slack(slack: Sandbox, client: WebClient) -> None:
    ws = slack.workspace
    root = client.views_open(trigger_id=slack.mint_trigger_id("U0ALICE"), view=MODAL)["view"]["id"]
    ws.apply_view_response(root, {"response_action": "errors", "errors": {"answer": "Too short"}})
    assert (ws.views[root].errors, ws.views[root].closed) == ({"answer": "Too short"}, False)
    thanks = {**MODAL, "title": {"type": "plain_text", "text": "Thanks"}}
    ws.apply_view_response(root, {"response_action": "update", "view": thanks})
    assert (ws.views[root].title, ws.views[root].errors) == ("Thanks", {})
    ws.apply_view_response(root, {"response_action": "push", "view": MODAL})
    pushed = ws.top_modal("U0ALICE")
    assert pushed is not None
    assert pushed.previous_view_id == root
    ws.apply_view_response(pushed.id, {})
    assert ws.views[pushed.id].closed
    assert ws.top_modal("U0ALICE") is ws.views[root]
    ws.apply_view_response(root, {"response_action": "push", "view": MODAL})
    ws.apply_view_response(root, {"response_action": "clear"})
    assert ws.top_modal("U0ALICE") is None


# -- files --------------------------------------------------------------------------------


def test_files_upload_v2_shares_into_a_channel(slack: Sandbox, client: WebClient) -> None:
    response = client.files_upload_v2(
        channel="C0GENERAL",
        content=b"name,score\nalice,5\n",
        filename="results.csv",
        title="Results",
        initial_comment="The results are in",
    )
    file_id = response["file"]["id"]
    stored = slack.workspace.files[file_id]
    assert (stored.content, stored.title, stored.channel_ids) == (
        b"name,score\nalice,5\n",
        "Results",
        ["C0GENERAL"],
    )
    [message] = slack.workspace.messages("C0GENERAL")
    assert (message.text, message.files) == ("The results are in", [file_id])
    history = client.conversations_history(channel="C0GENERAL")["messages"]
    assert history[0]["files"][0]["name"] == "results.csv"


def test_a_file_completed_without_channel_stays_private(slack: Sandbox, client: WebClient) -> None:
    response = client.files_upload_v2(content="private notes", filename="notes.txt")
    stored = slack.workspace.files[response["file"]["id"]]
    assert (stored.content, stored.channel_ids) == (b"private notes", [])
    assert slack.workspace.messages("C0GENERAL") == []


def test_an_upload_may_also_come_as_multipart(slack: Sandbox, client: WebClient) -> None:
    reserved = client.files_getUploadURLExternal(filename="a.txt", length=3)
    boundary = "sandboxboundary"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
        f"abc\r\n--{boundary}--\r\n"
    ).encode()
    request = urllib.request.Request(
        reserved["upload_url"],
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.read() == b"OK - 3"
    assert slack.workspace.files[reserved["file_id"]].content == b"abc"


def test_completing_an_upload_that_never_came_fails(client: WebClient) -> None:
    reserved = client.files_getUploadURLExternal(filename="a.txt", length=3)
    with pytest.raises(SlackApiError) as excinfo:
        client.files_completeUploadExternal(files=[{"id": reserved["file_id"]}])
    assert error_of(excinfo) == "file_not_found"


# -- response_url -------------------------------------------------------------------------


def respond_to(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def test_a_response_url_answers_ephemerally_by_default(slack: Sandbox) -> None:
    url = slack.new_response_url(user_id="U0ALICE", channel_id="C0GENERAL")
    assert respond_to(url, {"text": "Only you can see this"}) == (200, {"ok": True})
    [shown] = slack.workspace.ephemerals("U0ALICE")
    assert (shown.text, shown.source) == ("Only you can see this", "response_url")
    assert slack.workspace.activity_since(0)[-1].kind == "response"
    assert respond_to(url, {"text": "Now everyone", "response_type": "in_channel"})[0] == 200
    assert [m.text for m in slack.workspace.messages("C0GENERAL")] == ["Now everyone"]


def test_a_response_url_replaces_or_deletes_the_original(slack: Sandbox, client: WebClient) -> None:
    ts = post(client, "C0GENERAL", "Vote now")
    url = slack.new_response_url(user_id="U0ALICE", channel_id="C0GENERAL", message_ts=ts)
    respond_to(url, {"text": "Voting closed", "replace_original": True})
    original = slack.workspace.find_message("C0GENERAL", ts)
    assert original is not None
    assert original.text == "Voting closed"
    respond_to(url, {"delete_original": True})
    assert slack.workspace.find_message("C0GENERAL", ts) is None


def test_a_response_url_works_five_times_in_thirty_minutes(
    slack: Sandbox, clock: ManualClock
) -> None:
    url = slack.new_response_url(user_id="U0ALICE", channel_id="C0GENERAL")
    assert [respond_to(url, {"text": str(i)})[0] for i in range(5)] == [200] * 5
    assert respond_to(url, {"text": "six"}) == (404, {"ok": False, "error": "used_url"})
    later = slack.new_response_url(user_id="U0ALICE", channel_id="C0GENERAL")
    clock.advance(30 * 60 + 1)
    assert respond_to(later, {"text": "late"}) == (404, {"ok": False, "error": "expired_url"})


# -- activity, control routes, reset ------------------------------------------------------


def test_the_activity_log_tells_what_people_saw(slack: Sandbox, client: WebClient) -> None:
    ts = post(client, "U0ALICE", "Hi Alice")
    client.chat_update(channel=slack.workspace.dm_channel_for("U0ALICE").id, ts=ts, text="Hi!")
    client.chat_postEphemeral(channel="C0GENERAL", user="U0BOB", text="psst")
    client.views_open(trigger_id=slack.mint_trigger_id("U0CAROL"), view=MODAL)
    client.views_publish(user_id="U0CAROL", view=HOME)
    activity = slack.workspace.activity_since(0)
    assert [a.kind for a in activity] == ["message", "update", "ephemeral", "view_open", "home"]
    assert activity[0].detail["to"] == "U0ALICE"
    assert [a.seq for a in activity] == [1, 2, 3, 4, 5]
    assert [a.kind for a in slack.workspace.activity_since(3)] == ["view_open", "home"]


def test_activity_and_calls_over_http(slack: Sandbox, client: WebClient, http: HttpCall) -> None:
    post(client, "C0GENERAL", "one")
    post(client, "C0GENERAL", "two")
    status, body, _ = http("GET", "/_sandbox/activity?since=1")
    assert status == 200
    assert [(a["kind"], a["text"]) for a in body["activity"]] == [("message", "two")]
    _, body, _ = http("GET", "/_sandbox/calls")
    assert [(c["method"], c["status"]) for c in body["calls"]] == [("chat.postMessage", 200)] * 2


def test_reset_forgets_activity_but_keeps_the_directory(
    slack: Sandbox, client: WebClient, http: HttpCall
) -> None:
    post(client, "U0ALICE", "hi")
    client.views_publish(user_id="U0ALICE", view=HOME)
    slack.reset()
    ws = slack.workspace
    assert ws.activity_since(0) == []
    assert slack.calls() == []
    assert ws.home_view("U0ALICE") is None
    assert ws.messages(ws.dm_channel_for("U0ALICE").id) == []
    assert {"U0ALICE", "U0BOT"} <= set(ws.users)
    assert "S0HR" in ws.usergroups
    post(client, "C0GENERAL", "after")
    assert http("POST", "/_sandbox/reset")[1] == {"ok": True}
    assert ws.messages("C0GENERAL") == []


def test_people_can_post_through_the_workspace(slack: Sandbox, client: WebClient) -> None:
    theirs: Message = slack.workspace.post_message("C0GENERAL", text="hello bot", user="U0BOB")
    history = client.conversations_history(channel="C0GENERAL")["messages"]
    assert history[0]["user"] == "U0BOB"
    assert "bot_id" not in history[0]
    assert history[0]["ts"] == theirs.ts
