"""What the scheduler runs for town halls: the reminders in the channels and the host's ranked
questions. The schedule kinds (reminders.REMIND_KIND, digest.QUESTIONS_KIND) are the ones stored
schedules already carry."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.clock import Clock
from bot.models import Schedule
from townhalls import digest, reminders
from townhalls.views import TownHallRenderer


@dataclass
class ReminderHandler:
    """Posts a town hall's reminder (kind townhall.remind, ref "<id>:<minutes>")."""

    clock: Clock
    renderer: TownHallRenderer

    def run(self, session: Session, schedule: Schedule, occurrence: datetime, late: bool) -> None:
        """Enqueue the reminder in the claiming transaction."""
        reminders.send_reminder(
            session=session, clock=self.clock, renderer=self.renderer, ref_id=schedule.ref_id
        )

    def skipped(self, session: Session, schedule: Schedule, occurrences: list[datetime]) -> None:
        """One-off reminders are never skipped."""


@dataclass
class QuestionsHandler:
    """DMs the host the ranked questions before the start (kind townhall.questions)."""

    clock: Clock
    renderer: TownHallRenderer

    def run(self, session: Session, schedule: Schedule, occurrence: datetime, late: bool) -> None:
        """Enqueue the host's DM in the claiming transaction."""
        digest.send_questions(
            session=session,
            clock=self.clock,
            renderer=self.renderer,
            townhall_id=int(schedule.ref_id),
        )

    def skipped(self, session: Session, schedule: Schedule, occurrences: list[datetime]) -> None:
        """One-off DMs are never skipped."""
