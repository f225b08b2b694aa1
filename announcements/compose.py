"""Composing: what the compose form offers an author (empty, or filled in with an announcement
being edited or a draft taken back from its preview), and the preview of a kept draft: the
message as it will look, with where, when, who and whether it needs approval."""

import json
from dataclasses import asdict, dataclass, replace

from sqlmodel import Session, col, select

from announcements import template_library
from announcements.common import channels_of
from announcements.drafts import Draft, own_draft, replaced_by
from announcements.models import Announcement
from announcements.policy import (
    Policy,
    approval_reason,
    editable,
    require_announcer,
    zone_of,
)
from announcements.timing import timing_of, when_text
from announcements.views import PostView, post_view
from bot.text.mrkdwn import Mrkdwn
from bot.text.templating import render
from directory.models import Department, Role


@dataclass(frozen=True)
class ComposeContext:
    """What the compose modal offers the author."""

    zone: str
    templates: list[tuple[str, str]]
    departments: list[tuple[str, str]]
    may_save_templates: bool
    draft: Draft | None = None
    announcement_id: int | None = None


@dataclass(frozen=True)
class Preview:
    """What the author sees before it goes."""

    announcement_id: int
    post: PostView
    summary: str
    needs_approval: bool
    approval_reason: str
    action_label: str


def compose_context(
    *, session: Session, policy: Policy, user_id: str, announcement_id: int | None = None
) -> ComposeContext:
    """What /announce (or /announce edit <id>) offers; refuses people who cannot announce.

    Raises:
        PermissionDenied: members; editing someone else's announcement without being comms.
        NotFound: no such announcement.
    """
    role = require_announcer(session=session, policy=policy, user_id=user_id)
    departments = [
        (str(d.id), d.name)
        for d in session.exec(
            select(Department).where(Department.active == True).order_by(col(Department.name))  # noqa: E712
        ).all()
    ]
    draft: Draft | None = None
    if announcement_id is not None:
        draft = draft_of(editable(session, policy, user_id, announcement_id))
    return ComposeContext(
        zone=zone_of(session, user_id),
        templates=template_library.choices(session)[:100],
        departments=departments[:100],
        may_save_templates=role in (Role.ADMIN, Role.COMMS),
        draft=draft,
        announcement_id=announcement_id,
    )


def draft_of(announcement: Announcement) -> Draft:
    """An announcement back as the form that made it (for edits)."""
    department = str(announcement.department_id) if announcement.department_id else ""
    return Draft(
        title=announcement.title,
        body=announcement.body,
        channels=json.loads(announcement.channels),
        department=department,
        must_read=announcement.must_read,
        remind_after_days=str(announcement.remind_after_days),
        **asdict(timing_of(announcement)),
    )


def back_to_form(
    *, session: Session, policy: Policy, user_id: str, announcement_id: int
) -> ComposeContext:
    """The compose form again, filled in with the person's own draft (Edit on the preview).

    Raises:
        NotFound: the draft is gone, or someone else's.
        PermissionDenied: the person may no longer announce.
    """
    announcement = own_draft(session, announcement_id, user_id)
    context = compose_context(session=session, policy=policy, user_id=user_id)
    return replace(context, draft=draft_of(announcement), announcement_id=replaced_by(announcement))


def preview(*, session: Session, policy: Policy, announcement_id: int, user_id: str) -> Preview:
    """The draft as it will look, with where, when, who and whether it needs approval.

    Raises:
        NotFound: no such draft of this person.
    """
    announcement = own_draft(session, announcement_id, user_id)
    reason = approval_reason(session, policy, announcement)
    view = post_view(session, announcement)
    department = (
        session.get(Department, announcement.department_id) if announcement.department_id else None
    )
    summary = render(
        "announcements",
        "preview_summary.j2",
        channels=Mrkdwn(", ".join(f"<#{c}>" for c in channels_of(announcement))),
        department=department.name if department else "",
        audience=view.audience_count,
        when=when_text(announcement),
        must_read=announcement.must_read,
        remind=announcement.remind_after_days,
        reason=reason,
        neutralised=not announcement.may_notify_everyone and "<!" in announcement.body,
    )
    if reason:
        label = "Send for approval"
    elif announcement.when == "now":
        label = "Post now"
    else:
        label = "Schedule"
    return Preview(
        announcement_id=announcement_id,
        post=view,
        summary=summary,
        needs_approval=bool(reason),
        approval_reason=reason,
        action_label=label,
    )
