"""The app factory: builds the Bolt app, wires every feature, and owns the one error path."""

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

import announcements.listeners
import bot.listeners
import digests.listeners
import directory.listeners
import helpdesk.listeners
import surveys.listeners
from bot import inbound
from bot.errors import DomainError
from bot.services import Services
from bot.settings import Settings

logger = logging.getLogger("commons")

FEATURES: tuple[Callable[[App, Services], None], ...] = (
    bot.listeners.register,
    directory.listeners.register,
    announcements.listeners.register,
    surveys.listeners.register,
    helpdesk.listeners.register,
    digests.listeners.register,
)


def make_client(settings: Settings) -> WebClient:
    """The Web API client. Automatic retries are off: a retried post could reach people twice."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        retry_handlers=[],
        logger=logging.getLogger("commons.slack"),
    )


def create_app(settings: Settings, services: Services) -> App:
    """Build the Bolt app. Calls no Slack method and reads no environment.

    Args:
        settings: the checked settings.
        services: the store, clock and other shared services handed to every feature.

    Returns:
        The app, with every feature's listeners and the error handler registered.
    """
    app = App(
        client=make_client(settings),
        signing_secret=settings.slack_signing_secret,
        token_verification_enabled=False,
        logger=logging.getLogger("commons.bolt"),
    )
    app.use(inbound.dedupe_middleware(services))
    for register in FEATURES:
        register(app, services)
    app.error(handle_error)
    return app


def user_message(error: Exception) -> tuple[str, str | None]:
    """What to tell the person about an error, and the reference id logged with it (if any)."""
    if isinstance(error, DomainError):
        return error.message, None
    reference = uuid.uuid4().hex[:8]
    return (
        ":warning: Something went wrong on our side and nothing was changed. "
        f"If it happens again, give your Commons admin this reference: `{reference}`.",
        reference,
    )


def handle_error(
    error: Exception,
    body: dict[str, Any],
    respond: Respond | None,
    client: WebClient,
    response: BoltResponse | None,
) -> None:
    """The one error path: domain errors become an ephemeral message; anything else is logged
    with a reference id, and the person is told that id."""
    message, reference = user_message(error)
    if reference is not None:
        logger.error(
            "unexpected error (ref %s) handling %s", reference, _describe(body), exc_info=error
        )
    else:
        logger.info("refused %s: %s", _describe(body), message)

    if response is not None and _is_command(body):
        # Not acknowledged yet: the acknowledgement itself carries the message.
        response.status = 200
        response.headers["content-type"] = ["application/json;charset=utf-8"]
        response.body = json.dumps({"response_type": "ephemeral", "text": message})
        return
    try:
        if respond is not None and body.get("response_url"):
            respond(text=message, response_type="ephemeral", replace_original=False)
            return
        user_id = _user_id(body)
        channel_id = _channel_id(body)
        if user_id and channel_id:
            client.chat_postEphemeral(channel=channel_id, user=user_id, text=message)
        elif user_id:
            client.chat_postMessage(channel=user_id, text=message)
    except SlackApiError as slack_error:
        logger.error(
            "could not tell the person about an error (ref %s): %s",
            reference,
            slack_error.response.get("error"),
        )


def _is_command(body: dict[str, Any]) -> bool:
    return "command" in body and "type" not in body


def _user_id(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    if isinstance(user, dict):
        value = user.get("id")
        return value if isinstance(value, str) else None
    for key in ("user_id",):
        if isinstance(body.get(key), str):
            return str(body[key])
    event = body.get("event")
    if isinstance(event, dict) and isinstance(event.get("user"), str):
        return str(event["user"])
    return None


def _channel_id(body: dict[str, Any]) -> str | None:
    channel = body.get("channel")
    if isinstance(channel, dict) and isinstance(channel.get("id"), str):
        return str(channel["id"])
    if isinstance(body.get("channel_id"), str):
        return str(body["channel_id"])
    return None


def _describe(body: dict[str, Any]) -> str:
    """Name the kind of request without any of its content (which may be private)."""
    if "command" in body:
        return f"command {body['command']}"
    kind = body.get("type", "request")
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        return f"block action {actions[0].get('action_id', '?')}"
    if kind in ("view_submission", "view_closed"):
        return f"{kind} {body.get('view', {}).get('callback_id', '?')}"
    if kind == "event_callback":
        return f"event {body.get('event', {}).get('type', '?')}"
    return str(kind)
