"""Helpers for the help-desk tests: a configured IT desk, acting in a request's thread, and what
the services enqueued."""

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, select

from bot.models import Delivery
from helpdesk.models import HelpRequest
from sandbox.workspace import Message
from tests.harness import Harness
from tests.support import wait_until

IT_HELP = "C0ITHELP"


def text_of(body: Any) -> str:
    """The text of an acknowledgement body (dict or str)."""
    if isinstance(body, dict):
        return str(body.get("text") or "")
    return str(body or "")


def add_it_desk(harness: Harness) -> None:
    """Alice (admin) creates the IT desk in #it-help for @it."""
    ack = harness.slash(
        "alice", "/commons", 'desk add it "IT" <#C0ITHELP|it-help> <!subteam^S0IT|@it>'
    )
    assert "Desk `it`" in text_of(ack.body), ack.body


def parent(harness: Harness, request_id: int) -> Message:
    """The parent message of a request in #it-help."""
    for message in harness.messages(IT_HELP):
        if message.text.startswith(f"#{request_id} "):
            return message
    raise AssertionError(
        f"no parent for #{request_id} in {[m.text for m in harness.messages(IT_HELP)]}"
    )


def request_row(harness: Harness, request_id: int) -> HelpRequest:
    """The request as stored."""
    with harness.store.unit_of_work(write=False) as session:
        return session.exec(select(HelpRequest).where(HelpRequest.id == request_id)).one()


def version_of(harness: Harness, request_id: int) -> int:
    return request_row(harness, request_id).version


def reply_in_thread(
    harness: Harness, who: str, thread_ts: str, text: str, until: Callable[[], bool]
) -> Message:
    """A person writes in a thread, and Slack sends Commons the message event.

    Bolt acknowledges events before its listener runs, so `until` says what shows the event
    was handled (polled; no time has to pass)."""
    message, _ = harness.driver.say(harness.user(who), IT_HELP, text, thread_ts=thread_ts)
    assert wait_until(until), "the message event was not handled"
    return message


def wait_status(harness: Harness, request_id: int, status: str) -> None:
    """Buttons are acknowledged before their work is done (as Slack wants within 3 s): wait for
    the click's change to be committed."""
    assert wait_until(lambda: request_row(harness, request_id).status == status), (
        f"request #{request_id} is {request_row(harness, request_id).status}, not {status}"
    )


def outbox(session: Session) -> dict[str, Delivery]:
    """What the services have enqueued so far, by idempotency key."""
    return {d.idempotency_key: d for d in session.exec(select(Delivery)).all()}
