"""Finding a desk, its agents, hours and SLA targets, on SQLite and PostgreSQL."""

from datetime import date, time

import pytest

from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.store import Store
from helpdesk import desks
from helpdesk.models import DeskAlias, DeskCategory, DeskHoliday
from tests import factories


def test_a_desk_is_found_by_key_alias_or_name_in_any_case(store: Store) -> None:
    with store.unit_of_work() as session:
        it = factories.desk(session, "it", name="IT Support")
        session.add(DeskAlias(alias="tech", desk_id=it.id or 0))
        found = [
            desks.find_desk(session=session, reference=ref).key
            for ref in ("it", " IT ", "tech", "it support")
        ]
    assert found == ["it", "it", "it", "it"]


def test_an_unknown_or_removed_desk_is_refused_with_the_desks_there_are(store: Store) -> None:
    with store.unit_of_work() as session:
        factories.desk(session, "it")
        factories.desk(session, "hr", channel_id="C0HRHELP", active=False)
        with pytest.raises(NotFound, match=r"There is no desk `hr`\. Desks: `it`\.") as refused:
            desks.find_desk(session=session, reference="hr", field="desk")
        with pytest.raises(InvalidInput, match="Pick a desk"):
            desks.find_desk(session=session, reference="  ")
    assert refused.value.field == "desk"


def test_agents_are_the_people_in_the_desks_user_group(store: Store) -> None:
    with store.unit_of_work() as session:
        it = factories.desk(session, agents=("U0BOB",))
        factories.person(session, "U0CAROL")
        assert desks.is_agent(session=session, desk=it, user_id="U0BOB")
        assert not desks.is_agent(session=session, desk=it, user_id="U0CAROL")
        desks.require_agent(session=session, desk=it, actor="U0BOB", doing="resolve requests")
        with pytest.raises(PermissionDenied, match=r"Only IT agents .* can resolve requests"):
            desks.require_agent(session=session, desk=it, actor="U0CAROL", doing="resolve requests")


def test_business_hours_are_the_desks_week_with_its_holidays(store: Store) -> None:
    with store.unit_of_work() as session:
        it = factories.desk(
            session, work_days="1,2,3", day_start="08:30", day_end="16:00", timezone="Europe/Paris"
        )
        session.add(DeskHoliday(desk_id=it.id or 0, day=date(2026, 12, 25)))
        hours = desks.business_hours(session=session, desk=it)
    assert hours.days == frozenset({1, 2, 3})
    assert (hours.start, hours.end, hours.zone) == (time(8, 30), time(16, 0), "Europe/Paris")
    assert hours.holidays == frozenset({date(2026, 12, 25)})


def test_sla_targets_are_the_desks_own_or_else_the_defaults(store: Store) -> None:
    with store.unit_of_work() as session:
        it = factories.desk(session)
        factories.sla(session, it, "high", first_response=30, resolution=120)
        session.add(DeskCategory(desk_id=it.id or 0, name="Hardware"))
        info = desks.desk_info(session=session, desk=it)
        assert desks.sla_targets(session=session, desk=it, priority="high") == (30, 120)
        assert desks.sla_targets(session=session, desk=it, priority="nonsense") == (480, 1440)
    assert info.slas["high"] == (30, 120)
    assert info.slas["urgent"] == desks.DEFAULT_SLA["urgent"]
    assert info.categories == ["Hardware"]


def test_an_unknown_priority_is_refused_with_the_choices() -> None:
    assert desks.parse_priority(" HIGH ") == "high"
    with pytest.raises(InvalidInput, match="Priorities: low, normal, high, urgent") as refused:
        desks.parse_priority("asap", field="priority")
    assert refused.value.field == "priority"


def test_only_the_desks_reaction_in_its_own_channel_names_it(store: Store) -> None:
    with store.unit_of_work() as session:
        factories.desk(session, reaction="ticket")
        found = desks.desk_for_reaction(session=session, channel_id="C0ITHELP", reaction="ticket")
        skin = desks.desk_for_reaction(
            session=session, channel_id="C0ITHELP", reaction="ticket::skin-tone-2"
        )
        other_emoji = desks.desk_for_reaction(
            session=session, channel_id="C0ITHELP", reaction="eyes"
        )
        elsewhere = desks.desk_for_reaction(
            session=session, channel_id="C0GENERAL", reaction="ticket"
        )
    assert (found, skin, other_emoji, elsewhere) == ("it", "it", None, None)
