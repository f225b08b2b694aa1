"""Questions for a town hall: asked (optionally anonymously: then stored without any user id)
by anyone who may see it, until it ends, and listed most voted first."""

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.errors import FieldErrors, InvalidInput, NotFound
from bot.text.mrkdwn import user_text
from directory.visibility import ChannelMembers
from townhalls.access import require_visible, visible_or_hidden
from townhalls.models import Question, TownHall
from townhalls.views import RankedQuestion, TownHallView

MAX_QUESTION = 500


@dataclass(frozen=True)
class NewQuestion:
    """What someone asks, for which town hall, and whether their name is kept."""

    townhall_id: int
    text: str
    anonymous: bool = False


def ask(
    *, session: Session, clock: Clock, members: ChannelMembers, user_id: str, question: NewQuestion
) -> Question:
    """Add a question; an anonymous one is stored without the asker's id.

    Raises:
        NotFound: no such town hall, or one the person cannot see (private channels).
        FieldErrors: an empty or too long question.
        InvalidInput: the town hall is over or cancelled.
    """
    townhall = visible_or_hidden(session, members, question.townhall_id, user_id)
    if townhall.state == "cancelled":
        raise InvalidInput("That town hall was cancelled.")
    if clock.now() >= townhall.starts_at + timedelta(minutes=townhall.duration_minutes):
        raise InvalidInput("That town hall is over; questions are closed.")
    body = question.text.strip()
    if not body:
        raise FieldErrors({"question": "Write your question."})
    if len(body) > MAX_QUESTION:
        raise FieldErrors({"question": f"Keep it under {MAX_QUESTION} characters."})
    row = Question(
        townhall_id=question.townhall_id,
        author_id=None if question.anonymous else user_id,
        text=body,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def find_question(
    session: Session, members: ChannelMembers, question_id: int, user_id: str
) -> tuple[Question, TownHall]:
    """A question and its town hall, for someone who may see it.

    Raises:
        NotFound: no such question, or one of a town hall the person cannot see.
    """
    question = session.get(Question, question_id)
    if question is None:
        raise NotFound("That question no longer exists; close the list and open it again.")
    return question, visible_or_hidden(session, members, question.townhall_id, user_id)


def require_question_visible(
    *, session: Session, members: ChannelMembers, question_id: int, user_id: str
) -> int:
    """The town hall of a question the person may see (and so upvote).

    Raises:
        NotFound: no such question, or one of a town hall the person cannot see.
    """
    return find_question(session, members, question_id, user_id)[1].id or 0


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
