"""Approval: the author confirms a preview (it is scheduled, or sent to communications for
approval when policy says so); a reviewer approves it (scheduled, author told) or sends it
back with a note (nothing posted, author told what to change)."""

from dataclasses import dataclass, field

from sqlmodel import Session

from announcements.cancellation import stop
from announcements.common import channels_of
from announcements.drafts import own_draft, replaced_by
from announcements.models import Announcement, State
from announcements.policy import (
    Policy,
    approval_channel,
    approval_reason,
    is_comms,
    reviewers,
)
from announcements.posting import schedule, send
from announcements.template_library import save_template
from announcements.timing import when_text
from announcements.views import Renderer, Review, post_view
from bot.clock import Clock
from bot.errors import FieldErrors, InvalidInput, NotFound, PermissionDenied
from bot.outbox.delivery import OutboundMessage
from bot.text.mrkdwn import escape, user_text
from directory import service as directory


@dataclass(frozen=True)
class Outcome:
    """What happened on confirm: posted/scheduled or sent for approval, in words for the author."""

    announcement_id: int
    state: str
    text: str
    review: Review | None = None
    reviewers: list[str] = field(default_factory=list)


def confirm(
    *,
    session: Session,
    clock: Clock,
    policy: Policy,
    renderer: Renderer,
    announcement_id: int,
    user_id: str,
) -> Outcome:
    """The author confirmed the preview: schedule it, or send it for approval.

    Raises:
        NotFound: no such draft of this person.
        PermissionDenied: the author may no longer post there.
    """
    announcement = own_draft(session, announcement_id, user_id)
    if announcement.state != State.DRAFT.value:
        return Outcome(announcement_id, announcement.state, "That announcement was already sent.")
    for channel_id in channels_of(announcement):
        directory.may_post_to(
            session=session, admins=policy.admins, user_id=user_id, channel_id=channel_id
        )
    replaced = ""
    old_id = replaced_by(announcement)
    if old_id is not None:
        stop(session, clock, old_id)
        announcement.review_note = None
        replaced = f" It replaces #{old_id}, which is cancelled."
    if announcement.save_template_as and is_comms(session, policy, user_id):
        save_template(session, clock, announcement)
    reason = approval_reason(session, policy, announcement)
    if not reason:
        text = schedule(session, clock, announcement)
        return Outcome(announcement_id, announcement.state, text + replaced)
    review = _hold_for_review(session, clock, announcement, reason)
    targets = _send_for_review(session, clock, policy, renderer, announcement, review)
    return Outcome(
        announcement_id,
        announcement.state,
        f"Announcement #{announcement_id} needs approval because {reason}. It went to "
        "communications; you will hear the outcome here. Nothing is posted before that." + replaced,
        review=review,
        reviewers=targets,
    )


def _hold_for_review(
    session: Session, clock: Clock, announcement: Announcement, reason: str
) -> Review:
    """Mark it as waiting for approval; what reviewers will see."""
    announcement.needs_approval = True
    announcement.state = State.PENDING_APPROVAL.value
    announcement.updated_at = clock.now()
    session.add(announcement)
    where = ", ".join(f"<#{c}>" for c in channels_of(announcement))
    return Review(
        announcement_id=announcement.id or 0,
        author_id=announcement.author_id,
        reason=reason,
        summary=f"{where} · {when_text(announcement)}",
        post=post_view(session, announcement),
    )


def _send_for_review(
    session: Session,
    clock: Clock,
    policy: Policy,
    renderer: Renderer,
    announcement: Announcement,
    review: Review,
) -> list[str]:
    """Enqueue the approval request: to the approvals channel, or to every reviewer by DM."""
    channel = approval_channel(session=session)
    targets = [channel] if channel else reviewers(session, policy)
    blocks = renderer.approval_request(review)
    stamp = clock.now().strftime("%Y%m%d%H%M%S")
    send(
        session,
        clock,
        announcement,
        [
            OutboundMessage(
                target=target,
                text=f"Approval needed: {escape(review.post.title)}",
                blocks=blocks,
                idempotency_key=f"ann:{review.announcement_id}:review:{stamp}:{target}",
            )
            for target in targets
        ],
    )
    return targets


def _tell(session: Session, clock: Clock, announcement: Announcement, text: str, key: str) -> None:
    """DM the author what a reviewer decided."""
    message = OutboundMessage(
        target=announcement.author_id, text=text, idempotency_key=f"ann:{announcement.id}:{key}"
    )
    send(session, clock, announcement, [message])


def pending_review(
    session: Session, policy: Policy, reviewer: str, announcement_id: int
) -> Announcement:
    """The announcement waiting for this reviewer's decision.

    Raises:
        PermissionDenied: the reviewer is not comms or admin.
        NotFound: no such announcement.
        InvalidInput: it was already handled.
    """
    if not is_comms(session, policy, reviewer):
        raise PermissionDenied("Only communications staff and admins can approve announcements.")
    announcement = session.get(Announcement, announcement_id)
    if announcement is None:
        raise NotFound(f"Announcement #{announcement_id} does not exist any more.")
    if announcement.state != State.PENDING_APPROVAL.value:
        who = f" by <@{announcement.reviewer_id}>" if announcement.reviewer_id else ""
        raise InvalidInput(
            f"Announcement #{announcement_id} was already handled{who} "
            f"(it is {announcement.state.replace('_', ' ')})."
        )
    return announcement


def approve(
    *, session: Session, clock: Clock, policy: Policy, reviewer: str, announcement_id: int
) -> str:
    """A comms person or admin approves: it is scheduled and its author told.

    Raises:
        PermissionDenied: the reviewer is not comms or admin.
        InvalidInput: it was already approved, sent back or cancelled.
    """
    announcement = pending_review(session, policy, reviewer, announcement_id)
    announcement.reviewer_id = reviewer
    text = schedule(session, clock, announcement)
    _tell(
        session,
        clock,
        announcement,
        f":white_check_mark: <@{reviewer}> approved your announcement “{escape(announcement.title)}”. "
        + text,
        "approved",
    )
    return f":white_check_mark: Approved by <@{reviewer}>. " + text


def request_changes(
    *,
    session: Session,
    clock: Clock,
    policy: Policy,
    reviewer: str,
    announcement_id: int,
    note: str,
) -> str:
    """A reviewer sends it back with a note; nothing is posted, the author is told what to change.

    Raises:
        PermissionDenied: the reviewer is not comms or admin.
        InvalidInput: already handled, or an empty note.
    """
    if not note.strip():
        raise FieldErrors({"note": "Say what should change."})
    announcement = pending_review(session, policy, reviewer, announcement_id)
    announcement.state = State.CHANGES_REQUESTED.value
    announcement.reviewer_id = reviewer
    announcement.review_note = note.strip()[:2000]
    announcement.updated_at = clock.now()
    session.add(announcement)
    _tell(
        session,
        clock,
        announcement,
        f":pencil2: <@{reviewer}> asked for changes to your announcement “{escape(announcement.title)}” "
        f"(#{announcement_id}): {user_text(note.strip(), may_notify_everyone=False)}\n"
        f"Nothing was posted. `/announce edit {announcement_id}` to change and resend it.",
        "changes",
    )
    return f":pencil2: <@{reviewer}> asked for changes; the author was told."
