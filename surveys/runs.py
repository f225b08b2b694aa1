"""Runs of a survey: opening one (invitations and their groups), reminders, and closing it (at
the end of its window, or now with the whole program: `/pulse close`).

An anonymous run records who was asked, and the group their answers will carry (surveys/groups.py),
never whether they answered: reminders go to everyone invited, worded for both.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, text, update
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.errors import InvalidInput
from bot.models import Delivery
from bot.outbox import delivery
from bot.outbox.delivery import OutboundMessage
from bot.scheduling import schedules
from directory.models import Department, DepartmentMember, Person
from surveys import snapshots
from surveys.access import require_may_see
from surveys.common import CLOSE_KIND, REMIND_KIND, ChannelMembers, Invitation
from surveys.creation import audience_ids, local_time_of
from surveys.groups import answer_groups
from surveys.models import (
    Survey,
    SurveyAttribution,
    SurveyInvitation,
    SurveyRun,
    SurveyState,
    SurveyUpload,
)
from surveys.programs import get_survey
from surveys.release import Keys
from surveys.render import results_text


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


@dataclass(frozen=True)
class NotLaunched:
    """A run that did not open: its audience resolved to `audience` people today, nobody or fewer
    than an anonymous survey's threshold (the caller tells the author)."""

    audience: int


def launch_run(
    *,
    session: Session,
    clock: Clock,
    survey_id: int,
    channel_members: ChannelMembers | None,
) -> Launched | NotLaunched | None:
    """Open a run of a survey: invitations recorded, with the group each person's answers will
    carry; reminders and the close scheduled.

    Returns:
        The run and whom to invite; NotLaunched when its audience resolves to nobody today, or
        to fewer people than an anonymous survey's threshold; None when it is not active.
    """
    survey = session.get(Survey, survey_id)
    if survey is None or survey.state != SurveyState.ACTIVE.value:
        return None
    audience = audience_ids(
        session=session,
        kind=survey.audience_kind,
        refs=[r for r in survey.audience_refs.split(",") if r],
        channel_members=channel_members,
    )
    if not audience or (survey.anonymous and len(audience) < survey.threshold):
        return NotLaunched(audience=len(audience))
    now = clock.now()
    number = _next_number(session, survey_id)
    invitations = _invitations(session, survey, audience, now)
    run = SurveyRun(
        survey_id=survey_id,
        number=number,
        opened_at=now,
        closes_at=max(i.not_before for i in invitations) + timedelta(days=survey.window_days),
        invited=len(invitations),
    )
    session.add(run)
    session.flush()
    _record_invitations(session, run, survey, invitations)
    _schedule_close_and_reminders(session, clock, survey, run, now)
    return Launched(run=run, invitations=invitations)


def _next_number(session: Session, survey_id: int) -> int:
    """The number of a survey's next run (its first is 1)."""
    latest = session.exec(
        select(func.max(SurveyRun.number)).where(SurveyRun.survey_id == survey_id)
    ).one()
    return (latest or 0) + 1


def _invitations(
    session: Session, survey: Survey, audience: Sequence[str], now: datetime
) -> list[Invitation]:
    """Whom to invite and when: now, or at the survey's local time in each person's own zone."""
    if not survey.local_time:
        return [Invitation(user_id=person, not_before=now) for person in audience]
    zones = dict(
        session.exec(
            select(Person.slack_id, Person.tz).where(col(Person.slack_id).in_(audience))
        ).all()
    )
    at = local_time_of(survey.local_time)
    return [
        Invitation(
            user_id=person,
            not_before=_first_local_slot(now, zones.get(person, "UTC"), at, survey.weekdays_only),
        )
        for person in audience
    ]


def _record_invitations(
    session: Session, run: SurveyRun, survey: Survey, invitations: Sequence[Invitation]
) -> None:
    """Who was asked, each with the group their answers will carry (never whether they answer)."""
    assert run.id is not None
    people = [i.user_id for i in invitations]
    departments = _primary_departments(session, people)
    groups = answer_groups({p: departments.get(p) for p in people}, survey.threshold)
    rows = [
        {
            "run_id": run.id,
            "user_id": i.user_id,
            "group_id": groups[i.user_id],
            "invited_at": i.not_before,
        }
        for i in invitations
    ]
    for start in range(0, len(rows), 1000):
        session.execute(insert(SurveyInvitation), rows[start : start + 1000])


def _schedule_close_and_reminders(
    session: Session, clock: Clock, survey: Survey, run: SurveyRun, now: datetime
) -> None:
    """A new run's close, and its reminders counted from when it opened."""
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


def reminder_targets(*, session: Session, run_id: int, offset: timedelta) -> list[Invitation]:
    """Whom to remind in an open run, and when: everyone invited to an anonymous survey (Commons
    does not know who answered, by design), those who have not answered an attributed one."""
    run = session.get(SurveyRun, run_id)
    survey = session.get(Survey, run.survey_id) if run is not None else None
    if run is None or survey is None or run.state != "open":
        return []
    query = select(SurveyInvitation.user_id, SurveyInvitation.invited_at).where(
        SurveyInvitation.run_id == run_id
    )
    if not survey.anonymous:
        answered = select(SurveyAttribution.user_id).where(SurveyAttribution.run_id == run_id)
        query = query.where(col(SurveyInvitation.user_id).not_in(answered))
    rows = session.exec(query.order_by(col(SurveyInvitation.user_id))).all()
    return [Invitation(user_id=u, not_before=min(at + offset, run.closes_at)) for u, at in rows]


def close_run(*, session: Session, clock: Clock, run: SurveyRun, keys: Keys) -> bool:
    """Close a run: the author gets the results by DM and the charts as files.

    Returns:
        False when the run was closed already (nothing is sent twice).
    """
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
    if survey.anonymous:
        snapshots.finish(session=session, run=run, survey=survey, keys=keys)
        _reshelve(session, run.id or 0)
    shown = snapshots.results_for(session=session, run=run, viewer=survey.author_id, keys=keys)
    delivery.enqueue(
        session=session,
        clock=clock,
        campaign_id=f"surveys:run:{run.id}",
        messages=[
            OutboundMessage(
                target=survey.author_id,
                text=results_text(shown)[:39_000],
                idempotency_key=f"surveys:results:{run.id}",
            )
        ],
        kind="survey",
        title=survey.title,
        owner_user_id=survey.author_id,
    )
    queue_upload(session=session, clock=clock, run=run, kind="charts", user_id=survey.author_id)
    return True


def close_now(
    *, session: Session, clock: Clock, keys: Keys, user_id: str, survey_id: int
) -> tuple[Survey, SurveyRun | None]:
    """Close a survey's open run now and stop its program (results go to the author).

    Raises:
        PermissionDenied: not the author, HR or comms.
        InvalidInput: already closed.
    """
    survey = get_survey(session=session, survey_id=survey_id)
    require_may_see(session=session, admins=keys.admins, user_id=user_id, survey=survey)
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
        close_run(session=session, clock=clock, run=run, keys=keys)
    return survey, run


def _reshelve(session: Session, run_id: int) -> None:
    """On PostgreSQL, rewrite a closed run's answers in the order of their random ids, in one
    transaction: rows no longer lie in the order they were written (ctid), nor carry the
    transaction that wrote each (xmin). SQLite needs none of it: its rows lie by their random id."""
    if session.get_bind().dialect.name != "postgresql":
        return
    moving = {"run": run_id}
    session.execute(
        text(
            "CREATE TEMPORARY TABLE survey_answer_reshelved ON COMMIT DROP AS "
            "SELECT * FROM survey_answer WHERE run_id = :run"
        ),
        moving,
    )
    session.execute(text("DELETE FROM survey_answer WHERE run_id = :run"), moving)
    session.execute(
        text("INSERT INTO survey_answer SELECT * FROM survey_answer_reshelved ORDER BY id")
    )
    session.execute(text("DROP TABLE survey_answer_reshelved"))


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
