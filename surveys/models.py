"""Tables of pulse surveys: surveys and their questions, runs, invitations, answers, uploads.

Anonymity (DESIGN.md section 7, docs/privacy.md): `SurveyAnswer` has no user id and no time.
An answer carries a respondent token, HMAC(secret, run id, user id), whose secret is not in the
database; `SurveyInvitation` records who was asked and whether they answered, never which answer
is theirs. Only attributed surveys keep a link, in `SurveyAttribution`, and say so to everyone.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class QuestionKind(StrEnum):
    """The kinds of question a survey can ask."""

    ENPS = "enps"
    LIKERT = "likert"
    SINGLE = "single"
    MULTI = "multi"
    COMMENT = "comment"


class SurveyState(StrEnum):
    """Where a survey program stands."""

    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class Survey(SQLModel, table=True):
    """A survey program: its questions, audience, cadence and privacy rules."""

    __tablename__ = "survey"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=150)
    author_id: str = Field(max_length=32, index=True)
    template: str = Field(default="custom", max_length=32)
    # everyone | departments | channel | usergroup; audience_refs: comma-separated ids.
    audience_kind: str = Field(max_length=16)
    audience_refs: str = Field(default="", max_length=1000)
    anonymous: bool = True
    threshold: int = 5
    strong_protection: bool = False
    window_days: int = 5
    # None for a one-off; weekly | biweekly | monthly | quarterly.
    cadence: str | None = Field(default=None, max_length=16)
    # Invitations at this wall-clock time ("10:00") in each recipient's zone; None: at once.
    local_time: str | None = Field(default=None, max_length=5)
    weekdays_only: bool = True
    # Days of the window to remind on, e.g. "3,last".
    reminders: str = Field(default="3,last", max_length=64)
    timezone: str = Field(default="UTC", max_length=64)
    state: str = Field(default=SurveyState.ACTIVE.value, max_length=16)
    schedule_id: int | None = None
    created_at: datetime


class SurveyQuestion(SQLModel, table=True):
    """One question of a survey, in order."""

    __tablename__ = "survey_question"
    __table_args__ = (UniqueConstraint("survey_id", "position", name="uq_survey_question_pos"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    position: int
    kind: str = Field(max_length=16)
    text: str = Field(max_length=300)
    # Choices of single/multiple choice questions, one per line.
    options: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    required: bool = True


class SurveyRun(SQLModel, table=True):
    """One time a survey is open: its window, who was invited, and whether it has closed."""

    __tablename__ = "survey_run"
    __table_args__ = (UniqueConstraint("survey_id", "number", name="uq_survey_run_number"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    number: int
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None = None
    invited: int = 0
    state: str = Field(default="open", max_length=16)


class SurveyInvitation(SQLModel, table=True):
    """Who was asked in a run and whether they answered (for reminders): never which answer."""

    __tablename__ = "survey_invitation"
    __table_args__ = (
        UniqueConstraint("run_id", "user_id", name="uq_survey_invitation_person"),
        Index("ix_survey_invitation_pending", "run_id", "answered"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="survey_run.id")
    user_id: str = Field(max_length=32)
    department_id: int | None = None
    invited_at: datetime
    answered: bool = False


class SurveyAnswer(SQLModel, table=True):
    """One answer to one question: no user id, no timestamp (see the module docstring)."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        UniqueConstraint("run_id", "question_id", "respondent", name="uq_survey_answer_once"),
        Index("ix_survey_answer_run_question", "run_id", "question_id", "department_id"),
    )

    # A random id: an increasing one would tell the order in which people answered.
    id: str = Field(primary_key=True, max_length=32)
    run_id: int = Field(foreign_key="survey_run.id")
    question_id: int = Field(foreign_key="survey_question.id")
    respondent: str = Field(max_length=64)
    department_id: int | None = None
    # eNPS 0-10, Likert 1-5, single choice: option index; multiple choice: bit mask of options.
    value: int | None = None
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sentiment: float | None = None


class SurveyAttribution(SQLModel, table=True):
    """Only for attributed surveys (which say so in every invitation): whose answers these are."""

    __tablename__ = "survey_attribution"
    __table_args__ = (UniqueConstraint("run_id", "respondent", name="uq_survey_attribution"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="survey_run.id")
    respondent: str = Field(max_length=64)
    user_id: str = Field(max_length=32)


class SurveyUpload(SQLModel, table=True):
    """A file (charts, CSV) to upload to someone's DM; a tick uploads it once."""

    __tablename__ = "survey_upload"
    __table_args__ = (Index("ix_survey_upload_state", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="survey_run.id")
    kind: str = Field(max_length=16)  # charts | csv
    target_user: str = Field(max_length=32)
    state: str = Field(default="pending", max_length=16)  # pending | uploading | done | failed
    error: str | None = Field(default=None, max_length=255)
    created_at: datetime
    attempts: int = 0
    # After Slack said "not now" (429, 5xx): not before this.
    not_before: datetime | None = None
    # When a process took it: an upload still "uploading" long after was cut off by a crash.
    claimed_at: datetime | None = None
