"""The `commons sandbox` prompt: act as a person, read what Commons did as plain text."""

import io

from sqlmodel import select

from helpdesk.models import HelpRequest
from sandbox.console import Console
from sandbox.render import blocks_to_lines, mrkdwn
from tests.harness import Harness
from tests.support import wait_until


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


def test_people_write_reply_in_threads_and_react_as_slack_would_send_it(harness: Harness) -> None:
    def requests() -> list[HelpRequest]:
        with harness.store.unit_of_work(write=False) as session:
            return list(session.exec(select(HelpRequest).order_by(HelpRequest.id)).all())  # type: ignore[arg-type]

    console, out = _console(harness)
    console.execute("""as alice: /commons desk add it "IT" #it-help @it""")
    console.execute("as carol: /request it My laptop won't start")
    harness.run_due()
    card = harness.messages("C0ITHELP")[-1]
    console.execute("as bob in #it-help: reply On it, it won't be long")
    assert wait_until(lambda: requests()[0].first_response_at is not None)
    console.execute("as carol in #it-help: say The wiki is down")
    console.execute("as erin in #it-help: react :ticket:")
    assert wait_until(lambda: len(requests()) == 2)
    harness.run_due()
    console.execute("show #it-help")
    text = out.getvalue()
    replies = harness.slack.workspace.replies("C0ITHELP", card.ts)
    assert [(m.user, m.text) for m in replies][:1] == [("U0BOB", "On it, it won't be long")]
    assert "[#it-help, in a thread] bob replied:" in text
    assert "[#it-help] carol wrote:" in text
    assert "[#it-help] erin reacted :ticket:" in text
    assert (requests()[1].summary, requests()[1].source) == ("The wiki is down", "reaction")
    assert (
        f"  bob ({replies[0].ts}, in its thread):" in text
    )  # `show` puts replies under their parent


def test_replying_or_reacting_to_nothing_gets_a_hint(harness: Harness) -> None:
    console, out = _console(harness)
    console.execute("as bob in #random: reply hello")
    console.execute("as bob in #general: reply to 123.456 hello")
    console.execute("as bob: say")
    text = out.getvalue()
    assert "#random has no messages yet." in text
    assert "No message 123.456 in #general" in text
    assert "Say what, e.g. `say Hello`." in text
