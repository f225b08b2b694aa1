"""The demo workspace is consistent: unique ids, known members, real time zones."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import pytest

from sandbox.demo import load_demo

SLACK_ID = re.compile(r"^[A-Z][A-Z0-9]+$")


@pytest.fixture
def demo() -> dict[str, Any]:
    return load_demo()


def _user_ids(demo: dict[str, Any]) -> set[str]:
    return {u["id"] for u in demo["users"]} | {demo["bot"]["user_id"]}


def test_ids_are_unique_and_slack_shaped(demo: dict[str, Any]) -> None:
    ids = [demo["team"]["id"], demo["bot"]["user_id"], demo["bot"]["bot_id"], demo["bot"]["app_id"]]
    ids += [u["id"] for u in demo["users"]]
    ids += [g["id"] for g in demo["usergroups"]]
    ids += [c["id"] for c in demo["channels"]]
    assert len(ids) == len(set(ids))
    assert all(SLACK_ID.match(i) for i in ids), [i for i in ids if not SLACK_ID.match(i)]
    assert demo["users"][0]["id"].startswith("U")
    assert all(g["id"].startswith("S") for g in demo["usergroups"])
    assert all(c["id"].startswith("C") for c in demo["channels"])


def test_names_are_unique(demo: dict[str, Any]) -> None:
    for kind, key in (("users", "name"), ("channels", "name"), ("usergroups", "handle")):
        names = [item[key] for item in demo[kind]]
        assert len(names) == len(set(names)), kind


def test_every_member_and_group_user_exists(demo: dict[str, Any]) -> None:
    users = _user_ids(demo)
    channels = {c["id"] for c in demo["channels"]}
    for channel in demo["channels"]:
        assert set(channel["members"]) <= users, channel["name"]
    for group in demo["usergroups"]:
        assert group["users"], group["handle"]
        assert set(group["users"]) <= users, group["handle"]
        assert set(group["channels"]) <= channels, group["handle"]


def test_every_time_zone_is_a_real_iana_zone(demo: dict[str, Any]) -> None:
    zones = {u["tz"] for u in demo["users"]}
    assert zones <= available_timezones()
    for zone in zones:
        ZoneInfo(zone)
    continents = {zone.split("/")[0] for zone in zones}
    assert {"Europe", "America", "Asia", "Australia"} <= continents


def test_the_cast_the_console_and_tests_rely_on(demo: dict[str, Any]) -> None:
    users = {u["name"]: u for u in demo["users"]}
    assert users["alice"]["id"] == "U0ALICE"
    assert users["alice"]["title"] == "Head of Communications"
    assert {"bob", "carol", "dave"} <= set(users)
    assert 20 <= len(users) <= 30
    assert sum(bool(u.get("is_bot")) for u in users.values()) == 1
    assert sum(bool(u.get("deleted")) for u in users.values()) == 1
    assert sum(bool(u.get("is_restricted")) for u in users.values()) == 1
    assert demo["team"] == {"id": "T0NORTHWND", "name": "Northwind", "domain": "northwind"}
    assert demo["bot"]["name"] == "commons"


def test_channels_the_bot_is_and_is_not_in(demo: dict[str, Any]) -> None:
    bot = demo["bot"]["user_id"]
    channels = {c["name"]: c for c in demo["channels"]}
    assert bot in channels["general"]["members"]
    assert bot in channels["announcements"]["members"]
    assert bot not in channels["random"]["members"]
    everyone = {u["id"] for u in demo["users"] if not (u.get("deleted") or u.get("is_bot"))}
    assert everyone - set(channels["general"]["members"]) == {"U0XENA"}  # the guest
    assert sum(bool(c.get("is_archived")) for c in channels.values()) == 1
    assert sum(bool(c["is_private"]) for c in channels.values()) == 1


def test_each_department_has_a_group_and_a_help_channel(demo: dict[str, Any]) -> None:
    channels = {c["id"]: c for c in demo["channels"]}
    groups = {g["name"]: g for g in demo["usergroups"]}
    assert set(groups) >= {"IT", "HR", "Finance", "Facilities", "Engineering", "Sales"}
    for group in groups.values():
        (channel_id,) = group["channels"]
        assert channels[channel_id]["name"].endswith("-help")
        assert demo["bot"]["user_id"] in channels[channel_id]["members"]


def test_each_load_is_a_fresh_copy() -> None:
    first = load_demo()
    first["users"].clear()
    assert load_demo()["users"]
