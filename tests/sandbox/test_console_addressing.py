"""The console names messages as `show` numbers them, runs shortcuts, reads quotes, newlines and
here-blocks, and shows who is who in Commons."""

import io

from sqlmodel import select

from helpdesk.models import HelpRequest
from sandbox.console import Console
from tests.harness import Harness


def _console(harness: Harness) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(harness.slack, harness.driver, out=out, services=harness.services), out


def _requests(harness: Harness) -> list[HelpRequest]:
    with harness.store.unit_of_work(write=False) as session:
        return list(session.exec(select(HelpRequest).order_by(HelpRequest.id)).all())  # type: ignore[arg-type]


def _two_requests(harness: Harness, console: Console) -> None:
    console.execute('as alice: /commons desk add it "IT" #it-help @it')
    console.execute("as carol: /request it Laptop broken")
    console.execute("as carol: /request it Mouse broken")
    harness.run_due()
    assert len(harness.messages("C0ITHELP")) == 2


def test_show_numbers_a_channels_messages_and_click_on_names_one_of_them(harness: Harness) -> None:
    console, out = _console(harness)
    _two_requests(harness, console)
    console.execute("show #it-help")
    first, second = harness.messages("C0ITHELP")
    assert f"  1. Commons ({first.ts}):" in out.getvalue()
    assert f"  2. Commons ({second.ts}):" in out.getvalue()

    console.execute("as bob: click helpdesk.claim on #it-help 1")  # not the newest
    harness.wait_for(lambda: _requests(harness)[0].assignee_id == "U0BOB")
    console.execute("as oscar in #it-help: click helpdesk.claim on 2")  # in the acting channel
    harness.wait_for(lambda: _requests(harness)[1].assignee_id == "U0OSCAR")
    assert [r.assignee_id for r in _requests(harness)] == ["U0BOB", "U0OSCAR"]


def test_a_message_that_is_not_there_or_not_visible_gets_a_hint(harness: Harness) -> None:
    console, out = _console(harness)
    _two_requests(harness, console)
    console.execute("as bob: click helpdesk.claim on #it-help 7")
    console.execute("as bob: click helpdesk.claim on dm carol 1")
    console.execute("as bob: click helpdesk.nothing on #it-help 1")
    console.execute("as bob: click helpdesk.claim on #nowhere 1")
    text = out.getvalue()
    assert "#it-help has 2 messages, so no message 7" in text
    assert "bob cannot see DM with carol." in text
    assert "has no button or menu 'helpdesk.nothing' (it has: helpdesk.claim" in text
    assert "No channel '#nowhere'" in text
    assert all(r.assignee_id is None for r in _requests(harness))


def test_reply_and_react_take_the_number_show_gives(harness: Harness) -> None:
    console, _ = _console(harness)
    _two_requests(harness, console)
    first, second = harness.messages("C0ITHELP")
    console.execute("as carol in #it-help: reply to 1 It shows a blue screen")
    console.execute("as erin in #it-help: react eyes to 2")
    console.execute(f"as carol in #it-help: reply to {second.ts} And the cable is frayed")
    replies = harness.slack.workspace.replies("C0ITHELP", first.ts)
    assert [m.text for m in replies] == ["It shows a blue screen"]
    assert harness.slack.workspace.find_message("C0ITHELP", second.ts).reactions == {  # type: ignore[union-attr]
        "eyes": ["U0ERIN"]
    }
    later = harness.slack.workspace.replies("C0ITHELP", second.ts)
    assert [m.text for m in later] == ["And the cable is frayed"]


def test_a_message_shortcut_runs_on_the_numbered_message(harness: Harness) -> None:
    console, out = _console(harness)
    console.execute('as alice: /commons desk add it "IT" #it-help @it')
    console.execute("as carol: say The printer on floor 2 is jammed")
    console.execute("as carol: say Thanks all")
    console.execute('as bob: shortcut "turn into a request" on #general 1')
    view = harness.open_view("bob")
    assert view.title == "New request"
    assert "The printer on floor 2 is jammed" in out.getvalue().split("[form for bob] opened:")[1]
    console.execute('as bob: shortcut "New announcement"')
    assert "No shortcut 'New announcement'. Commons has: \"Turn into a request\"" in out.getvalue()


def test_an_unclosed_quote_is_an_error_line_and_the_console_goes_on(harness: Harness) -> None:
    console, out = _console(harness)
    assert console.execute('as alice: submit ann_title="Rota')
    assert console.execute("as alice: /commons help")
    text = out.getvalue()
    assert '  ! No closing quotation in that line: close it, e.g. submit title="Rota"' in text
    assert "COMMONS: WHAT YOU CAN DO" in text


def test_a_quoted_backslash_n_is_a_new_line_and_a_here_block_gives_several(
    harness: Harness,
) -> None:
    console, _ = _console(harness)
    console.execute("as alice: /announce")
    view = harness.open_view("alice")
    console.execute(r'as alice: submit ann_title="Rota\nweek 2" ann_channels=#general')
    assert view.state_values["ann_title"]["value"]["value"] == "Rota\nweek 2"

    assert console.run(["as alice: submit ann_body=<<END", "line one", "line two", "END"])
    assert view.state_values["ann_body"]["value"]["value"] == "line one\nline two"
    assert view.state_values["ann_title"]["value"]["value"] == "Rota\nweek 2"  # kept


def test_a_here_block_without_its_end_line_is_refused(harness: Harness) -> None:
    console, out = _console(harness)
    assert console.run(["as alice: say <<END", "a line"])
    assert "  ! The here-block needs its lines, then a line `END`." in out.getvalue()
    assert harness.messages("C0GENERAL") == []


def test_people_shows_commons_roles_and_departments(harness: Harness) -> None:
    console, out = _console(harness)
    console.execute('as alice: /commons desk add it "IT" #it-help @it')
    console.execute("as alice: /commons desk lead it @oscar")
    console.execute("as alice: /commons role @frank manager")
    console.execute("as alice: /commons role @carol comms")
    console.execute("people")
    rows = {line.split()[0]: line for line in out.getvalue().splitlines() if line.startswith("  ")}
    assert "admin" in rows["alice"]
    assert "desk agent of IT; IT" in rows["bob"]
    assert "desk lead of IT" in rows["oscar"]
    assert "manager of Engineering; Engineering" in rows["frank"]
    assert "comms; HR" in rows["carol"]
    assert "member; Finance" in rows["dave"]
