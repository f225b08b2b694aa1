"""Logging set-up with filters that keep tokens, secrets and survey answers out of every log line."""

import logging
import re
from collections.abc import Iterable

_TOKEN = re.compile(r"\bx(?:ox[abposr]|app)-[A-Za-z0-9-]+")


class RedactingFilter(logging.Filter):
    """Replaces Slack tokens, and any known secret, in a record's message with '***'."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _TOKEN.sub("x***-***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


# What marks a payload of a survey answer: the vote buttons (their action ids and values carry the
# answer), the answer modal (its submitted state carries every answer and comment).
_SURVEY_PAYLOAD = ("surveys.vote.", "surveys_vote_", "surveys.answer", "surveys.open")
_VOTE_ACTION = re.compile(r"surveys\.vote\.[A-Za-z0-9_-]+")
# Slack's libraries, which log whole requests and payloads (at DEBUG, and some bodies at INFO).
_SLACK_LIBRARIES = (
    "slack_sdk",
    "slack_bolt",
    "commons.slack",
    "commons.bolt",
    "commons.socket.client",
)


class SurveyAnswerFilter(logging.Filter):
    """Keeps survey answers out of the log: a Slack library's line about a survey payload is
    dropped (below WARNING) or replaced by a note that it was left out; a vote's action id in
    Commons' own lines loses the value it names."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not any(marker in message for marker in _SURVEY_PAYLOAD):
            return True
        if record.name.startswith(_SLACK_LIBRARIES):
            if record.levelno < logging.WARNING:
                return False
            record.msg, record.args = (
                "(a Slack request or payload about a survey answer: left out)",
                None,
            )
            record.exc_info, record.exc_text = None, None
            return True
        record.msg, record.args = _VOTE_ACTION.sub("surveys.vote.*", message), None
        return True


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Send logs to stderr at `level`, every handler redacting secrets."""
    root = logging.getLogger()
    root.setLevel(level)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SurveyAnswerFilter())
    handler.addFilter(RedactingFilter(secrets))
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    # Alembic narrates every migration step at INFO; Commons reports the outcome itself.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    # APScheduler logs every tick of every job at INFO; only its problems are worth reading.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
