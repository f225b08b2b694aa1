"""The directory sync the scheduler runs at start and nightly: paged reads, never per command."""

import logging
from collections.abc import Iterable
from typing import Protocol

from bot.clock import Clock
from bot.store import Store
from directory import service
from directory.service import ChannelRecord, GroupRecord, PersonRecord, SyncResult

logger = logging.getLogger("commons.directory")

JOB_ID = "commons.directory"


class DirectorySource(Protocol):
    """Where the directory comes from (Slack, through bot.slack.gateway.SlackDirectory)."""

    def people(self) -> Iterable[PersonRecord]: ...

    def groups(self) -> Iterable[GroupRecord]: ...

    def channels(self) -> Iterable[ChannelRecord]: ...


def sync_directory(*, store: Store, clock: Clock, source: DirectorySource) -> SyncResult:
    """Read everything first, then write it in one transaction, so a failed read changes nothing."""
    people = list(source.people())
    groups = list(source.groups())
    channels = list(source.channels())
    with store.unit_of_work() as session:
        active, left = service.sync_people(session=session, clock=clock, people=people)
        departments = service.sync_departments(session=session, clock=clock, groups=groups)
        channel_count = service.sync_channels(session=session, clock=clock, channels=channels)
    result = SyncResult(people=active, left=left, departments=departments, channels=channel_count)
    logger.info(
        "directory synced: %s people (%s left), %s departments, %s channels",
        result.people,
        result.left,
        result.departments,
        result.channels,
    )
    return result
