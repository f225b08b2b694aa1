"""Settings: read once from a mapping, every problem named at once, secrets never shown."""

import pytest

from bot.settings import Settings, SettingsError, database_url_from_env

GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-1111-2222-secretbot",
    "SLACK_SIGNING_SECRET": "0123456789abcdef0123",
    "SLACK_APP_TOKEN": "xapp-1-A111-secretapp",
}


def test_defaults_apply_when_only_the_secrets_are_given() -> None:
    settings = Settings.from_env(GOOD)
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite:///commons.db"
    assert settings.timezone == "UTC"
    assert settings.admins == ()
    assert settings.log_level == "INFO"
    assert settings.post_budget_per_minute == 300
    assert settings.schedule_grace_minutes == 15


def test_every_problem_is_reported_at_once_with_how_to_fix_it() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "SLACK_BOT_TOKEN": "not-a-token",
                "SLACK_API_URL": "slack.com",
                "DATABASE_URL": "mysql://db",
                "COMMONS_TIMEZONE": "Mars/Olympus",
                "COMMONS_ADMINS": "alice,U0ALICE",
                "LOG_LEVEL": "chatty",
                "COMMONS_POST_BUDGET_PER_MINUTE": "lots",
                "COMMONS_SCHEDULE_GRACE_MINUTES": "-5",
            },
            mode="socket",
        )
    problems = caught.value.problems
    assert len(problems) == 10
    text = str(caught.value)
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_API_URL",
        "DATABASE_URL",
        "COMMONS_TIMEZONE",
        "COMMONS_ADMINS",
        "LOG_LEVEL",
        "COMMONS_POST_BUDGET_PER_MINUTE",
        "COMMONS_SCHEDULE_GRACE_MINUTES",
    ):
        assert name in text
    assert "xoxb-" in text  # the fix names the token's shape
    assert "'alice'" in text
    assert "U0ALICE" not in text.split("not ")[-1]


def test_app_token_is_required_only_for_socket_mode() -> None:
    env = {k: v for k, v in GOOD.items() if k != "SLACK_APP_TOKEN"}
    assert Settings.from_env(env, mode="http").slack_app_token == ""
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN is missing"):
        Settings.from_env(env, mode="socket")


def test_values_are_normalised() -> None:
    settings = Settings.from_env(
        {
            **GOOD,
            "SLACK_API_URL": "http://127.0.0.1:9000/api",
            "DATABASE_URL": "postgresql://commons:pw@db:5432/commons",
            "COMMONS_ADMINS": " U0ALICE, U0BOB ",
            "LOG_LEVEL": "debug",
            "COMMONS_TIMEZONE": "Europe/Berlin",
        }
    )
    assert settings.slack_api_url == "http://127.0.0.1:9000/api/"
    assert settings.database_url == "postgresql+psycopg://commons:pw@db:5432/commons"
    assert settings.admins == ("U0ALICE", "U0BOB")
    assert settings.log_level == "DEBUG"
    assert settings.timezone == "Europe/Berlin"


def test_secrets_never_appear_in_repr_or_str() -> None:
    settings = Settings.from_env({**GOOD, "DATABASE_URL": "postgresql://u:hunter2@db/commons"})
    for shown in (repr(settings), str(settings), f"{settings}"):
        assert "secretbot" not in shown
        assert "secretapp" not in shown
        assert GOOD["SLACK_SIGNING_SECRET"] not in shown
        assert "hunter2" not in shown
    assert set(settings.secrets) == set(GOOD.values())


def test_settings_are_frozen() -> None:
    settings = Settings.from_env(GOOD)
    with pytest.raises(AttributeError):
        settings.log_level = "DEBUG"  # type: ignore[misc]


def test_database_url_alone_is_checked_for_db_commands() -> None:
    assert database_url_from_env({}) == "sqlite:///commons.db"
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        database_url_from_env({"DATABASE_URL": "oracle://x"})
