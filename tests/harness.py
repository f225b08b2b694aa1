"""An end-to-end harness for feature tests: the sandbox, Commons' app served over HTTP, a driver,
an injected clock, and a `run_due()` that does what the background ticks would, deterministically.

    def test_something(harness: Harness) -> None:
        harness.slash("alice", "/announce", "")        # as a person: signed, over HTTP
        view = harness.open_view("alice")              # the modal Commons opened
        harness.submit("alice", view.id, {...})
        harness.clock.advance(timedelta(hours=1))
        harness.run_due()                              # schedules + feature ticks + the outbox
        harness.messages("C0GENERAL")                  # what people see
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_bolt import App

from bot.app import create_app
from bot.background import Background
from bot.clock import FixedClock
from bot.http import CommonsWSGI
from bot.outbox.pacing import PostLimits
from bot.outbox.sender import SenderConfig
from bot.scheduling.schedules import run_due
from bot.services import Services
from bot.settings import Settings
from bot.socket_mode import connect
from bot.store import Store, make_engine, upgrade
from sandbox.driver import Ack, Driver
from sandbox.render import bare_links
from sandbox.server import Sandbox
from sandbox.timetravel import TimeMachine
from sandbox.workspace import Message, View
from tests.support import serve_wsgi, wait_until

START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # a Tuesday, 09:00 in Berlin


class Harness:
    """Commons against the sandbox, with time that moves only when the test says."""

    def __init__(
        self, slack: Sandbox, services: Services, app: App, driver: Driver, background: Background
    ) -> None:
        self.slack = slack
        self.services = services
        self.app = app
        self.driver = driver
        self.background = background
        assert isinstance(services.clock, FixedClock)
        self.clock: FixedClock = services.clock

    @property
    def store(self) -> Store:
        return self.services.store

    def user(self, name: str) -> str:
        """A demo person's id from their name ("alice") or id."""
        for user in self.slack.workspace.users.values():
            if name in (user.id, user.name):
                return user.id
        raise KeyError(name)

    # -- acting as people ----------------------------------------------------------------------

    def slash(self, who: str, command: str, text: str = "", channel_id: str | None = None) -> Ack:
        return self.driver.slash(self.user(who), command, text, channel_id=channel_id)

    def click(self, who: str, action_id: str, **where: Any) -> Ack:
        return self.driver.click(self.user(who), action_id, **where)

    def submit(
        self,
        who: str,
        view_id: str,
        values: dict[str, dict[str, dict[str, Any]]],
        *,
        forged: bool = False,
    ) -> Ack:
        """Submit a form; `forged` sends values the form has no field for, as a crafted request."""
        return self.driver.submit(self.user(who), view_id, values, forged=forged)

    def open_view(self, who: str, *, other_than: str | None = None, timeout: float = 5.0) -> View:
        """The modal on top of this person's stack, waiting for it: listeners acknowledge first
        and open modals right after, as they must within Slack's 3 s. `other_than`: wait for a
        modal other than this one (one left open with errors, say)."""
        user = self.user(who)

        def opened() -> bool:
            top = self.slack.workspace.top_modal(user)
            return top is not None and top.id != other_than

        wait_until(opened, timeout=timeout)
        view = self.slack.workspace.top_modal(user)
        assert view is not None, f"{who} has no open modal"
        return view

    def wait_for(self, condition: Callable[[], object], *, timeout: float = 5.0) -> None:
        """Wait for something a listener does after its acknowledgement (not for time to pass)."""
        assert wait_until(condition, timeout=timeout), "the bot did not do it in time"

    # -- time and background work --------------------------------------------------------------

    def run_due(self, *, rounds: int = 20) -> None:
        """Run due schedules and the features' ticks, then post everything that may go now."""
        for _ in range(rounds):
            run_due(store=self.store, clock=self.clock, handlers=self.services.schedule_handlers)
            for tick in self.services.ticks:
                tick.func()
            if self.background.sender.drain(5.0) == 0:
                return

    def advance(self, delta: timedelta) -> None:
        """Move time forward, doing what falls due at each instant on the way, in order (a
        reminder due in an hour is sent with that hour's clock, before what is due in two)."""
        TimeMachine(self.clock, self.services, self.run_due, near=timedelta(0)).advance(delta)

    # -- what people see -----------------------------------------------------------------------

    def messages(self, channel_id: str) -> list[Message]:
        return self.slack.workspace.messages(channel_id)

    def dms(self, who: str) -> list[Message]:
        return self.slack.workspace.messages(self.slack.workspace.dm_channel_for(self.user(who)).id)

    def ephemeral_texts(self, who: str) -> list[str]:
        return [e.text or "" for e in self.slack.workspace.ephemerals(self.user(who))]


def written_bare_links(slack: Sandbox) -> list[str]:
    """Bare "<...>" tokens in the mrkdwn the bot wrote: messages, ephemerals, views, the Home."""
    found: list[str] = []
    for activity in slack.workspace.activity_since(0):
        if activity.kind in ("message", "reply", "update") and activity.user != slack.bot_user_id:
            continue  # a person's own words
        view = slack.workspace.views.get(activity.view_id or "")
        written = [activity.text or "", *_mrkdwn_in(activity.blocks or [])]
        written += _mrkdwn_in(view.blocks if view is not None else [])
        found += [f"{activity.kind}: {link}" for text in written for link in bare_links(text)]
    return found


def _mrkdwn_in(node: Any) -> list[str]:
    """Every mrkdwn text object's text in blocks (plain_text is shown as written)."""
    if isinstance(node, list):
        return [text for item in node for text in _mrkdwn_in(item)]
    if not isinstance(node, dict):
        return []
    own = [str(node.get("text") or "")] if node.get("type") == "mrkdwn" else []
    return own + [text for value in node.values() for text in _mrkdwn_in(value)]


@contextmanager
def harness_for(
    tmp_path: Path,
    database_url: str | None = None,
    *,
    admins: str = "U0ALICE",
    socket_mode: bool = False,
    timezone: str = "Europe/Berlin",
) -> Iterator[Harness]:
    """Build the harness; the directory is synced from the demo workspace before the test starts.

    Commons is reached over HTTP, or with `socket_mode` over Socket Mode (where Slack's library
    logs whole payloads, which the survey attack tests read)."""
    with Sandbox() as slack:
        # Pacing is the outbox tests' business; here many posts to one channel must go at once.
        slack.set_limits(
            workspace_per_minute=600_000,
            workspace_burst=10_000,
            channel_per_second=1000,
            channel_burst=1000,
        )
        settings = Settings.from_env(
            {
                "SLACK_BOT_TOKEN": slack.bot_token,
                "SLACK_SIGNING_SECRET": slack.signing_secret,
                "SLACK_APP_TOKEN": slack.app_token,
                "SLACK_API_URL": slack.api_url,
                "DATABASE_URL": database_url or f"sqlite:///{tmp_path / 'commons.db'}",
                "COMMONS_ADMINS": admins,
                "COMMONS_TIMEZONE": timezone,
            }
        )
        engine = make_engine(settings.database_url)
        upgrade(engine)
        services = Services(settings=settings, store=Store(engine), clock=FixedClock(START))
        app = create_app(settings, services)
        background = Background(
            services,
            app.client,
            sender_config=SenderConfig(
                limits=PostLimits(per_minute=600_000, channel_interval=timedelta(0)), batch_size=50
            ),
        )
        background.sync_directory()
        if socket_mode:
            handler = connect(app, slack.app_token, services)
            try:
                yield Harness(slack, services, app, Driver(slack), background)
            finally:
                handler.close()  # type: ignore[no-untyped-call]
        else:
            with serve_wsgi(
                CommonsWSGI(app, services.store, services.settings.slack_signing_secret)
            ) as url:
                yield Harness(
                    slack, services, app, Driver(slack, bot_url=f"{url}/slack/events"), background
                )
        background.sender.close()
        engine.dispose()
        # Whatever the test did, nothing Commons showed anyone has a "<placeholder>" Slack would
        # turn into a link.
        leaks = written_bare_links(slack)
        assert leaks == [], leaks
