"""The app factory: builds the Bolt app, wires every feature, and owns the one error path."""

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

import announcements.listeners
import bot.listeners
import digests.listeners
import directory.listeners
import helpdesk.listeners
import surveys.listeners
import townhalls.listeners
from bot.errors import DomainError
from bot.services import Services
from bot.settings import Settings
from bot.slack import inbound, screen
from bot.slack.interaction import Failure, Wiring, describe, failure_text

logger = logging.getLogger("commons")

# Each feature wires itself; /commons (bot.listeners) comes last, so that it sees every
# feature's verbs.
FEATURES: tuple[Callable[[Wiring], None], ...] = (
    directory.listeners.register,
    announcements.listeners.register,
    surveys.listeners.register,
    helpdesk.listeners.register,
    digests.listeners.register,
    townhalls.listeners.register,
    bot.listeners.register,
)


def make_client(settings: Settings) -> WebClient:
    """The Web API client. Automatic retries are off: a retried post could reach people twice."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        retry_handlers=[],
        logger=logging.getLogger("commons.slack"),
    )


def create_app(
    settings: Settings,
    services: Services,
    features: tuple[Callable[[Wiring], None], ...] = FEATURES,
) -> App:
    """Build the Bolt app. Calls no Slack method and reads no environment.

    Args:
        settings: the checked settings.
        services: the store, clock and other shared services handed to every feature.
        features: what wires itself into the app (every feature, unless a test says otherwise).

    Returns:
        The app, with every feature's listeners and the error handler registered.
    """
    app = App(
        client=make_client(settings),
        signing_secret=settings.slack_signing_secret,
        token_verification_enabled=False,
        logger=logging.getLogger("commons.bolt"),
    )
    app.use(screen.screen_middleware())
    app.use(inbound.dedupe_middleware(services))
    wire = Wiring(app, services)
    for register in features:
        register(wire)
    wire.catch_alls()
    app.error(handle_error)
    return app


def handle_error(
    error: Exception,
    body: dict[str, Any],
    respond: Respond | None,
    response: BoltResponse | None,
) -> None:
    """Bolt's own errors (the interaction layer lets none of its handlers' errors through):
    logged with a reference; a slash command not answered yet is answered. Never raises."""
    try:
        reference = uuid.uuid4().hex[:8]
        if isinstance(error, DomainError):
            logger.info("refused %s", describe(body))
        else:
            logger.error(
                "unexpected error (ref %s) handling %s", reference, describe(body), exc_info=error
            )
        if response is not None and isinstance(body, dict) and _is_command(body):
            response.status = 200
            response.headers["content-type"] = ["application/json;charset=utf-8"]
            text = (
                error.message
                if isinstance(error, DomainError)
                else failure_text(Failure(reference, saved=None))
            )
            response.body = json.dumps({"response_type": "ephemeral", "text": text})
        elif respond is not None and isinstance(body, dict) and body.get("response_url"):
            text = (
                error.message
                if isinstance(error, DomainError)
                else failure_text(Failure(reference, saved=None))
            )
            respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception:
        logger.exception("the error handler itself failed")


def _is_command(body: dict[str, Any]) -> bool:
    return "command" in body and "type" not in body
