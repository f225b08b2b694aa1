"""Reminders of a town hall in its channels: when they go out (a day, an hour or 15 minutes
before the start, as the host chose) and what the schedule handler posts."""

from datetime import timedelta

from sqlmodel import Session

from bot.clock import Clock
from bot.scheduling import schedules
from bot.text.mrkdwn import escape
from townhalls.models import TownHall
from townhalls.notices import ChannelMessage, in_channels
from townhalls.views import TownHallRenderer, view_of

# The schedule kind stored schedules carry: never rename it.
REMIND_KIND = "townhall.remind"
REMINDER_CHOICES = {"1440": "1 day before", "60": "1 hour before", "15": "15 minutes before"}
DEFAULT_REMINDERS = (1440, 60)


def schedule_reminders(
    session: Session, clock: Clock, townhall: TownHall, reminders: list[int]
) -> None:
    """One reminder at each of `reminders` minutes before the start that is still ahead."""
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


def send_reminder(
    *, session: Session, clock: Clock, renderer: TownHallRenderer, ref_id: str
) -> None:
    """Post a reminder in the town hall's channels (schedule handler, claiming transaction)."""
    townhall_id, _, minutes = ref_id.partition(":")
    townhall = session.get(TownHall, int(townhall_id))
    if townhall is None or townhall.state != "scheduled":
        return
    in_channels(
        session,
        clock,
        townhall,
        ChannelMessage(
            text=f"Reminder: town hall “{escape(townhall.title)}” soon",
            key=f"remind:{minutes}",
            blocks=renderer.townhall_reminder(view_of(session, townhall), int(minutes)),
        ),
    )
