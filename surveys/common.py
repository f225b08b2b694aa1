"""What the survey modules share: schedule kinds, limits, field names, ids, and small lookups."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel import Session, col, select

from surveys.models import SurveyQuestion

LAUNCH_KIND = "surveys.launch"
REMIND_KIND = "surveys.remind"
CLOSE_KIND = "surveys.close"
HR_HANDLE = "hr"

CADENCES = {"weekly": 7, "biweekly": 14, "monthly": 28, "quarterly": 90}
AUDIENCES = ("everyone", "departments", "channel")
THRESHOLD_RANGE = (3, 10)
MAX_WINDOW_DAYS = 30
MAX_REMINDERS = 10
MAX_DEPARTMENTS = 100  # what the modal's select offers
MAX_AUDIENCE_REFS = 1000  # survey.audience_refs' length
# Survey, run, question and department ids and run numbers are INTEGER columns: 32-bit on
# PostgreSQL, so a larger number names no row (and must not reach the database).
MAX_ROW_NUMBER = 2**31 - 1
ASCII_DIGITS = re.compile(r"[0-9]{1,10}", re.ASCII)


class ChannelMembers(Protocol):
    """Who is in a channel (Slack's conversations.members, fetched once per run launch)."""

    def __call__(self, channel_id: str) -> list[str]: ...


_ANSWER_FIELD = "question:"


def answer_field(question_id: int) -> str:
    """The domain name of one question's answer, for errors about it (the answer form maps it)."""
    return f"{_ANSWER_FIELD}{question_id}"


def question_of_field(name: str) -> int | None:
    """The question an `answer_field` name is about (None for any other name)."""
    digits = name.removeprefix(_ANSWER_FIELD)
    if digits == name or not ASCII_DIGITS.fullmatch(digits):
        return None
    return int(digits)


def row_number(text: str) -> int | None:
    """A row id or department id stored as text, or None when it cannot name a row."""
    if not ASCII_DIGITS.fullmatch(text) or not 0 < int(text) <= MAX_ROW_NUMBER:
        return None
    return int(text)


@dataclass(frozen=True)
class Invitation:
    """A message to send to one person (rendered by jobs)."""

    user_id: str
    not_before: datetime


def questions_of(*, session: Session, survey_id: int) -> list[SurveyQuestion]:
    """A survey's questions in order."""
    return list(
        session.exec(
            select(SurveyQuestion)
            .where(SurveyQuestion.survey_id == survey_id)
            .order_by(col(SurveyQuestion.position))
        ).all()
    )
