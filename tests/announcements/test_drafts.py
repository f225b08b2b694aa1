"""A draft checked into a `CheckedDraft`, every wrong field at once, and kept for its preview."""

from datetime import UTC, datetime

import pytest

from announcements.drafts import Draft, check, own_draft, replaced_by, save_draft
from announcements.models import State
from announcements.timing import When
from bot.clock import FixedClock
from bot.errors import FieldErrors, NotFound, PermissionDenied
from bot.store import Store
from tests import factories
from tests.announcements.company import COMMS, ENG, GENERAL, MANAGER, MEMBER, POLICY, company

CLOCK = FixedClock(factories.NOW)


def test_a_good_draft_is_checked_into_plain_values(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        factories.person(session, COMMS).tz = "Europe/Berlin"
        draft = Draft(
            title="  Office closed  ",
            body="Closed on Friday.",
            channels=["#general", GENERAL, "eng"],
            must_read=True,
            remind_after_days="3",
            when="at",
            date="2026-11-27",
            time="09:00",
            save_as="Closure",
        )
        checked = check(session=session, clock=CLOCK, policy=POLICY, author_id=COMMS, draft=draft)
    assert checked.title == "Office closed"
    assert checked.channels == (GENERAL, ENG)
    assert (checked.must_read, checked.remind_after_days, checked.zone) == (
        True,
        3,
        "Europe/Berlin",
    )
    assert checked.when == When("at", datetime(2026, 11, 27, 8, 0, tzinfo=UTC), None)
    assert checked.may_notify_everyone
    assert checked.save_as == "Closure"


def test_a_department_without_channels_posts_in_its_own_channel(store: Store) -> None:
    with store.unit_of_work() as session:
        eng = company(session)
        draft = Draft(title="Standup moves", body="To 10:00.", department="eng")
        checked = check(session=session, clock=CLOCK, policy=POLICY, author_id=MANAGER, draft=draft)
    assert (checked.channels, checked.department_id) == ((ENG,), eng.id)
    assert not checked.may_notify_everyone
    assert checked.save_as is None


def test_every_wrong_field_is_reported_at_once(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        draft = Draft(
            title="x" * 151,
            body="",
            channels=[GENERAL],
            department="nowhere",
            remind_after_days="11",
            when="recurring",
            time="09:00",
            repeat="weekly",
            save_as="mine",
        )
        with pytest.raises(FieldErrors) as refused:
            check(session=session, clock=CLOCK, policy=POLICY, author_id=MANAGER, draft=draft)
    assert list(refused.value.errors) == [
        "title",
        "body",
        "department",
        "channels",
        "remind_after_days",
        "days",
        "save_as",
    ]
    assert "As a manager" in refused.value.errors["channels"]
    assert "Only communications staff" in refused.value.errors["save_as"]


def test_an_empty_message_takes_the_chosen_templates_text(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        draft = Draft(channels=[GENERAL], template="shipped:policy_update")
        checked = check(session=session, clock=CLOCK, policy=POLICY, author_id=COMMS, draft=draft)
        gone = Draft(channels=[GENERAL], template="saved:404")
        with pytest.raises(FieldErrors) as refused:
            check(session=session, clock=CLOCK, policy=POLICY, author_id=COMMS, draft=gone)
    assert checked.title == "Policy update"
    assert checked.body
    assert set(refused.value.errors) == {"template", "title", "body"}


def test_a_draft_is_kept_for_its_preview_and_remembers_what_it_replaces(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        old = factories.announcement(session, author_id=MANAGER, state=State.SCHEDULED.value)
        kept = save_draft(
            session=session,
            clock=CLOCK,
            policy=POLICY,
            author_id=MANAGER,
            draft=Draft(title="New time", body="Standup at 10.", channels=[ENG]),
            replaces=old.id,
        )
        assert own_draft(session, kept.id or 0, MANAGER) is kept
        with pytest.raises(NotFound, match="That draft is gone"):
            own_draft(session, kept.id or 0, COMMS)
    assert (kept.state, kept.when, kept.timezone) == (State.DRAFT.value, "now", "UTC")
    assert replaced_by(kept) == old.id


def test_members_keep_no_drafts_and_nobody_edits_what_is_not_theirs(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        someone_elses = factories.announcement(session, author_id=COMMS, state="scheduled")
        good = Draft(title="Hello", body="World", channels=[ENG])
        with pytest.raises(PermissionDenied, match="Announcements are for"):
            save_draft(session=session, clock=CLOCK, policy=POLICY, author_id=MEMBER, draft=good)
        with pytest.raises(PermissionDenied, match="only they, communications staff"):
            save_draft(
                session=session,
                clock=CLOCK,
                policy=POLICY,
                author_id=MANAGER,
                draft=good,
                replaces=someone_elses.id,
            )
