"""What town halls send, through the delivery outbox in the caller's transaction: each town
hall's campaign, and a message in every channel its notice went to (or in the notice's thread)."""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from bot.clock import Clock
from bot.outbox import delivery
from bot.outbox.delivery import OutboundMessage
from townhalls.models import TownHall


def channels_of(townhall: TownHall) -> list[str]:
    """The channels the notice went to."""
    return list(json.loads(townhall.channels))


def notice_key(townhall_id: int, channel_id: str) -> str:
    """The outbox key of a town hall's notice in a channel (replies thread under it)."""
    return f"th:{townhall_id}:notice:{channel_id}"


def campaign_of(townhall_id: int | None) -> str:
    """The outbox campaign of everything a town hall sends."""
    return f"townhall-{townhall_id}"


def send(
    session: Session, clock: Clock, townhall: TownHall, messages: Iterable[OutboundMessage]
) -> None:
    """Enqueue messages under the town hall's campaign (opened the first time, and shown to its
    host), in the caller's transaction."""
    delivery.enqueue(
        session=session,
        clock=clock,
        campaign_id=campaign_of(townhall.id),
        messages=messages,
        kind="townhall",
        title=townhall.title,
        owner_user_id=townhall.host_id,
    )


@dataclass(frozen=True)
class ChannelMessage:
    """A message for each of the notice's channels: keyed `th:<id>:<key>:<channel>` in the
    outbox, and posted as a reply to the notice when `in_thread`."""

    text: str
    key: str
    blocks: Sequence[dict[str, Any]] | None = None
    in_thread: bool = False


def in_channels(session: Session, clock: Clock, townhall: TownHall, message: ChannelMessage) -> int:
    """Enqueue the message in each of the notice's channels; returns how many channels."""
    townhall_id = townhall.id or 0
    channels = channels_of(townhall)
    send(
        session,
        clock,
        townhall,
        [
            OutboundMessage(
                target=channel_id,
                text=message.text,
                blocks=message.blocks,
                idempotency_key=f"th:{townhall_id}:{message.key}:{channel_id}",
                parent_key=notice_key(townhall_id, channel_id) if message.in_thread else None,
            )
            for channel_id in channels
        ],
    )
    return len(channels)
