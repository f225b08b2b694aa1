"""Announcements: compose, approve, schedule, post, acknowledge, remind, list, edit, cancel.

Permission rules come from directory.service (comms and admins anywhere the bot is, managers in
their departments' channels, members nowhere). Approval: a post by someone who is not comms or an
admin that reaches more people than the approval threshold (default 500; the channels' member
counts added up, or the department's size), or goes to a company-wide channel (#general or
#announcements), waits for a comms person or an admin to approve it. Everything that goes to Slack is
written to the outbox; everything that happens later is a schedule. Block Kit is built by a
`Renderer` the caller passes (announcements.blocks), so this module never imports Slack libraries.
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from announcements.models import (
    Acknowledgement,
    Announcement,
    AnnouncementConfig,
    AnnouncementPost,
    SavedTemplate,
    State,
)
from bot import delivery, schedules
from bot.clock import Clock
from bot.delivery import OutboundMessage
from bot.errors import FieldErrors, InvalidInput, NotFound, PermissionDenied
from bot.models import Campaign, Delivery, Schedule
from bot.mrkdwn import Mrkdwn, counted, escape, user_text
from bot.templating import render
from directory import service as directory
from directory.models import Channel, Department, Person, Role
from directory.visibility import ChannelMembers, may_see

POST_KIND = "announcements.post"
REMIND_KIND = "announcements.remind"
DEFAULT_APPROVAL_THRESHOLD = 500
COMPANY_WIDE_NAMES = ("general", "announcements")
MAX_TITLE = 150
MAX_BODY = 3000
MAX_CHANNELS = 10
REMIND_CHOICES = (1, 2, 3, 5)
DEFAULT_REMIND_DAYS = 2
MAX_REMINDERS = 2
SHIPPED_TEMPLATES = {"office_closure": "Office closure", "policy_update": "Policy update"}
_TEMPLATE_NAME = re.compile(r"^[\w .'-]{1,64}$")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
REPEATS = {
    "daily": "Every day",
    "weekdays": "Every weekday (Mon-Fri)",
    "weekly": "Every week on the chosen days",
    "monthly_day": "Every month on a day",
    "monthly_nth": "Every month on the nth weekday",
}


@dataclass(frozen=True)
class Draft:
    """What an author filled in, as plain strings; the names are the form's domain fields."""

    title: str = ""
    body: str = ""
    channels: Sequence[str] = ()
    department: str = ""
    must_read: bool = False
    remind_after_days: str = ""
    when: str = "now"
    date: str = ""
    time: str = ""
    repeat: str = ""
    days: Sequence[str] = ()
    month_day: str = ""
    nth: str = ""
    weekday: str = ""
    template: str = ""
    save_as: str = ""


@dataclass(frozen=True)
class PostView:
    """What a posted announcement shows: everything the Renderer needs, already safe mrkdwn."""

    announcement_id: int
    post_id: int | None
    title: str
    body: Mrkdwn
    author_id: str
    must_read: bool
    ack_count: int = 0
    audience_count: int = 0
    late: bool = False


@dataclass(frozen=True)
class Review:
    """What a reviewer sees in an approval request."""

    announcement_id: int
    author_id: str
    reason: str
    summary: str
    post: PostView


class Renderer(Protocol):
    """Builds the Block Kit (as dicts) of the messages this module enqueues."""

    def announcement(self, post: PostView) -> list[dict[str, Any]]:
        """The posted announcement."""
        ...

    def reminder(self, post: PostView) -> list[dict[str, Any]]:
        """A DM reminding someone to acknowledge."""
        ...

    def approval_request(self, review: Review) -> list[dict[str, Any]]:
        """The message reviewers act on."""
        ...


@dataclass(frozen=True)
class Policy:
    """The settings that decide who may do what."""

    admins: Sequence[str]


@dataclass(frozen=True)
class Preview:
    """What the author sees before it goes."""

    announcement_id: int
    post: PostView
    summary: str
    needs_approval: bool
    approval_reason: str
    action_label: str


@dataclass(frozen=True)
class Outcome:
    """What happened on confirm: posted/scheduled or sent for approval, in words for the author."""

    announcement_id: int
    state: str
    text: str
    review: Review | None = None
    reviewers: list[str] = field(default_factory=list)


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
class Stats:
    """Acknowledgements of an announcement's latest post."""

    announcement_id: int
    title: str
    audience: int
    acknowledged: int
    reminders_sent: int
    posts: int

    @property
    def rate(self) -> float:
        """Acknowledged share of the audience, 0 to 1."""
        return self.acknowledged / self.audience if self.audience else 0.0


# -- configuration --------------------------------------------------------------------------


def _config(session: Session, key: str) -> str | None:
    row = session.get(AnnouncementConfig, key)
    return row.value if row else None


def approval_threshold(*, session: Session) -> int:
    """More people than this need approval (for authors who are not comms or admins)."""
    value = _config(session, "approval_threshold")
    return int(value) if value else DEFAULT_APPROVAL_THRESHOLD


def approval_channel(*, session: Session) -> str | None:
    """Where approval requests go; None means: a DM to every comms person and admin."""
    return _config(session, "approval_channel") or None


def set_config(
    *, session: Session, clock: Clock, policy: Policy, actor: str, key: str, value: str
) -> str:
    """Admins set `threshold <n>` or `approvals #channel|dm`. Returns a confirmation.

    Raises:
        PermissionDenied: the actor is not an admin.
        InvalidInput: an unknown key or a bad value.
    """
    directory.require_admin(session=session, admins=policy.admins, user_id=actor)
    if key == "threshold":
        people = _number(value, 7)
        if people is None or not 1 <= people <= 1_000_000:
            raise InvalidInput("The threshold is a number of people, e.g. `threshold 500`.")
        stored, said = str(people), f"Approval is now needed above {people:,} people."
        name = "approval_threshold"
    elif key == "approvals":
        name = "approval_channel"
        if value.lower() in ("dm", "dms", "none", ""):
            stored, said = "", "Approval requests now go by DM to every comms person and admin."
        else:
            channel = directory.find_channel(session=session, reference=value)
            if not channel.bot_is_member or channel.is_archived:
                raise InvalidInput(
                    f"Commons is not in <#{channel.slack_id}>; invite it there first."
                )
            stored, said = channel.slack_id, f"Approval requests now go to <#{channel.slack_id}>."
    else:
        raise InvalidInput(
            "Use `/announce config threshold &lt;people&gt;` or "
            "`/announce config approvals #channel|dm`."
        )
    row = session.get(AnnouncementConfig, name) or AnnouncementConfig(
        key=name, value="", updated_by=actor, updated_at=clock.now()
    )
    row.value, row.updated_by, row.updated_at = stored, actor, clock.now()
    session.add(row)
    return said


# -- who may ---------------------------------------------------------------------------------


def _role(session: Session, policy: Policy, user_id: str) -> Role:
    return directory.role_of(session=session, admins=policy.admins, user_id=user_id)[0]


def is_comms(session: Session, policy: Policy, user_id: str) -> bool:
    """Communications staff or an admin (they post anywhere and approve)."""
    return _role(session, policy, user_id) in (Role.ADMIN, Role.COMMS)


def require_announcer(*, session: Session, policy: Policy, user_id: str) -> Role:
    """Raise unless the person may announce somewhere (comms, admins, managers).

    Raises:
        PermissionDenied: members.
    """
    role = _role(session, policy, user_id)
    if role is Role.MEMBER:
        raise PermissionDenied(
            "Announcements are for communications staff and managers. Ask your manager or "
            "communications to post it; an admin can change your role with `/commons role`."
        )
    return role


def zone_of(session: Session, user_id: str, default: str = "UTC") -> str:
    """A person's IANA zone from the directory."""
    return directory.zone_of(session=session, user_id=user_id, default=default)


def compose_context(
    *, session: Session, policy: Policy, user_id: str, announcement_id: int | None = None
) -> ComposeContext:
    """What /announce (or /announce edit <id>) offers; refuses people who cannot announce.

    Raises:
        PermissionDenied: members; editing someone else's announcement without being comms.
        NotFound: no such announcement.
    """
    role = require_announcer(session=session, policy=policy, user_id=user_id)
    templates = [(f"shipped:{k}", v) for k, v in SHIPPED_TEMPLATES.items()]
    templates += [
        (f"saved:{t.id}", t.name)
        for t in session.exec(select(SavedTemplate).order_by(col(SavedTemplate.name))).all()
    ]
    departments = [
        (str(d.id), d.name)
        for d in session.exec(
            select(Department).where(Department.active == True).order_by(col(Department.name))  # noqa: E712
        ).all()
    ]
    draft: Draft | None = None
    if announcement_id is not None:
        announcement = _editable(session, policy, user_id, announcement_id)
        draft = draft_of(session, announcement)
    return ComposeContext(
        zone=zone_of(session, user_id),
        templates=templates[:100],
        departments=departments[:100],
        may_save_templates=role in (Role.ADMIN, Role.COMMS),
        draft=draft,
        announcement_id=announcement_id,
    )


def draft_of(session: Session, announcement: Announcement) -> Draft:
    """An announcement back as the form that made it (for edits)."""
    local_at = (
        announcement.at.astimezone(ZoneInfo(announcement.timezone)) if announcement.at else None
    )
    repeat, days, month_day, nth, weekday, at_time = "", [], "", "", "", ""
    if announcement.rule:
        rule = schedules.Recurrence.from_json(announcement.rule)
        at_time = f"{int(str(rule.hour)):02d}:{int(str(rule.minute)):02d}"
        dow, day = str(rule.day_of_week or ""), str(rule.day or "")
        if dow == "mon-fri":
            repeat = "weekdays"
        elif dow:
            repeat, days = "weekly", dow.split(",")
        elif day and " " in day:
            repeat = "monthly_nth"
            position, weekday = day.split(" ", 1)
            nth = {"1st": "1", "2nd": "2", "3rd": "3", "4th": "4", "5th": "5", "last": "-1"}[
                position
            ]
        elif day:
            repeat, month_day = "monthly_day", day
        else:
            repeat = "daily"
    department = str(announcement.department_id) if announcement.department_id else ""
    return Draft(
        title=announcement.title,
        body=announcement.body,
        channels=json.loads(announcement.channels),
        department=department,
        must_read=announcement.must_read,
        remind_after_days=str(announcement.remind_after_days),
        when=announcement.when,
        date=local_at.date().isoformat() if local_at else "",
        time=local_at.strftime("%H:%M") if local_at else at_time,
        repeat=repeat,
        days=days,
        month_day=month_day,
        nth=nth,
        weekday=weekday,
    )


# -- templates -------------------------------------------------------------------------------


def template_text(
    *, session: Session, clock: Clock, reference: str, author_id: str
) -> tuple[str, str]:
    """A template's (title, body), from `shipped:<name>` or `saved:<id>`.

    Raises:
        NotFound: no such template.
    """
    kind, _, name = reference.partition(":")
    if kind == "shipped" and name in SHIPPED_TEMPLATES:
        person = session.get(Person, author_id)
        zone = zone_of(session, author_id)
        body = render(
            "announcements",
            f"compose/{name}.j2",
            author=Mrkdwn(person.real_name if person else ""),
            today=clock.now().astimezone(ZoneInfo(zone)).date(),
        )
        return SHIPPED_TEMPLATES[name], body
    number = _number(name) if kind == "saved" else None
    if number is not None:
        saved = session.get(SavedTemplate, number)
        if saved is not None:
            return saved.title, saved.body
    raise NotFound("That template no longer exists; pick another one.")


# -- compose ---------------------------------------------------------------------------------


def _parse_time(text: str) -> time | None:
    try:
        return time.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


# The field an error of each kind of repetition is about (the schedule's own checks included).
_RULE_FIELD = {"weekly": "days", "monthly_day": "month_day", "monthly_nth": "weekday"}


def _number(text: str, digits: int = 9) -> int | None:
    """A whole number as people type it in a form (ASCII digits only), or None."""
    stripped = text.strip()
    return int(stripped) if re.fullmatch(f"[0-9]{{1,{digits}}}", stripped) else None


def _rule(draft: Draft, at: time, errors: dict[str, str]) -> schedules.Recurrence | None:
    field = _RULE_FIELD.get(draft.repeat, "repeat")
    try:
        return _recurrence(draft, at, errors)
    except InvalidInput as error:
        errors[field] = error.message
    return None


def _recurrence(draft: Draft, at: time, errors: dict[str, str]) -> schedules.Recurrence | None:
    if draft.repeat == "daily":
        return schedules.daily(at)
    if draft.repeat == "weekdays":
        return schedules.weekdays(at)
    if draft.repeat == "weekly":
        if not draft.days:
            errors["days"] = "Pick at least one day of the week."
            return None
        return schedules.weekly(list(draft.days), at)
    if draft.repeat == "monthly_day":
        text = draft.month_day.strip().lower()
        day = -1 if text == "last" else _number(text, 2)
        if day is None:
            errors["month_day"] = "Give a day of the month: 1 to 31, or `last`."
            return None
        return schedules.monthly_on_day(day, at)
    if draft.repeat == "monthly_nth":
        nth = draft.nth.strip()
        if nth not in ("1", "2", "3", "4", "5", "-1"):
            errors["nth"] = "Pick which one: first to fifth, or last."
            return None
        if not draft.weekday:
            errors["weekday"] = "Pick a day of the week."
            return None
        return schedules.monthly_nth_weekday(int(nth), draft.weekday, at)
    errors["repeat"] = "Pick how often it repeats."
    return None


def _resolve_channels(
    session: Session, policy: Policy, author_id: str, references: Sequence[str]
) -> tuple[list[str], str | None]:
    ids: list[str] = []
    for reference in references:
        try:
            channel = directory.find_channel(session=session, reference=reference)
        except NotFound as error:
            return ids, error.message
        try:
            directory.may_post_to(
                session=session,
                admins=policy.admins,
                user_id=author_id,
                channel_id=channel.slack_id,
            )
        except PermissionDenied as error:
            return ids, error.message
        if channel.slack_id not in ids:
            ids.append(channel.slack_id)
    return ids, None


def _validate(
    session: Session, clock: Clock, policy: Policy, author_id: str, draft: Draft
) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
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
    may_notify = is_comms(session, policy, author_id)
    if not body:
        errors["body"] = "The message is empty: write what you want to announce."
    elif len(user_text(body, may_notify_everyone=may_notify)) > MAX_BODY:
        errors["body"] = (
            f"The message is too long for one Slack section (at most {MAX_BODY:,} characters "
            "once formatted): shorten it or split it in two announcements."
        )
    channels, problem = _resolve_channels(session, policy, author_id, draft.channels)
    department_id: int | None = None
    if draft.department:
        department = (
            session.get(Department, number) if (number := _number(draft.department)) else None
        )
        if department is None:
            try:
                department = directory.find_department(session=session, reference=draft.department)
            except NotFound as error:
                errors["department"] = error.message
        if department is not None:
            department_id = department.id
            if not draft.channels and department.channel_id:
                channels, problem = _resolve_channels(
                    session, policy, author_id, [department.channel_id]
                )
    if problem:
        errors["channels"] = problem
    elif not channels:
        errors["channels"] = "Pick at least one channel to post in."
    elif len(channels) > MAX_CHANNELS:
        errors["channels"] = f"Pick at most {MAX_CHANNELS} channels."
    remind = DEFAULT_REMIND_DAYS
    if draft.remind_after_days.strip():
        days = _number(draft.remind_after_days, 2)
        if days is None or not 1 <= days <= 10:
            errors["remind_after_days"] = "Remind after 1 to 10 working days."
        else:
            remind = days
    zone = zone_of(session, author_id)
    when = (draft.when or "now").strip().lower()
    at: datetime | None = None
    rule: schedules.Recurrence | None = None
    if when == "at":
        at_time = _parse_time(draft.time)
        try:
            day = date.fromisoformat(draft.date.strip()) if draft.date.strip() else None
        except ValueError:
            day = None
        if day is None:
            errors["date"] = "Pick the date it goes out."
        if at_time is None:
            errors["time"] = "Pick the time it goes out (HH:MM, in your time zone)."
        if day is not None and at_time is not None:
            at = datetime.combine(day, at_time, tzinfo=ZoneInfo(zone)).astimezone(UTC)
            if at <= clock.now():
                now_local = clock.now().astimezone(ZoneInfo(zone))
                errors["time"] = (
                    f"That time has passed: it is {now_local:%a %d %b %H:%M} in {zone} now. "
                    "Pick a later time, or choose Now."
                )
    elif when == "recurring":
        at_time = _parse_time(draft.time)
        if at_time is None:
            errors["time"] = "Pick the time of day it goes out (HH:MM, in your time zone)."
        else:
            rule = _rule(draft, at_time, errors)
    elif when != "now":
        errors["when"] = "Choose Now, At a date and time, or Recurring."
    save_as = draft.save_as.strip()
    if save_as:
        if not may_notify:
            errors["save_as"] = "Only communications staff and admins can save templates."
        elif not _TEMPLATE_NAME.match(save_as):
            errors["save_as"] = "A template name is 1 to 64 letters, digits or spaces."
    values = {
        "title": title,
        "body": body,
        "channels": channels,
        "department_id": department_id,
        "must_read": draft.must_read,
        "remind": remind,
        "when": when,
        "at": at,
        "rule": rule,
        "zone": zone,
        "may_notify": may_notify,
        "save_as": save_as or None,
    }
    return values, errors


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
        _editable(session, policy, author_id, replaces)
    values, errors = _validate(session, clock, policy, author_id, draft)
    if errors:
        raise FieldErrors(errors)
    now = clock.now()
    rule: schedules.Recurrence | None = values["rule"]
    announcement = Announcement(
        author_id=author_id,
        title=values["title"],
        body=values["body"],
        channels=json.dumps(values["channels"]),
        department_id=values["department_id"],
        must_read=values["must_read"],
        remind_after_days=values["remind"],
        max_reminders=MAX_REMINDERS,
        when=values["when"],
        at=values["at"],
        rule=rule.to_json() if rule else None,
        timezone=values["zone"],
        state=State.DRAFT.value,
        may_notify_everyone=values["may_notify"],
        save_template_as=values["save_as"],
        review_note=f"replaces:{replaces}" if replaces is not None else None,
        created_at=now,
        updated_at=now,
    )
    session.add(announcement)
    session.flush()
    return announcement


def _channels(announcement: Announcement) -> list[str]:
    return list(json.loads(announcement.channels))


def audience_ids(session: Session, announcement: Announcement) -> list[str]:
    """Who is expected to read it: the chosen department; else the departments whose channels
    it goes to (when every channel is a department's); else everyone in the directory."""
    if announcement.department_id is not None:
        return directory.active_people_ids(
            session=session, department_ids=[announcement.department_id]
        )
    channels = set(_channels(announcement))
    departments = session.exec(
        select(Department).where(
            Department.active == True,  # noqa: E712
            col(Department.channel_id).in_(channels),
        )
    ).all()
    if departments and channels <= {d.channel_id for d in departments}:
        return directory.active_people_ids(
            session=session, department_ids=[d.id for d in departments if d.id is not None]
        )
    return directory.active_people_ids(session=session)


def _approval_reason(session: Session, policy: Policy, announcement: Announcement) -> str:
    if is_comms(session, policy, announcement.author_id):
        return ""
    threshold = approval_threshold(session=session)
    reach = 0
    for channel_id in _channels(announcement):
        channel = session.get(Channel, channel_id)
        if channel is None:
            continue
        if channel.name in COMPANY_WIDE_NAMES:
            return f"<#{channel_id}> is a company-wide channel"
        reach += channel.member_count
    if announcement.department_id is not None:
        reach = len(audience_ids(session, announcement))
    if reach > threshold:
        return f"it reaches {reach:,} people (more than {threshold:,})"
    return ""


def when_text(announcement: Announcement, zone: str | None = None) -> str:
    """When it goes out, in words, in a zone (the author's by default)."""
    shown = zone or announcement.timezone
    if announcement.when == "at" and announcement.at is not None:
        return announcement.at.astimezone(ZoneInfo(shown)).strftime("%a %d %b %Y, %H:%M %Z")
    if announcement.when == "recurring" and announcement.rule:
        rule = schedules.Recurrence.from_json(announcement.rule)
        return f"{rule.describe()} ({announcement.timezone})"
    return "now"


def post_view(
    session: Session, announcement: Announcement, post: AnnouncementPost | None = None
) -> PostView:
    """The announcement as it shows in Slack."""
    return PostView(
        announcement_id=announcement.id or 0,
        post_id=post.id if post else None,
        title=announcement.title,
        body=user_text(announcement.body, may_notify_everyone=announcement.may_notify_everyone),
        author_id=announcement.author_id,
        must_read=announcement.must_read,
        ack_count=post.ack_count if post else 0,
        audience_count=post.audience_count if post else len(audience_ids(session, announcement)),
    )


def preview(*, session: Session, policy: Policy, announcement_id: int, user_id: str) -> Preview:
    """The draft as it will look, with where, when, who and whether it needs approval.

    Raises:
        NotFound: no such draft of this person.
    """
    announcement = own_draft(session, announcement_id, user_id)
    reason = _approval_reason(session, policy, announcement)
    view = post_view(session, announcement)
    department = (
        session.get(Department, announcement.department_id) if announcement.department_id else None
    )
    summary = render(
        "announcements",
        "preview_summary.j2",
        channels=Mrkdwn(", ".join(f"<#{c}>" for c in _channels(announcement))),
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


def own_draft(session: Session, announcement_id: int, user_id: str) -> Announcement:
    """A person's own draft.

    Raises:
        NotFound: gone, or someone else's.
    """
    announcement = session.get(Announcement, announcement_id)
    if announcement is None or announcement.author_id != user_id:
        raise NotFound("That draft is gone; run `/announce` again.")
    return announcement


def _replaces(announcement: Announcement) -> int | None:
    """The announcement a draft would replace once confirmed (an edit), if any."""
    note = announcement.review_note or ""
    return _number(note.removeprefix("replaces:")) if note.startswith("replaces:") else None


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
    return replace(
        context,
        draft=draft_of(session, announcement),
        announcement_id=_replaces(announcement),
    )


@dataclass(frozen=True)
class Instant:
    """A clock stopped at one instant (for scheduling "now" against a moving real clock)."""

    instant: datetime

    def now(self) -> datetime:
        """The instant."""
        return self.instant


def _schedule(session: Session, clock: Clock, announcement: Announcement) -> str:
    now = clock.now()
    if announcement.when == "recurring" and announcement.rule:
        schedule = schedules.schedule_recurring(
            session=session,
            clock=clock,
            kind=POST_KIND,
            ref_id=str(announcement.id),
            rule=schedules.Recurrence.from_json(announcement.rule),
            timezone=announcement.timezone,
            owner_user_id=announcement.author_id,
        )
        announcement.state = State.RECURRING.value
    else:
        at = announcement.at if announcement.when == "at" and announcement.at else now
        if at < now:
            # Approved after its time: it goes now rather than never.
            at = now
        schedule = schedules.schedule_once(
            session=session,
            # "Now" must not count as past a few microseconds later on a real clock.
            clock=Instant(now),
            kind=POST_KIND,
            ref_id=str(announcement.id),
            at=at,
            owner_user_id=announcement.author_id,
            timezone=announcement.timezone,
        )
        announcement.state = State.SCHEDULED.value
    announcement.schedule_id = schedule.id
    announcement.updated_at = now
    session.add(announcement)
    if announcement.when == "now":
        return f"Announcement #{announcement.id} is going out now."
    return (
        f"Announcement #{announcement.id} is scheduled: {when_text(announcement)}. "
        f"`/announce cancel {announcement.id}` stops it."
    )


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
    for channel_id in _channels(announcement):
        directory.may_post_to(
            session=session, admins=policy.admins, user_id=user_id, channel_id=channel_id
        )
    replaced = ""
    old_id = _replaces(announcement)
    if old_id is not None:
        _stop(session, clock, old_id)
        announcement.review_note = None
        replaced = f" It replaces #{old_id}, which is cancelled."
    if announcement.save_template_as and is_comms(session, policy, user_id):
        _save_template(session, clock, announcement)
    reason = _approval_reason(session, policy, announcement)
    if reason:
        announcement.needs_approval = True
        announcement.state = State.PENDING_APPROVAL.value
        announcement.updated_at = clock.now()
        session.add(announcement)
        review = Review(
            announcement_id=announcement_id,
            author_id=user_id,
            reason=reason,
            summary=f"{', '.join(f'<#{c}>' for c in _channels(announcement))} · "
            f"{when_text(announcement)}",
            post=post_view(session, announcement),
        )
        reviewers = _send_for_review(session, clock, policy, renderer, review)
        return Outcome(
            announcement_id,
            announcement.state,
            f"Announcement #{announcement_id} needs approval because {reason}. It went to "
            "communications; you will hear the outcome here. Nothing is posted before that."
            + replaced,
            review=review,
            reviewers=reviewers,
        )
    text = _schedule(session, clock, announcement)
    return Outcome(announcement_id, announcement.state, text + replaced)


def _save_template(session: Session, clock: Clock, announcement: Announcement) -> None:
    name = announcement.save_template_as or ""
    template = session.exec(select(SavedTemplate).where(SavedTemplate.name == name)).first()
    if template is None:
        template = SavedTemplate(
            name=name,
            title=announcement.title,
            body=announcement.body,
            created_by=announcement.author_id,
            created_at=clock.now(),
        )
    template.title, template.body = announcement.title, announcement.body
    session.add(template)


def _reviewers(session: Session, policy: Policy) -> list[str]:
    people = [
        user_id
        for user_id, role, _ in directory.assignments(session=session, admins=policy.admins)
        if role in (Role.ADMIN, Role.COMMS)
    ]
    return list(dict.fromkeys(people))


def _send_for_review(
    session: Session, clock: Clock, policy: Policy, renderer: Renderer, review: Review
) -> list[str]:
    campaign = f"announcement-{review.announcement_id}"
    delivery.open_campaign(
        session=session,
        clock=clock,
        campaign_id=campaign,
        kind="announcement",
        title=review.post.title,
        owner_user_id=review.author_id,
    )
    channel = approval_channel(session=session)
    targets = [channel] if channel else _reviewers(session, policy)
    blocks = renderer.approval_request(review)
    stamp = clock.now().strftime("%Y%m%d%H%M%S")
    delivery.enqueue(
        session=session,
        clock=clock,
        campaign_id=campaign,
        messages=[
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
    campaign = f"announcement-{announcement.id}"
    delivery.enqueue(
        session=session,
        clock=clock,
        campaign_id=campaign,
        messages=[
            OutboundMessage(
                target=announcement.author_id,
                text=text,
                idempotency_key=f"ann:{announcement.id}:{key}",
            )
        ],
        kind="announcement",
        title=announcement.title,
        owner_user_id=announcement.author_id,
    )


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
    text = _schedule(session, clock, announcement)
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


# -- posting (schedule handlers) --------------------------------------------------------------


def add_working_days(start: datetime, days: int, zone: str) -> datetime:
    """`days` working days (Mon-Fri in `zone`) after `start`, at the same wall-clock time."""
    local = start.astimezone(ZoneInfo(zone))
    counted = 0
    while counted < days:
        local = local + timedelta(days=1)
        if local.weekday() < 5:
            counted += 1
    return local.astimezone(UTC)


def post_occurrence(
    *,
    session: Session,
    clock: Clock,
    renderer: Renderer,
    announcement_id: int,
    occurrence: datetime,
    late: bool,
) -> AnnouncementPost | None:
    """Post one occurrence to its channels through the outbox (in the claiming transaction)."""
    announcement = session.get(Announcement, announcement_id)
    if announcement is None or announcement.state not in (
        State.SCHEDULED.value,
        State.RECURRING.value,
    ):
        return None
    existing = session.exec(
        select(AnnouncementPost).where(
            AnnouncementPost.announcement_id == announcement_id,
            AnnouncementPost.occurrence_at == occurrence,
        )
    ).first()
    if existing is not None:
        return existing
    now = clock.now()
    audience = audience_ids(session, announcement)
    post = AnnouncementPost(
        announcement_id=announcement_id,
        occurrence_at=occurrence,
        posted_at=now,
        audience_count=len(audience),
    )
    session.add(post)
    session.flush()
    view = post_view(session, announcement, post)
    campaign = f"announcement-{announcement_id}"
    delivery.open_campaign(
        session=session,
        clock=clock,
        campaign_id=campaign,
        kind="announcement",
        title=announcement.title,
        owner_user_id=announcement.author_id,
    )
    blocks = renderer.announcement(view)
    delivery.enqueue(
        session=session,
        clock=clock,
        campaign_id=campaign,
        messages=[
            OutboundMessage(
                target=channel_id,
                text=escape(announcement.title),
                blocks=blocks,
                idempotency_key=post_key(post.id or 0, channel_id),
            )
            for channel_id in _channels(announcement)
        ],
    )
    if announcement.when != "recurring":
        announcement.state = State.POSTED.value
        announcement.updated_at = now
        session.add(announcement)
    if announcement.must_read and announcement.max_reminders > 0:
        schedules.schedule_once(
            session=session,
            clock=clock,
            kind=REMIND_KIND,
            ref_id=str(post.id),
            at=add_working_days(now, announcement.remind_after_days, announcement.timezone),
            owner_user_id=announcement.author_id,
            timezone=announcement.timezone,
        )
    return post


def post_key(post_id: int, channel_id: str) -> str:
    """The outbox key of a post in a channel (used to find its ts for updates and deletes)."""
    return f"ann:post:{post_id}:{channel_id}"


def remind(*, session: Session, clock: Clock, renderer: Renderer, post_id: int) -> int:
    """DM a reminder to everyone in the audience who has not acknowledged; returns how many."""
    post = session.get(AnnouncementPost, post_id)
    if post is None:
        return 0
    announcement = session.get(Announcement, post.announcement_id)
    if announcement is None or announcement.state == State.CANCELLED.value:
        return 0
    if post.reminders_sent >= announcement.max_reminders:
        return 0
    acked = set(
        session.exec(
            select(Acknowledgement.user_id).where(Acknowledgement.post_id == post_id)
        ).all()
    )
    missing = [u for u in audience_ids(session, announcement) if u not in acked]
    number = post.reminders_sent + 1
    view = post_view(session, announcement, post)
    blocks = renderer.reminder(view)
    campaign = f"announcement-{announcement.id}"
    delivery.enqueue(
        session=session,
        clock=clock,
        campaign_id=campaign,
        messages=(
            OutboundMessage(
                target=user_id,
                text=f"Reminder: please read and acknowledge “{escape(announcement.title)}”.",
                blocks=blocks,
                idempotency_key=f"ann:remind:{post_id}:{number}:{user_id}",
            )
            for user_id in missing
        ),
        kind="announcement",
        title=announcement.title,
        owner_user_id=announcement.author_id,
    )
    post.reminders_sent = number
    session.add(post)
    if number < announcement.max_reminders and missing:
        schedules.schedule_once(
            session=session,
            clock=clock,
            kind=REMIND_KIND,
            ref_id=str(post_id),
            at=add_working_days(clock.now(), announcement.remind_after_days, announcement.timezone),
            owner_user_id=announcement.author_id,
            timezone=announcement.timezone,
        )
    return len(missing)


# -- acknowledgements ------------------------------------------------------------------------


def _may_see_announcement(
    session: Session, members: ChannelMembers, announcement: Announcement, user_id: str
) -> bool:
    return announcement.author_id == user_id or may_see(
        session=session, members=members, channel_ids=_channels(announcement), user_id=user_id
    )


def require_post_visible(
    *, session: Session, members: ChannelMembers, post_id: int, user_id: str
) -> AnnouncementPost:
    """A posted must-read the person may act on: one in a public channel, or in a private one
    they are a member of (or their own).

    Raises:
        NotFound: no such post, one the person cannot see, or not a must-read.
    """
    post = session.get(AnnouncementPost, post_id)
    announcement = session.get(Announcement, post.announcement_id) if post is not None else None
    if (
        post is None
        or announcement is None
        or not announcement.must_read
        or not _may_see_announcement(session, members, announcement, user_id)
    ):
        # One answer for all of these: the id of a private channel's post reveals nothing.
        raise NotFound("There is no must-read announcement here for you to acknowledge.")
    return post


def acknowledge(
    *, session: Session, clock: Clock, members: ChannelMembers, post_id: int, user_id: str
) -> bool:
    """Record that a person read a must-read post; a second click changes nothing.

    Returns:
        True when this click was the person's first.

    Raises:
        NotFound: no such post, or one in private channels the person is not in.
    """
    require_post_visible(session=session, members=members, post_id=post_id, user_id=user_id)
    insert = (
        postgresql.insert(Acknowledgement)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(Acknowledgement)
    )
    inserted = session.execute(
        insert.values(post_id=post_id, user_id=user_id, acked_at=clock.now())
        .on_conflict_do_nothing(index_elements=["post_id", "user_id"])
        .returning(col(Acknowledgement.user_id))
    ).first()
    if inserted is None:
        return False
    session.execute(
        update(AnnouncementPost)
        .where(col(AnnouncementPost.id) == post_id)
        .values(ack_count=AnnouncementPost.ack_count + 1)
    )
    return True


@dataclass(frozen=True)
class CountRefresh:
    """A posted message whose acknowledgement count must be shown again."""

    channel: str
    ts: str
    blocks: list[dict[str, Any]]
    text: str


def claim_count_refreshes(
    *, session: Session, renderer: Renderer, limit: int = 20
) -> list[CountRefresh]:
    """Posts whose shown count lags, claimed (each once across replicas), as messages to update."""
    stale = session.exec(
        select(AnnouncementPost)
        .where(col(AnnouncementPost.ack_count) != col(AnnouncementPost.shown_count))
        .limit(limit)
    ).all()
    refreshes: list[CountRefresh] = []
    for post in stale:
        count, shown = post.ack_count, post.shown_count
        claimed = session.execute(
            update(AnnouncementPost)
            .where(col(AnnouncementPost.id) == post.id, col(AnnouncementPost.shown_count) == shown)
            .values(shown_count=count)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            continue
        announcement = session.get(Announcement, post.announcement_id)
        if announcement is None:
            continue
        session.refresh(post)
        blocks = renderer.announcement(post_view(session, announcement, post))
        sent = session.exec(
            select(Delivery).where(
                col(Delivery.idempotency_key).startswith(f"ann:post:{post.id}:"),
                col(Delivery.ts).is_not(None),
            )
        ).all()
        refreshes += [
            CountRefresh(
                channel=d.channel or d.target, ts=d.ts or "", blocks=blocks, text=announcement.title
            )
            for d in sent
        ]
    return refreshes


def stats(
    *,
    session: Session,
    policy: Policy,
    members: ChannelMembers,
    user_id: str,
    announcement_id: int,
) -> Stats:
    """The acknowledgement rate of an announcement's latest post: for its author, and for
    comms and admins who may see it (one posted only in private channels: their members).

    Raises:
        NotFound: no such announcement, or one only in private channels the person is not in.
        PermissionDenied: someone else's, and not comms.
        InvalidInput: it is not a must-read, or has not gone out yet.
    """
    announcement = session.get(Announcement, announcement_id)
    if (
        announcement is None
        or announcement.state == State.DRAFT.value
        or not _may_see_announcement(session, members, announcement, user_id)
    ):
        raise NotFound(
            f"There is no announcement #{announcement_id} you can see; `/announce list` shows yours."
        )
    if announcement.author_id != user_id and not is_comms(session, policy, user_id):
        raise PermissionDenied(
            "Only the author, communications staff and admins see these figures."
        )
    if not announcement.must_read:
        raise InvalidInput(
            f"#{announcement_id} is not a must-read, so nobody is asked to acknowledge it."
        )
    posts = session.exec(
        select(AnnouncementPost)
        .where(AnnouncementPost.announcement_id == announcement_id)
        .order_by(col(AnnouncementPost.occurrence_at).desc())
    ).all()
    if not posts:
        raise InvalidInput(f"#{announcement_id} has not gone out yet ({when_text(announcement)}).")
    latest = posts[0]
    return Stats(
        announcement_id=announcement_id,
        title=announcement.title,
        audience=latest.audience_count,
        acknowledged=latest.ack_count,
        reminders_sent=latest.reminders_sent,
        posts=len(posts),
    )


# -- manage ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    """One line of /announce list."""

    announcement_id: int
    title: str
    state: str
    when: str
    channels: list[str]
    author_id: str


def listing(*, session: Session, policy: Policy, user_id: str) -> list[Listed]:
    """Upcoming, recurring and waiting announcements: one's own, or everyone's for comms."""
    require_announcer(session=session, policy=policy, user_id=user_id)
    query = select(Announcement).where(
        col(Announcement.state).in_(
            [
                State.SCHEDULED.value,
                State.RECURRING.value,
                State.PENDING_APPROVAL.value,
                State.CHANGES_REQUESTED.value,
            ]
        )
    )
    if not is_comms(session, policy, user_id):
        query = query.where(Announcement.author_id == user_id)
    zone = zone_of(session, user_id)
    rows = session.exec(query.order_by(col(Announcement.id))).all()
    return [
        Listed(
            announcement_id=a.id or 0,
            title=a.title,
            state=a.state,
            when=when_text(a, zone),
            channels=_channels(a),
            author_id=a.author_id,
        )
        for a in rows[:50]
    ]


def _editable(session: Session, policy: Policy, user_id: str, announcement_id: int) -> Announcement:
    announcement = session.get(Announcement, announcement_id)
    if announcement is None or announcement.state == State.DRAFT.value:
        raise NotFound(f"There is no announcement #{announcement_id}; `/announce list` shows them.")
    if announcement.author_id != user_id and not is_comms(session, policy, user_id):
        raise PermissionDenied(
            f"#{announcement_id} is <@{announcement.author_id}>'s; only they, communications "
            "staff and admins can change it."
        )
    if announcement.state in (State.POSTED.value, State.CANCELLED.value):
        raise InvalidInput(
            f"#{announcement_id} is {announcement.state} already; compose a new one with "
            "`/announce`."
        )
    return announcement


def _stop(session: Session, clock: Clock, announcement_id: int) -> int:
    announcement = session.get(Announcement, announcement_id)
    if announcement is None:
        return 0
    if announcement.schedule_id is not None:
        schedules.cancel(session=session, clock=clock, schedule_id=announcement.schedule_id)
    post_ids = [
        p
        for p in session.exec(
            select(AnnouncementPost.id).where(AnnouncementPost.announcement_id == announcement_id)
        ).all()
        if p is not None
    ]
    if post_ids:
        reminders = session.exec(
            select(Schedule.id).where(
                Schedule.kind == REMIND_KIND,
                col(Schedule.ref_id).in_([str(p) for p in post_ids]),
                Schedule.state == schedules.ACTIVE,
            )
        ).all()
        for schedule_id in reminders:
            if schedule_id is not None:
                schedules.cancel(session=session, clock=clock, schedule_id=schedule_id)
    cancelled = 0
    campaign = f"announcement-{announcement_id}"
    if session.get(Campaign, campaign) is not None:
        cancelled = delivery.cancel_pending(session=session, campaign_id=campaign)
    announcement.state = State.CANCELLED.value
    announcement.updated_at = clock.now()
    session.add(announcement)
    return cancelled


def cancel(
    *, session: Session, clock: Clock, policy: Policy, user_id: str, announcement_id: int
) -> str:
    """Stop an announcement: its schedule, reminders and unsent messages.

    Raises:
        NotFound, PermissionDenied, InvalidInput: as for edits.
    """
    announcement = session.get(Announcement, announcement_id)
    if announcement is not None and announcement.state == State.POSTED.value:
        _check_owner(session, policy, user_id, announcement)
        stopped = _stop(session, clock, announcement_id)
        return (
            f"#{announcement_id} was already posted; its reminders are stopped"
            + (f" and {counted(stopped, 'unsent message')} cancelled" if stopped else "")
            + f". `/announce delete {announcement_id}` removes the posted messages."
        )
    _editable(session, policy, user_id, announcement_id)
    stopped = _stop(session, clock, announcement_id)
    extra = f" ({counted(stopped, 'unsent message')} withdrawn)" if stopped else ""
    return f":no_entry_sign: Announcement #{announcement_id} is cancelled{extra}; nothing more goes out."


def _check_owner(
    session: Session, policy: Policy, user_id: str, announcement: Announcement
) -> None:
    if announcement.author_id != user_id and not is_comms(session, policy, user_id):
        raise PermissionDenied(
            f"#{announcement.id} is <@{announcement.author_id}>'s; only they, communications "
            "staff and admins can change it."
        )


def posted_messages(
    *, session: Session, clock: Clock, policy: Policy, user_id: str, announcement_id: int
) -> list[tuple[str, str]]:
    """Stop an announcement and return its posted messages (channel, ts) for deletion.

    Only its author, comms and admins may.

    Raises:
        NotFound: no such announcement.
        PermissionDenied: someone else's, and not comms.
    """
    announcement = session.get(Announcement, announcement_id)
    if announcement is None or announcement.state == State.DRAFT.value:
        raise NotFound(f"There is no announcement #{announcement_id}.")
    _check_owner(session, policy, user_id, announcement)
    _stop(session, clock, announcement_id)
    post_ids = session.exec(
        select(AnnouncementPost.id)
        .where(AnnouncementPost.announcement_id == announcement_id)
        .order_by(col(AnnouncementPost.id))
    ).all()
    found: list[tuple[str, str]] = []
    for post_id in post_ids:
        for row in session.exec(
            select(Delivery)
            .where(
                col(Delivery.idempotency_key).startswith(f"ann:post:{post_id}:"),
                col(Delivery.ts).is_not(None),
            )
            .order_by(col(Delivery.id))
        ).all():
            found.append((row.channel or row.target, row.ts or ""))
    return found


@dataclass(frozen=True)
class Deletion:
    """What deleting an announcement's posted messages did, message by message."""

    announcement_id: int
    deleted: int = 0
    already_gone: int = 0
    # (channel, Slack's error) of each message that could not be deleted.
    failed: tuple[tuple[str, str], ...] = ()


def deletion_text(deletion: Deletion) -> str:
    """What the author is told after the deletes: what went, what was gone, what is left."""
    parts = [f":wastebasket: Announcement #{deletion.announcement_id} is cancelled."]
    if deletion.deleted:
        parts.append(f"Deleted {counted(deletion.deleted, 'posted message')}.")
    if deletion.already_gone:
        was = "was" if deletion.already_gone == 1 else "were"
        parts.append(f"{counted(deletion.already_gone, 'message')} {was} already gone.")
    if deletion.failed:
        where = ", ".join(
            f"<#{channel}> ({escape(error)})" for channel, error in deletion.failed[:10]
        )
        parts.append(
            f"{counted(len(deletion.failed), 'message')} could not be deleted: {where}. "
            f"Delete {'it' if len(deletion.failed) == 1 else 'them'} in Slack, or run "
            f"`/announce delete {deletion.announcement_id}` again later."
        )
    if not (deletion.deleted or deletion.already_gone or deletion.failed):
        parts.append("It had no posted messages to delete.")
    return " ".join(parts)
