"""HTTP mode: Slack's requests on POST /slack/events and a health probe on GET /healthz, under waitress."""

import json
import logging
from collections.abc import Iterable
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy.exc import SQLAlchemyError

from bot.store import Store

logger = logging.getLogger("commons.http")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


class CommonsWSGI:
    """The WSGI application: Bolt for Slack's requests, a health check for probes, 404 otherwise."""

    def __init__(self, app: App, store: Store) -> None:
        self._slack = SlackRequestHandler(app, path=EVENTS_PATH)
        self._store = store

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH and method == "POST":
            return self._slack(environ, start_response)
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return self._health(start_response)
        return _json(start_response, "404 Not Found", {"ok": False, "error": "not_found"})

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        try:
            self._store.ping()
        except SQLAlchemyError as error:
            logger.warning("health check: database unreachable: %s", type(error).__name__)
            return _json(
                start_response, "503 Service Unavailable", {"status": "database unreachable"}
            )
        return _json(start_response, "200 OK", {"status": "ok"})


def _json(start_response: StartResponse, status: str, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def serve(app: App, store: Store, *, host: str, port: int, threads: int = 8) -> None:
    """Serve until interrupted, with waitress (a production WSGI server)."""
    import waitress

    logger.info("Commons listening on http://%s:%s%s", host, port, EVENTS_PATH)
    waitress.serve(
        CommonsWSGI(app, store),
        host=host,
        port=port,
        threads=threads,
        ident="commons",
        clear_untrusted_proxy_headers=True,
    )
