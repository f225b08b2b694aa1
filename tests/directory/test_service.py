"""The directory: a sync from Slack (through the real gateway and the sandbox), roles, and who may post where."""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from slack_sdk import WebClient

from bot.clock import FixedClock
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.slack.gateway import ReadStopped
from bot.store import Store
from directory import service
from directory.jobs import sync_directory
from directory.models import Role
from directory.slack_reader import SlackDirectory
from sandbox.faults import FaultRule
from sandbox.server import Sandbox
from tests.support import wait_until

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ADMINS = ("U0ALICE",)


@pytest.fixture
def slack() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def synced(store: Store, slack: Sandbox) -> Store:
    client = WebClient(token=slack.bot_token, base_url=slack.api_url, retry_handlers=[])
    sync_directory(store=store, clock=FixedClock(NOW), source=SlackDirectory(client))
    return store


def test_the_sync_keeps_people_but_not_bots_guests_or_deleted_accounts(
    synced: Store, slack: Sandbox
) -> None:
    with synced.unit_of_work(write=False) as session:
        people = service.active_people_ids(session=session)
        alice = service.find_person(session=session, reference="@alice")
    demo = slack.workspace.users.values()
    expected = {u.id for u in demo if not (u.is_bot or u.deleted or u.is_restricted)}
    assert set(people) == expected
    assert alice.tz == "Europe/Berlin"
    assert "U0XENA" not in people  # the guest


def test_departments_come_from_user_groups_with_their_channels(synced: Store) -> None:
    with synced.unit_of_work(write=False) as session:
        it = service.find_department(session=session, reference="@it")
        bob_departments = [
            d.handle for d in service.departments_of(session=session, user_id="U0BOB")
        ]
        members = service.active_people_ids(session=session, department_ids=[it.id or 0])
    assert it.name == "IT"
    assert it.channel_id == "C0ITHELP"
    assert bob_departments == ["it"]
    assert "U0BOB" in members


def test_a_second_sync_marks_people_who_left(synced: Store, slack: Sandbox) -> None:
    with slack.workspace.lock:
        slack.workspace.users["U0BOB"].deleted = True
    client = WebClient(token=slack.bot_token, base_url=slack.api_url, retry_handlers=[])
    result = sync_directory(store=synced, clock=FixedClock(NOW), source=SlackDirectory(client))
    assert result.left == 1
    with synced.unit_of_work(write=False) as session:
        assert "U0BOB" not in service.active_people_ids(session=session)


def test_admins_from_settings_and_assigned_roles(synced: Store) -> None:
    clock = FixedClock(NOW)
    with synced.unit_of_work() as session:
        assert service.role_of(session=session, admins=ADMINS, user_id="U0ALICE") == (
            Role.ADMIN,
            "COMMONS_ADMINS",
        )
        before, after = service.set_role(
            session=session,
            clock=clock,
            admins=ADMINS,
            actor="U0ALICE",
            target="U0FRANK",
            role="Manager",
        )
    assert (before, after) == (Role.MEMBER, Role.MANAGER)
    with synced.unit_of_work() as session:
        assert service.role_of(session=session, admins=ADMINS, user_id="U0FRANK")[0] is Role.MANAGER
        service.set_role(
            session=session,
            clock=clock,
            admins=ADMINS,
            actor="U0ALICE",
            target="U0FRANK",
            role="member",
        )
    with synced.unit_of_work(write=False) as session:
        assert service.role_of(session=session, admins=ADMINS, user_id="U0FRANK") == (
            Role.MEMBER,
            "default",
        )


@pytest.mark.parametrize(
    ("actor", "target", "role", "error", "says"),
    [
        ("U0BOB", "U0FRANK", "comms", PermissionDenied, "Only Commons admins"),
        ("U0ALICE", "U0FRANK", "boss", InvalidInput, "not a role"),
        ("U0ALICE", "U0ALICE", "member", InvalidInput, "COMMONS_ADMINS"),
        ("U0ALICE", "U0NOBODY", "comms", NotFound, "not in Commons' directory"),
    ],
)
def test_role_changes_that_are_refused(
    synced: Store, actor: str, target: str, role: str, error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says), synced.unit_of_work() as session:
        service.set_role(
            session=session,
            clock=FixedClock(NOW),
            admins=ADMINS,
            actor=actor,
            target=target,
            role=role,
        )


def test_who_may_post_where(synced: Store) -> None:
    clock = FixedClock(NOW)
    with synced.unit_of_work() as session:
        service.set_role(
            session=session,
            clock=clock,
            admins=ADMINS,
            actor="U0ALICE",
            target="U0FRANK",
            role="manager",
        )
        service.set_role(
            session=session,
            clock=clock,
            admins=ADMINS,
            actor="U0ALICE",
            target="U0WENDY",
            role="comms",
        )
    with synced.unit_of_work(write=False) as session:
        service.may_post_to(
            session=session, admins=ADMINS, user_id="U0ALICE", channel_id="C0GENERAL"
        )
        service.may_post_to(
            session=session, admins=ADMINS, user_id="U0WENDY", channel_id="C0ANNOUNCE"
        )
        service.may_post_to(
            session=session, admins=ADMINS, user_id="U0FRANK", channel_id="C0ENGHELP"
        )
        with pytest.raises(PermissionDenied, match="As a manager"):
            service.may_post_to(
                session=session, admins=ADMINS, user_id="U0FRANK", channel_id="C0GENERAL"
            )
        with pytest.raises(PermissionDenied, match="Announcements are for"):
            service.may_post_to(
                session=session, admins=ADMINS, user_id="U0IVAN", channel_id="C0ENGHELP"
            )
        with pytest.raises(PermissionDenied, match="not in"):
            service.may_post_to(
                session=session, admins=ADMINS, user_id="U0ALICE", channel_id="C0RANDOM"
            )
        with pytest.raises(PermissionDenied, match="archived"):
            service.may_post_to(
                session=session, admins=ADMINS, user_id="U0ALICE", channel_id="C0OFFSITE2024"
            )


def test_an_admin_links_a_department_to_a_channel(synced: Store) -> None:
    with synced.unit_of_work() as session:
        department = service.link_department(
            session=session, admins=ADMINS, actor="U0ALICE", usergroup="it", channel_id="C0GENERAL"
        )
        assert department.channel_set_by_admin
    with pytest.raises(NotFound, match="Departments: @"), synced.unit_of_work() as session:
        service.find_department(session=session, reference="@legal")


def test_a_sync_waiting_out_a_rate_limit_gives_up_when_commons_stops(
    store: Store, slack: Sandbox
) -> None:
    slack.add_fault(FaultRule(method="users.list", status=429, retry_after=600))
    client = WebClient(token=slack.bot_token, base_url=slack.api_url, retry_handlers=[])
    stop = threading.Event()
    outcome: list[BaseException] = []

    def sync() -> None:
        try:
            sync_directory(store=store, clock=FixedClock(NOW), source=SlackDirectory(client, stop))
        except BaseException as error:  # the test looks at what ended the sync
            outcome.append(error)

    reader = threading.Thread(target=sync)
    reader.start()
    wait_until(lambda: len(slack.calls("users.list")) >= 1)
    stop.set()
    reader.join(timeout=30)  # not the 600 s Slack asked for
    assert not reader.is_alive()
    assert [type(error) for error in outcome] == [ReadStopped]
    with store.unit_of_work(write=False) as session:
        assert service.active_people_ids(session=session) == []  # nothing half-written
