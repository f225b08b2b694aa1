"""Who may hold, see and change a town hall."""

import pytest

from bot.errors import NotFound, PermissionDenied
from bot.store import Store
from directory.models import Role
from tests import factories
from tests.announcements.company import COMMS, MANAGER, MEMBER, POLICY, company
from townhalls.access import changeable, default_zone, require_host, require_visible, visible

NOBODY = factories.Members()


def test_managers_and_comms_hold_town_halls_and_members_are_told_what_they_can_do(
    store: Store,
) -> None:
    with store.unit_of_work() as session:
        company(session)
        assert require_host(session=session, policy=POLICY, user_id=MANAGER) is Role.MANAGER
        assert require_host(session=session, policy=POLICY, user_id=COMMS) is Role.COMMS
        with pytest.raises(PermissionDenied, match="Anyone can ask and upvote questions"):
            require_host(session=session, policy=POLICY, user_id=MEMBER)
        factories.person(session, MEMBER).tz = "Asia/Tokyo"
        assert default_zone(session=session, user_id=MEMBER) == "Asia/Tokyo"


def test_one_in_private_channels_is_seen_by_their_members_and_its_host_only(
    store: Store,
) -> None:
    with store.unit_of_work() as session:
        factories.channel(session, "C0SECRET", is_private=True)
        secret = factories.townhall(session, channels=("C0SECRET",))
        public = factories.townhall(session)
        members = factories.Members({"C0SECRET": {MEMBER}})
        seen = [
            visible(session=session, members=members, townhall=secret, user_id=who)
            for who in (MEMBER, MANAGER, COMMS)
        ]
        assert visible(session=session, members=NOBODY, townhall=public, user_id=COMMS)
        shown = require_visible(
            session=session, members=members, townhall_id=secret.id or 0, user_id=MEMBER
        )
        with pytest.raises(NotFound, match=f"no town hall #{secret.id} you can see"):
            require_visible(
                session=session, members=members, townhall_id=secret.id or 0, user_id=COMMS
            )
    assert seen == [True, True, False]
    assert shown.townhall_id == secret.id


def test_its_host_comms_and_admins_change_it_and_nobody_else(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        factories.with_role(session, "U0HEIDI", Role.MANAGER)
        townhall = factories.townhall(session, host_id=MANAGER)
        assert changeable(session, POLICY, MANAGER, townhall.id or 0) is townhall
        assert changeable(session, POLICY, COMMS, townhall.id or 0) is townhall
        with pytest.raises(PermissionDenied, match="only the host, communications staff"):
            changeable(session, POLICY, "U0HEIDI", townhall.id or 0)
        with pytest.raises(NotFound):
            changeable(session, POLICY, MANAGER, 404)
