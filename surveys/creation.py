"""Creating a pulse survey program: the draft the /pulse modal collects, its checks, the schedule.

Permissions live here (through surveys/access.py): HR may survey anyone, managers only their
own departments, members cannot run surveys. An anonymous survey must reach at least as many
people as its threshold.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.clock import Clock
from bot.errors import FieldErrors, InvalidInput, NotFound, PermissionDenied
from bot.models import Schedule
from bot.scheduling import schedules
from bot.slack.args import parse_time, shown
from bot.text.mrkdwn import counted
from directory import service as directory
from directory.models import Channel, Role
from surveys.access import is_hr
from surveys.common import (
    ASCII_DIGITS,
    AUDIENCES,
    CADENCES,
    LAUNCH_KIND,
    MAX_AUDIENCE_REFS,
    MAX_DEPARTMENTS,
    MAX_REMINDERS,
    MAX_WINDOW_DAYS,
    THRESHOLD_RANGE,
    ChannelMembers,
    row_number,
)
from surveys.models import ResultsWhileOpen, Survey, SurveyQuestion
from surveys.questions import QuestionSpec, check_questions


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
    # "steps" or "close" (ResultsWhileOpen); None: at the close with strong protection, else steps.
    results_while_open: str | None = None
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


def audience_ids(
    *, session: Session, kind: str, refs: Sequence[str], channel_members: ChannelMembers | None
) -> list[str]:
    """The active people a survey's audience names today."""
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
    if draft.results_while_open not in (None, *(r.value for r in ResultsWhileOpen)):
        errors["results_while_open"] = "Show results in steps while open, or only at the close."
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
        number = int(reminder) if ASCII_DIGITS.fullmatch(reminder) else None
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


def local_time_of(text: str) -> time:
    """A survey's "send at" wall-clock time ("10:00")."""
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
) -> Created:
    """Store a survey program and schedule its first run (all in the caller's transaction).

    Args:
        session: the unit of work.
        clock: the time now.
        admins: COMMONS_ADMINS.
        author: who creates it (gets results).
        draft: what the modal collected.
        timezone: the author's zone: a recurring survey repeats at this wall-clock time.

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
    audience_size = _audience_size(session=session, draft=draft)
    now = clock.now()
    survey = _survey_of(draft, author=author, timezone=timezone, now=now)
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
    schedule, cadence_text = _schedule_first_run(
        session=session, clock=clock, survey=survey, start=draft.start_at, now=now
    )
    survey.schedule_id = schedule.id
    session.add(survey)
    assert schedule.next_run_at is not None
    return Created(
        survey=survey,
        first_run_at=schedule.next_run_at,
        audience_size=audience_size,
        cadence_text=cadence_text,
    )


def _audience_size(*, session: Session, draft: SurveyDraft) -> int:
    """How many people the draft reaches today.

    Raises:
        InvalidInput: nobody, or fewer than an anonymous survey's threshold.
    """
    if draft.audience_kind == "channel":
        # Members are fetched from Slack once per run, at launch; today's count is the directory's.
        channel = session.get(Channel, draft.audience_refs[0])
        audience_size = channel.member_count if channel is not None else 0
    else:
        audience_size = len(
            audience_ids(
                session=session,
                kind=draft.audience_kind,
                refs=draft.audience_refs,
                channel_members=None,
            )
        )
    audience_field = "channel" if draft.audience_kind == "channel" else "departments"
    if not audience_size:
        raise InvalidInput(
            "That audience resolves to nobody Commons knows (check the departments or channel, "
            "or run `/commons sync`): nothing was created.",
            field=audience_field,
        )
    if draft.anonymous and audience_size < draft.threshold:
        # Fewer people than the threshold: every answer would be "one of fewer than k".
        raise InvalidInput(
            f"An anonymous survey needs at least as many people to ask as its threshold "
            f"({draft.threshold}); this audience has {counted(audience_size, 'person', 'people')}. "
            "Lower the threshold, widen the audience, or make it attributed.",
            field=audience_field,
        )
    return audience_size


def _survey_of(draft: SurveyDraft, *, author: str, timezone: str, now: datetime) -> Survey:
    """The survey row a checked draft stores."""
    at_close = ResultsWhileOpen.CLOSE if draft.strong_protection else ResultsWhileOpen.STEPS
    return Survey(
        title=draft.title.strip(),
        author_id=author,
        template=draft.template,
        audience_kind=draft.audience_kind,
        audience_refs=",".join(draft.audience_refs),
        anonymous=draft.anonymous,
        threshold=draft.threshold,
        strong_protection=draft.strong_protection,
        results_while_open=draft.results_while_open or at_close.value,
        window_days=draft.window_days,
        cadence=draft.cadence,
        local_time=draft.local_time,
        weekdays_only=draft.weekdays_only,
        reminders=",".join(draft.reminders),
        timezone=timezone,
        created_at=now,
    )


def _schedule_first_run(
    *, session: Session, clock: Clock, survey: Survey, start: datetime | None, now: datetime
) -> tuple[Schedule, str]:
    """The schedule that launches the survey's runs (from `start`, never before now), and its
    cadence in words."""
    start = max(start or now, now)
    if survey.cadence is None:
        schedule = schedules.schedule_once(
            session=session,
            clock=clock,
            kind=LAUNCH_KIND,
            ref_id=str(survey.id),
            at=start,
            owner_user_id=survey.author_id,
            timezone=survey.timezone,
        )
        return schedule, "once"
    # Recurring runs start on the minute: the first one at the next whole minute.
    local = start.astimezone(ZoneInfo(survey.timezone))
    if local.second or local.microsecond or start == now:
        local = (local + timedelta(minutes=1)).replace(second=0, microsecond=0)
    rule = _rule(survey.cadence, local)
    schedule = schedules.schedule_recurring(
        session=session,
        clock=clock,
        kind=LAUNCH_KIND,
        ref_id=str(survey.id),
        rule=rule,
        timezone=survey.timezone,
        owner_user_id=survey.author_id,
        start_after=local.astimezone(UTC) - timedelta(seconds=1),
    )
    return schedule, f"{survey.cadence}, {rule.describe()} ({survey.timezone})"
