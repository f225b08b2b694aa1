"""The host's digest: the questions, most voted first, DM'd to the host shortly before the
start (or at once for a town hall that starts sooner)."""

from datetime import timedelta

from sqlmodel import Session

from bot.clock import Clock
from bot.outbox.delivery import OutboundMessage
from bot.scheduling import schedules
from bot.text.mrkdwn import counted, escape
from townhalls.models import TownHall
from townhalls.notices import send
from townhalls.questions import ranked
from townhalls.views import TownHallRenderer, view_of

# The schedule kind stored schedules carry: never rename it.
QUESTIONS_KIND = "townhall.questions"
# The host gets the ranked questions this long before the start.
QUESTIONS_LEAD = timedelta(minutes=15)


def schedule_digest(session: Session, clock: Clock, townhall: TownHall) -> None:
    """The host's DM, QUESTIONS_LEAD before the start (now, when that has passed)."""
    now = clock.now()
    schedules.schedule_once(
        session=session,
        clock=clock,
        kind=QUESTIONS_KIND,
        ref_id=str(townhall.id),
        at=max(now, townhall.starts_at - QUESTIONS_LEAD),
        owner_user_id=townhall.host_id,
    )


def send_questions(
    *, session: Session, clock: Clock, renderer: TownHallRenderer, townhall_id: int
) -> None:
    """DM the host the ranked questions (schedule handler, claiming transaction)."""
    townhall = session.get(TownHall, townhall_id)
    if townhall is None or townhall.state != "scheduled":
        return
    ranked_questions = ranked(session=session, townhall_id=townhall_id)
    send(
        session,
        clock,
        townhall,
        [
            OutboundMessage(
                target=townhall.host_id,
                text=f"Questions for your town hall “{escape(townhall.title)}” "
                f"({counted(len(ranked_questions), 'question')})",
                blocks=renderer.townhall_questions(view_of(session, townhall), ranked_questions),
                idempotency_key=f"th:{townhall_id}:questions",
            )
        ],
    )
