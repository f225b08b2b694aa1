"""The Slack gateway: paged Web API reads, and channel membership checks (the directory's own
reader is directory/slack_reader.py)."""

import logging
import threading
from collections.abc import Iterator
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import DomainError

logger = logging.getLogger("commons.gateway")

PAGE = 200  # Slack's recommended page size for users.list and conversations.list
# users.list is Tier 2 (20 a minute): 100,000 people in pages of 200 take about 25 minutes of
# waiting, which a background job may do.
MAX_RATE_LIMIT_WAITS = 1000


class ReadStopped(Exception):
    """Commons is stopping: a paged read waiting out a rate limit gave up (nothing was written)."""


def paged(
    client: WebClient,
    method: str,
    key: str,
    *,
    stop: threading.Event | None = None,
    **arguments: Any,
) -> Iterator[dict[str, Any]]:
    """Every item of a cursor-paginated method; waits out 429s (this runs in background jobs only).

    A wait ends early with ReadStopped when `stop` is set, so that shutting down does not wait
    for a long read (users.list at 20 pages a minute).
    """
    stop = stop or threading.Event()
    cursor: str | None = None
    waits = 0
    while True:
        try:
            page = client.api_call(
                method, http_verb="GET", params={**arguments, "limit": PAGE, "cursor": cursor or ""}
            )
        except SlackApiError as error:
            if error.response.status_code == 429 and waits < MAX_RATE_LIMIT_WAITS:
                waits += 1
                delay = int(
                    error.response.headers.get(
                        "Retry-After", error.response.headers.get("retry-after", 1)
                    )
                )
                logger.info("%s is rate limited; waiting %s s", method, delay)
                if stop.wait(delay):
                    raise ReadStopped(method) from error
                continue
            raise
        yield from page.get(key) or []
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return


MEMBER_PAGES = 25


class SlackMembers:
    """directory.visibility.ChannelMembers over conversations.members (Tier 4), paged until the person is found.

    Each answer is kept for the interaction: handlers ask once before their write transaction,
    so that the service's own check inside it does not wait on Slack.
    """

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._known: dict[tuple[str, str], bool] = {}

    def is_member(self, channel_id: str, user_id: str) -> bool:
        key = (channel_id, user_id)
        if key not in self._known:
            self._known[key] = self._read(channel_id, user_id)
        return self._known[key]

    def _read(self, channel_id: str, user_id: str) -> bool:
        cursor = ""
        for _ in range(MEMBER_PAGES):
            page = self._page(channel_id, cursor)
            if page is None or user_id in (page.get("members") or []):
                return page is not None
            cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                return False
        raise DomainError(
            f"<#{channel_id}> has too many members for Commons to check that you are one of "
            "them now; ask the author or host to share it with you."
        )

    def _page(self, channel_id: str, cursor: str) -> dict[str, Any] | None:
        try:
            response = self.client.conversations_members(
                channel=channel_id, limit=200, cursor=cursor or None
            )
        except SlackApiError as error:
            if error.response.status_code == 429:
                raise DomainError(
                    "Slack is busy, so Commons could not check that you are in the channel. "
                    "Try again in a minute."
                ) from None
            # Commons left the channel (or it is gone): nobody can be shown to be in it.
            logger.info("no members for %s: %s", channel_id, error.response.get("error"))
            return None
        return dict(response.data) if isinstance(response.data, dict) else {}
