"""Tables of pulse surveys: surveys and their questions, runs, invitations, answers, uploads.

Anonymity (DESIGN.md section 7, docs/privacy.md): `SurveyAnswer` has no user id, no time and no
ordering key (its id is random and, on SQLite, the rowid itself). An answer carries a respondent
token, HMAC(key, run id, user id), whose key is a setting and never in the database, and a group
whose audience in the run is at least the threshold. `SurveyInvitation` records who was asked
and nothing about whether they answered. Only attributed surveys keep a link, in
`SurveyAttribution`, and say so to everyone.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, Integer, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class QuestionKind(StrEnum):
    """The kinds of question a survey can ask."""

    ENPS = "enps"
    LIKERT = "likert"
    SINGLE = "single"
    MULTI = "multi"
    COMMENT = "comment"


class ResultsWhileOpen(StrEnum):
    """What people who may see results see while a run is open."""

    STEPS = "steps"  # figures refreshed once more than the threshold of new people answered
    CLOSE = "close"  # nothing but participation until the run closes


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
    results_while_open: str = Field(default=ResultsWhileOpen.STEPS.value, max_length=8)
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


# The group of answers from departments too small to be a group of their own (see surveys/groups.py).
OTHER_DEPARTMENTS = 0


class SurveyInvitation(SQLModel, table=True):
    """Who was asked in a run and the group their answers will carry: never whether they answered."""

    __tablename__ = "survey_invitation"
    __table_args__ = (UniqueConstraint("run_id", "user_id", name="uq_survey_invitation_person"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="survey_run.id")
    user_id: str = Field(max_length=32)
    # A department id, OTHER_DEPARTMENTS, or None when the run has no groups.
    group_id: int | None = None
    invited_at: datetime


class SurveyAnswer(SQLModel, table=True):
    """One answer to one question: no user id, no timestamp, no order (see the module docstring)."""

    __tablename__ = "survey_answer"
    # Indexes that answer the results' GROUP BY queries alone (values, respondents, comments):
    # the rows, in random order, are read only for the comments' text.
    __table_args__ = (
        UniqueConstraint("run_id", "respondent", "question_id", name="uq_survey_answer_once"),
        Index("ix_survey_answer_run_question", "run_id", "question_id", "group_id", "value"),
        Index("ix_survey_answer_run_group", "run_id", "group_id", "respondent"),
        Index(
            "ix_survey_answer_comments",
            "run_id",
            "sentiment",
            sqlite_where=text("text IS NOT NULL"),
            postgresql_where=text("text IS NOT NULL"),
        ),
    )

    # A random 63-bit id, and on SQLite the rowid itself (INTEGER PRIMARY KEY): an increasing one,
    # or a rowid beside it, would keep the order in which people answered.
    id: int = Field(
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
        )
    )
    run_id: int = Field(foreign_key="survey_run.id")
    question_id: int = Field(foreign_key="survey_question.id")
    respondent: str = Field(max_length=64)
    # The respondent's invitation's group (never a group whose audience is under the threshold).
    group_id: int | None = None
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


class SurveySnapshot(SQLModel, table=True):
    """The figures of an open run as last released (aggregates only, over the threshold): they
    change only when more than the threshold of new people have answered since."""

    __tablename__ = "survey_snapshot"

    run_id: int = Field(primary_key=True, foreign_key="survey_run.id")
    taken_at: datetime
    # Respondents then, and those of them who counted toward the threshold.
    respondents: int
    counted: int
    # surveys.snapshots' JSON of the released figures.
    figures: str = Field(sa_column=Column(Text, nullable=False))
    # True once the run closed with too few new answers to release: these are its final figures.
    final: bool = False


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
