"""What Commons writes reads in Slack as it does here: no "<id>" that Slack would turn into a link."""

import json

import pytest

from sandbox.render import bare_links
from tests.harness import Harness

# Every help text and usage answer, as people get them.
SURFACES = [
    ("alice", "/commons", "help"),
    ("alice", "/commons", "desk help"),
    ("alice", "/commons", "desk add it"),
    ("alice", "/commons", "desk frob"),
    ("bob", "/commons", "role @carol comms"),
    ("carol", "/request", "help"),
    ("carol", "/request", "nowhere"),
    ("alice", "/pulse", "help"),
    ("alice", "/pulse", "results"),
    ("alice", "/announce", "help"),
    ("alice", "/townhall", "help"),
    ("alice", "/digest", ""),
]


@pytest.mark.parametrize(("who", "command", "text"), SURFACES)
def test_help_and_usage_answers_escape_their_placeholders(
    harness: Harness, who: str, command: str, text: str
) -> None:
    ack = harness.slash(who, command, text)
    assert ack.status == 200
    written = json.dumps(ack.body)
    assert bare_links(written) == [], written


def test_bare_links_finds_placeholders_and_leaves_slack_tokens_alone() -> None:
    found = bare_links("`/a <id>` &lt;ok&gt; <@U1> <#C1|x> <!here> <https://a.io|A> <https://b.io>")
    assert found == ["<id>"]
