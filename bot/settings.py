"""Typed, frozen settings read once from an environment mapping, with every problem reported at once."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.text.mrkdwn import counted

SLACK_API_URL_DEFAULT = "https://slack.com/api/"
DATABASE_URL_DEFAULT = "sqlite:///commons.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

Mode = Literal["socket", "http", "none"]

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class SettingsError(Exception):
    """Start-up cannot go on: one or more settings are missing or malformed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"Commons cannot start: {counted(len(problems), 'setting')} to fix "
            f"(in the environment or in .env; see .env.example):\n{lines}"
        )


def _secret_repr(value: str) -> str:
    return "''" if not value else "'***'"


@dataclass(frozen=True)
class Settings:
    """Everything Commons reads from its environment. Secrets never appear in repr()."""

    slack_bot_token: str = field(repr=False)
    slack_signing_secret: str = field(repr=False)
    slack_app_token: str = field(repr=False, default="")
    slack_api_url: str = SLACK_API_URL_DEFAULT
    database_url: str = DATABASE_URL_DEFAULT
    timezone: str = "UTC"
    admins: tuple[str, ...] = ()
    log_level: str = "INFO"
    post_budget_per_minute: int = 300
    schedule_grace_minutes: int = 15
    # The key of survey respondent tokens; empty: derived from the signing secret.
    survey_key: str = field(repr=False, default="")

    def __repr__(self) -> str:
        return (
            f"Settings(slack_bot_token={_secret_repr(self.slack_bot_token)}, "
            f"slack_signing_secret={_secret_repr(self.slack_signing_secret)}, "
            f"slack_app_token={_secret_repr(self.slack_app_token)}, "
            f"slack_api_url={self.slack_api_url!r}, database_url={_redact_url(self.database_url)!r}, "
            f"timezone={self.timezone!r}, admins={self.admins!r}, log_level={self.log_level!r}, "
            f"post_budget_per_minute={self.post_budget_per_minute}, "
            f"schedule_grace_minutes={self.schedule_grace_minutes}, "
            f"survey_key={_secret_repr(self.survey_key)})"
        )

    __str__ = __repr__

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values that must never reach a log line."""
        return tuple(
            s
            for s in (
                self.slack_bot_token,
                self.slack_signing_secret,
                self.slack_app_token,
                self.survey_key,
            )
            if s
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, mode: Mode = "none") -> "Settings":
        """Read and check every setting.

        Args:
            environ: the environment (os.environ, or a dict in tests).
            mode: "socket" also requires SLACK_APP_TOKEN; "http" and "none" do not.

        Returns:
            The settings.

        Raises:
            SettingsError: naming every missing or malformed setting and how to fix it.
        """
        problems: list[str] = []
        bot_token, signing_secret, app_token = _slack_credentials(environ, mode, problems)
        api_url = _api_url(environ, problems)
        database_url = _database_url(environ, problems)
        timezone = _timezone(environ, problems)
        admins = _admins(environ, problems)
        log_level = _log_level(environ, problems)
        budget = _post_budget(environ, problems)
        grace = _whole_number(
            environ,
            "COMMONS_SCHEDULE_GRACE_MINUTES",
            default=15,
            low=0,
            high=1440,
            hint="how late a scheduled post may still go out after downtime",
            problems=problems,
        )

        survey_key = _survey_key(environ, problems)

        if problems:
            raise SettingsError(problems)
        return cls(
            slack_bot_token=bot_token,
            slack_signing_secret=signing_secret,
            slack_app_token=app_token,
            slack_api_url=api_url,
            database_url=database_url,
            timezone=timezone,
            admins=admins,
            log_level=log_level,
            post_budget_per_minute=budget,
            schedule_grace_minutes=grace,
            survey_key=survey_key,
        )


def _get(environ: Mapping[str, str], name: str) -> str:
    return environ.get(name, "").strip()


def _slack_credentials(
    environ: Mapping[str, str], mode: Mode, problems: list[str]
) -> tuple[str, str, str]:
    """The bot token, the signing secret and the app-level token, each checked."""
    bot_token = _get(environ, "SLACK_BOT_TOKEN")
    if not bot_token:
        problems.append(
            "SLACK_BOT_TOKEN is missing: copy the Bot User OAuth Token (xoxb-...) from your "
            "Slack app's OAuth & Permissions page."
        )
    elif not bot_token.startswith("xoxb-"):
        problems.append(
            "SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-' "
            "(OAuth & Permissions > Bot User OAuth Token)."
        )
    signing_secret = _get(environ, "SLACK_SIGNING_SECRET")
    if not signing_secret:
        problems.append(
            "SLACK_SIGNING_SECRET is missing: copy it from your Slack app's Basic Information "
            "page (App Credentials > Signing Secret)."
        )
    elif not re.fullmatch(r"[A-Za-z0-9]{16,}", signing_secret):
        problems.append(
            "SLACK_SIGNING_SECRET looks malformed: it is a string of at least 16 letters and "
            "digits (Basic Information > App Credentials > Signing Secret)."
        )
    app_token = _get(environ, "SLACK_APP_TOKEN")
    if app_token and not app_token.startswith("xapp-"):
        problems.append(
            "SLACK_APP_TOKEN must be an app-level token starting with 'xapp-' "
            "(Basic Information > App-Level Tokens, scope connections:write)."
        )
    elif mode == "socket" and not app_token:
        problems.append(
            "SLACK_APP_TOKEN is missing, and `commons run` (Socket Mode) needs it: create an "
            "app-level token with the connections:write scope under Basic Information > "
            "App-Level Tokens, or use `commons serve` (HTTP mode) instead."
        )
    return bot_token, signing_secret, app_token


def _api_url(environ: Mapping[str, str], problems: list[str]) -> str:
    api_url = _get(environ, "SLACK_API_URL") or SLACK_API_URL_DEFAULT
    if not re.match(r"^https?://[^/\s]+", api_url):
        problems.append(
            f"SLACK_API_URL must be an http(s) URL such as {SLACK_API_URL_DEFAULT} "
            f"(got {api_url!r})."
        )
    elif not api_url.endswith("/"):
        api_url += "/"
    return api_url


def _timezone(environ: Mapping[str, str], problems: list[str]) -> str:
    timezone = _get(environ, "COMMONS_TIMEZONE") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            f"COMMONS_TIMEZONE must be an IANA time zone such as Europe/Berlin or "
            f"America/New_York (got {timezone!r})."
        )
    return timezone


def _admins(environ: Mapping[str, str], problems: list[str]) -> tuple[str, ...]:
    admins = tuple(a for a in re.split(r"[\s,]+", _get(environ, "COMMONS_ADMINS")) if a)
    bad_admins = [a for a in admins if not _USER_ID.match(a)]
    if bad_admins:
        problems.append(
            "COMMONS_ADMINS must be Slack user ids separated by commas, such as "
            f"U012AB3CD,U045EF6GH (not {', '.join(repr(a) for a in bad_admins)}); "
            "find an id in a person's Slack profile > More > Copy member ID."
        )
    return admins


def _log_level(environ: Mapping[str, str], problems: list[str]) -> str:
    log_level = (_get(environ, "LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)} (got {log_level!r}).")
    return log_level


def _survey_key(environ: Mapping[str, str], problems: list[str]) -> str:
    survey_key = _get(environ, "COMMONS_SURVEY_KEY")
    if survey_key and len(survey_key) < 32:
        problems.append(
            "COMMONS_SURVEY_KEY, when set, must be at least 32 characters (a random secret "
            "such as `openssl rand -hex 32` prints); it keys survey respondent tokens."
        )
    return survey_key


def _redact_url(url: str) -> str:
    """Hide a password in a database URL."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _database_url(environ: Mapping[str, str], problems: list[str]) -> str:
    database_url = environ.get("DATABASE_URL", "").strip() or DATABASE_URL_DEFAULT
    if not (
        database_url.startswith("sqlite:///")
        or database_url.startswith("postgresql+psycopg://")
        or database_url.startswith("postgresql://")
    ):
        problems.append(
            "DATABASE_URL must be sqlite:///path/to/commons.db or "
            "postgresql+psycopg://user:password@host:5432/dbname "
            f"(got {_redact_url(database_url)!r})."
        )
    elif database_url.startswith("postgresql://"):
        # psycopg 3 is the driver Commons ships with; spare the operator the dialect suffix.
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    return database_url


def database_url_from_env(environ: Mapping[str, str]) -> str:
    """Only DATABASE_URL, checked: for commands that touch the database and nothing else.

    Raises:
        SettingsError: when it is malformed.
    """
    problems: list[str] = []
    url = _database_url(environ, problems)
    if problems:
        raise SettingsError(problems)
    return url


def _whole_number(
    environ: Mapping[str, str],
    name: str,
    *,
    default: int,
    low: int,
    high: int,
    hint: str,
    problems: list[str],
) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        problems.append(
            f"{name} must be a whole number from {low} to {high}: {hint} (got {raw!r})."
        )
        return default
    return value


def post_budget_from_env(environ: Mapping[str, str]) -> int:
    """Only COMMONS_POST_BUDGET_PER_MINUTE, checked (for estimates in `commons outbox`).

    Raises:
        SettingsError: when it is malformed.
    """
    problems: list[str] = []
    value = _post_budget(environ, problems)
    if problems:
        raise SettingsError(problems)
    return value


def _post_budget(environ: Mapping[str, str], problems: list[str]) -> int:
    return _whole_number(
        environ,
        "COMMONS_POST_BUDGET_PER_MINUTE",
        default=300,
        low=1,
        high=6000,
        hint="messages Commons may post per minute across all replicas (Slack allows "
        "several hundred; 300 is safe)",
        problems=problems,
    )
