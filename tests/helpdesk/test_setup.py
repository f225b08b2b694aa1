"""Admins setting desks up: `desk add`, the set-up form, removing and bringing back."""

from dataclasses import replace
from datetime import time

import pytest

from bot.clock import FixedClock
from bot.errors import FieldErrors, InvalidInput, NotFound, PermissionDenied
from bot.store import Store
from helpdesk import desks, setup
from tests import factories

ADMINS = ("U0ALICE",)
FORM = setup.DeskForm(
    key="it",
    name="IT",
    channel="C0ITHELP",
    usergroup="S0IT",
    days="Mon,Tue,Wed,Thu",
    start="08:00",
    end="16:30",
    zone="Europe/London",
)
NEW = setup.NewDesk(key="IT", name=" IT ", channel="C0ITHELP", usergroup="S0IT")


@pytest.fixture
def company(store: Store) -> Store:
    """The #it-help channel (Commons is in it) and the @it user group, with Bob."""
    with store.unit_of_work() as session:
        factories.channel(session, "C0ITHELP")
        factories.channel(session, "C0OUTSIDE", bot_is_member=False)
        factories.department(session, "it", members=["U0BOB"])
    return store


def test_an_admin_adds_a_desk_with_a_lowercased_key(company: Store) -> None:
    clock = FixedClock(factories.NOW)
    with company.unit_of_work() as session:
        made = setup.add_desk(
            session=session, clock=clock, admins=ADMINS, actor="U0ALICE", desk=NEW
        )
        assert (made.key, made.name, made.channel_id, made.usergroup_id) == (
            "it",
            "IT",
            "C0ITHELP",
            "S0IT",
        )
        assert desks.is_agent(session=session, desk=made, user_id="U0BOB")


def test_only_an_admin_adds_a_desk(company: Store) -> None:
    clock = FixedClock(factories.NOW)
    with pytest.raises(PermissionDenied), company.unit_of_work() as session:
        setup.add_desk(session=session, clock=clock, admins=ADMINS, actor="U0BOB", desk=NEW)
    with company.unit_of_work(write=False) as session:
        assert desks.desk_keys(session=session) == []


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"key": "queue"}, InvalidInput),
        ({"key": "Not a key!"}, InvalidInput),
        ({"name": "  "}, InvalidInput),
        ({"channel": "C0OUTSIDE"}, InvalidInput),
        ({"channel": "C0NOWHERE"}, NotFound),
        ({"usergroup": "S0NOBODY"}, NotFound),
    ],
)
def test_a_bad_key_name_channel_or_group_is_refused(
    company: Store, change: dict[str, str], refusal: type[Exception]
) -> None:
    clock = FixedClock(factories.NOW)
    with pytest.raises(refusal), company.unit_of_work() as session:
        setup.add_desk(
            session=session,
            clock=clock,
            admins=ADMINS,
            actor="U0ALICE",
            desk=replace(NEW, **change),
        )


def test_a_channel_is_the_intake_of_one_desk_only(company: Store) -> None:
    clock = FixedClock(factories.NOW)
    with company.unit_of_work() as session:
        setup.add_desk(session=session, clock=clock, admins=ADMINS, actor="U0ALICE", desk=NEW)
        with pytest.raises(InvalidInput, match="already the intake channel of `it`"):
            setup.add_desk(
                session=session,
                clock=clock,
                admins=ADMINS,
                actor="U0ALICE",
                desk=replace(NEW, key="tech"),
            )


def test_a_removed_desk_comes_back_with_its_key(company: Store) -> None:
    clock = FixedClock(factories.NOW)
    with company.unit_of_work() as session:
        first = setup.add_desk(
            session=session, clock=clock, admins=ADMINS, actor="U0ALICE", desk=NEW
        )
        setup.remove_desk(session=session, clock=clock, admins=ADMINS, actor="U0ALICE", key="it")
        assert desks.desk_keys(session=session) == []
        again = setup.add_desk(
            session=session,
            clock=clock,
            admins=ADMINS,
            actor="U0ALICE",
            desk=replace(NEW, name="Tech"),
        )
        assert (again.id, again.name, again.active) == (first.id, "Tech", True)


def test_the_form_creates_the_desk_and_its_hours(company: Store) -> None:
    clock = FixedClock(factories.NOW)
    with company.unit_of_work() as session:
        made = setup.create_desk(
            session=session, clock=clock, admins=ADMINS, actor="U0ALICE", form=FORM
        )
        hours = desks.business_hours(session=session, desk=made)
    assert made.key == "it"
    assert (hours.days, hours.start, hours.end, hours.zone) == (
        frozenset({1, 2, 3, 4}),
        time(8, 0),
        time(16, 30),
        "Europe/London",
    )


def test_the_form_reports_every_empty_and_wrong_field_at_once(company: Store) -> None:
    clock = FixedClock(factories.NOW)
    wrong = replace(FORM, key="", name=" ", channel="C0OUTSIDE", days="Funday", zone="Mars/Base")
    with pytest.raises(FieldErrors) as refused, company.unit_of_work() as session:
        setup.create_desk(session=session, clock=clock, admins=ADMINS, actor="U0ALICE", form=wrong)
    assert list(refused.value.errors) == ["key", "name", "channel", "days", "zone"]
    assert refused.value.errors["key"] == "Fill in a short key people type, such as it."
    assert "Commons is not in <#C0OUTSIDE>" in refused.value.errors["channel"]
    with company.unit_of_work(write=False) as session:
        assert desks.desk_keys(session=session) == []


def test_a_missing_opening_time_is_asked_for_and_the_window_is_refused(company: Store) -> None:
    with pytest.raises(FieldErrors) as refused, company.unit_of_work() as session:
        setup.check_desk_form(session=session, form=replace(FORM, start=""))
    assert set(refused.value.errors) == {"start", "end"}


def test_the_form_offers_the_departments_and_the_admins_zone(company: Store) -> None:
    with company.unit_of_work() as session:
        factories.person(session, "U0ALICE", tz="Europe/Berlin")
        departments, zone = setup.desk_form_choices(
            session=session, admins=ADMINS, actor="U0ALICE", default_zone="UTC"
        )
        with pytest.raises(PermissionDenied):
            setup.desk_form_choices(
                session=session, admins=ADMINS, actor="U0BOB", default_zone="UTC"
            )
    assert departments == [("IT (@it)", "S0IT")]
    assert zone == "Europe/Berlin"
