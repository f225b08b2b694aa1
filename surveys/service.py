"""Pulse surveys' operations: create a program, launch runs, take answers, remind, close.

Permissions live here: HR (admins, comms, and members of the department whose handle is `hr`)
may survey anyone; managers only their own departments; members cannot run surveys. Results
are computed in surveys/results.py; what people read is rendered by the listeners and jobs.
"""

import hashlib
import hmac
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot import delivery, schedules
from bot.args import parse_time, shown
from bot.clock import Clock
from bot.delivery import OutboundMessage
from bot.errors import FieldErrors, InvalidInput, NotFound, PermissionDenied
from bot.models import Delivery
from bot.mrkdwn import escape
from directory import service as directory
from directory.models import Channel, Department, DepartmentMember, Person, Role
from surveys.models import (
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyAttribution,
    SurveyInvitation,
    SurveyQuestion,
    SurveyRun,
    SurveyState,
    SurveyUpload,
)
from surveys.questions import QuestionSpec, check_questions, check_value
from surveys.sentiment import score

LAUNCH_KIND = "surveys.launch"
REMIND_KIND = "surveys.remind"
CLOSE_KIND = "surveys.close"
HR_HANDLE = "hr"

CADENCES = {"weekly": 7, "biweekly": 14, "monthly": 28, "quarterly": 90}
AUDIENCES = ("everyone", "departments", "channel")
THRESHOLD_RANGE = (3, 10)
MAX_WINDOW_DAYS = 30
MAX_REMINDERS = 10
MAX_DEPARTMENTS = 100  # what the modal's select offers
MAX_AUDIENCE_REFS = 1000  # survey.audience_refs' length
# Survey, run, question and department ids and run numbers are INTEGER columns: 32-bit on
# PostgreSQL, so a larger number names no row (and must not reach the database).
MAX_ROW_NUMBER = 2**31 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}", re.ASCII)


class ChannelMembers(Protocol):
    """Who is in a channel (Slack's conversations.members, fetched once per run launch)."""

    def __call__(self, channel_id: str) -> list[str]: ...


_ANSWER_FIELD = "question:"


def answer_field(question_id: int) -> str:
    """The domain name of one question's answer, for errors about it (the answer form maps it)."""
    return f"{_ANSWER_FIELD}{question_id}"


def question_of_field(name: str) -> int | None:
    """The question an `answer_field` name is about (None for any other name)."""
    digits = name.removeprefix(_ANSWER_FIELD)
    if digits == name or not _ASCII_DIGITS.fullmatch(digits):
        return None
    return int(digits)


def row_number(text: str) -> int | None:
    """A row id or department id stored as text, or None when it cannot name a row."""
    if not _ASCII_DIGITS.fullmatch(text) or not 0 < int(text) <= MAX_ROW_NUMBER:
        return None
    return int(text)


@dataclass(frozen=True)
class SurveyDraft:
    """Everything the /pulse modal collects."""

    title: str
    questions: Sequence[QuestionSpec]
    template: str = "custom"
    audience_kind: str = "everyone"
    audience_refs: Sequence[str] = ()
    anonymous: bool = True
    threshold: int = 5
    strong_protection: bool = False
    window_days: int = 5
    cadence: str | None = None
    local_time: str | None = None
    weekdays_only: bool = True
    reminders: Sequence[str] = ("3", "last")
    start_at: datetime | None = None


@dataclass(frozen=True)
class Created:
    """A new survey and when its first run opens."""

    survey: Survey
    first_run_at: datetime
    audience_size: int
    cadence_text: str


@dataclass(frozen=True)
class Answered:
    """What an answer did."""

    replaced: bool
    closes_at: datetime
    anonymous: bool
    title: str = ""


@dataclass(frozen=True)
class Invitation:
    """A message to send to one person (rendered by jobs)."""

    user_id: str
    not_before: datetime


@dataclass
class SurveySummary:
    """One line of /pulse list."""

    survey: Survey
    runs: int
    latest: SurveyRun | None
    answered: int
    questions: int = 0
    next_run: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)


# -- who may do what -------------------------------------------------------------------------


def is_hr(*, session: Session, admins: Sequence[str], user_id: str) -> bool:
    """Admins, comms, and members of the department with handle `hr` run company-wide surveys."""
    role, _ = directory.role_of(session=session, admins=admins, user_id=user_id)
    if role in (Role.ADMIN, Role.COMMS):
        return True
    return any(
        d.handle.lower() == HR_HANDLE
        for d in directory.departments_of(session=session, user_id=user_id)
    )


def _require_may_survey(
    *, session: Session, admins: Sequence[str], user_id: str, draft: SurveyDraft
) -> None:
    if is_hr(session=session, admins=admins, user_id=user_id):
        return
    role, _ = directory.role_of(session=session, admins=admins, user_id=user_id)
    if role is not Role.MANAGER:
        raise PermissionDenied(
            "Pulse surveys are run by HR, communications and managers. Ask HR to run one, or "
            "an admin can make you a manager with `/commons role`."
        )
    mine = {str(d.id) for d in directory.departments_of(session=session, user_id=user_id)}
    if draft.audience_kind != "departments" or not set(draft.audience_refs) <= mine or not mine:
        raise PermissionDenied(
            "As a manager you can survey your own departments only: pick them under "
            "Departments (and no channel). HR and communications survey the whole company.",
            field="departments",
        )


def may_see(*, session: Session, admins: Sequence[str], user_id: str, survey: Survey) -> bool:
    """The author, HR, comms and admins see a survey's results."""
    return survey.author_id == user_id or is_hr(session=session, admins=admins, user_id=user_id)


def require_may_see(
    *, session: Session, admins: Sequence[str], user_id: str, survey: Survey
) -> None:
    """Raise unless the person may see results of this survey.

    Raises:
        PermissionDenied: not the author, HR, comms or an admin.
    """
    if not may_see(session=session, admins=admins, user_id=user_id, survey=survey):
        raise PermissionDenied(
            f"Only the author of survey {survey.id}, HR and communications can see its results "
            "or manage it."
        )


def modal_choices(
    *, session: Session, admins: Sequence[str], user_id: str
) -> tuple[list[tuple[int, str]], bool]:
    """The departments a person may survey and whether they are limited to them (a manager).

    Raises:
        PermissionDenied: members, who cannot run surveys.
    """
    if is_hr(session=session, admins=admins, user_id=user_id):
        departments = session.exec(
            select(Department).where(Department.active == True).order_by(col(Department.name))  # noqa: E712
        ).all()
        return [(d.id or 0, d.name) for d in departments], False
    role, _ = directory.role_of(session=session, admins=admins, user_id=user_id)
    mine = directory.departments_of(session=session, user_id=user_id)
    if role is not Role.MANAGER or not mine:
        raise PermissionDenied(
            "Pulse surveys are run by HR, communications and managers (for their department). "
            "Ask HR to run one; `/commons whoami` shows your role."
        )
    return [(d.id or 0, d.name) for d in mine], True


# -- creating --------------------------------------------------------------------------------


def _audience_ids(
    *, session: Session, kind: str, refs: Sequence[str], channel_members: ChannelMembers | None
) -> list[str]:
    if kind == "everyone":
        return directory.active_people_ids(session=session)
    if kind == "departments":
        numbers = [row_number(r) for r in refs]
        return directory.active_people_ids(
            session=session, department_ids=[n for n in numbers if n is not None]
        )
    if kind == "channel":
        if channel_members is None:
            return []
        members = set(channel_members(refs[0]))
        active = directory.active_people_ids(session=session)
        return [p for p in active if p in members]
    raise InvalidInput(f"Unknown audience {kind!r}: use everyone, departments or a channel.")


def _check_draft(*, session: Session, draft: SurveyDraft) -> None:
    """Refuse a draft with every wrong field named at once (by the draft's field names).

    Raises:
        FieldErrors: keyed by "questions", "title", "window", "cadence", "threshold",
            "local_time", "reminders", "departments" or "channel".
    """
    errors: dict[str, str] = {}
    try:
        check_questions(list(draft.questions))
    except InvalidInput as error:
        errors["questions"] = error.message
    title = draft.title.strip()
    if not title or len(title) > 150:
        errors["title"] = "Give the survey a title of 1 to 150 characters."
    errors.update(_schedule_errors(draft))
    low, high = THRESHOLD_RANGE
    if not low <= draft.threshold <= high:
        errors["threshold"] = f"The anonymity threshold is {low} to {high} answers."
    audience = _audience_error(session=session, draft=draft)
    if audience is not None:
        errors[audience[0]] = audience[1]
    if errors:
        raise FieldErrors(errors)


def _schedule_errors(draft: SurveyDraft) -> dict[str, str]:
    errors: dict[str, str] = {}
    window = draft.window_days
    if not 1 <= window <= MAX_WINDOW_DAYS:
        errors["window"] = f"The survey stays open 1 to {MAX_WINDOW_DAYS} days."
    if draft.cadence is not None:
        if draft.cadence not in CADENCES:
            errors["cadence"] = "Repeat weekly, biweekly, monthly or quarterly (or not at all)."
        elif window > CADENCES[draft.cadence]:
            errors["window"] = (
                f"A {draft.cadence} survey must close before the next run opens: keep it open "
                f"at most {CADENCES[draft.cadence]} days."
            )
    if draft.local_time is not None:
        try:
            parse_time(draft.local_time, field="local_time")
        except InvalidInput as error:
            errors["local_time"] = error.message
    if len(draft.reminders) > MAX_REMINDERS:
        errors["reminders"] = f"Remind on at most {MAX_REMINDERS} days."
        return errors
    for reminder in draft.reminders:
        number = int(reminder) if _ASCII_DIGITS.fullmatch(reminder) else None
        if reminder != "last" and not (number is not None and 2 <= number <= window):
            days = f"2 to {window}" if window >= 2 else "none in a 1-day window"
            errors["reminders"] = (
                f"Reminders are days of the window ({days}) or `last`; "
                f"`{shown(reminder)}` is neither."
            )
            break
    return errors


def _audience_error(*, session: Session, draft: SurveyDraft) -> tuple[str, str] | None:
    """The audience field that is wrong, and why (None when the audience is fine)."""
    if draft.audience_kind not in AUDIENCES:
        return "departments", "Send it to everyone, to departments, or to a channel's members."
    if draft.audience_kind in ("departments", "channel") and not draft.audience_refs:
        return draft.audience_kind, f"Pick the {draft.audience_kind} to survey."
    if draft.audience_kind == "departments":
        if any(row_number(ref) is None for ref in draft.audience_refs):
            return "departments", "Pick the departments from the list."
        refs = draft.audience_refs
        if len(refs) > MAX_DEPARTMENTS or len(",".join(refs)) > MAX_AUDIENCE_REFS:
            return "departments", f"Pick at most {MAX_DEPARTMENTS} departments."
        return None
    if draft.audience_kind != "channel":
        return None
    try:
        channel = directory.find_channel(session=session, reference=draft.audience_refs[0])
    except NotFound as error:
        return "channel", error.message
    if channel.is_archived:
        return "channel", f"<#{channel.slack_id}> is archived; nobody is there to ask."
    if channel.member_count == 0:
        return "channel", f"<#{channel.slack_id}> has no members to ask."
    return None


def _resolved(*, session: Session, draft: SurveyDraft) -> SurveyDraft:
    """The draft with a channel named by its name (`#general`) stored by its id."""
    if draft.audience_kind != "channel":
        return draft
    channel = directory.find_channel(session=session, reference=draft.audience_refs[0])
    return replace(draft, audience_refs=[channel.slack_id])


def _parse_time(text: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"“{shown(text)}” is not a time of day: write it like 10:00.", field="local_time"
        ) from None


def _rule(cadence: str, local: datetime) -> schedules.Recurrence:
    at = local.time().replace(second=0, microsecond=0)
    day = local.strftime("%a").lower()
    if cadence == "weekly":
        return schedules.weekly([day], at)
    if cadence == "biweekly":
        return schedules.every_n_weeks(2, day, at, local.date())
    if cadence == "monthly":
        return schedules.monthly_on_day(min(local.day, 28), at)
    return schedules.quarterly(min(local.day, 28), at, first_month=(local.month - 1) % 3 + 1)


def create_survey(
    *,
    session: Session,
    clock: Clock,
    admins: Sequence[str],
    author: str,
    draft: SurveyDraft,
    timezone: str,
    channel_members: ChannelMembers | None = None,
) -> Created:
    """Store a survey program and schedule its first run (all in the caller's transaction).

    Args:
        session: the unit of work.
        clock: the time now.
        admins: COMMONS_ADMINS.
        author: who creates it (gets results).
        draft: what the modal collected.
        timezone: the author's zone: a recurring survey repeats at this wall-clock time.
        channel_members: resolves a channel audience (checked now, and again at each launch).

    Returns:
        The survey, its first run time, and how many people it reaches today.

    Raises:
        PermissionDenied: the author may not survey this audience.
        FieldErrors: no questions, a bad title, window, threshold, time or reminder day, or a
            channel Commons cannot ask (keyed by the draft's field names).
        InvalidInput: an audience that resolves to nobody (field "departments" or "channel").
    """
    _check_draft(session=session, draft=draft)
    draft = _resolved(session=session, draft=draft)
    _require_may_survey(session=session, admins=admins, user_id=author, draft=draft)
    if draft.audience_kind == "channel" and channel_members is None:
        # Members are fetched from Slack once per run, at launch; today's count is the directory's.
        channel = session.get(Channel, draft.audience_refs[0])
        audience_size = channel.member_count if channel is not None else 0
    else:
        audience_size = len(
            _audience_ids(
                session=session,
                kind=draft.audience_kind,
                refs=draft.audience_refs,
                channel_members=channel_members,
            )
        )
    if not audience_size:
        raise InvalidInput(
            "That audience resolves to nobody Commons knows (check the departments or channel, "
            "or run `/commons sync`): nothing was created.",
            field="channel" if draft.audience_kind == "channel" else "departments",
        )
    now = clock.now()
    survey = Survey(
        title=draft.title.strip(),
        author_id=author,
        template=draft.template,
        audience_kind=draft.audience_kind,
        audience_refs=",".join(draft.audience_refs),
        anonymous=draft.anonymous,
        threshold=draft.threshold,
        strong_protection=draft.strong_protection,
        window_days=draft.window_days,
        cadence=draft.cadence,
        local_time=draft.local_time,
        weekdays_only=draft.weekdays_only,
        reminders=",".join(draft.reminders),
        timezone=timezone,
        created_at=now,
    )
    session.add(survey)
    session.flush()
    assert survey.id is not None
    for position, spec in enumerate(draft.questions):
        session.add(
            SurveyQuestion(
                survey_id=survey.id,
                position=position,
                kind=spec.kind.value,
                text=spec.text,
                options="\n".join(spec.options),
                required=spec.required,
            )
        )
    start = max(draft.start_at or now, now)
    if draft.cadence is None:
        schedule = schedules.schedule_once(
            session=session,
            clock=clock,
            kind=LAUNCH_KIND,
            ref_id=str(survey.id),
            at=start,
            owner_user_id=author,
            timezone=timezone,
        )
        cadence_text = "once"
    else:
        # Recurring runs start on the minute: the first one at the next whole minute.
        local = start.astimezone(ZoneInfo(timezone))
        if local.second or local.microsecond or start == now:
            local = (local + timedelta(minutes=1)).replace(second=0, microsecond=0)
        rule = _rule(draft.cadence, local)
        schedule = schedules.schedule_recurring(
            session=session,
            clock=clock,
            kind=LAUNCH_KIND,
            ref_id=str(survey.id),
            rule=rule,
            timezone=timezone,
            owner_user_id=author,
            start_after=local.astimezone(UTC) - timedelta(seconds=1),
        )
        cadence_text = f"{draft.cadence}, {rule.describe()} ({timezone})"
    survey.schedule_id = schedule.id
    session.add(survey)
    assert schedule.next_run_at is not None
    return Created(
        survey=survey,
        first_run_at=schedule.next_run_at,
        audience_size=audience_size,
        cadence_text=cadence_text,
    )


# -- launching a run -------------------------------------------------------------------------


def _first_local_slot(after: datetime, tz: str, at: time, weekdays_only: bool) -> datetime:
    try:
        zone = ZoneInfo(tz)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    local = after.astimezone(zone)
    day: date = local.date()
    for _ in range(8):
        candidate = datetime.combine(day, at, tzinfo=zone)
        if candidate >= local and (not weekdays_only or candidate.weekday() < 5):
            return candidate.astimezone(UTC)
        day += timedelta(days=1)
    return after


def _primary_departments(session: Session, people: Sequence[str]) -> dict[str, int]:
    rows = session.exec(
        select(DepartmentMember.person_id, func.min(DepartmentMember.department_id))
        .join(Department, col(Department.id) == DepartmentMember.department_id)
        .where(Department.active == True)  # noqa: E712
        .group_by(col(DepartmentMember.person_id))
    ).all()
    wanted = set(people)
    return {person: dept for person, dept in rows if person in wanted}


@dataclass(frozen=True)
class Launched:
    """A new run and whom to invite."""

    run: SurveyRun
    invitations: list[Invitation]


def launch_run(
    *,
    session: Session,
    clock: Clock,
    survey_id: int,
    channel_members: ChannelMembers | None,
) -> Launched | None:
    """Open a run of a survey: invitations recorded, reminders and the close scheduled.

    Returns:
        The run and whom to invite, or None when the survey is not active or its audience
        resolves to nobody today (the caller tells the author).
    """
    survey = session.get(Survey, survey_id)
    if survey is None or survey.state != SurveyState.ACTIVE.value:
        return None
    audience = _audience_ids(
        session=session,
        kind=survey.audience_kind,
        refs=[r for r in survey.audience_refs.split(",") if r],
        channel_members=channel_members,
    )
    if not audience:
        return None
    now = clock.now()
    number = (
        session.exec(
            select(func.max(SurveyRun.number)).where(SurveyRun.survey_id == survey_id)
        ).one()
        or 0
    ) + 1
    zones: dict[str, str] = {}
    if survey.local_time:
        zones = dict(
            session.exec(
                select(Person.slack_id, Person.tz).where(col(Person.slack_id).in_(audience))
            ).all()
        )
    at = _parse_time(survey.local_time) if survey.local_time else None
    invitations = [
        Invitation(
            user_id=person,
            not_before=_first_local_slot(now, zones.get(person, "UTC"), at, survey.weekdays_only)
            if at is not None
            else now,
        )
        for person in audience
    ]
    last_invite = max(i.not_before for i in invitations)
    run = SurveyRun(
        survey_id=survey_id,
        number=number,
        opened_at=now,
        closes_at=last_invite + timedelta(days=survey.window_days),
        invited=len(invitations),
    )
    session.add(run)
    session.flush()
    assert run.id is not None
    departments = _primary_departments(session, audience)
    rows = [
        {
            "run_id": run.id,
            "user_id": i.user_id,
            "department_id": departments.get(i.user_id),
            "invited_at": i.not_before,
            "answered": False,
        }
        for i in invitations
    ]
    for start in range(0, len(rows), 1000):
        session.execute(insert(SurveyInvitation), rows[start : start + 1000])
    schedules.schedule_once(
        session=session,
        clock=clock,
        kind=CLOSE_KIND,
        ref_id=str(run.id),
        at=run.closes_at,
        owner_user_id=survey.author_id,
    )
    for day in reminder_offsets(survey, run):
        schedules.schedule_once(
            session=session,
            clock=clock,
            kind=REMIND_KIND,
            ref_id=f"{run.id}:{int(day.total_seconds())}",
            at=now + day,
            owner_user_id=survey.author_id,
        )
    return Launched(run=run, invitations=invitations)


def reminder_offsets(survey: Survey, run: SurveyRun) -> list[timedelta]:
    """When after each person's invitation they are reminded: "day 3" is two days after it."""
    window = timedelta(days=survey.window_days)
    offsets: set[timedelta] = set()
    for reminder in survey.reminders.split(","):
        if reminder == "last":
            offset = window - timedelta(days=1)
        elif reminder.isdigit():
            offset = timedelta(days=int(reminder) - 1)
        else:
            continue
        if timedelta(0) < offset < window:
            offsets.add(offset)
    return sorted(offsets)


def pending_reminders(*, session: Session, run_id: int, offset: timedelta) -> list[Invitation]:
    """The people of an open run who have not answered, with when to remind each."""
    run = session.get(SurveyRun, run_id)
    if run is None or run.state != "open":
        return []
    rows = session.exec(
        select(SurveyInvitation.user_id, SurveyInvitation.invited_at).where(
            SurveyInvitation.run_id == run_id,
            SurveyInvitation.answered == False,  # noqa: E712
        )
    ).all()
    return [Invitation(user_id=u, not_before=min(at + offset, run.closes_at)) for u, at in rows]


# -- answering -------------------------------------------------------------------------------


def respondent_token(secret: bytes, run_id: int, user_id: str) -> str:
    """HMAC(secret, run, person): stable within a run (to replace an answer), unlinkable without
    the secret, and different in every run (so runs cannot be joined per person)."""
    return hmac.new(secret, f"{run_id}:{user_id}".encode(), hashlib.sha256).hexdigest()


def questions_of(*, session: Session, survey_id: int) -> list[SurveyQuestion]:
    """A survey's questions in order."""
    return list(
        session.exec(
            select(SurveyQuestion)
            .where(SurveyQuestion.survey_id == survey_id)
            .order_by(col(SurveyQuestion.position))
        ).all()
    )


def open_run_for(
    *, session: Session, clock: Clock, run_id: int, user_id: str
) -> tuple[Survey, SurveyRun, list[SurveyQuestion]]:
    """The run a person is answering, if it is open and they were invited.

    Raises:
        NotFound: no such run, or the person was not invited to it.
        InvalidInput: the run has closed.
    """
    run = session.get(SurveyRun, run_id) if 0 < run_id <= MAX_ROW_NUMBER else None
    survey = session.get(Survey, run.survey_id) if run is not None else None
    if run is None or survey is None:
        raise NotFound("That survey no longer exists.")
    invited = session.exec(
        select(SurveyInvitation.id).where(
            SurveyInvitation.run_id == run_id, SurveyInvitation.user_id == user_id
        )
    ).first()
    if invited is None:
        raise NotFound("This survey was not sent to you, so Commons cannot take your answer.")
    if run.state != "open" or clock.now() >= run.closes_at:
        raise InvalidInput(
            f"*{escape(survey.title)}* has closed, so your answer was not recorded; "
            "thank you all the same."
        )
    return survey, run, questions_of(session=session, survey_id=survey.id or 0)


def _blank(raw: str | list[str]) -> bool:
    return not raw.strip() if isinstance(raw, str) else not any(v.strip() for v in raw)


def _checked_answers(
    questions: Sequence[SurveyQuestion], values: dict[int, str | list[str]], replace_all: bool
) -> dict[int, tuple[int | None, str | None]]:
    """The values to store by question id; every wrong or missing one is named at once.

    Raises:
        FieldErrors: keyed by `answer_field(question id)`.
        InvalidInput: a question of another survey.
    """
    by_id = {q.id: q for q in questions}
    stored: dict[int, tuple[int | None, str | None]] = {}
    errors: dict[str, str] = {}
    for question_id, raw in values.items():
        question = by_id.get(question_id)
        if question is None:
            raise InvalidInput("That question is not part of this survey.")
        if _blank(raw):
            continue
        kind, options = QuestionKind(question.kind), question.options.splitlines()
        try:
            value, text = check_value(kind, options, raw)
        except InvalidInput as error:
            errors[answer_field(question_id)] = error.message
            continue
        if value is not None or text is not None:
            stored[question_id] = (value, text)
    if replace_all:
        for question in questions:
            field_name = answer_field(question.id or 0)
            if question.required and question.id not in stored and field_name not in errors:
                errors[field_name] = "This question needs an answer."
    if errors:
        raise FieldErrors(errors)
    return stored


def answer(
    *,
    session: Session,
    clock: Clock,
    secret: bytes,
    run_id: int,
    user_id: str,
    values: dict[int, str | list[str]],
    replace_all: bool,
) -> Answered:
    """Record a person's answers; answering again before the close replaces the earlier ones.

    Args:
        run_id: the run answered (from a button or the answer form: re-checked here).
        user_id: the person acting: only their own invitation is answered.
        values: question id -> the value picked or written (blank: not answered).
        replace_all: a modal submission (every question at once): questions left empty drop
            an earlier answer. A button answers one question and leaves the others alone.

    Raises:
        FieldErrors: a required question without an answer, or a value off the scale, keyed
            by `answer_field(question id)`; nothing is stored.
        InvalidInput: a closed run, a question of another survey, or nothing picked.
        NotFound: not invited, or no such run.
    """
    survey, run, questions = open_run_for(
        session=session, clock=clock, run_id=run_id, user_id=user_id
    )
    stored = _checked_answers(questions, values, replace_all)
    if not stored:
        raise InvalidInput("Pick an answer first.")
    token = respondent_token(secret, run_id, user_id)
    replaced = (
        session.exec(
            select(func.count())
            .select_from(SurveyAnswer)
            .where(SurveyAnswer.run_id == run_id, SurveyAnswer.respondent == token)
        ).one()
        > 0
    )
    invitation = session.exec(
        select(SurveyInvitation).where(
            SurveyInvitation.run_id == run_id, SurveyInvitation.user_id == user_id
        )
    ).one()
    if replace_all:
        session.execute(
            delete(SurveyAnswer).where(
                col(SurveyAnswer.run_id) == run_id,
                col(SurveyAnswer.respondent) == token,
                col(SurveyAnswer.question_id).not_in(list(stored)),
            )
        )
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for question_id, (value, text) in stored.items():
        statement = upsert(SurveyAnswer).values(
            id=uuid.uuid4().hex,
            run_id=run_id,
            question_id=question_id,
            respondent=token,
            department_id=invitation.department_id,
            value=value,
            text=text,
            sentiment=score(text) if text else None,
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["run_id", "question_id", "respondent"],
                set_={
                    "value": statement.excluded.value,
                    "text": statement.excluded.text,
                    "sentiment": statement.excluded.sentiment,
                },
            )
        )
    if not survey.anonymous:
        exists = session.exec(
            select(SurveyAttribution.id).where(
                SurveyAttribution.run_id == run_id, SurveyAttribution.respondent == token
            )
        ).first()
        if exists is None:
            session.add(SurveyAttribution(run_id=run_id, respondent=token, user_id=user_id))
    if not invitation.answered:
        invitation.answered = True
        session.add(invitation)
        # Reminders queued for later (in this person's own morning) are no longer needed.
        session.execute(
            update(Delivery)
            .where(
                col(Delivery.idempotency_key).like(f"surveys:remind:{run_id}:%:{user_id}"),
                col(Delivery.state) == "pending",
            )
            .values(state="cancelled", error="answered")
        )
    return Answered(
        replaced=replaced, closes_at=run.closes_at, anonymous=survey.anonymous, title=survey.title
    )


# -- managing --------------------------------------------------------------------------------


def get_survey(*, session: Session, survey_id: int) -> Survey:
    """A survey by id (parsed from what the person typed with `bot.args.parse_id`).

    Raises:
        NotFound: no such survey.
    """
    survey = session.get(Survey, survey_id) if 0 < survey_id <= MAX_ROW_NUMBER else None
    if survey is None:
        raise NotFound(f"There is no survey {survey_id}; `/pulse list` shows yours.")
    return survey


def run_of(*, session: Session, survey: Survey, number: int | None = None) -> SurveyRun:
    """A survey's run by number, or its latest.

    Raises:
        NotFound: the survey has not run yet, or no such run.
    """
    query = select(SurveyRun).where(SurveyRun.survey_id == survey.id)
    if number is not None:
        if not 0 < number <= MAX_ROW_NUMBER:
            raise NotFound(f"Survey {survey.id} has no run {number}.")
        query = query.where(SurveyRun.number == number)
    run = session.exec(query.order_by(col(SurveyRun.number).desc())).first()
    if run is not None:
        return run
    if number is not None and run_of_latest(session=session, survey=survey) is not None:
        raise NotFound(f"Survey {survey.id} has no run {number}; `/pulse list` shows its latest.")
    raise NotFound(f"Survey {survey.id} has not run yet; results come once people can answer.")


def run_of_latest(*, session: Session, survey: Survey) -> SurveyRun | None:
    """A survey's latest run, if it has run."""
    return session.exec(
        select(SurveyRun)
        .where(SurveyRun.survey_id == survey.id)
        .order_by(col(SurveyRun.number).desc())
    ).first()


def request_results(
    *,
    session: Session,
    clock: Clock,
    admins: Sequence[str],
    user_id: str,
    survey_id: int,
    number: int | None,
) -> SurveyRun:
    """The run whose results a person asks for; its charts are queued for their DM.

    Raises:
        NotFound: no such survey or run.
        PermissionDenied: not the author, HR or comms.
    """
    survey = get_survey(session=session, survey_id=survey_id)
    require_may_see(session=session, admins=admins, user_id=user_id, survey=survey)
    run = run_of(session=session, survey=survey, number=number)
    queue_upload(session=session, clock=clock, run=run, kind="charts", user_id=user_id)
    return run


def request_export(
    *,
    session: Session,
    clock: Clock,
    admins: Sequence[str],
    user_id: str,
    survey_id: int,
    number: int | None,
) -> SurveyRun:
    """Queue the CSV of a run's aggregates for the person's DM.

    Raises:
        NotFound: no such survey or run.
        PermissionDenied: not the author, HR or comms.
    """
    survey = get_survey(session=session, survey_id=survey_id)
    require_may_see(session=session, admins=admins, user_id=user_id, survey=survey)
    run = run_of(session=session, survey=survey, number=number)
    queue_upload(session=session, clock=clock, run=run, kind="csv", user_id=user_id)
    return run


def list_surveys(
    *, session: Session, admins: Sequence[str], user_id: str, limit: int = 20
) -> list[SurveySummary]:
    """The surveys a person may see (their own; HR sees all), newest first."""
    query = select(Survey).order_by(col(Survey.id).desc()).limit(limit)
    if not is_hr(session=session, admins=admins, user_id=user_id):
        query = query.where(Survey.author_id == user_id)
    summaries: list[SurveySummary] = []
    for survey in session.exec(query).all():
        latest = run_of_latest(session=session, survey=survey)
        answered = 0
        if latest is not None:
            answered = session.exec(
                select(func.count()).where(
                    SurveyInvitation.run_id == latest.id,
                    SurveyInvitation.answered == True,  # noqa: E712
                )
            ).one()
        runs = session.exec(select(func.count()).where(SurveyRun.survey_id == survey.id)).one()
        summaries.append(
            SurveySummary(
                survey=survey,
                runs=runs,
                latest=latest,
                answered=answered,
                next_run=next_run_at(session=session, survey=survey) if survey.cadence else None,
            )
        )
    return summaries


def close_now(
    *, session: Session, clock: Clock, admins: Sequence[str], user_id: str, survey_id: int
) -> tuple[Survey, SurveyRun | None]:
    """Close a survey's open run now and stop its program (results go to the author).

    Raises:
        PermissionDenied: not the author, HR or comms.
        InvalidInput: already closed.
    """
    survey = get_survey(session=session, survey_id=survey_id)
    require_may_see(session=session, admins=admins, user_id=user_id, survey=survey)
    if survey.state == SurveyState.CLOSED.value:
        raise InvalidInput(f"Survey {survey.id} is already closed.")
    survey.state = SurveyState.CLOSED.value
    session.add(survey)
    if survey.schedule_id is not None:
        schedules.cancel(session=session, clock=clock, schedule_id=survey.schedule_id)
    run = session.exec(
        select(SurveyRun).where(SurveyRun.survey_id == survey.id, SurveyRun.state == "open")
    ).first()
    if run is not None:
        close_run(session=session, clock=clock, run=run)
    return survey, run


def close_run(*, session: Session, clock: Clock, run: SurveyRun) -> bool:
    """Close a run: the author gets the results by DM and the charts as files.

    Returns:
        False when the run was closed already (nothing is sent twice).
    """
    from surveys.render import results_text
    from surveys.results import run_results

    if run.state != "open":
        return False
    survey = session.get(Survey, run.survey_id)
    run.state = "closed"
    run.closed_at = clock.now()
    session.add(run)
    session.flush()
    # Reminders not yet posted are pointless now.
    session.execute(
        update(Delivery)
        .where(
            col(Delivery.idempotency_key).like(f"surveys:remind:{run.id}:%"),
            col(Delivery.state) == "pending",
        )
        .values(state="cancelled", error="closed")
    )
    if survey is None:
        return True
    text = results_text(run_results(session=session, run=run))
    campaign = f"surveys:run:{run.id}"
    delivery.enqueue(
        session=session,
        clock=clock,
        campaign_id=campaign,
        messages=[
            OutboundMessage(
                target=survey.author_id,
                text=text[:39_000],
                idempotency_key=f"surveys:results:{run.id}",
            )
        ],
        kind="survey",
        title=survey.title,
        owner_user_id=survey.author_id,
    )
    queue_upload(session=session, clock=clock, run=run, kind="charts", user_id=survey.author_id)
    return True


def pause_or_resume(
    *,
    session: Session,
    clock: Clock,
    admins: Sequence[str],
    user_id: str,
    survey_id: int,
    pause: bool,
) -> Survey:
    """Hold or resume a recurring program (the open run, if any, carries on to its close).

    Raises:
        PermissionDenied: not the author, HR or comms.
        InvalidInput: a one-off survey, or a closed one.
    """
    survey = get_survey(session=session, survey_id=survey_id)
    require_may_see(session=session, admins=admins, user_id=user_id, survey=survey)
    if survey.cadence is None or survey.schedule_id is None:
        raise InvalidInput(
            f"Survey {survey.id} runs once, so there is nothing to pause: "
            f"`/pulse close {survey.id}` closes it now."
        )
    if survey.state == SurveyState.CLOSED.value:
        raise InvalidInput(f"Survey {survey.id} is closed.")
    if pause:
        schedules.pause(session=session, clock=clock, schedule_id=survey.schedule_id)
        survey.state = SurveyState.PAUSED.value
    else:
        schedules.resume(session=session, clock=clock, schedule_id=survey.schedule_id)
        survey.state = SurveyState.ACTIVE.value
    session.add(survey)
    return survey


def next_run_at(*, session: Session, survey: Survey) -> datetime | None:
    """When the program opens its next run (None when paused or done)."""
    if survey.schedule_id is None:
        return None
    upcoming = schedules.upcoming(session=session, schedule_id=survey.schedule_id, count=1)
    return upcoming[0] if upcoming else None


def queue_upload(
    *, session: Session, clock: Clock, run: SurveyRun, kind: str, user_id: str
) -> SurveyUpload:
    """Ask the upload tick to send charts or a CSV to someone's DM."""
    upload = SurveyUpload(
        run_id=run.id or 0, kind=kind, target_user=user_id, created_at=clock.now()
    )
    session.add(upload)
    session.flush()
    return upload


def respondent_secret(signing_secret: str) -> bytes:
    """The key of respondent tokens, derived from the signing secret: never stored in the DB."""
    return hmac.new(
        signing_secret.encode(), b"commons/surveys/respondent-token/v1", hashlib.sha256
    ).digest()
