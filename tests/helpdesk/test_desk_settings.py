"""An admin changing a desk's settings: hours, holidays, SLA targets, aliases, categories, the
breach lead, the reaction and the automatic close."""

from datetime import date, time
from typing import TypedDict

import pytest

from bot.clock import FixedClock
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.store import Store
from helpdesk import desk_settings, desks
from helpdesk.desk_settings import HoursText, TargetsText
from tests import factories

ADMINS = ("U0ALICE",)


class Acting(TypedDict):
    """Who changes which desk: the keywords every setting takes first."""

    admins: tuple[str, ...]
    actor: str
    key: str


AS_ALICE = Acting(admins=ADMINS, actor="U0ALICE", key="it")


@pytest.fixture
def it(store: Store) -> Store:
    """The IT desk, and the #it-leads channel Commons is in."""
    with store.unit_of_work() as session:
        factories.desk(session, "it")
        factories.channel(session, "C0LEADS")
        factories.channel(session, "C0OLD", is_archived=True)
        factories.person(session, "U0FRANK")
    return store


def test_hours_are_set_from_what_the_admin_typed(it: Store) -> None:
    clock = FixedClock(factories.NOW)
    typed = HoursText(days="Sun-Thu", window="08:00-16:00", zone="Asia/Jerusalem")
    with it.unit_of_work() as session:
        desk, hours = desk_settings.set_hours(session=session, clock=clock, hours=typed, **AS_ALICE)
    assert desk.work_days == "1,2,3,4,7"
    assert (hours.start, hours.end, hours.zone) == (time(8), time(16), "Asia/Jerusalem")


def test_hours_that_do_not_parse_change_nothing(it: Store) -> None:
    clock = FixedClock(factories.NOW)
    typed = HoursText(days="Mon-Fri", window="09:00-17:00", zone="Nowhere/Land")
    with pytest.raises(InvalidInput, match="not a time zone"), it.unit_of_work() as session:
        desk_settings.set_hours(session=session, clock=clock, hours=typed, **AS_ALICE)
    with it.unit_of_work(write=False) as session:
        assert desks.find_desk(session=session, reference="it").timezone == "UTC"


def test_only_an_admin_changes_a_desk(it: Store) -> None:
    with pytest.raises(PermissionDenied), it.unit_of_work() as session:
        desk_settings.set_autoclose(session=session, admins=ADMINS, actor="U0BOB", key="it", days=5)


def test_a_holiday_is_added_and_removed_once(it: Store) -> None:
    christmas = date(2026, 12, 25)
    with it.unit_of_work() as session:
        desk_settings.set_holiday(session=session, day=christmas, remove=False, **AS_ALICE)
        desk_settings.set_holiday(session=session, day=christmas, remove=False, **AS_ALICE)
        desk = desks.find_desk(session=session, reference="it")
        assert desks.business_hours(session=session, desk=desk).holidays == {christmas}
        desk_settings.set_holiday(session=session, day=christmas, remove=True, **AS_ALICE)
        with pytest.raises(NotFound, match="is not a holiday of `it`"):
            desk_settings.set_holiday(session=session, day=christmas, remove=True, **AS_ALICE)


def test_sla_targets_are_business_time_and_resolution_is_not_shorter(it: Store) -> None:
    with it.unit_of_work() as session:
        typed = TargetsText(priority="High", first_response="1h", resolution="2d")
        _, first, resolve = desk_settings.set_sla(session=session, targets=typed, **AS_ALICE)
        assert (first, resolve) == (60, 960)  # a day is the desk's 8 working hours
        backwards = TargetsText(priority="high", first_response="4h", resolution="1h")
        with pytest.raises(InvalidInput, match="can't be shorter"):
            desk_settings.set_sla(session=session, targets=backwards, **AS_ALICE)
        desk = desks.find_desk(session=session, reference="it")
        assert desks.sla_targets(session=session, desk=desk, priority="high") == (60, 960)


def test_an_alias_names_the_desk_unless_it_names_another(it: Store) -> None:
    with it.unit_of_work() as session:
        factories.desk(session, "hr", channel_id="C0HRHELP")
        desk_settings.set_alias(session=session, alias="@Tech", remove=False, **AS_ALICE)
        assert desks.find_desk(session=session, reference="tech").key == "it"
        with pytest.raises(InvalidInput, match="already names another desk"):
            desk_settings.set_alias(session=session, alias="hr", remove=False, **AS_ALICE)
        with pytest.raises(InvalidInput, match="can't be an alias"):
            desk_settings.set_alias(session=session, alias="stats", remove=False, **AS_ALICE)
        with pytest.raises(NotFound, match="is not an alias of `it`"):
            desk_settings.set_alias(session=session, alias="help-me", remove=True, **AS_ALICE)


def test_a_category_is_added_once_and_an_empty_one_is_refused(it: Store) -> None:
    with it.unit_of_work() as session:
        for _ in range(2):
            desk_settings.set_category(session=session, name=" Hardware ", remove=False, **AS_ALICE)
        desk = desks.find_desk(session=session, reference="it")
        assert desks.desk_info(session=session, desk=desk).categories == ["Hardware"]
        with pytest.raises(InvalidInput, match="Name the category"):
            desk_settings.set_category(session=session, name="  ", remove=False, **AS_ALICE)


def test_breaches_go_to_a_lead_or_a_channel_commons_can_post_in(it: Store) -> None:
    with it.unit_of_work() as session:
        desk = desk_settings.set_lead(session=session, user_id="U0FRANK", channel=None, **AS_ALICE)
        desk = desk_settings.set_lead(session=session, user_id=None, channel="C0LEADS", **AS_ALICE)
        assert (desk.lead_user_id, desk.escalation_channel_id) == ("U0FRANK", "C0LEADS")
        with pytest.raises(InvalidInput, match="is archived"):
            desk_settings.set_lead(session=session, user_id=None, channel="C0OLD", **AS_ALICE)


def test_the_reaction_is_an_emoji_name(it: Store) -> None:
    with it.unit_of_work() as session:
        desk = desk_settings.set_reaction(session=session, reaction=":Eyes:", **AS_ALICE)
        assert desk.reaction == "eyes"
        with pytest.raises(InvalidInput, match="is not an emoji name"):
            desk_settings.set_reaction(session=session, reaction="two words", **AS_ALICE)


def test_resolved_requests_close_after_1_to_90_days(it: Store) -> None:
    with it.unit_of_work() as session:
        assert (
            desk_settings.set_autoclose(session=session, days=90, **AS_ALICE).close_after_days == 90
        )
        with pytest.raises(InvalidInput, match="from 1 to 90"):
            desk_settings.set_autoclose(session=session, days=0, **AS_ALICE)
