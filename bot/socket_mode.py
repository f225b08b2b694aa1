"""Socket Mode: Commons opens a WebSocket to Slack, so no public URL is needed.

Each envelope is screened like an HTTP request, and one Slack delivers again (same envelope id:
it did not see the acknowledgement in time) is acknowledged without being handled twice.
"""

import logging
import time

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_bolt.response import BoltResponse
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.services import Services
from bot.slack import receipts, screen

logger = logging.getLogger("commons.socket")


class CommonsSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler, with screening and once-only envelopes."""

    def __init__(self, app: App, app_token: str, services: Services) -> None:
        super().__init__(app, app_token, logger=logging.getLogger("commons.socket.client"))
        self.services = services

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        start = time.time()
        body = req.payload if isinstance(req.payload, dict) else None
        reason = "not an object" if body is None else screen.problem(body)
        if reason is not None:
            logger.info("dropped an envelope Slack would not send: %s", reason)
            status, content_type, text = screen.answer_for(body)
            send_response(
                client,
                req,
                BoltResponse(status=status, body=text, headers={"content-type": content_type}),
                start,
            )
            return
        if req.envelope_id and not self._first(req.envelope_id):
            logger.info("envelope delivered again; acknowledged, not handled twice")
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        send_response(client, req, run_bolt_app(self.app, req), start)

    def _first(self, envelope_id: str) -> bool:
        try:
            return receipts.claim(
                store=self.services.store,
                clock=self.services.clock,
                key=receipts.key_of("envelope", envelope_id),
            )
        except Exception:
            logger.exception("could not record an envelope id; handling it anyway")
            return True


def run(app: App, app_token: str, services: Services) -> None:
    """Connect and handle Slack's envelopes until interrupted; reconnects on its own."""
    handler = CommonsSocketModeHandler(app, app_token, services)
    logger.info("Commons connecting to Slack in Socket Mode")
    handler.start()  # type: ignore[no-untyped-call]


def connect(app: App, app_token: str, services: Services) -> SocketModeHandler:
    """Connect in the background and return the handler (close it to disconnect)."""
    handler = CommonsSocketModeHandler(app, app_token, services)
    handler.connect()  # type: ignore[no-untyped-call]
    return handler
