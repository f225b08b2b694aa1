"""Who may see what lives in a channel: anything posted in a public channel is for everyone; what
went only to private channels (or to channels the directory does not know) is for their members.

Membership comes from Slack through a `ChannelMembers` the caller passes (Commons stores none):
`bot.slack.gateway.SlackMembers` in the app, a plain set in tests.
"""

from collections.abc import Sequence
from typing import Protocol

from sqlmodel import Session

from directory.models import Channel


class ChannelMembers(Protocol):
    """Who is in a channel, as Slack says (the caller's adapter reads it; Commons stores none)."""

    def is_member(self, channel_id: str, user_id: str) -> bool:
        """True when the person is a member of the channel."""
        ...


def may_see(
    *, session: Session, members: ChannelMembers, channel_ids: Sequence[str], user_id: str
) -> bool:
    """What was posted in a public channel is for everyone; what went only to private channels
    (or to channels the directory does not know) is for their members."""
    private: list[str] = []
    for channel_id in channel_ids:
        channel = session.get(Channel, channel_id)
        if channel is not None and not channel.is_private:
            return True
        private.append(channel_id)
    return any(members.is_member(channel_id, user_id) for channel_id in private)
