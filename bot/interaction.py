"""The interaction layer: every slash command, button, form, shortcut and event goes through one
path that acknowledges exactly once within Slack's 3 s, whatever the handler does, then shows the
handler's outcome.

A handler is a plain function `handler(interaction) -> Outcome`: it parses, calls a service and
says what the person should see. It may raise `DomainError` (a refusal, shown with its message)
or anything else (a failure, shown with a reference id and an honest sentence about whether
anything was saved). Nothing raises past the acknowledgement.

    wire = Wiring(app, services)
    wire.command("/pulse", surveys.listeners.on_pulse)
    wire.action("surveys.vote", surveys.listeners.on_vote)
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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from re import Pattern
from typing import Any, Literal

from slack_bolt import Ack, App
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot import claims, receipts
from bot.blocks import done_view
from bot.errors import DomainError, FieldErrors
from bot.forms import Form, FormValues, StateValues, input_block_ids
from bot.services import Services

logger = logging.getLogger("commons.interaction")

Kind = Literal["command", "action", "view", "view_closed", "shortcut", "message_shortcut", "event"]


# -- outcomes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """Text (mrkdwn) for the person who acted: an ephemeral reply, or the message the button was
    on when `replace_original`. After a form, it is shown as the form's last step (`title`)."""

    text: str
    blocks: Sequence[Block | dict[str, Any]] | None = None
    replace_original: bool = False
    title: str = "Done"


@dataclass(frozen=True)
class OpenModal:
    """Open a modal with the interaction's trigger (after the acknowledgement)."""

    view: View | dict[str, Any]


@dataclass(frozen=True)
class PushModal:
    """Push a modal on top of the one the person is in."""

    view: View | dict[str, Any]


@dataclass(frozen=True)
class UpdateModal:
    """Replace the modal the person is in (a form's next step, or a refreshed view)."""

    view: View | dict[str, Any]


@dataclass(frozen=True)
class FormErrors:
    """Errors under a form's fields, keyed by the domain's field names."""

    errors: Mapping[str, str]


@dataclass(frozen=True)
class Nothing:
    """Nothing to show (a form that simply closes, an event that needed no answer)."""


@dataclass(frozen=True)
class Later:
    """Acknowledge with `first`, then run `then` and show what it returns."""

    first: "Outcome"
    then: Callable[[], "Outcome"]


Outcome = Reply | OpenModal | PushModal | UpdateModal | FormErrors | Nothing | Later


@dataclass(frozen=True)
class Refusal:
    message: str
    field: str | None
    errors: Mapping[str, str] | None


@dataclass(frozen=True)
class Failure:
    """An unexpected error: its reference, and whether a write had been committed (None: not
    known, when Bolt itself failed)."""

    reference: str
    saved: bool | None


_Result = Outcome | Refusal | Failure


# -- the interaction -------------------------------------------------------------------------------


@dataclass
class Interaction:
    """What a handler is given: who acted, where, and the payload's parts, already screened."""

    kind: Kind
    body: dict[str, Any]
    services: Services
    client: WebClient
    respond: Respond | None = None
    form: Form | None = None
    user_id: str = ""
    channel_id: str | None = None
    trigger_id: str | None = None
    text: str = ""
    action: dict[str, Any] = field(default_factory=dict)
    view: dict[str, Any] = field(default_factory=dict)
    event: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        kind: Kind,
        body: dict[str, Any],
        services: Services,
        client: WebClient,
        respond: Respond | None = None,
        form: Form | None = None,
    ) -> "Interaction":
        user = body.get("user")
        channel = body.get("channel")
        actions = body.get("actions")
        event = body.get("event") if isinstance(body.get("event"), dict) else {}
        user_id = (
            user.get("id")
            if isinstance(user, dict)
            else body.get("user_id") or (event.get("user") if isinstance(event, dict) else None)
        )
        channel_id = (
            channel.get("id") if isinstance(channel, dict) else body.get("channel_id") or None
        )
        return cls(
            kind=kind,
            body=body,
            services=services,
            client=client,
            respond=respond,
            form=form,
            user_id=str(user_id or ""),
            channel_id=str(channel_id) if isinstance(channel_id, str) else None,
            trigger_id=str(body["trigger_id"]) if isinstance(body.get("trigger_id"), str) else None,
            text=str(body.get("text") or "") if kind == "command" else "",
            action=actions[0] if isinstance(actions, list) and actions else {},
            view=body["view"] if isinstance(body.get("view"), dict) else {},
            event=event if isinstance(event, dict) else {},
        )

    @property
    def values(self) -> StateValues:
        state = self.view.get("state")
        values = state.get("values") if isinstance(state, dict) else None
        return values if isinstance(values, dict) else {}

    @property
    def submitted(self) -> FormValues:
        """The submitted form, read through its description."""
        assert self.form is not None, "a handler of a view without a form description"
        return self.form.read(self.values)

    def unseal(self, purpose: str, token: object | None = None) -> dict[str, Any]:
        """Data Commons sealed for `purpose` into this view's private_metadata (or `token`).

        Raises:
            InvalidInput: when it is missing or was not written by Commons.
        """
        claimed = self.view.get("private_metadata") if token is None else token
        return claims.unseal(self.services.settings.slack_signing_secret, purpose, claimed)

    def seal(self, purpose: str, data: dict[str, Any]) -> str:
        """Seal data for a view's private_metadata or a button's value."""
        return claims.seal(self.services.settings.slack_signing_secret, purpose, data)


Handler = Callable[[Interaction], Outcome]
EventHandler = Callable[[Interaction], None]


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


# -- running a handler -----------------------------------------------------------------------------

_ACK_FIRST: frozenset[Kind] = frozenset({"action", "shortcut", "message_shortcut", "view_closed"})


def run(interaction: Interaction, handler: Handler, ack: Ack) -> None:
    """Acknowledge exactly once and show the outcome; never raises."""
    acked = interaction.kind in _ACK_FIRST
    if acked:
        ack()
    key = _receipt_key(interaction)
    if key is not None:
        fresh = _claim(interaction, key)
        if not fresh:
            logger.info(
                "%s was already handled; ignoring the redelivery", describe(interaction.body)
            )
            if not acked:
                ack()
            return
    result = attempt(interaction, lambda: handler(interaction))
    if key is not None and not isinstance(
        result, Reply | OpenModal | UpdateModal | PushModal | Nothing | Later
    ):
        _release(interaction, key)
    if not acked:
        _acknowledge(interaction, ack, result)
    show(interaction, result)


def attempt(interaction: Interaction, call: Callable[[], Outcome]) -> _Result:
    """Call the handler; a refusal or a failure becomes a result, never an exception."""
    store = interaction.services.store
    before = store.writes_committed()
    try:
        return call()
    except FieldErrors as error:
        return Refusal(error.message, None, error.errors)
    except DomainError as error:
        logger.info("refused %s: %s", describe(interaction.body), type(error).__name__)
        return Refusal(error.message, error.field, None)
    except Exception:
        reference = uuid.uuid4().hex[:8]
        logger.exception(
            "unexpected error (ref %s) handling %s", reference, describe(interaction.body)
        )
        return Failure(reference, saved=store.writes_committed() > before)


def failure_text(failed: Failure) -> str:
    """An honest sentence about a failure: whether anything was saved, and the reference."""
    if failed.saved:
        what = (
            "Part of this was saved before it went wrong, so check what you see before trying again"
        )
    elif failed.saved is None:
        what = "Check whether it happened before trying again"
    else:
        what = "Nothing was saved, so you can try again"
    return (
        f":warning: Something went wrong on our side. {what}. If it happens again, give your "
        f"Commons admin this reference: `{failed.reference}`."
    )


def _acknowledge(interaction: Interaction, ack: Ack, result: _Result) -> None:
    shown = result.first if isinstance(result, Later) else result
    try:
        if interaction.kind == "view":
            _acknowledge_view(interaction, ack, shown)
            return
        if isinstance(shown, Reply):
            ack(response_type="ephemeral", text=shown.text, blocks=_blocks(shown.blocks))
        elif isinstance(shown, Refusal):
            ack(response_type="ephemeral", text=shown.message)
        elif isinstance(shown, Failure):
            ack(response_type="ephemeral", text=failure_text(shown))
        else:
            ack()
    except Exception:
        logger.exception("could not acknowledge %s", describe(interaction.body))


def _acknowledge_view(interaction: Interaction, ack: Ack, shown: _Result) -> None:
    present = input_block_ids(interaction.view)
    errors = _view_errors(interaction, shown, present)
    if errors:
        ack(response_action="errors", errors=errors)
    elif isinstance(shown, UpdateModal):
        ack(response_action="update", view=shown.view)
    elif isinstance(shown, PushModal):
        ack(response_action="push", view=shown.view)
    elif isinstance(shown, Reply) and not shown.replace_original:
        ack(response_action="update", view=done_view(shown.title, shown.text))
    else:
        ack()


def _view_errors(interaction: Interaction, shown: _Result, present: list[str]) -> dict[str, str]:
    """Field errors for the view as Slack shows them: plain text, on blocks the view has."""
    if isinstance(shown, FormErrors):
        errors: Mapping[str, str] = shown.errors
    elif isinstance(shown, Refusal):
        errors = shown.errors or {shown.field or "": shown.message}
    elif isinstance(shown, Failure):
        errors = {"": failure_text(shown)}
    else:
        return {}
    if not present:
        return {}
    plain = interaction.services.plain_text
    if interaction.form is not None:
        mapped = interaction.form.block_errors(errors, present=present)
    else:
        mapped = {}
        for name, message in errors.items():
            block = name if name in present else present[0]
            mapped[block] = f"{mapped[block]} {message}" if block in mapped else message
    return {block: plain(message)[:500] for block, message in mapped.items()}


def show(interaction: Interaction, result: _Result, *, followup: bool = False) -> None:
    """What follows the acknowledgement: open a view, reply, or run the slow part. Never raises.

    `followup`: the result of work done after the acknowledgement, which did not carry it.
    """
    try:
        if isinstance(result, Later):
            _show_after_ack(interaction, result.first, followup=followup)
            show(interaction, attempt(interaction, result.then), followup=True)
            return
        _show_after_ack(interaction, result, followup=followup)
    except SlackApiError as error:
        logger.warning(
            "could not show the outcome of %s: %s",
            describe(interaction.body),
            error.response.get("error"),
        )
    except Exception:
        logger.exception("could not show the outcome of %s", describe(interaction.body))


def _show_after_ack(interaction: Interaction, result: _Result, *, followup: bool) -> None:
    client = interaction.client
    if isinstance(result, OpenModal):
        if interaction.trigger_id:
            client.views_open(trigger_id=interaction.trigger_id, view=result.view)
        return
    if isinstance(result, PushModal):
        if interaction.trigger_id:
            client.views_push(trigger_id=interaction.trigger_id, view=result.view)
        return
    if isinstance(result, UpdateModal):
        if interaction.kind != "view" and interaction.view.get("id"):
            client.views_update(view_id=str(interaction.view["id"]), view=result.view)
        return
    acked_with_it = interaction.kind in ("command", "view") and not followup
    if acked_with_it and not (isinstance(result, Reply) and result.replace_original):
        return
    if isinstance(result, Reply):
        tell(interaction, result.text, blocks=result.blocks, replace=result.replace_original)
    elif isinstance(result, Refusal):
        tell(interaction, result.message)
    elif isinstance(result, Failure):
        tell(interaction, failure_text(result))


def tell(
    interaction: Interaction,
    text: str,
    *,
    blocks: Sequence[Block | dict[str, Any]] | None = None,
    replace: bool = False,
) -> None:
    """Answer the person where they acted: through response_url when Slack gave one, else as an
    ephemeral message in the channel, else in their DM (a button in a modal or the App Home)."""
    body = interaction.body
    if interaction.respond is not None and isinstance(body.get("response_url"), str):
        interaction.respond(
            text=text,
            blocks=_blocks(blocks),
            response_type="ephemeral",
            replace_original=replace,
        )
        return
    if not interaction.user_id:
        return
    if interaction.channel_id and not replace:
        interaction.client.chat_postEphemeral(
            channel=interaction.channel_id,
            user=interaction.user_id,
            text=text,
            blocks=_blocks(blocks),
        )
    else:
        interaction.client.chat_postMessage(
            channel=interaction.user_id, text=text, blocks=_blocks(blocks)
        )


def _blocks(blocks: Sequence[Block | dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if blocks is None:
        return None
    return [b.to_dict() if isinstance(b, Block) else b for b in blocks]


# -- redelivery --------------------------------------------------------------------------------


def _receipt_key(interaction: Interaction) -> str | None:
    """The key a redelivery shares with the first delivery, for what must happen once."""
    if interaction.kind == "command" and interaction.trigger_id:
        return receipts.key_of("cmd", interaction.trigger_id)
    if interaction.kind == "view" and isinstance(interaction.view.get("id"), str):
        return receipts.key_of(
            "view", interaction.view["id"], interaction.view.get("hash"), interaction.values
        )
    return None


def _claim(interaction: Interaction, key: str) -> bool:
    services = interaction.services
    try:
        return receipts.claim(store=services.store, clock=services.clock, key=key)
    except Exception:
        # The receipt is a guard, not the work: if the store cannot record it, the handler's own
        # transaction will fail the same way and say so.
        logger.exception("could not record the receipt of %s", describe(interaction.body))
        return True


def _release(interaction: Interaction, key: str) -> None:
    try:
        receipts.release(store=interaction.services.store, key=key)
    except Exception:
        logger.exception("could not forget the receipt of %s", describe(interaction.body))


# -- describing a request without its content ------------------------------------------------------


def describe(body: object) -> str:
    """Name the kind of request without any of its content (which may be private). Never raises."""
    if not isinstance(body, dict):
        return "request"
    if isinstance(body.get("command"), str):
        return f"command {body['command'][:40]}"
    kind = body.get("type")
    kind = kind if isinstance(kind, str) else "request"
    if kind == "block_actions":
        actions = body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else {}
        action_id = first.get("action_id") if isinstance(first, dict) else None
        return f"block action {str(action_id)[:80] if action_id is not None else '?'}"
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        callback = view.get("callback_id") if isinstance(view, dict) else None
        return f"{kind} {str(callback)[:80] if callback is not None else '?'}"
    if kind in ("shortcut", "message_action"):
        return f"{kind} {str(body.get('callback_id'))[:80]}"
    if kind == "event_callback":
        event = body.get("event")
        event_type = event.get("type") if isinstance(event, dict) else None
        return f"event {str(event_type)[:40]}"
    return kind[:40]
