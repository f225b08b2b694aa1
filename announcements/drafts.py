"""Drafts: what an author filled in (`Draft`, plain strings by the form's domain field names),
checked into a `CheckedDraft` (every wrong field reported at once), and kept as an announcement
in the draft state until its preview is confirmed."""

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from announcements import timing
from announcements.common import (
    DEFAULT_REMIND_DAYS,
    MAX_BODY,
    MAX_CHANNELS,
    MAX_REMINDERS,
    MAX_TITLE,
    number,
)
from announcements.models import Announcement, State
from announcements.policy import (
    Policy,
    editable,
    is_comms,
    postable_channels,
    require_announcer,
    zone_of,
)
from announcements.template_library import TEMPLATE_NAME, template_text
from bot.clock import Clock
from bot.errors import FieldErrors, NotFound
from bot.scheduling import schedules
from bot.text.mrkdwn import user_text
from directory import service as directory
from directory.models import Department

_REPLACES = "replaces:"


@dataclass(frozen=True)
class Draft(timing.Timing):
    """What an author filled in, as plain strings; the names are the form's domain fields
    (the "when" fields come from `Timing`)."""

    title: str = ""
    body: str = ""
    channels: Sequence[str] = ()
    department: str = ""
    must_read: bool = False
    remind_after_days: str = ""
    template: str = ""
    save_as: str = ""


@dataclass(frozen=True)
class CheckedDraft:
    """A draft whose every field is valid: ready to be kept as an announcement."""

    title: str
    body: str
    channels: tuple[str, ...]
    department_id: int | None
    must_read: bool
    remind_after_days: int
    when: timing.When
    zone: str
    may_notify_everyone: bool
    save_as: str | None


def check(
    *, session: Session, clock: Clock, policy: Policy, author_id: str, draft: Draft
) -> CheckedDraft:
    """The draft checked for this author: texts, channels they may post in, audience, reminders,
    when, and the template name.

    Raises:
        FieldErrors: every field that is wrong, by domain field name.
    """
    errors: dict[str, str] = {}
    may_notify = is_comms(session, policy, author_id)
    title, body = _texts(session, clock, author_id, draft, may_notify, errors)
    channels, department_id = _audience(session, policy, author_id, draft, errors)
    remind = _remind_days(draft, errors)
    zone = zone_of(session, author_id)
    when = timing.read_when(draft, zone, clock.now(), errors)
    save_as = _template_name(draft, may_notify, errors)
    if errors:
        raise FieldErrors(errors)
    return CheckedDraft(
        title=title,
        body=body,
        channels=tuple(channels),
        department_id=department_id,
        must_read=draft.must_read,
        remind_after_days=remind,
        when=when,
        zone=zone,
        may_notify_everyone=may_notify,
        save_as=save_as,
    )


def _texts(
    session: Session,
    clock: Clock,
    author_id: str,
    draft: Draft,
    may_notify: bool,
    errors: dict[str, str],
) -> tuple[str, str]:
    """The title and body (a template's, when the body is empty and one was chosen)."""
    title, body = draft.title.strip(), draft.body.strip()
    if not body and draft.template:
        try:
            template_title, body = template_text(
                session=session, clock=clock, reference=draft.template, author_id=author_id
            )
            title = title or template_title
        except NotFound as error:
            errors["template"] = error.message
    if not title:
        errors["title"] = "Give the announcement a title."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"The title has {len(title)} characters; Slack shows at most {MAX_TITLE}."
    if not body:
        errors["body"] = "The message is empty: write what you want to announce."
    elif len(user_text(body, may_notify_everyone=may_notify)) > MAX_BODY:
        errors["body"] = (
            f"The message is too long for one Slack section (at most {MAX_BODY:,} characters "
            "once formatted): shorten it or split it in two announcements."
        )
    return title, body


def _audience(
    session: Session, policy: Policy, author_id: str, draft: Draft, errors: dict[str, str]
) -> tuple[list[str], int | None]:
    """The channels (the department's own when none are chosen) and the department, if any."""
    channels, problem = postable_channels(session, policy, author_id, draft.channels)
    department_id: int | None = None
    if draft.department:
        department = _department(session, draft.department, errors)
        if department is not None:
            department_id = department.id
            if not draft.channels and department.channel_id:
                channels, problem = postable_channels(
                    session, policy, author_id, [department.channel_id]
                )
    if problem:
        errors["channels"] = problem
    elif not channels:
        errors["channels"] = "Pick at least one channel to post in."
    elif len(channels) > MAX_CHANNELS:
        errors["channels"] = f"Pick at most {MAX_CHANNELS} channels."
    return channels, department_id


def _department(session: Session, reference: str, errors: dict[str, str]) -> Department | None:
    department = session.get(Department, found) if (found := number(reference)) else None
    if department is not None:
        return department
    try:
        return directory.find_department(session=session, reference=reference)
    except NotFound as error:
        errors["department"] = error.message
    return None


def _remind_days(draft: Draft, errors: dict[str, str]) -> int:
    if not draft.remind_after_days.strip():
        return DEFAULT_REMIND_DAYS
    days = number(draft.remind_after_days, 2)
    if days is None or not 1 <= days <= 10:
        errors["remind_after_days"] = "Remind after 1 to 10 working days."
        return DEFAULT_REMIND_DAYS
    return days


def _template_name(draft: Draft, may_notify: bool, errors: dict[str, str]) -> str | None:
    save_as = draft.save_as.strip()
    if save_as and not may_notify:
        errors["save_as"] = "Only communications staff and admins can save templates."
    elif save_as and not TEMPLATE_NAME.match(save_as):
        errors["save_as"] = "A template name is 1 to 64 letters, digits or spaces."
    return save_as or None


def save_draft(
    *,
    session: Session,
    clock: Clock,
    policy: Policy,
    author_id: str,
    draft: Draft,
    replaces: int | None = None,
) -> Announcement:
    """Check a composed announcement and keep it as a draft for the preview.

    Args:
        replaces: the announcement being edited; it keeps going until the edit is confirmed.

    Raises:
        PermissionDenied: members.
        FieldErrors: every field that is wrong, by domain field name.
    """
    require_announcer(session=session, policy=policy, user_id=author_id)
    if replaces is not None:
        editable(session, policy, author_id, replaces)
    checked = check(session=session, clock=clock, policy=policy, author_id=author_id, draft=draft)
    return _keep(session, clock, author_id, checked, replaces)


def _keep(
    session: Session, clock: Clock, author_id: str, checked: CheckedDraft, replaces: int | None
) -> Announcement:
    now = clock.now()
    rule: schedules.Recurrence | None = checked.when.rule
    announcement = Announcement(
        author_id=author_id,
        title=checked.title,
        body=checked.body,
        channels=json.dumps(list(checked.channels)),
        department_id=checked.department_id,
        must_read=checked.must_read,
        remind_after_days=checked.remind_after_days,
        max_reminders=MAX_REMINDERS,
        when=checked.when.when,
        at=checked.when.at,
        rule=rule.to_json() if rule else None,
        timezone=checked.zone,
        state=State.DRAFT.value,
        may_notify_everyone=checked.may_notify_everyone,
        save_template_as=checked.save_as,
        review_note=f"{_REPLACES}{replaces}" if replaces is not None else None,
        created_at=now,
        updated_at=now,
    )
    session.add(announcement)
    session.flush()
    return announcement


def own_draft(session: Session, announcement_id: int, user_id: str) -> Announcement:
    """A person's own draft.

    Raises:
        NotFound: gone, or someone else's.
    """
    announcement = session.get(Announcement, announcement_id)
    if announcement is None or announcement.author_id != user_id:
        raise NotFound("That draft is gone; run `/announce` again.")
    return announcement


def replaced_by(announcement: Announcement) -> int | None:
    """The announcement a draft would replace once confirmed (an edit), if any."""
    note = announcement.review_note or ""
    return number(note.removeprefix(_REPLACES)) if note.startswith(_REPLACES) else None
