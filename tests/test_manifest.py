"""The manifest and the registered listeners name the same commands, callback ids and events."""

import hmac
import json
import time
from hashlib import sha256
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml
from slack_bolt import App, BoltRequest

from bot.app import FEATURES
from bot.services import Services
from bot.settings import Settings
from bot.slack.interaction import Wiring
from bot.store import Store, make_engine

ROOT = Path(__file__).resolve().parent.parent
SECRET = "0123456789abcdef0123"


class RecordingApp(App):
    """A real Bolt app that also notes what each feature registers."""

    def __init__(self) -> None:
        super().__init__(
            token="xoxb-test",
            signing_secret=SECRET,
            token_verification_enabled=False,
        )
        self.commands: set[str] = set()
        self.events: set[str] = set()
        self.shortcuts: set[str] = set()

    def command(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        self.commands.add(str(command))
        return super().command(command, *args, **kwargs)

    def event(self, event: Any, *args: Any, **kwargs: Any) -> Any:
        self.events.add(str(event))
        return super().event(event, *args, **kwargs)

    def shortcut(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self.shortcuts.add(str(constraints))
        return super().shortcut(constraints, *args, **kwargs)

    def global_shortcut(self, callback_id: Any, *args: Any, **kwargs: Any) -> Any:
        self.shortcuts.add(str(callback_id))
        return super().global_shortcut(callback_id, *args, **kwargs)

    def message_shortcut(self, callback_id: Any, *args: Any, **kwargs: Any) -> Any:
        self.shortcuts.add(str(callback_id))
        return super().message_shortcut(callback_id, *args, **kwargs)


def _manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return data


def _registered(tmp_path: Path) -> RecordingApp:
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET})
    services = Services(settings=settings, store=Store(make_engine(f"sqlite:///{tmp_path}/c.db")))
    app = RecordingApp()
    for register in FEATURES:
        register(Wiring(app, services))
    return app


def test_manifest_commands_events_and_shortcuts_match_the_listeners(tmp_path: Path) -> None:
    manifest = _manifest()
    app = _registered(tmp_path)
    commands = {c["command"] for c in manifest["features"].get("slash_commands", [])}
    shortcuts = {s["callback_id"] for s in manifest["features"].get("shortcuts", [])}
    # Slack subscribes to message.channels / message.groups; Bolt listens to "message".
    events = {e.split(".")[0] for e in manifest["settings"]["event_subscriptions"]["bot_events"]}
    assert app.commands == commands
    assert app.shortcuts == shortcuts
    assert app.events == events


def test_every_manifest_command_is_handled_by_the_app(tmp_path: Path) -> None:
    app = _registered(tmp_path)
    for entry in _manifest()["features"]["slash_commands"]:
        body = urlencode(
            {
                "command": entry["command"],
                "text": "",
                "user_id": "U0ALICE",
                "channel_id": "C0GENERAL",
                "team_id": "T0",
                "response_url": "",
            }
        )
        timestamp = str(int(time.time()))
        signature = (
            "v0=" + hmac.new(SECRET.encode(), f"v0:{timestamp}:{body}".encode(), sha256).hexdigest()
        )
        request = BoltRequest(
            body=body,
            headers={
                "content-type": ["application/x-www-form-urlencoded"],
                "x-slack-request-timestamp": [timestamp],
                "x-slack-signature": [signature],
            },
            mode="socket_mode",  # authorisation is not what this test is about
        )
        response = app.dispatch(request)
        assert response.status != 404, f"{entry['command']} has no listener"


def test_manifest_enables_interactivity_socket_mode_and_needed_scopes() -> None:
    manifest = _manifest()
    assert manifest["display_information"]["name"] == "Commons"
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "im:write", "users:read", "usergroups:read"} <= scopes
    assert json.dumps(manifest)  # plain data, no YAML-only types
