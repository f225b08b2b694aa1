"""Who may announce where, who may change an announcement, and when one needs approval."""

import pytest

from announcements import policy
from announcements.models import State
from bot.clock import FixedClock
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.store import Store
from directory.models import Role
from tests import factories
from tests.announcements.company import (
    ADMIN,
    COMMS,
    ENG,
    GENERAL,
    MANAGER,
    MEMBER,
    POLICY,
    company,
)


def test_comms_admins_and_managers_announce_and_members_are_told_whom_to_ask(
    store: Store,
) -> None:
    with store.unit_of_work() as session:
        company(session)
        roles = [
            policy.require_announcer(session=session, policy=POLICY, user_id=who)
            for who in (ADMIN, COMMS, MANAGER)
        ]
        with pytest.raises(PermissionDenied, match="Ask your manager or communications"):
            policy.require_announcer(session=session, policy=POLICY, user_id=MEMBER)
        assert policy.is_comms(session, POLICY, ADMIN)
        assert policy.is_comms(session, POLICY, COMMS)
        assert not policy.is_comms(session, POLICY, MANAGER)
    assert roles == [Role.ADMIN, Role.COMMS, Role.MANAGER]


def test_a_manager_posts_in_their_departments_channel_only(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        assert policy.postable_channels(session, POLICY, MANAGER, ["#eng", ENG]) == ([ENG], None)
        ids, problem = policy.postable_channels(session, POLICY, MANAGER, [ENG, GENERAL])
        assert ids == [ENG]
        assert problem is not None
        assert "As a manager you can announce in" in problem
        assert policy.postable_channels(session, POLICY, COMMS, [GENERAL, ENG])[1] is None


def test_company_wide_channels_and_large_audiences_need_approval_except_from_comms(
    store: Store,
) -> None:
    with store.unit_of_work() as session:
        eng = company(session)
        to_general = factories.announcement(session, author_id=MANAGER, channels=(GENERAL,))
        to_eng = factories.announcement(session, author_id=MANAGER, channels=(ENG,))
        to_dept = factories.announcement(
            session, author_id=MANAGER, channels=(ENG,), department_id=eng.id
        )
        from_comms = factories.announcement(session, author_id=COMMS, channels=(GENERAL,))
        assert policy.approval_reason(session, POLICY, to_general) == (
            f"<#{GENERAL}> is a company-wide channel"
        )
        assert policy.approval_reason(session, POLICY, to_eng) == ""
        assert policy.approval_reason(session, POLICY, from_comms) == ""
        policy.set_config(
            session=session,
            clock=FixedClock(factories.NOW),
            policy=POLICY,
            actor=ADMIN,
            key="threshold",
            value="2",
        )
        assert policy.approval_reason(session, POLICY, to_eng) == (
            "it reaches 3 people (more than 2)"
        )
        assert policy.approval_reason(session, POLICY, to_dept) == (
            "it reaches 3 people (more than 2)"
        )
        # For a department, its size counts rather than its channel's member count.
        factories.channel(session, ENG).member_count = 1
        assert policy.approval_reason(session, POLICY, to_eng) == ""
        assert policy.approval_reason(session, POLICY, to_dept) != ""
        assert sorted(policy.reviewers(session, POLICY)) == sorted([ADMIN, COMMS])


def test_the_audience_is_the_departments_of_the_channels_or_else_everyone(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        to_eng = factories.announcement(session, channels=(ENG,))
        to_both = factories.announcement(session, channels=(ENG, GENERAL))
        assert policy.audience_ids(session, to_eng) == sorted([MANAGER, MEMBER, "U0CAROL"])
        assert set(policy.audience_ids(session, to_both)) == {
            ADMIN,
            COMMS,
            MANAGER,
            MEMBER,
            "U0CAROL",
        }


def test_admins_set_the_threshold_and_where_approvals_go(store: Store) -> None:
    clock = FixedClock(factories.NOW)
    with store.unit_of_work() as session:
        company(session)
        factories.channel(session, "C0APPROVALS")

        def configure(key: str, value: str, actor: str = ADMIN) -> str:
            return policy.set_config(
                session=session, clock=clock, policy=POLICY, actor=actor, key=key, value=value
            )

        assert configure("threshold", "750") == "Approval is now needed above 750 people."
        assert (
            configure("approvals", "C0APPROVALS") == "Approval requests now go to <#C0APPROVALS>."
        )
        assert policy.approval_threshold(session=session) == 750
        assert policy.approval_channel(session=session) == "C0APPROVALS"
        configure("approvals", "dm")
        assert policy.approval_channel(session=session) is None
        with pytest.raises(PermissionDenied, match="Only Commons admins"):
            configure("threshold", "10", actor=COMMS)
        with pytest.raises(InvalidInput, match="number of people"):
            configure("threshold", "0")
        factories.channel(session, "C0QUIET", bot_is_member=False)
        with pytest.raises(InvalidInput, match="invite it there first"):
            configure("approvals", "C0QUIET")
        with pytest.raises(InvalidInput, match="config threshold"):
            configure("colour", "blue")
    assert policy.DEFAULT_APPROVAL_THRESHOLD == 500


def test_an_announcement_is_changed_by_its_author_or_comms_until_it_has_gone(
    store: Store,
) -> None:
    with store.unit_of_work() as session:
        company(session)
        factories.with_role(session, "U0HEIDI", Role.MANAGER)
        mine = factories.announcement(session, author_id=MANAGER, state=State.SCHEDULED.value)
        posted = factories.announcement(session, author_id=MANAGER, state=State.POSTED.value)
        draft = factories.announcement(session, author_id=MANAGER)
        assert policy.editable(session, POLICY, MANAGER, mine.id or 0) is mine
        assert policy.editable(session, POLICY, COMMS, mine.id or 0) is mine
        with pytest.raises(PermissionDenied, match="only they, communications staff and admins"):
            policy.editable(session, POLICY, "U0HEIDI", mine.id or 0)
        with pytest.raises(InvalidInput, match="is posted already"):
            policy.editable(session, POLICY, MANAGER, posted.id or 0)
        with pytest.raises(NotFound):
            policy.editable(session, POLICY, MANAGER, draft.id or 0)


def test_one_in_private_channels_is_seen_by_their_members_and_its_author(store: Store) -> None:
    with store.unit_of_work() as session:
        factories.channel(session, "C0SECRET", is_private=True)
        secret = factories.announcement(session, channels=("C0SECRET",))
        members = factories.Members({"C0SECRET": {MEMBER}})
        assert policy.may_see_announcement(session, members, secret, MEMBER)
        assert policy.may_see_announcement(session, members, secret, COMMS)  # its author
        assert not policy.may_see_announcement(session, members, secret, MANAGER)
