"""Helpers shared by tests: free ports, a WSGI app served for real, the bot as a subprocess."""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from waitress.server import BaseWSGIServer, create_server

from sandbox.demo import load_demo
from sandbox.server import Sandbox

if TYPE_CHECKING:
    from bot.services import Services


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve_wsgi(app: Any) -> Iterator[str]:
    """Serve a WSGI app with waitress on a free port; yields its base URL."""
    server = create_server(app, host="127.0.0.1", port=0, threads=4, asyncore_loop_timeout=0.05)
    assert isinstance(server, BaseWSGIServer)  # one host and port: a single-socket server
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        # Close on the server's own thread: closing its sockets from here races its select().
        trigger: Any = server.trigger  # types-waitress calls it an int; it is the wake-up pipe
        try:
            trigger.pull_trigger(server.close)
        except OSError:
            # Seen once in a few hundred runs: the wake-up pipe's descriptor was already closed
            # (EBADF) by the time the test ended. The server is then closed from here instead.
            server.close()
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()


@contextmanager
def sandbox_services(sandbox: Sandbox, tmp_path: Path, *, admins: str = "") -> Iterator["Services"]:
    """Commons' services pointed at the sandbox, on a migrated SQLite file of the test's own."""
    from bot.services import Services
    from bot.settings import Settings
    from bot.store import Store, make_engine, upgrade

    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": sandbox.bot_token,
            "SLACK_SIGNING_SECRET": sandbox.signing_secret,
            "SLACK_APP_TOKEN": sandbox.app_token,
            "SLACK_API_URL": sandbox.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'commons.db'}",
            "COMMONS_ADMINS": admins,
        }
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    yield Services(settings=settings, store=Store(engine))
    engine.dispose()


def bot_env(sandbox: Sandbox, database_url: str) -> dict[str, str]:
    """The environment of a Commons process pointed at the sandbox."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COMMONS_"))}
    env.update(
        SLACK_BOT_TOKEN=sandbox.bot_token,
        SLACK_SIGNING_SECRET=sandbox.signing_secret,
        SLACK_APP_TOKEN=sandbox.app_token,
        SLACK_API_URL=sandbox.api_url,
        DATABASE_URL=database_url,
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def bot_process(args: list[str], env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[str]]:
    """Run `commons <args>` as a real process; stop it at the end and keep its log in cwd."""
    log_path = cwd / "commons.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args],
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for_http(
    url: str, *, timeout: float = 30.0, process: subprocess.Popen[str] | None = None
) -> None:
    """Poll `url` until it answers 200; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the bot exited with {process.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def wait_until(predicate: Any, *, timeout: float = 10.0) -> bool:
    """Poll a condition the bot makes true asynchronously (not a sleep for time to pass)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


class ScaledClock:
    """An injected clock that runs `speed` times faster than real time, so that backoffs and
    Retry-After pauses pass quickly without anything sleeping for them."""

    def __init__(self, speed: float, start: datetime | None = None) -> None:
        self.speed = speed
        self._t0 = time.monotonic()
        self._start = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)


def workspace_with_people(count: int) -> dict[str, Any]:
    """The demo workspace plus `count` generated people, for fan-outs to many distinct DMs."""
    data = load_demo()
    data["users"] = list(data["users"]) + [
        {
            "id": f"U9{n:07d}",
            "name": f"person{n}",
            "real_name": f"Person {n}",
            "display_name": f"person{n}",
            "tz": "Europe/Berlin",
            "title": "",
            "email": f"person{n}@example.com",
        }
        for n in range(count)
    ]
    return data


def generated_people(count: int) -> list[str]:
    """The ids `workspace_with_people(count)` added."""
    return [f"U9{n:07d}" for n in range(count)]


def posted_keys(slack: Sandbox, prefix: str = "") -> "Counter[str]":
    """How often each Commons delivery key (from message metadata) appears anywhere in the sandbox."""
    keys: Counter[str] = Counter()
    with slack.workspace.lock:
        channel_ids = list(slack.workspace.channels)
    for channel_id in channel_ids:
        for message in slack.workspace.all_messages(channel_id):
            payload = (message.metadata or {}).get("event_payload") or {}
            key = str(payload.get("key", ""))
            if key and key.startswith(prefix):
                keys[key] += 1
    return keys
