"""``Sandbox``: the aiohttp server standing in for Slack, on its own event loop and thread."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from sandbox.demo import load_demo
from sandbox.faults import FaultPlan, FaultRule
from sandbox.methods import MethodSpec, method_spec
from sandbox.pacing import Limits, Pacer, retry_after_seconds
from sandbox.socket_mode import SocketModeHub
from sandbox.webapi import SlackError, call, channel_key, missing_field, respond
from sandbox.workspace import Workspace

logger = logging.getLogger(__name__)

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
SHUTDOWN_GRACE = 0.5
# Uploads go through this server too; Slack's own cap is 1 GB, far more than tests need.
MAX_BODY = 64 * 1024 * 1024
APPS_CONNECTIONS_OPEN = "apps.connections.open"
# The error a fault answers with when it names a status but no error code.
STATUS_ERRORS = {429: "ratelimited", 500: "internal_error", 502: "bad_gateway"}


@dataclass(frozen=True)
class CallRecord:
    """One Web API call as the server saw it (status 0: the connection was dropped).

    `started` and `at` are when the request arrived and when it was answered (time.monotonic()):
    calls whose spans overlap were in flight together.
    """

    method: str
    status: int
    error: str | None
    at: float
    started: float


class Sandbox:
    """A local Slack: Web API, response URLs, uploads and Socket Mode on 127.0.0.1.

    Args:
        data: the workspace (``sandbox.demo.load_demo()`` schema); None loads the demo.
        host: the address to listen on.
        port: the port; 0 picks a free one.
        seed: seeds the fault plan's random draws, so a run repeats.
        workspace_per_minute: chat.postMessage budget of the workspace.
        clock: monotonic seconds for rate limits and expiries; tests inject a fake one.
    """

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        workspace_per_minute: int = 300,
        clock: Callable[[], float] | None = None,
    ) -> None:
        clock = clock or time.monotonic
        self.workspace = Workspace(data if data is not None else load_demo(), clock=clock)
        self.hub = SocketModeHub()
        self.faults = FaultPlan(seed)
        self.pacer = Pacer(workspace_per_minute=workspace_per_minute, clock=clock)
        self._host = host
        self._requested_port = port
        self._port = 0
        self._bot_token = f"xoxb-{self.workspace.team_id}-sandbox-{secrets.token_hex(12)}"
        self._app_token = f"xapp-1-{self.workspace.app_id}-sandbox-{secrets.token_hex(12)}"
        self._signing_secret = secrets.token_hex(16)
        self._calls: list[CallRecord] = []
        self._calls_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        """Start listening in a background thread; returns once the port is open."""
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []
        thread = threading.Thread(
            target=self._run, args=(loop, ready, failure), name="commons-sandbox", daemon=True
        )
        self._loop = loop
        self._thread = thread
        thread.start()
        if not ready.wait(START_TIMEOUT):
            raise RuntimeError("the sandbox did not start in time")
        if failure:
            thread.join(STOP_TIMEOUT)
            self._loop = None
            self._thread = None
            raise RuntimeError("the sandbox could not start") from failure[0]
        return self

    def _run(
        self, loop: asyncio.AbstractEventLoop, ready: threading.Event, failure: list[BaseException]
    ) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._open())
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            self._close_loop(loop)
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            self._close_loop(loop)

    @staticmethod
    def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
        # Cancel what is left (e.g. a handler sleeping on injected latency) so that nothing
        # warns about a pending task or an unclosed loop.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()

    async def _open(self) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/files/{file_id}", self._download)
        app.router.add_post("/response/{token}", self._response)
        app.router.add_get("/link", self.hub.handle)
        app.router.add_get("/link/", self.hub.handle)
        app.router.add_get("/_sandbox/faults", self._get_faults)
        app.router.add_post("/_sandbox/faults", self._post_fault)
        app.router.add_delete("/_sandbox/faults", self._delete_faults)
        app.router.add_get("/_sandbox/limits", self._get_limits)
        app.router.add_post("/_sandbox/limits", self._post_limits)
        app.router.add_get("/_sandbox/activity", self._get_activity)
        app.router.add_get("/_sandbox/calls", self._get_calls)
        app.router.add_post("/_sandbox/reset", self._post_reset)
        # A handler sleeping on injected latency must not hold up stop() for aiohttp's default
        # minute of grace.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_GRACE)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._requested_port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self.workspace.base_url = self.url
        self.hub.attach(
            asyncio.get_running_loop(), f"ws://{self._host}:{self._port}", app_id=self.app_id
        )

    async def _close(self) -> None:
        await self.hub.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def stop(self) -> None:
        """Close connections, stop the server and its thread; safe to call twice."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._close(), loop).result(STOP_TIMEOUT)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(STOP_TIMEOUT)
            self._loop = None
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses and credentials --------------------------------------------------------

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The server's event loop (only while started)."""
        if self._loop is None:
            raise RuntimeError("the sandbox is not started")
        return self._loop

    @property
    def port(self) -> int:
        """The port the server listens on (0 before start)."""
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self._host}:{self._port}"

    @property
    def api_url(self) -> str:
        """The Web API base URL for ``WebClient(base_url=...)`` and ``SLACK_API_URL``."""
        return f"{self.url}/api/"

    @property
    def bot_token(self) -> str:
        """The bot token (``xoxb-``)."""
        return self._bot_token

    @property
    def app_token(self) -> str:
        """The app-level token (``xapp-``) for apps.connections.open."""
        return self._app_token

    @property
    def signing_secret(self) -> str:
        """The secret the driver signs HTTP requests to the bot with."""
        return self._signing_secret

    @property
    def team_id(self) -> str:
        """The workspace id."""
        return self.workspace.team_id

    @property
    def team_domain(self) -> str:
        """The workspace's subdomain."""
        return self.workspace.team_domain

    @property
    def bot_user_id(self) -> str:
        """The bot's user id."""
        return self.workspace.bot_user_id

    @property
    def bot_id(self) -> str:
        """The bot id (``B...``)."""
        return self.workspace.bot_id

    @property
    def app_id(self) -> str:
        """The app id (``A...``)."""
        return self.workspace.app_id

    # -- controls -------------------------------------------------------------------------

    def mint_trigger_id(self, user_id: str) -> str:
        """A ``trigger_id`` for a user: valid for 3 s, usable once."""
        return self.workspace.mint_trigger(user_id)

    def new_response_url(
        self, *, user_id: str, channel_id: str | None, message_ts: str | None = None
    ) -> str:
        """A ``response_url`` answering as the bot to that user (and message, if any)."""
        token = self.workspace.new_response_url_token(
            user_id=user_id, channel_id=channel_id, message_ts=message_ts
        )
        return f"{self.url}/response/{token}"

    def add_fault(self, rule: FaultRule) -> None:
        """Arm a fault rule after the existing ones."""
        self.faults.add(rule)

    def clear_faults(self) -> None:
        """Disarm every fault rule."""
        self.faults.clear()

    def set_limits(
        self,
        *,
        workspace_per_minute: int | None = None,
        workspace_burst: int | None = None,
        channel_per_second: float | None = None,
        channel_burst: int | None = None,
        tiers: bool | None = None,
    ) -> Limits:
        """Change the rate limits (None keeps a setting); the buckets start full again."""
        return self.pacer.set_limits(
            workspace_per_minute=workspace_per_minute,
            workspace_burst=workspace_burst,
            channel_per_second=channel_per_second,
            channel_burst=channel_burst,
            tiers=tiers,
        )

    def calls(self, method: str | None = None) -> list[CallRecord]:
        """Web API calls so far, oldest first, optionally of one method."""
        with self._calls_lock:
            return [c for c in self._calls if method is None or c.method == method]

    def peak_in_flight(self, method: str) -> int:
        """The most calls of `method` that were in flight together (answered ones included)."""
        calls = self.calls(method)
        steps = sorted([(call.started, 1) for call in calls] + [(call.at, -1) for call in calls])
        peak = current = 0
        for _, step in steps:  # an answer at the same instant as an arrival counts first
            current += step
            peak = max(peak, current)
        return peak

    def reset(self) -> None:
        """Forget messages, views, activity, calls and faults; keep the directory."""
        self.workspace.reset()
        self.faults.clear()
        self.pacer.reset()
        with self._calls_lock:
            self._calls.clear()

    def _record(self, method: str, status: int, error: str | None, started: float) -> None:
        with self._calls_lock:
            self._calls.append(CallRecord(method, status, error, time.monotonic(), started))

    # -- the Web API ----------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        started = time.monotonic()
        method = request.match_info["method"]
        spec = method_spec(method)
        if spec is None:
            self._record(method, 404, "unknown_method", started)
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        fault = self.faults.pick(method)
        if fault is not None:
            if fault.latency > 0:
                await asyncio.sleep(fault.latency)
            if fault.drop == "before":
                self._record(method, 0, "dropped_before", started)
                return self._drop(request)
            if fault.status is not None:
                return self._fault_response(method, fault, started)
            if fault.error is not None and fault.drop is None:
                self._record(method, 200, fault.error, started)
                return web.json_response({"ok": False, "error": fault.error})
        headers: dict[str, str] = {}
        try:
            args = await _read_args(request)
            self._authenticate(method, _token(request, args))
            self._pace(spec, args, headers)
            for name in spec.required:
                if name != "token" and (args.get(name) is None or args.get(name) == ""):
                    raise missing_field(name)
            if method == APPS_CONNECTIONS_OPEN:
                body: dict[str, Any] = {"ok": True, "url": self.hub.new_connection_url()}
            else:
                body = call(self.workspace, method, args)
            status = 200
        except SlackError as exc:
            body, status = exc.body(), exc.status
        except Exception:
            logger.exception("sandbox: %s failed", method)
            body, status = {"ok": False, "error": "internal_error"}, 500
        if fault is not None and fault.drop == "after":
            self._record(method, 0, "dropped_after", started)
            return self._drop(request)
        self._record(method, status, None if body.get("ok") else str(body.get("error")), started)
        return web.json_response(body, status=status, headers=headers)

    def _fault_response(self, method: str, fault: FaultRule, started: float) -> web.Response:
        status = fault.status or 500
        error = fault.error or STATUS_ERRORS.get(status, "internal_error")
        headers: dict[str, str] = {}
        if status == 429:
            headers["Retry-After"] = str(max(1, fault.retry_after or 1))
        elif fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        self._record(method, status, error, started)
        return web.json_response({"ok": False, "error": error}, status=status, headers=headers)

    @staticmethod
    def _drop(request: web.Request) -> web.Response:
        # Close the socket without writing a response, as a network failure would. aiohttp
        # then fails to write the returned placeholder and, seeing a ConnectionError, drops it
        # quietly.
        transport = request.transport
        if transport is not None:
            transport.close()
        return web.Response(status=204)

    def _authenticate(self, method: str, token: str | None) -> None:
        if not token:
            raise SlackError("not_authed")
        if token == self._app_token:
            if method != APPS_CONNECTIONS_OPEN:
                raise SlackError("not_allowed_token_type")
        elif token == self._bot_token:
            if method == APPS_CONNECTIONS_OPEN:
                raise SlackError("not_allowed_token_type")
        else:
            raise SlackError("invalid_auth")

    def _pace(self, spec: MethodSpec, args: dict[str, Any], headers: dict[str, str]) -> None:
        key = None
        channel = args.get("channel")
        if spec.name == "chat.postMessage" and channel:
            key = channel_key(self.workspace, str(channel))
        wait = self.pacer.check(spec.name, spec.tier, key)
        if wait > 0:
            headers["Retry-After"] = str(retry_after_seconds(wait))
            raise SlackError("ratelimited", status=429)

    # -- uploads, files and response urls -------------------------------------------------

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        # slack_sdk posts the raw bytes; other clients send a multipart form with one file.
        content = b""
        if request.content_type == "multipart/form-data":
            form = await request.post()
            for value in form.values():
                if isinstance(value, web.FileField):
                    content = value.file.read()
                    break
        else:
            content = await request.read()
        if not self.workspace.store_upload(file_id, content):
            return web.Response(status=404, text="file_not_found")
        return web.Response(text=f"OK - {len(content)}")

    async def _download(self, request: web.Request) -> web.Response:
        upload = self.workspace.files.get(request.match_info["file_id"])
        if upload is None or not upload.uploaded:
            return web.Response(status=404, text="file_not_found")
        return web.Response(body=upload.content, content_type="application/octet-stream")

    async def _response(self, request: web.Request) -> web.Response:
        started = time.monotonic()
        try:
            body = await _read_args(request)
            if isinstance(body.get("payload"), str):
                payload = json.loads(body["payload"])
                body = payload if isinstance(payload, dict) else {}
            result, status = respond(self.workspace, request.match_info["token"], body), 200
        except SlackError as exc:
            result, status = exc.body(), exc.status
        except json.JSONDecodeError:
            result, status = {"ok": False, "error": "invalid_payload"}, 400
        error = None if result.get("ok") else result.get("error")
        self._record("response_url", status, error, started)
        return web.json_response(result, status=status)

    # -- control routes -------------------------------------------------------------------

    async def _get_faults(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "faults": self.faults.describe()})

    async def _post_fault(self, request: web.Request) -> web.Response:
        try:
            raw = await request.json()
            if not isinstance(raw, dict):
                raise ValueError("a fault rule is a JSON object")
            self.add_fault(FaultRule.from_dict(raw))
        except ValueError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return web.json_response({"ok": True, "faults": self.faults.describe()})

    async def _delete_faults(self, request: web.Request) -> web.Response:
        self.clear_faults()
        return web.json_response({"ok": True, "faults": []})

    async def _get_limits(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "limits": self.pacer.limits.as_dict()})

    async def _post_limits(self, request: web.Request) -> web.Response:
        try:
            raw = await request.json()
            if not isinstance(raw, dict):
                raise ValueError("limits are a JSON object")
            unknown = set(raw) - set(self.pacer.limits.as_dict())
            if unknown:
                raise ValueError(f"unknown limit(s): {', '.join(sorted(unknown))}")
            limits = self.set_limits(
                workspace_per_minute=_opt(raw, "workspace_per_minute", int),
                workspace_burst=_opt(raw, "workspace_burst", int),
                channel_per_second=_opt(raw, "channel_per_second", float),
                channel_burst=_opt(raw, "channel_burst", int),
                tiers=_opt(raw, "tiers", bool),
            )
        except (TypeError, ValueError) as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return web.json_response({"ok": True, "limits": limits.as_dict()})

    async def _get_activity(self, request: web.Request) -> web.Response:
        try:
            since = int(request.query.get("since", "0"))
        except ValueError:
            return web.json_response({"ok": False, "error": "since must be an integer"}, status=400)
        activity = [dataclasses.asdict(a) for a in self.workspace.activity_since(since)]
        return web.json_response({"ok": True, "activity": activity})

    async def _get_calls(self, request: web.Request) -> web.Response:
        calls = [dataclasses.asdict(c) for c in self.calls(request.query.get("method"))]
        return web.json_response({"ok": True, "calls": calls})

    async def _post_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})


def _opt(raw: dict[str, Any], key: str, kind: Callable[[Any], Any]) -> Any:
    value = raw.get(key)
    if value is None:
        return None
    if kind is bool and not isinstance(value, bool):
        raise ValueError(f"{key} must be true or false")
    return kind(value)


def _token(request: web.Request, args: dict[str, Any]) -> str | None:
    """The token from ``Authorization: Bearer`` or the ``token`` argument (then removed)."""
    token = args.pop("token", None)
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return str(token) if token else None


async def _read_args(request: web.Request) -> dict[str, Any]:
    """Arguments from the query string and a JSON, form or multipart body, merged."""
    args: dict[str, Any] = dict(request.query.items())
    if not request.body_exists:
        return args
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except json.JSONDecodeError as exc:
            raise SlackError("invalid_json") from exc
        if not isinstance(body, dict):
            raise SlackError("invalid_json")
        args.update(body)
    elif request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, str):
                args[key] = value
            elif isinstance(value, web.FileField):
                args[key] = value.file.read()
            else:
                args[key] = bytes(value)
    return args
