"""`/commons desk ...`: an admin configures a desk; every answer says what happened."""

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
    assert "not a desk command" in text_of(harness.slash("alice", "/commons", "desk frob").body)
    opened = text_of(harness.slash("carol", "/request", "tech Keyboard missing keys").body)
    assert "Request #1 is open at IT" in opened
    removed = text_of(harness.slash("alice", "/commons", "desk remove it").body)
    assert "takes no new requests" in removed
    assert "There is no desk `it`" in text_of(harness.slash("carol", "/request", "it x").body)
