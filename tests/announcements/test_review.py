"""Approval: confirming a preview, approving, and sending back with a note."""

import pytest
from sqlmodel import Session, select

from announcements.blocks import Renderer
from announcements.drafts import Draft
from announcements.models import Announcement, State
from announcements.policy import set_config
from announcements.review import Outcome, approve, confirm, pending_review, request_changes
from bot.clock import FixedClock
from bot.errors import FieldErrors, InvalidInput, NotFound, PermissionDenied
from bot.models import Delivery
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


def _draft(session: Session, author: str, *channels: str, replaces: int | None = None) -> int:
    return keep(
        session,
        author,
        Draft(title="Standup moves", body="To 10:00.", channels=list(channels)),
        replaces,
    )


def _confirm(session: Session, draft: int, author: str) -> Outcome:
    return confirm(
        session=session,
        clock=CLOCK,
        policy=POLICY,
        renderer=Renderer(),
        announcement_id=draft,
        user_id=author,
    )


def _approve(session: Session, reviewer: str, announcement: Announcement) -> str:
    return approve(
        session=session,
        clock=CLOCK,
        policy=POLICY,
        reviewer=reviewer,
        announcement_id=announcement.id or 0,
    )


def _send_back(session: Session, announcement: Announcement, note: str) -> str:
    return request_changes(
        session=session,
        clock=CLOCK,
        policy=POLICY,
        reviewer=COMMS,
        announcement_id=announcement.id or 0,
        note=note,
    )


def _waiting(session: Session) -> Announcement:
    """A manager's announcement in #eng that waits for approval (the threshold is 2 people)."""
    company(session)
    set_config(session=session, clock=CLOCK, policy=POLICY, actor=ADMIN, key="threshold", value="2")
    draft = _draft(session, MANAGER, ENG)
    _confirm(session, draft, MANAGER)
    found = session.get(Announcement, draft)
    assert found is not None
    return found


def test_one_that_needs_no_approval_is_scheduled_on_confirm(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        draft = _draft(session, COMMS, GENERAL)
        outcome = _confirm(session, draft, COMMS)
        again = _confirm(session, draft, COMMS)
    assert (outcome.state, outcome.review) == (State.SCHEDULED.value, None)
    assert outcome.text == f"Announcement #{draft} is going out now."
    assert again.text == "That announcement was already sent."


def test_one_that_needs_approval_goes_to_every_reviewer_and_nothing_is_posted(
    store: Store,
) -> None:
    with store.unit_of_work() as session:
        company(session)
        set_config(
            session=session, clock=CLOCK, policy=POLICY, actor=ADMIN, key="threshold", value="2"
        )
        outcome = _confirm(session, _draft(session, MANAGER, ENG), MANAGER)
        targets = sorted(session.exec(select(Delivery.target)).all())
    assert outcome.state == State.PENDING_APPROVAL.value
    assert outcome.review is not None
    assert outcome.review.reason == "it reaches 3 people (more than 2)"
    assert sorted(outcome.reviewers) == sorted([ADMIN, COMMS])
    assert targets == sorted([ADMIN, COMMS])  # the requests; nothing in #eng
    assert "needs approval because it reaches 3 people" in outcome.text


def test_an_approvals_channel_gets_the_request_instead(store: Store) -> None:
    with store.unit_of_work() as session:
        factories.channel(session, "C0APPROVALS")
        set_config(
            session=session,
            clock=CLOCK,
            policy=POLICY,
            actor=ADMIN,
            key="approvals",
            value="C0APPROVALS",
        )
        waiting = _waiting(session)
        targets = session.exec(select(Delivery.target)).all()
    assert waiting.state == State.PENDING_APPROVAL.value
    assert targets == ["C0APPROVALS"]


def test_confirming_an_edit_cancels_what_it_replaces(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        old = factories.announcement(session, author_id=MANAGER, channels=(ENG,), state="scheduled")
        draft = _draft(session, MANAGER, ENG, replaces=old.id)
        outcome = _confirm(session, draft, MANAGER)
    assert outcome.text.endswith(f" It replaces #{old.id}, which is cancelled.")
    assert old.state == State.CANCELLED.value


def test_a_reviewer_approves_once_and_the_author_hears_of_it(store: Store) -> None:
    with store.unit_of_work() as session:
        waiting = _waiting(session)
        said = _approve(session, COMMS, waiting)
        told = session.exec(select(Delivery.text).where(Delivery.target == MANAGER)).all()
        with pytest.raises(InvalidInput, match=f"was already handled by <@{COMMS}>"):
            _approve(session, ADMIN, waiting)
    assert said.startswith(f":white_check_mark: Approved by <@{COMMS}>. Announcement #")
    assert waiting.state == State.SCHEDULED.value
    assert len(told) == 1
    assert "approved your announcement" in told[0]


def test_only_comms_and_admins_review(store: Store) -> None:
    with store.unit_of_work() as session:
        waiting = _waiting(session)
        for who in (MANAGER, MEMBER):
            with pytest.raises(PermissionDenied, match="Only communications staff and admins"):
                pending_review(session, POLICY, who, waiting.id or 0)
        with pytest.raises(NotFound):
            pending_review(session, POLICY, COMMS, 404)


def test_a_reviewer_sends_it_back_with_a_note_and_nothing_is_posted(store: Store) -> None:
    with store.unit_of_work() as session:
        waiting = _waiting(session)
        with pytest.raises(FieldErrors):
            _send_back(session, waiting, "  ")
        said = _send_back(session, waiting, "Say which room <!here>")
        told = session.exec(select(Delivery.text).where(Delivery.target == MANAGER)).one()
    assert said == f":pencil2: <@{COMMS}> asked for changes; the author was told."
    assert (waiting.state, waiting.review_note) == (
        State.CHANGES_REQUESTED.value,
        "Say which room <!here>",
    )
    assert "<!here>" not in told
    assert f"`/announce edit {waiting.id}`" in told


def test_an_author_who_may_no_longer_post_there_is_refused_on_confirm(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        draft = _draft(session, MANAGER, ENG)
        factories.channel(session, ENG).is_archived = True
        with pytest.raises(PermissionDenied, match="is archived"):
            _confirm(session, draft, MANAGER)
        with pytest.raises(NotFound, match="That draft is gone"):
            _confirm(session, draft, COMMS)
