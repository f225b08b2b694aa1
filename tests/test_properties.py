"""Properties of every request a signed client can send, through the real app over HTTP against
the sandbox: each is answered 200 within 3 s with a clear reply or nothing; never 500 or 404,
never a reference id (which would mean Commons failed on bad input), never an ERROR in the log.
"""

import json
import logging
import random
import urllib.parse
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.fuzz import PEOPLE, TOKENS, command_text, interactive_payload
from tests.harness import Harness

EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}")


@pytest.fixture
def errors() -> Iterator[_Errors]:
    handler = _Errors()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


def _commands(harness: Harness) -> dict[str, list[str]]:
    tables = harness.services.command_tables
    wired = [target for kind, target in harness.services.wired if kind == "command"]
    return {
        name: [v.name for v in tables[name].verbs] + ["help"] if name in tables else ["help"]
        for name in wired
    }


def _answered(harness: Harness, ack_status: int, seconds: float, body: object) -> None:
    assert ack_status == 200, body
    assert seconds < 3
    assert "reference" not in json.dumps(body), body


@EXAMPLES
@given(rng=st.randoms(use_true_random=False))
def test_every_command_text_gets_a_clear_answer(
    harness: Harness, errors: _Errors, rng: random.Random
) -> None:
    commands = _commands(harness)
    command = rng.choice(sorted(commands))
    text = command_text(rng, commands[command])
    ack = harness.driver.slash(rng.choice(PEOPLE), command, text)
    _answered(harness, ack.status, ack.seconds, ack.body)
    assert errors.lines == []


@EXAMPLES
@given(
    command=st.sampled_from(["/announce", "/townhall", "/pulse", "/request", "/commons"]),
    text=st.text(max_size=80) | st.lists(st.sampled_from(TOKENS), max_size=4).map(" ".join),
)
def test_any_unicode_after_a_command_gets_a_clear_answer(
    harness: Harness, errors: _Errors, command: str, text: str
) -> None:
    ack = harness.driver.slash("U0BOB", command, text)
    _answered(harness, ack.status, ack.seconds, ack.body)
    assert errors.lines == []


@settings(EXAMPLES, max_examples=300)
@given(rng=st.randoms(use_true_random=False))
def test_every_malformed_interaction_is_acknowledged(
    harness: Harness, errors: _Errors, rng: random.Random
) -> None:
    wired = harness.services.wired
    block_ids = sorted({target for kind, target in wired if kind == "block"})
    payload = interactive_payload(rng, wired, block_ids)
    if payload.get("type") == "event_callback":
        body = json.dumps(payload).encode()
        ack = harness.driver.send_raw(body, "application/json")
    else:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        ack = harness.driver.send_raw(body, "application/x-www-form-urlencoded")
    _answered(harness, ack.status, ack.seconds, ack.body)
    harness.wait_for(lambda: True)
    assert errors.lines == []


@settings(EXAMPLES, max_examples=40)
@given(rng=st.randoms(use_true_random=False))
def test_commands_on_postgresql_get_a_clear_answer(
    harness_pg: Harness, errors: _Errors, rng: random.Random
) -> None:
    commands = _commands(harness_pg)
    command = rng.choice(sorted(commands))
    ack = harness_pg.driver.slash(rng.choice(PEOPLE), command, command_text(rng, commands[command]))
    _answered(harness_pg, ack.status, ack.seconds, ack.body)
    assert errors.lines == []
