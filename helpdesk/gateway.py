"""The Slack calls of the help desks: reading a message and its link, and editing a request's
parent message (the `jobs.Messages` the tick and the buttons use)."""

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from helpdesk.intake import MessageSource

logger = logging.getLogger("commons.helpdesk")


def permalink(client: WebClient, channel_id: str, ts: str) -> str | None:
    """A link to a message (chat.getPermalink), or None when Slack gives none."""
    try:
        return str(client.chat_getPermalink(channel=channel_id, message_ts=ts)["permalink"])
    except SlackApiError as error:
        logger.warning("no permalink for a message: %s", error.response.get("error"))
        return None


def person_message(client: WebClient, channel_id: str, ts: str) -> MessageSource | None:
    """A message a person wrote, as Slack has it now (None for a bot's or a missing one)."""
    try:
        found = client.conversations_history(channel=channel_id, latest=ts, inclusive=True, limit=1)
    except SlackApiError as error:
        logger.warning("could not read a reacted message: %s", error.response.get("error"))
        return None
    message = next((m for m in found.get("messages") or [] if m.get("ts") == ts), None)
    if message is None or message.get("bot_id") or not isinstance(message.get("user"), str):
        return None
    return MessageSource(
        channel=channel_id,
        ts=ts,
        link=permalink(client, channel_id, ts),
        author=str(message["user"]),
        text=str(message.get("text") or ""),
    )


class SlackMessages:
    """jobs.Messages over the Web API client."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def permalink(self, channel_id: str, ts: str) -> str:
        link = permalink(self.client, channel_id, ts)
        return link or f"https://slack.com/archives/{channel_id}/p{ts.replace('.', '')}"

    def update(self, channel_id: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> bool:
        try:
            self.client.chat_update(channel=channel_id, ts=ts, text=text, blocks=blocks)
        except SlackApiError as error:
            logger.warning("chat.update refused: %s", error.response.get("error"))
            return False
        return True
