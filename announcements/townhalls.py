"""Town halls: the notice, reminders, questions (optionally anonymous) with upvotes, the host's
ranked list before the start, and the follow-up in the notice's thread.

Who may host: whoever may announce in every chosen channel (directory.service.may_post_to).
Anonymous questions are stored without any user id. Posting goes through the outbox, timing
through the scheduler; Block Kit comes from a `TownHallRenderer` (announcements.blocks).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from announcements.models import Question, TownHall, Upvote
from announcements.service import Instant, Policy, valid_zone, zone_of
from bot import delivery, schedules
from bot.clock import Clock
from bot.delivery import OutboundMessage
from bot.errors import FieldErrors, InvalidInput, NotFound, PermissionDenied
from bot.models import Campaign, Schedule
from bot.mrkdwn import Mrkdwn, escape, user_text
from directory import service as directory
from directory.models import Role

REMIND_KIND = "townhall.remind"
QUESTIONS_KIND = "townhall.questions"
REMINDER_CHOICES = {"1440": "1 day before", "60": "1 hour before", "15": "15 minutes before"}
DEFAULT_REMINDERS = (1440, 60)
# The host gets the ranked questions this long before the start.
QUESTIONS_LEAD = timedelta(minutes=15)
MAX_QUESTION = 500
MAX_AGENDA = 2500
MAX_PLACE = 500
MAX_FOLLOWUP = 2800


@dataclass(frozen=True)
class TownHallInput:
    """The /townhall modal's values as plain strings (names are its block ids)."""

    title: str = ""
    date: str = ""
    time: str = ""
    zone: str = ""
    duration: str = ""
    place: str = ""
    agenda: str = ""
    channels: Sequence[str] = ()
    reminders: Sequence[str] | None = None


@dataclass(frozen=True)
class TownHallView:
    """A town hall as messages show it (text already safe mrkdwn)."""

    townhall_id: int
    title: str
    host_id: str
    starts_at: datetime
    timezone: str
    duration_minutes: int
    place: Mrkdwn
    agenda: Mrkdwn
    questions: int
    cancelled: bool = False


@dataclass(frozen=True)
class RankedQuestion:
    """A question with its votes; `author_id` is None for anonymous ones."""

    question_id: int
    text: Mrkdwn
    votes: int
    author_id: str | None


class TownHallRenderer(Protocol):
    """Builds the Block Kit (as dicts) of town-hall messages."""

    def townhall_notice(self, view: TownHallView) -> list[dict[str, Any]]:
        """The notice in the channels."""
        ...

    def townhall_reminder(self, view: TownHallView, minutes: int) -> list[dict[str, Any]]:
        """A reminder before the start."""
        ...

    def townhall_questions(
        self, view: TownHallView, questions: list[RankedQuestion]
    ) -> list[dict[str, Any]]:
        """The host's ranked questions."""
        ...


def _channels(townhall: TownHall) -> list[str]:
    return list(json.loads(townhall.channels))


def notice_key(townhall_id: int, channel_id: str) -> str:
    """The outbox key of a town hall's notice in a channel (replies thread under it)."""
    return f"th:{townhall_id}:notice:{channel_id}"


def view_of(session: Session, townhall: TownHall) -> TownHallView:
    """The town hall as messages show it."""
    count = len(session.exec(select(Question.id).where(Question.townhall_id == townhall.id)).all())
    allowed = townhall.may_notify_everyone
    return TownHallView(
        townhall_id=townhall.id or 0,
        title=townhall.title,
        host_id=townhall.host_id,
        starts_at=townhall.starts_at,
        timezone=townhall.timezone,
        duration_minutes=townhall.duration_minutes,
        place=user_text(townhall.place, may_notify_everyone=allowed),
        agenda=user_text(townhall.agenda, may_notify_everyone=allowed),
        questions=count,
        cancelled=townhall.state == "cancelled",
    )


def default_zone(*, session: Session, user_id: str) -> str:
    """The zone the modal starts with: the host's."""
    return zone_of(session, user_id)


def _campaign(session: Session, clock: Clock, townhall: TownHall) -> str:
    campaign = f"townhall-{townhall.id}"
    delivery.open_campaign(
        session=session,
        clock=clock,
        campaign_id=campaign,
        kind="townhall",
        title=townhall.title,
        owner_user_id=townhall.host_id,
    )
    return campaign


def create(
    *,
    session: Session,
    clock: Clock,
    policy: Policy,
    renderer: TownHallRenderer,
    host_id: str,
    data: TownHallInput,
) -> TownHall:
    """Create a town hall: post its notice now, schedule its reminders and the host's questions.

    Raises:
        PermissionDenied: the host may not announce (members).
        FieldErrors: each wrong field, by modal block id.
    """
    role = directory.role_of(session=session, admins=policy.admins, user_id=host_id)[0]
    if role is Role.MEMBER:
        raise PermissionDenied(
            "Town halls are run by managers and communications staff. Ask your manager, or an "
            "admin to change your role with `/commons role`."
        )
    errors: dict[str, str] = {}
    title = data.title.strip()
    if not title:
        errors["th_title"] = "Give the town hall a title."
    elif len(title) > 150:
        errors["th_title"] = "The title is too long: at most 150 characters."
    zone = data.zone.strip() or zone_of(session, host_id)
    if not valid_zone(zone):
        errors["th_zone"] = f"`{zone}` is not a time zone; use a name like Europe/Berlin."
        zone = "UTC"
    starts_at: datetime | None = None
    try:
        day = date.fromisoformat(data.date.strip())
    except ValueError:
        errors["th_date"] = "Pick the day of the town hall."
        day = None
    try:
        at = time.fromisoformat(data.time.strip())
    except ValueError:
        errors["th_time"] = "Pick the start time (HH:MM)."
        at = None
    if day is not None and at is not None:
        starts_at = datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)
        if starts_at <= clock.now():
            errors["th_time"] = "That time has passed: pick a start in the future."
    duration_text = data.duration.strip() or "60"
    if not duration_text.isdigit() or not 5 <= int(duration_text) <= 480:
        errors["th_duration"] = "The duration is 5 to 480 minutes."
    place, agenda = data.place.strip(), data.agenda.strip()
    if len(place) > MAX_PLACE:
        errors["th_place"] = f"The place or link is at most {MAX_PLACE} characters."
    if len(agenda) > MAX_AGENDA:
        errors["th_agenda"] = f"The agenda is at most {MAX_AGENDA:,} characters."
    channels: list[str] = []
    for reference in data.channels:
        try:
            channel = directory.find_channel(session=session, reference=reference)
            directory.may_post_to(
                session=session, admins=policy.admins, user_id=host_id, channel_id=channel.slack_id
            )
        except (NotFound, PermissionDenied) as error:
            errors["th_channels"] = error.message
            break
        if channel.slack_id not in channels:
            channels.append(channel.slack_id)
    if not channels and "th_channels" not in errors:
        errors["th_channels"] = "Pick at least one channel for the notice."
    reminder_values = (
        [str(m) for m in DEFAULT_REMINDERS] if data.reminders is None else list(data.reminders)
    )
    reminders: list[int] = []
    for value in reminder_values:
        if value.strip() not in REMINDER_CHOICES:
            errors["th_reminders"] = "Reminders are 1440 (a day), 60 or 15 minutes before."
            break
        reminders.append(int(value))
    if errors or starts_at is None:
        raise FieldErrors(errors)
    townhall = TownHall(
        host_id=host_id,
        title=title,
        starts_at=starts_at,
        timezone=zone,
        duration_minutes=int(duration_text),
        place=place,
        agenda=agenda,
        channels=json.dumps(channels),
        reminders=json.dumps(sorted(set(reminders), reverse=True)),
        may_notify_everyone=role in (Role.ADMIN, Role.COMMS),
        created_at=clock.now(),
    )
    session.add(townhall)
    session.flush()
    campaign = _campaign(session, clock, townhall)
    blocks = renderer.townhall_notice(view_of(session, townhall))
    delivery.enqueue(
        session=session,
        clock=clock,
        campaign_id=campaign,
        messages=[
            OutboundMessage(
                target=channel_id,
                text=f"Town hall: {escape(title)}",
                blocks=blocks,
                idempotency_key=notice_key(townhall.id or 0, channel_id),
            )
            for channel_id in channels
        ],
    )
    now = clock.now()
    for minutes in set(reminders):
        at_instant = starts_at - timedelta(minutes=minutes)
        if at_instant > now:
            schedules.schedule_once(
                session=session,
                clock=clock,
                kind=REMIND_KIND,
                ref_id=f"{townhall.id}:{minutes}",
                at=at_instant,
                owner_user_id=host_id,
            )
    schedules.schedule_once(
        session=session,
        clock=Instant(now),
        kind=QUESTIONS_KIND,
        ref_id=str(townhall.id),
        at=max(now, starts_at - QUESTIONS_LEAD),
        owner_user_id=host_id,
    )
    return townhall


def _open(session: Session, townhall_id: int) -> TownHall:
    townhall = session.get(TownHall, townhall_id)
    if townhall is None:
        raise NotFound(f"There is no town hall #{townhall_id}.")
    return townhall


def get_view(*, session: Session, townhall_id: int) -> TownHallView:
    """A town hall for display.

    Raises:
        NotFound: no such town hall.
    """
    return view_of(session, _open(session, townhall_id))


def ask(
    *,
    session: Session,
    clock: Clock,
    townhall_id: int,
    user_id: str,
    text: str,
    anonymous: bool,
) -> Question:
    """Add a question; an anonymous one is stored without the asker's id.

    Raises:
        NotFound: no such town hall.
        FieldErrors: an empty or too long question.
        InvalidInput: the town hall is over or cancelled.
    """
    townhall = _open(session, townhall_id)
    if townhall.state == "cancelled":
        raise InvalidInput("That town hall was cancelled.")
    if clock.now() >= townhall.starts_at + timedelta(minutes=townhall.duration_minutes):
        raise InvalidInput("That town hall is over; questions are closed.")
    body = text.strip()
    if not body:
        raise FieldErrors({"th_question": "Write your question."})
    if len(body) > MAX_QUESTION:
        raise FieldErrors({"th_question": f"Keep it under {MAX_QUESTION} characters."})
    question = Question(
        townhall_id=townhall_id,
        author_id=None if anonymous else user_id,
        text=body,
        created_at=clock.now(),
    )
    session.add(question)
    session.flush()
    return question


def upvote(*, session: Session, question_id: int, user_id: str) -> bool:
    """One vote per person per question; a second one changes nothing. True when it counted.

    Raises:
        NotFound: no such question.
        InvalidInput: one's own (named) question.
    """
    question = session.get(Question, question_id)
    if question is None:
        raise NotFound("That question no longer exists.")
    if question.author_id == user_id:
        raise InvalidInput("That is your own question; upvote other people's.")
    insert = (
        postgresql.insert(Upvote)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(Upvote)
    )
    inserted = session.execute(
        insert.values(question_id=question_id, user_id=user_id)
        .on_conflict_do_nothing(index_elements=["question_id", "user_id"])
        .returning(col(Upvote.user_id))
    ).first()
    if inserted is None:
        return False
    session.execute(
        update(Question).where(col(Question.id) == question_id).values(votes=Question.votes + 1)
    )
    return True


def ranked(*, session: Session, townhall_id: int, limit: int = 40) -> list[RankedQuestion]:
    """Questions by votes, then oldest first."""
    rows = session.exec(
        select(Question)
        .where(Question.townhall_id == townhall_id)
        .order_by(col(Question.votes).desc(), col(Question.created_at), col(Question.id))
        .limit(limit)
    ).all()
    return [
        RankedQuestion(
            question_id=q.id or 0,
            text=user_text(q.text, may_notify_everyone=False),
            votes=q.votes,
            author_id=q.author_id,
        )
        for q in rows
    ]


def send_reminder(
    *, session: Session, clock: Clock, renderer: TownHallRenderer, ref_id: str
) -> None:
    """Post a reminder in the town hall's channels (schedule handler, claiming transaction)."""
    townhall_id, _, minutes = ref_id.partition(":")
    townhall = session.get(TownHall, int(townhall_id))
    if townhall is None or townhall.state != "scheduled":
        return
    campaign = _campaign(session, clock, townhall)
    blocks = renderer.townhall_reminder(view_of(session, townhall), int(minutes))
    delivery.enqueue(
        session=session,
        clock=clock,
        campaign_id=campaign,
        messages=[
            OutboundMessage(
                target=channel_id,
                text=f"Reminder: town hall “{escape(townhall.title)}” soon",
                blocks=blocks,
                idempotency_key=f"th:{townhall.id}:remind:{minutes}:{channel_id}",
            )
            for channel_id in _channels(townhall)
        ],
    )


def send_questions(
    *, session: Session, clock: Clock, renderer: TownHallRenderer, townhall_id: int
) -> None:
    """DM the host the ranked questions (schedule handler, claiming transaction)."""
    townhall = session.get(TownHall, townhall_id)
    if townhall is None or townhall.state != "scheduled":
        return
    campaign = _campaign(session, clock, townhall)
    questions = ranked(session=session, townhall_id=townhall_id)
    delivery.enqueue(
        session=session,
        clock=clock,
        campaign_id=campaign,
        messages=[
            OutboundMessage(
                target=townhall.host_id,
                text=f"Questions for your town hall “{escape(townhall.title)}” ({len(questions)})",
                blocks=renderer.townhall_questions(view_of(session, townhall), questions),
                idempotency_key=f"th:{townhall_id}:questions",
            )
        ],
    )


def _host_or_comms(session: Session, policy: Policy, user_id: str, townhall: TownHall) -> None:
    role = directory.role_of(session=session, admins=policy.admins, user_id=user_id)[0]
    if townhall.host_id != user_id and role not in (Role.ADMIN, Role.COMMS):
        raise PermissionDenied(
            f"Town hall #{townhall.id} is <@{townhall.host_id}>'s; only the host, communications "
            "staff and admins can do that."
        )


def followup(
    *, session: Session, clock: Clock, policy: Policy, user_id: str, townhall_id: int, text: str
) -> int:
    """Post the host's follow-up (recording link, answers) in the notice's thread; returns channels.

    Raises:
        NotFound, PermissionDenied: as usual.
        InvalidInput: before the start, empty or too long.
    """
    townhall = _open(session, townhall_id)
    _host_or_comms(session, policy, user_id, townhall)
    if clock.now() < townhall.starts_at:
        raise InvalidInput(
            "The town hall has not started yet; post the follow-up afterwards (recording, answers)."
        )
    body = text.strip()
    if not body:
        raise InvalidInput(
            f"Write the follow-up after the id: `/townhall followup {townhall_id} Recording: &lt;link&gt;`."
        )
    if len(body) > MAX_FOLLOWUP:
        raise InvalidInput(f"The follow-up is at most {MAX_FOLLOWUP:,} characters.")
    townhall.followups += 1
    session.add(townhall)
    allowed = townhall.may_notify_everyone
    campaign = _campaign(session, clock, townhall)
    channels = _channels(townhall)
    delivery.enqueue(
        session=session,
        clock=clock,
        campaign_id=campaign,
        messages=[
            OutboundMessage(
                target=channel_id,
                text=f":memo: *Follow-up from <@{user_id}>*\n"
                + user_text(body, may_notify_everyone=allowed),
                idempotency_key=f"th:{townhall_id}:followup:{townhall.followups}:{channel_id}",
                parent_key=notice_key(townhall_id, channel_id),
            )
            for channel_id in channels
        ],
    )
    return len(channels)


def cancel(
    *, session: Session, clock: Clock, policy: Policy, user_id: str, townhall_id: int
) -> str:
    """Cancel a town hall: reminders and the questions DM stop; the notice's thread says so.

    Raises:
        NotFound, PermissionDenied: as usual.
    """
    townhall = _open(session, townhall_id)
    _host_or_comms(session, policy, user_id, townhall)
    if townhall.state == "cancelled":
        return f"Town hall #{townhall_id} was already cancelled."
    townhall.state = "cancelled"
    session.add(townhall)
    for schedule_id in session.exec(
        select(Schedule.id).where(
            col(Schedule.kind).in_([REMIND_KIND, QUESTIONS_KIND]),
            (col(Schedule.ref_id) == str(townhall_id))
            | col(Schedule.ref_id).startswith(f"{townhall_id}:"),
            Schedule.state == schedules.ACTIVE,
        )
    ).all():
        if schedule_id is not None:
            schedules.cancel(session=session, clock=clock, schedule_id=schedule_id)
    campaign = f"townhall-{townhall_id}"
    if session.get(Campaign, campaign) is not None:
        delivery.cancel_pending(session=session, campaign_id=campaign)
    delivery.enqueue(
        session=session,
        clock=clock,
        campaign_id=_campaign(session, clock, townhall),
        messages=[
            OutboundMessage(
                target=channel_id,
                text=f":no_entry_sign: This town hall is cancelled (by <@{user_id}>).",
                idempotency_key=f"th:{townhall_id}:cancelled:{channel_id}",
                parent_key=notice_key(townhall_id, channel_id),
            )
            for channel_id in _channels(townhall)
        ],
    )
    return f":no_entry_sign: Town hall #{townhall_id} is cancelled; its threads say so."


def upcoming(*, session: Session, clock: Clock) -> list[TownHall]:
    """Town halls that have not ended yet, soonest first."""
    rows = session.exec(
        select(TownHall).where(TownHall.state == "scheduled").order_by(col(TownHall.starts_at))
    ).all()
    now = clock.now()
    return [t for t in rows if t.starts_at + timedelta(minutes=t.duration_minutes) > now][:30]
