"""A town hall as messages show it (the plain `TownHallView` and `RankedQuestion`), and the
`TownHallRenderer` protocol through which the domain gets the Block Kit of what it enqueues
without importing Slack (townhalls.blocks implements it)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session, select

from bot.text.mrkdwn import Mrkdwn, user_text
from townhalls.models import Question, TownHall


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
