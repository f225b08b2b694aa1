"""Logging set-up with a filter that keeps tokens and secrets out of every log line."""

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


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Send logs to stderr at `level`, every handler redacting secrets."""
    root = logging.getLogger()
    root.setLevel(level)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    # Alembic narrates every migration step at INFO; Commons reports the outcome itself.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    # APScheduler logs every tick of every job at INFO; only its problems are worth reading.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
