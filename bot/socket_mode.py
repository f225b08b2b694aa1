"""Socket Mode: Commons opens a WebSocket to Slack, so no public URL is needed."""

import logging

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

logger = logging.getLogger("commons.socket")


def run(app: App, app_token: str) -> None:
    """Connect and handle Slack's envelopes until interrupted; reconnects on its own."""
    handler = SocketModeHandler(app, app_token, logger=logging.getLogger("commons.socket.client"))
    logger.info("Commons connecting to Slack in Socket Mode")
    handler.start()  # type: ignore[no-untyped-call]


def connect(app: App, app_token: str) -> SocketModeHandler:
    """Connect in the background and return the handler (close it to disconnect)."""
    handler = SocketModeHandler(app, app_token, logger=logging.getLogger("commons.socket.client"))
    handler.connect()  # type: ignore[no-untyped-call]
    return handler
