"""HTTP mode: Slack's requests on POST /slack/events and a health probe on GET /healthz, under waitress."""

import hashlib
import hmac
import io
import json
import logging
import re
import time
from collections.abc import Iterable
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy.exc import SQLAlchemyError

from bot.slack import screen
from bot.store import Store

logger = logging.getLogger("commons.http")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY = 1_000_000  # Slack's payloads are far smaller; a larger body is not from Slack
MAX_AGE_SECONDS = 5 * 60
_DIGITS = re.compile(r"[0-9]{1,12}", re.ASCII)


class CommonsWSGI:
    """The WSGI application: Bolt for Slack's requests, a health check for probes, 404 otherwise."""

    def __init__(self, app: App, store: Store, signing_secret: str) -> None:
        self._slack = SlackRequestHandler(app, path=EVENTS_PATH)
        self._store = store
        self._secret = signing_secret.encode()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH and method == "POST":
            return self._events(environ, start_response)
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return self._health(start_response)
        return _json(start_response, "404 Not Found", {"ok": False, "error": "not_found"})

    def _events(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Check the signature, screen the payload's shape, then hand it to Bolt."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            return _json(start_response, "413 Payload Too Large", {"ok": False})
        raw = environ["wsgi.input"].read(length) if length else b""
        timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "")
        signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
        # Bolt would raise on a timestamp that is not a number; Slack always sends digits.
        if not _signed(self._secret, raw, timestamp, signature):
            return _json(
                start_response, "401 Unauthorized", {"ok": False, "error": "invalid_signature"}
            )
        body = screen.parse_body(raw, str(environ.get("CONTENT_TYPE") or ""))
        reason = "unreadable body" if body is None else screen.problem(body)
        if reason is not None:
            logger.info("dropped a request Slack would not send: %s", reason)
            status, content_type, text = screen.answer_for(body)
            data = text.encode()
            start_response(
                f"{status} OK", [("Content-Type", content_type), ("Content-Length", str(len(data)))]
            )
            return [data]
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        return self._slack(environ, start_response)

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        try:
            self._store.ping()
        except SQLAlchemyError as error:
            logger.warning("health check: database unreachable: %s", type(error).__name__)
            return _json(
                start_response, "503 Service Unavailable", {"status": "database unreachable"}
            )
        return _json(start_response, "200 OK", {"status": "ok"})


def _signed(secret: bytes, raw: bytes, timestamp: str, signature: str) -> bool:
    """Slack's request signature over the raw bytes, with a timestamp of digits at most 5
    minutes from now (Bolt checks again; it would raise on a timestamp that is not a number)."""
    if not _DIGITS.fullmatch(timestamp) or abs(time.time() - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    expected = (
        "v0="
        + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    )
    return hmac.compare_digest(expected, signature)


def _json(start_response: StartResponse, status: str, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def serve(
    app: App, store: Store, *, signing_secret: str, host: str, port: int, threads: int = 8
) -> None:
    """Serve until interrupted, with waitress (a production WSGI server)."""
    import waitress

    logger.info("Commons listening on http://%s:%s%s", host, port, EVENTS_PATH)
    waitress.serve(
        CommonsWSGI(app, store, signing_secret),
        host=host,
        port=port,
        threads=threads,
        ident="commons",
        clear_untrusted_proxy_headers=True,
    )
