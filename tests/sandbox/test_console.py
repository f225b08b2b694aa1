"""The `commons sandbox` prompt: act as a person, read what Commons did as plain text."""

import io

from sandbox.console import Console
from sandbox.render import blocks_to_lines, mrkdwn
from tests.harness import Harness


def _console(harness: Harness) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(harness.slack, harness.driver, out=out), out


def test_a_slash_command_as_a_person_shows_what_only_they_see(harness: Harness) -> None:
    console, out = _console(harness)
    assert console.execute("as alice: /commons help")
    text = out.getvalue()
    assert "(Commons acknowledged in" in text
    assert "[#general] only alice sees:" in text
    assert "COMMONS: WHAT YOU CAN DO" in text


def test_a_command_typed_in_another_channel_answers_there(harness: Harness) -> None:
    console, out = _console(harness)
    console.execute("as bob in #it-help: /commons whoami")
    assert "[#it-help] only bob sees:" in out.getvalue()


def test_mistakes_get_a_hint_not_a_crash(harness: Harness) -> None:
    console, out = _console(harness)
    console.execute("as zed: /commons help")
    console.execute("as alice /commons help")
    console.execute("dance")
    console.execute("as bob in #nowhere: /commons")
    console.execute("as bob: click nothing.here")
    text = out.getvalue()
    assert "No one called 'zed'" in text
    assert "Say who and what" in text
    assert "I don't understand 'dance'" in text
    assert "No channel '#nowhere'" in text
    assert "sees no button or menu 'nothing.here'" in text


def test_the_directory_and_the_home_can_be_looked_at(harness: Harness) -> None:
    console, out = _console(harness)
    console.execute("people")
    console.execute("channels")
    console.execute("groups")
    console.execute("as carol: home")
    text = out.getvalue()
    assert "Alice Moreau" in text
    assert "#general" in text
    assert "Commons is a member" in text
    assert "@it" in text
    assert "[App Home of carol]" in text
    assert not console.execute("quit")


def test_mrkdwn_reads_as_a_person_would() -> None:
    text = mrkdwn(
        "<@U1> in <#C1> and <#C2|random>: <https://x.example|agenda> &amp; more <!here>",
        lambda _: "bob",
        lambda _: "#general",
    )
    assert text == "@bob in #general and #random: agenda (https://x.example) & more @here"
    lines = blocks_to_lines(
        [
            {"type": "header", "text": {"type": "plain_text", "text": "Title"}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Go"},
                        "action_id": "x.go",
                    }
                ],
            },
        ],
        lambda _: "bob",
        lambda _: "#general",
    )
    assert lines == ["TITLE", "[Go] (click x.go)"]
