"""Town halls: the notice, reminders, questions (optionally anonymous) with upvotes, the host's
ranked list before the start, and the follow-up in the notice's thread.

Who may host: whoever may announce in every chosen channel (directory.service.may_post_to).
Anonymous questions are stored without any user id. A town hall announced only in private
channels is seen, asked and upvoted only by those channels' members (and its host): membership is
Slack's, asked through a `ChannelMembers` the caller passes. Posting goes through the outbox,
timing through the scheduler; Block Kit comes from a `TownHallRenderer` (townhalls.blocks). Field
errors are keyed by the domain's names (`title`, `date`, `channels`, `question`, ...).
"""

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from announcements.service import Instant, Policy
from bot import delivery, schedules
from bot.args import parse_date, parse_time, parse_zone
from bot.clock import Clock
from bot.delivery import OutboundMessage
from bot.errors import DomainError, FieldErrors, InvalidInput, NotFound, PermissionDenied
from bot.models import Campaign, Schedule
from bot.mrkdwn import Mrkdwn, counted, escape, user_text
from directory import service as directory
from directory.models import Role
from directory.visibility import ChannelMembers, may_see
from townhalls.models import Question, TownHall, Upvote

# The schedule kinds stored schedules carry: never rename them.
REMIND_KIND = "townhall.remind"
QUESTIONS_KIND = "townhall.questions"
REMINDER_CHOICES = {"1440": "1 day before", "60": "1 hour before", "15": "15 minutes before"}
DEFAULT_REMINDERS = (1440, 60)
# The host gets the ranked questions this long before the start.
QUESTIONS_LEAD = timedelta(minutes=15)
MAX_TITLE = 150
MAX_QUESTION = 500
MAX_AGENDA = 2500
MAX_PLACE = 500
MAX_FOLLOWUP = 2800
_MINUTES = re.compile(r"[0-9]{1,4}")
T = TypeVar("T")
HIDDEN = "There is no town hall #{id} you can see; `/townhall list` shows the ones coming up."


@dataclass(frozen=True)
class TownHallInput:
    """What the host filled in, as plain strings (names are the form's domain fields)."""

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


@dataclass(frozen=True)
class Upvoted:
    """What an upvote did: whether it counted, and the town hall the question is for."""

    counted: bool
    townhall_id: int


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


def channels_of(townhall: TownHall) -> list[str]:
    """The channels the notice went to."""
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


# -- who may ---------------------------------------------------------------------------------


def _role(session: Session, policy: Policy, user_id: str) -> Role:
    return directory.role_of(session=session, admins=policy.admins, user_id=user_id)[0]


def require_host(*, session: Session, policy: Policy, user_id: str) -> Role:
    """Raise unless the person may announce a town hall (managers, comms, admins).

    Raises:
        PermissionDenied: members, told what they can do instead.
    """
    role = _role(session, policy, user_id)
    if role is Role.MEMBER:
        raise PermissionDenied(
            "Town halls are announced by managers and communications staff. Ask your manager to "
            "hold one, or an admin to change your role with `/commons role`. Anyone can ask and "
            "upvote questions under a town hall's notice."
        )
    return role


def visible(*, session: Session, members: ChannelMembers, townhall: TownHall, user_id: str) -> bool:
    """True when the person may see the town hall: it went to a public channel, they are in one
    of its private channels, or they host it."""
    if townhall.host_id == user_id:
        return True
    return may_see(
        session=session, members=members, channel_ids=channels_of(townhall), user_id=user_id
    )


def _visible_or_hidden(
    session: Session, members: ChannelMembers, townhall_id: int, user_id: str
) -> TownHall:
    townhall = session.get(TownHall, townhall_id)
    if townhall is None or not visible(
        session=session, members=members, townhall=townhall, user_id=user_id
    ):
        # The same answer for "none" and "not yours to see": a private one's id reveals nothing.
        raise NotFound(HIDDEN.format(id=townhall_id))
    return townhall


def require_visible(
    *, session: Session, members: ChannelMembers, townhall_id: int, user_id: str
) -> TownHallView:
    """A town hall the person may see, for display.

    Raises:
        NotFound: no such town hall, or one only in private channels the person is not in.
    """
    return view_of(session, _visible_or_hidden(session, members, townhall_id, user_id))


def default_zone(*, session: Session, user_id: str) -> str:
    """The zone the modal starts with: the host's."""
    return directory.zone_of(session=session, user_id=user_id, default="UTC")


# -- creating ----------------------------------------------------------------------------------


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


def _checked(errors: dict[str, str], field: str, parse: Callable[[str], T], text: str) -> T | None:
    """`parse(text)`, or None with its refusal noted under `field`."""
    try:
        return parse(text)
    except DomainError as error:
        errors[field] = error.message
        return None


def _start(
    session: Session, clock: Clock, host_id: str, data: TownHallInput, errors: dict[str, str]
) -> tuple[datetime | None, str]:
    zone = (
        _checked(
            errors,
            "zone",
            parse_zone,
            data.zone.strip() or default_zone(session=session, user_id=host_id),
        )
        or "UTC"
    )
    if not data.date.strip():
        errors["date"] = "Pick the day of the town hall."
    if not data.time.strip():
        errors["time"] = "Pick the start time (HH:MM)."
    day = _checked(errors, "date", parse_date, data.date) if data.date.strip() else None
    at = _checked(errors, "time", parse_time, data.time) if data.time.strip() else None
    if day is None or at is None:
        return None, zone
    starts_at = datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    if starts_at <= clock.now():
        errors["time"] = "That time has passed: pick a start in the future."
    return starts_at, zone


def _channels(
    session: Session,
    policy: Policy,
    host_id: str,
    references: Sequence[str],
    errors: dict[str, str],
) -> list[str]:
    channels: list[str] = []
    for reference in references:
        try:
            channel = directory.find_channel(session=session, reference=reference)
            directory.may_post_to(
                session=session, admins=policy.admins, user_id=host_id, channel_id=channel.slack_id
            )
        except (NotFound, PermissionDenied) as error:
            errors["channels"] = error.message
            return channels
        if channel.slack_id not in channels:
            channels.append(channel.slack_id)
    if not channels:
        errors["channels"] = "Pick at least one channel for the notice."
    return channels


def _reminders(data: TownHallInput, errors: dict[str, str]) -> list[int]:
    values = [str(m) for m in DEFAULT_REMINDERS] if data.reminders is None else data.reminders
    reminders: list[int] = []
    for value in values:
        if value.strip() not in REMINDER_CHOICES:
            errors["reminders"] = "Reminders are 1440 (a day), 60 or 15 minutes before."
            return reminders
        reminders.append(int(value.strip()))
    return sorted(set(reminders), reverse=True)


def _validate(
    session: Session, clock: Clock, policy: Policy, host_id: str, data: TownHallInput
) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    title = data.title.strip()
    if not title:
        errors["title"] = "Give the town hall a title."
    elif len(title) > MAX_TITLE:
        errors["title"] = f"The title is too long: at most {MAX_TITLE} characters."
    starts_at, zone = _start(session, clock, host_id, data, errors)
    duration = data.duration.strip() or "60"
    if not _MINUTES.fullmatch(duration) or not 5 <= int(duration) <= 480:
        errors["duration"] = "The duration is 5 to 480 minutes."
    place, agenda = data.place.strip(), data.agenda.strip()
    if len(place) > MAX_PLACE:
        errors["place"] = f"The place or link is at most {MAX_PLACE} characters."
    if len(agenda) > MAX_AGENDA:
        errors["agenda"] = f"The agenda is at most {MAX_AGENDA:,} characters."
    values = {
        "title": title,
        "starts_at": starts_at,
        "zone": zone,
        "duration": int(duration) if "duration" not in errors else 60,
        "place": place,
        "agenda": agenda,
        "channels": _channels(session, policy, host_id, data.channels, errors),
        "reminders": _reminders(data, errors),
    }
    return values, errors


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
        FieldErrors: each wrong field, by domain field name.
    """
    role = require_host(session=session, policy=policy, user_id=host_id)
    values, errors = _validate(session, clock, policy, host_id, data)
    if errors or values["starts_at"] is None:
        raise FieldErrors(errors or {"date": "Pick the day and start of the town hall."})
    townhall = TownHall(
        host_id=host_id,
        title=values["title"],
        starts_at=values["starts_at"],
        timezone=values["zone"],
        duration_minutes=values["duration"],
        place=values["place"],
        agenda=values["agenda"],
        channels=json.dumps(values["channels"]),
        reminders=json.dumps(values["reminders"]),
        may_notify_everyone=role in (Role.ADMIN, Role.COMMS),
        created_at=clock.now(),
    )
    session.add(townhall)
    session.flush()
    _announce(session, clock, renderer, townhall, values["reminders"])
    return townhall


def _announce(
    session: Session,
    clock: Clock,
    renderer: TownHallRenderer,
    townhall: TownHall,
    reminders: list[int],
) -> None:
    campaign = _campaign(session, clock, townhall)
    blocks = renderer.townhall_notice(view_of(session, townhall))
    delivery.enqueue(
        session=session,
        clock=clock,
        campaign_id=campaign,
        messages=[
            OutboundMessage(
                target=channel_id,
                text=f"Town hall: {escape(townhall.title)}",
                blocks=blocks,
                idempotency_key=notice_key(townhall.id or 0, channel_id),
            )
            for channel_id in channels_of(townhall)
        ],
    )
    now = clock.now()
    for minutes in reminders:
        at_instant = townhall.starts_at - timedelta(minutes=minutes)
        if at_instant > now:
            schedules.schedule_once(
                session=session,
                clock=clock,
                kind=REMIND_KIND,
                ref_id=f"{townhall.id}:{minutes}",
                at=at_instant,
                owner_user_id=townhall.host_id,
            )
    schedules.schedule_once(
        session=session,
        clock=Instant(now),
        kind=QUESTIONS_KIND,
        ref_id=str(townhall.id),
        at=max(now, townhall.starts_at - QUESTIONS_LEAD),
        owner_user_id=townhall.host_id,
    )


# -- questions and votes -----------------------------------------------------------------------


def ask(
    *,
    session: Session,
    clock: Clock,
    members: ChannelMembers,
    townhall_id: int,
    user_id: str,
    text: str,
    anonymous: bool,
) -> Question:
    """Add a question; an anonymous one is stored without the asker's id.

    Raises:
        NotFound: no such town hall, or one the person cannot see (private channels).
        FieldErrors: an empty or too long question.
        InvalidInput: the town hall is over or cancelled.
    """
    townhall = _visible_or_hidden(session, members, townhall_id, user_id)
    if townhall.state == "cancelled":
        raise InvalidInput("That town hall was cancelled.")
    if clock.now() >= townhall.starts_at + timedelta(minutes=townhall.duration_minutes):
        raise InvalidInput("That town hall is over; questions are closed.")
    body = text.strip()
    if not body:
        raise FieldErrors({"question": "Write your question."})
    if len(body) > MAX_QUESTION:
        raise FieldErrors({"question": f"Keep it under {MAX_QUESTION} characters."})
    question = Question(
        townhall_id=townhall_id,
        author_id=None if anonymous else user_id,
        text=body,
        created_at=clock.now(),
    )
    session.add(question)
    session.flush()
    return question


def _question(
    session: Session, members: ChannelMembers, question_id: int, user_id: str
) -> tuple[Question, TownHall]:
    question = session.get(Question, question_id)
    if question is None:
        raise NotFound("That question no longer exists; close the list and open it again.")
    return question, _visible_or_hidden(session, members, question.townhall_id, user_id)


def require_question_visible(
    *, session: Session, members: ChannelMembers, question_id: int, user_id: str
) -> int:
    """The town hall of a question the person may see (and so upvote).

    Raises:
        NotFound: no such question, or one of a town hall the person cannot see.
    """
    return _question(session, members, question_id, user_id)[1].id or 0


def upvote(*, session: Session, members: ChannelMembers, question_id: int, user_id: str) -> Upvoted:
    """One vote per person per question; a second one changes nothing.

    Raises:
        NotFound: no such question, or one of a town hall the person cannot see.
        InvalidInput: one's own (named) question; a cancelled town hall.
    """
    question, townhall = _question(session, members, question_id, user_id)
    if townhall.state == "cancelled":
        raise InvalidInput("That town hall was cancelled; its questions are closed.")
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
    if inserted is not None:
        session.execute(
            update(Question).where(col(Question.id) == question_id).values(votes=Question.votes + 1)
        )
    return Upvoted(counted=inserted is not None, townhall_id=question.townhall_id)


def ranked(*, session: Session, townhall_id: int, limit: int = 40) -> list[RankedQuestion]:
    """Questions by votes, then oldest first (callers check who may see them)."""
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


def questions(
    *, session: Session, members: ChannelMembers, townhall_id: int, user_id: str
) -> tuple[TownHallView, list[RankedQuestion]]:
    """A town hall and its questions, most voted first, for someone who may see them.

    Raises:
        NotFound: no such town hall, or one the person cannot see.
    """
    shown = require_visible(
        session=session, members=members, townhall_id=townhall_id, user_id=user_id
    )
    return shown, ranked(session=session, townhall_id=townhall_id)


# -- what the schedule handlers do -------------------------------------------------------------


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
            for channel_id in channels_of(townhall)
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
    ranked_questions = ranked(session=session, townhall_id=townhall_id)
    delivery.enqueue(
        session=session,
        clock=clock,
        campaign_id=campaign,
        messages=[
            OutboundMessage(
                target=townhall.host_id,
                text=f"Questions for your town hall “{escape(townhall.title)}” "
                f"({counted(len(ranked_questions), 'question')})",
                blocks=renderer.townhall_questions(view_of(session, townhall), ranked_questions),
                idempotency_key=f"th:{townhall_id}:questions",
            )
        ],
    )


# -- the host's commands -----------------------------------------------------------------------


def _open(session: Session, townhall_id: int) -> TownHall:
    townhall = session.get(TownHall, townhall_id)
    if townhall is None:
        raise NotFound(HIDDEN.format(id=townhall_id))
    return townhall


def _host_or_comms(session: Session, policy: Policy, user_id: str, townhall: TownHall) -> None:
    if townhall.host_id != user_id and _role(session, policy, user_id) not in (
        Role.ADMIN,
        Role.COMMS,
    ):
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
    channels = channels_of(townhall)
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
            for channel_id in channels_of(townhall)
        ],
    )
    return f":no_entry_sign: Town hall #{townhall_id} is cancelled; its threads say so."


def upcoming(
    *, session: Session, clock: Clock, members: ChannelMembers, user_id: str
) -> list[TownHall]:
    """Town halls that have not ended yet and that the person may see, soonest first."""
    rows = session.exec(
        select(TownHall).where(TownHall.state == "scheduled").order_by(col(TownHall.starts_at))
    ).all()
    now = clock.now()
    return [
        t
        for t in rows
        if t.starts_at + timedelta(minutes=t.duration_minutes) > now
        and visible(session=session, members=members, townhall=t, user_id=user_id)
    ][:30]
