"""Upvotes: one per person per question (a second one changes nothing), never on one's own
named question, and none once the town hall is cancelled."""

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col

from bot.errors import InvalidInput
from bot.store import insert_ignore
from directory.visibility import ChannelMembers
from townhalls.models import Question, Upvote
from townhalls.questions import find_question


@dataclass(frozen=True)
class Upvoted:
    """What an upvote did: whether it counted, and the town hall the question is for."""

    counted: bool
    townhall_id: int


def upvote(*, session: Session, members: ChannelMembers, question_id: int, user_id: str) -> Upvoted:
    """One vote per person per question; a second one changes nothing.

    Raises:
        NotFound: no such question, or one of a town hall the person cannot see.
        InvalidInput: one's own (named) question; a cancelled town hall.
    """
    question, townhall = find_question(session, members, question_id, user_id)
    if townhall.state == "cancelled":
        raise InvalidInput("That town hall was cancelled; its questions are closed.")
    if question.author_id == user_id:
        raise InvalidInput("That is your own question; upvote other people's.")
    inserted = session.execute(
        insert_ignore(
            session, Upvote, ["question_id", "user_id"], question_id=question_id, user_id=user_id
        ).returning(col(Upvote.user_id))
    ).first()
    if inserted is not None:
        session.execute(
            update(Question).where(col(Question.id) == question_id).values(votes=Question.votes + 1)
        )
    return Upvoted(counted=inserted is not None, townhall_id=question.townhall_id)
