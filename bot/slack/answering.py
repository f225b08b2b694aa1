"""Running a handler and answering Slack: one acknowledgement for every outcome, then what
follows it (a view opened, an ephemeral reply, the slow part of the work). Never raises."""

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from slack_bolt import Ack
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block

from bot.errors import DomainError, FieldErrors
from bot.slack import receipts
from bot.slack.blocks import done_view
from bot.slack.forms import input_block_ids
from bot.slack.outcomes import (
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
    Result,
    UpdateModal,
)
from bot.slack.screen import describe

logger = logging.getLogger("commons.interaction")

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


def attempt(interaction: Interaction, call: Callable[[], Outcome]) -> Result:
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


def _acknowledge(interaction: Interaction, ack: Ack, result: Result) -> None:
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


def _acknowledge_view(interaction: Interaction, ack: Ack, shown: Result) -> None:
    present = input_block_ids(interaction.view)
    errors = _view_errors(interaction, shown, present)
    if errors:
        ack(response_action="errors", errors=errors)
    elif isinstance(shown, Refusal | Failure | FormErrors):
        # A view with no input to put the error under (a preview, a confirmation): say it there.
        ack(response_action="update", view=done_view("Not done", _whole_text(shown)))
    elif isinstance(shown, UpdateModal):
        ack(response_action="update", view=shown.view)
    elif isinstance(shown, PushModal):
        ack(response_action="push", view=shown.view)
    elif isinstance(shown, Reply) and not shown.replace_original:
        ack(response_action="update", view=done_view(shown.title, shown.text))
    else:
        ack()


def _whole_text(shown: Refusal | Failure | FormErrors) -> str:
    if isinstance(shown, Failure):
        return failure_text(shown)
    if isinstance(shown, Refusal):
        return " ".join(shown.errors.values()) if shown.errors else shown.message
    return " ".join(shown.errors.values())


def _view_errors(interaction: Interaction, shown: Result, present: list[str]) -> dict[str, str]:
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


def show(interaction: Interaction, result: Result, *, followup: bool = False) -> None:
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


def _show_after_ack(interaction: Interaction, result: Result, *, followup: bool) -> None:
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
    url = body.get("response_url")
    if interaction.respond is not None and isinstance(url, str) and url.startswith("http"):
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
