"""What the compose form offers, the form again for edits, and the preview of a draft."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from announcements.compose import back_to_form, compose_context, draft_of, preview
from announcements.drafts import Draft
from announcements.models import State
from announcements.policy import set_config
from bot.clock import FixedClock
from bot.errors import NotFound, PermissionDenied
from bot.store import Store
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
    keep,
)

CLOCK = FixedClock(factories.NOW)


def test_the_form_offers_templates_departments_and_saving_to_comms_only(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        for_comms = compose_context(session=session, policy=POLICY, user_id=COMMS)
        for_manager = compose_context(session=session, policy=POLICY, user_id=MANAGER)
        with pytest.raises(PermissionDenied):
            compose_context(session=session, policy=POLICY, user_id=MEMBER)
    assert for_comms.templates[0] == ("shipped:office_closure", "Office closure")
    assert [name for _, name in for_comms.departments] == ["Engineering"]
    assert for_comms.may_save_templates
    assert not for_manager.may_save_templates
    assert for_comms.draft is None
    assert for_comms.zone == "UTC"


def test_editing_fills_the_form_in_with_the_announcement(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        scheduled = factories.announcement(
            session,
            author_id=MANAGER,
            channels=(ENG,),
            when="at",
            at=datetime(2026, 11, 26, 9, 30, tzinfo=UTC),
            state=State.SCHEDULED.value,
        )
        context = compose_context(
            session=session, policy=POLICY, user_id=MANAGER, announcement_id=scheduled.id
        )
        with pytest.raises(PermissionDenied):
            compose_context(
                session=session, policy=POLICY, user_id="U0CAROL", announcement_id=scheduled.id
            )
    assert context.announcement_id == scheduled.id
    assert context.draft == draft_of(scheduled)
    assert context.draft is not None
    assert (context.draft.channels, context.draft.date, context.draft.time) == (
        [ENG],
        "2026-11-26",
        "09:30",
    )


def test_the_preview_says_where_when_and_what_confirming_does(store: Store) -> None:
    later = Draft(title="Hello", body="World", channels=[GENERAL], when="at", date="2026-11-25")
    with store.unit_of_work() as session:
        company(session)
        at = keep(session, COMMS, replace(later, time="10:00"))
        now = keep(session, COMMS, Draft(title="Hello", body="<!channel> World", channels=[ENG]))
        shown_at = preview(session=session, policy=POLICY, announcement_id=at, user_id=COMMS)
        shown_now = preview(session=session, policy=POLICY, announcement_id=now, user_id=COMMS)
    assert (shown_at.action_label, shown_now.action_label) == ("Schedule", "Post now")
    assert "Wed 25 Nov 2026, 10:00 UTC" in shown_at.summary
    assert shown_now.post.audience_count == 3
    assert not shown_now.needs_approval


def test_a_draft_that_needs_approval_says_why_before_it_is_sent(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        set_config(
            session=session,
            clock=CLOCK,
            policy=POLICY,
            actor=ADMIN,
            key="threshold",
            value="2",
        )
        draft = keep(session, MANAGER, Draft(title="Hi", body="All", channels=[ENG]))
        shown = preview(session=session, policy=POLICY, announcement_id=draft, user_id=MANAGER)
        with pytest.raises(NotFound):
            preview(session=session, policy=POLICY, announcement_id=draft, user_id=COMMS)
    assert shown.needs_approval
    assert shown.action_label == "Send for approval"
    assert shown.approval_reason == "it reaches 3 people (more than 2)"


def test_edit_on_the_preview_gives_the_form_back_to_its_author_only(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        old = factories.announcement(session, author_id=MANAGER, state=State.SCHEDULED.value)
        draft = keep(
            session, MANAGER, Draft(title="Moved", body="To 10:00", channels=[ENG]), old.id
        )
        back = back_to_form(session=session, policy=POLICY, user_id=MANAGER, announcement_id=draft)
        with pytest.raises(NotFound, match="That draft is gone"):
            back_to_form(session=session, policy=POLICY, user_id=COMMS, announcement_id=draft)
    assert back.announcement_id == old.id
    assert back.draft is not None
    assert (back.draft.title, back.draft.body) == ("Moved", "To 10:00")
