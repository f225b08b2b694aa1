"""The interaction layer: every slash command, button, form, shortcut and event goes through one
path that acknowledges exactly once within Slack's 3 s, whatever the handler does, then shows the
handler's outcome.

A handler is a plain function `handler(interaction) -> Outcome`: it parses, calls a service and
says what the person should see. It may raise `DomainError` (a refusal, shown with its message)
or anything else (a failure, shown with a reference id and an honest sentence about whether
anything was saved). Nothing raises past the acknowledgement.

    wire = Wiring(app, services)
    wire.command("/pulse", surveys.listeners.on_pulse)
    wire.action("surveys.vote", surveys.answer_listeners.on_vote)
    wire.view(surveys.blocks.CREATE_FORM, surveys.listeners.on_create_submitted)

When the layer acknowledges:
- slash commands and view submissions: after the handler, since the acknowledgement carries its
  answer (a reply, field errors, the next view). `Later(first, then)` acknowledges with `first`
  and runs `then` after the acknowledgement, for slow work.
- buttons, shortcuts and closed views: at once, before the handler; the outcome follows through
  `response_url`, an ephemeral message or a view call.
A redelivered slash command (same `trigger_id`) or view submission (same view and values) is
acknowledged and changes nothing.
"""

import logging
import re
import uuid
from collections.abc import Callable
from re import Pattern
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import DomainError
from bot.services import Services
from bot.slack.answering import attempt, failure_text, run, show, tell
from bot.slack.forms import Form
from bot.slack.outcomes import (
    EventHandler,
    Failure,
    FormErrors,
    Handler,
    Interaction,
    Kind,
    Later,
    Nothing,
    OpenModal,
    Outcome,
    PushModal,
    Refusal,
    Reply,
    UpdateModal,
)
from bot.slack.screen import describe

if TYPE_CHECKING:
    from bot.slack.verbs import CommandTable

__all__ = [
    "EventHandler",
    "Failure",
    "FormErrors",
    "Handler",
    "Interaction",
    "Kind",
    "Later",
    "Nothing",
    "OpenModal",
    "Outcome",
    "PushModal",
    "Refusal",
    "Reply",
    "UpdateModal",
    "Wiring",
    "attempt",
    "describe",
    "failure_text",
    "run",
    "show",
    "tell",
]

logger = logging.getLogger("commons.interaction")


# -- wiring ----------------------------------------------------------------------------------------


class Wiring:
    """What a feature's `register` is handed: it wires handlers through the layer."""

    def __init__(self, app: App, services: Services) -> None:
        self.app = app
        self.services = services

    @property
    def client(self) -> WebClient:
        return self.app.client

    def _note(self, kind: str, target: str | Pattern[str]) -> None:
        self.services.wired.append(
            (kind, target.pattern if isinstance(target, Pattern) else target)
        )

    def table(self, table: "CommandTable", *, wire_command: bool = True) -> None:
        """A slash command's verb table: its help and docs source, and (unless it is reached
        through another command's verb) the command itself."""
        self.services.command_tables[table.command] = table
        if wire_command:
            self.command(table.command, table.handle)

    def command(self, name: str, handler: Handler) -> None:
        self._note("command", name)
        self.app.command(name)(self._listener("command", handler))

    def action(self, action_id: str | Pattern[str], handler: Handler) -> None:
        self._note("action", action_id)
        self.app.action(action_id)(self._listener("action", handler))

    def view(self, form: Form | str, handler: Handler) -> None:
        callback_id = form.callback_id if isinstance(form, Form) else form
        described = form if isinstance(form, Form) else None
        self._note("view", callback_id)
        for item in described.fields if described is not None else ():
            self._note("block", item.block_id)
        self.app.view(callback_id)(self._listener("view", handler, described))

    def view_closed(self, callback_id: str, handler: Handler) -> None:
        self._note("view_closed", callback_id)
        self.app.view_closed(callback_id)(self._listener("view_closed", handler))

    def shortcut(self, callback_id: str, handler: Handler) -> None:
        self._note("shortcut", callback_id)
        self.app.global_shortcut(callback_id)(self._listener("shortcut", handler))

    def message_shortcut(self, callback_id: str, handler: Handler) -> None:
        self._note("message_shortcut", callback_id)
        self.app.message_shortcut(callback_id)(self._listener("message_shortcut", handler))

    def event(self, event_type: str, handler: EventHandler) -> None:
        services = self.services
        self._note("event", event_type)

        def on_event(body: dict[str, Any], client: WebClient) -> None:
            interaction = Interaction.of("event", body, services, client)
            try:
                handler(interaction)
            except DomainError as error:
                logger.info("event %s refused: %s", event_type, type(error).__name__)
            except SlackApiError as error:
                # Slack refused what the handler asked (busy: 429, a user it does not know): a
                # fact about Slack, not a fault in Commons.
                logger.warning(
                    "event %s: Slack refused a call: %s", event_type, error.response.get("error")
                )
            except Exception:
                reference = uuid.uuid4().hex[:8]
                logger.exception(
                    "unexpected error (ref %s) handling event %s", reference, event_type
                )

        on_event.__name__ = f"on_{event_type}_{getattr(handler, '__name__', 'event')}"
        self.app.event(event_type)(on_event)

    def catch_alls(self) -> None:
        """Answer what no feature claimed: unknown buttons, forms and shortcuts are acknowledged
        and explained, so Slack never shows the person an error."""
        self.app.command(re.compile(".*"))(self._listener("command", _unknown_command))
        self.app.action(re.compile(".*"))(self._listener("action", _unknown_action))
        self.app.view(re.compile(".*"))(self._listener("view", _unknown_view))
        self.app.view_closed(re.compile(".*"))(self._listener("view_closed", _closed))
        self.app.global_shortcut(re.compile(".*"))(self._listener("shortcut", _unknown_action))
        self.app.message_shortcut(re.compile(".*"))(self._listener("shortcut", _unknown_action))
        self.app.options(re.compile(".*"))(_no_options)

    def _listener(
        self, kind: Kind, handler: Handler, form: Form | None = None
    ) -> Callable[..., None]:
        services = self.services

        def listener(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
            interaction = Interaction.of(kind, body, services, client, respond, form)
            run(interaction, handler, ack)

        listener.__name__ = getattr(handler, "__name__", "listener")
        return listener


def _unknown_command(interaction: Interaction) -> Outcome:
    return Reply(
        "Commons does not have that command (its Slack app may list one this version lacks). "
        "Nothing was done; `/commons help` lists what works."
    )


def _unknown_action(interaction: Interaction) -> Outcome:
    return Reply(
        "That button or shortcut belongs to something Commons no longer knows (it may be from "
        "an older version). Nothing was done; `/commons help` lists what works."
    )


def _unknown_view(interaction: Interaction) -> Outcome:
    return Reply(
        "This form is not one Commons knows any more, so nothing was saved. Open it again from "
        "its command.",
        title="Out of date",
    )


def _closed(interaction: Interaction) -> Outcome:
    return Nothing()


def _no_options(ack: Ack) -> None:
    ack(options=[])
