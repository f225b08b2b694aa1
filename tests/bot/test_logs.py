"""Logs never carry tokens or secrets."""

import logging

import pytest

from bot.logs import RedactingFilter


def test_tokens_and_known_secrets_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("commons.test.redaction")
    logger.addFilter(RedactingFilter(["0123456789abcdef0123"]))
    with caplog.at_level(logging.INFO, logger="commons.test.redaction"):
        logger.info("calling with %s and %s", "xoxb-1111-2222-abc", "xapp-1-A1-xyz")
        logger.info("signing secret was 0123456789abcdef0123")
    text = caplog.text
    assert "xoxb-1111" not in text
    assert "xapp-1-A1" not in text
    assert "0123456789abcdef0123" not in text
    assert text.count("***") >= 3
