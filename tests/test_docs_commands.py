"""docs/commands.md documents every verb of every slash command exactly as its verb table writes
the usage line (the tables also render each command's help, so help and docs cannot drift)."""

import re
from pathlib import Path

from bot.app import create_app
from bot.services import Services
from bot.settings import Settings
from bot.store import Store, make_engine

ROOT = Path(__file__).resolve().parent.parent


def _documented() -> set[str]:
    text = (ROOT / "docs" / "commands.md").read_text()
    return {span.replace("\\|", "|").strip() for span in re.findall(r"`([^`\n]+)`", text)}


def test_every_usage_line_of_every_verb_table_is_in_the_commands_page(tmp_path: Path) -> None:
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s" * 20})
    services = Services(settings=settings, store=Store(make_engine(f"sqlite:///{tmp_path}/c.db")))
    create_app(settings, services)
    documented = _documented()
    assert services.command_tables, "no verb tables were registered"
    missing = [
        line
        for table in services.command_tables.values()
        for line in table.usage_lines()
        if line not in documented
    ]
    assert missing == []
