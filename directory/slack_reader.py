"""The directory's reader of Slack: people, user groups and channels, in pages, as plain records."""

import threading
from collections.abc import Iterator

from slack_sdk import WebClient

from bot.slack.gateway import paged
from directory.service import ChannelRecord, GroupRecord, PersonRecord


class SlackDirectory:
    """The workspace's people, user groups and channels, read from Slack in pages."""

    def __init__(self, client: WebClient, stop: threading.Event | None = None) -> None:
        self.client = client
        self.stop = stop or threading.Event()

    def people(self) -> Iterator[PersonRecord]:
        for member in paged(self.client, "users.list", "members", stop=self.stop):
            profile = member.get("profile") or {}
            yield PersonRecord(
                slack_id=member["id"],
                name=member.get("name", ""),
                real_name=profile.get("real_name") or member.get("real_name", ""),
                display_name=profile.get("display_name", ""),
                tz=member.get("tz") or "UTC",
                title=profile.get("title", ""),
                email=profile.get("email", ""),
                is_bot=bool(member.get("is_bot")) or member["id"] == "USLACKBOT",
                deleted=bool(member.get("deleted")),
                is_guest=bool(member.get("is_restricted") or member.get("is_ultra_restricted")),
            )

    def groups(self) -> Iterator[GroupRecord]:
        listed = self.client.usergroups_list(include_users=True, include_disabled=False)
        for group in listed.get("usergroups") or []:
            users = group.get("users")
            if users is None:
                users = self.client.usergroups_users_list(usergroup=group["id"]).get("users") or []
            yield GroupRecord(
                usergroup_id=group["id"],
                handle=group.get("handle", ""),
                name=group.get("name", ""),
                members=tuple(users),
                channels=tuple((group.get("prefs") or {}).get("channels") or ()),
            )

    def channels(self) -> Iterator[ChannelRecord]:
        for channel in paged(
            self.client,
            "conversations.list",
            "channels",
            stop=self.stop,
            types="public_channel,private_channel",
        ):
            yield ChannelRecord(
                slack_id=channel["id"],
                name=channel.get("name", ""),
                is_private=bool(channel.get("is_private")),
                is_archived=bool(channel.get("is_archived")),
                bot_is_member=bool(channel.get("is_member")),
                member_count=int(channel.get("num_members") or 0),
            )
