"""Start-up: check the database and the Slack identity, then build the app. Shared by run and serve."""

import logging
from dataclasses import dataclass

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import service
from bot.app import create_app, make_client
from bot.background import Background
from bot.clock import Clock, SystemClock
from bot.services import Services
from bot.settings import Settings
from bot.store import Store, make_engine, upgrade

logger = logging.getLogger("commons")


class StartupError(Exception):
    """Commons cannot start; the message says why and what to do."""


@dataclass
class Runtime:
    """A started Commons: its services and its Bolt app."""

    services: Services
    app: App
    background: Background

    def close(self) -> None:
        """Stop the background work and release the database connections."""
        self.background.stop()
        self.services.store.dispose()


def open_store(settings: Settings) -> Store:
    """Connect to the database and apply pending migrations."""
    try:
        engine = make_engine(settings.database_url)
    except ValueError as error:  # an unsupported database, or an SQLite too old
        raise StartupError(str(error)) from error
    try:
        upgrade(engine)
    except Exception as error:
        engine.dispose()
        raise StartupError(
            f"Cannot prepare the database at DATABASE_URL ({engine.url.render_as_string()}): "
            f"{type(error).__name__}: {error}. Check that it exists and that Commons may write to it."
        ) from error
    return Store(engine)


def identify(client: WebClient) -> service.WorkspaceIdentity:
    """Ask Slack who we are (auth.test, team.info); fail with a clear message on a bad token."""
    try:
        auth = client.auth_test()
        team = client.team_info()
    except SlackApiError as error:
        code = error.response.get("error")
        hint = (
            "SLACK_BOT_TOKEN was refused: reinstall the app and copy its Bot User OAuth Token."
            if code in ("invalid_auth", "not_authed", "account_inactive", "token_revoked")
            else "check the app's scopes against manifest.yml and reinstall it."
        )
        raise StartupError(f"Slack answered {code!r} at start-up; {hint}") from error
    except (SlackClientError, OSError) as error:
        raise StartupError(
            f"Cannot reach Slack at SLACK_API_URL ({client.base_url}): {error}. "
            "Check the network, a proxy, or the URL."
        ) from error
    team_info = team.get("team") or {}
    return service.WorkspaceIdentity(
        team_id=str(auth.get("team_id", "")),
        team_name=str(team_info.get("name", auth.get("team", ""))),
        team_domain=str(team_info.get("domain", "")),
        bot_user_id=str(auth.get("user_id", "")),
        bot_id=str(auth.get("bot_id", "")),
    )


def start(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    """Migrate, identify the workspace, and build the app.

    Raises:
        StartupError: the database or Slack cannot be used; the message says what to fix.
    """
    store = open_store(settings)
    services = Services(settings=settings, store=store, clock=clock or SystemClock())
    try:
        identity = identify(make_client(settings))
        with store.unit_of_work() as session:
            service.record_installation(session=session, clock=services.clock, identity=identity)
    except BaseException:
        store.dispose()
        raise
    logger.info(
        "Commons is %s in workspace %s (%s)",
        identity.bot_user_id,
        identity.team_name,
        identity.team_id,
    )
    app = create_app(settings, services)
    return Runtime(services=services, app=app, background=Background(services, app.client))
