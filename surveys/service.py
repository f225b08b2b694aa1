"""Pulse surveys' operations: the programs people manage (/pulse list, results, export, close,
pause, resume), and the one place the other survey modules' operations are reached from.

The work is split by concept: surveys/access.py (who may do what), creation.py (the /pulse
modal's draft), runs.py (opening, reminding, closing), answers.py (tokens and answers),
results.py, release.py and snapshots.py (what may be shown, and when). Results are rendered by
surveys/render.py.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot import schedules
from bot.clock import Clock
from bot.errors import InvalidInput, NotFound
from surveys import snapshots
from surveys.access import is_hr, may_see, modal_choices, require_may_see, results_viewers
from surveys.answers import (
    Answered,
    AnswerNotStored,
    answer,
    open_run_for,
    respondent_secret,
    respondent_token,
)
from surveys.common import (
    CLOSE_KIND,
    LAUNCH_KIND,
    MAX_ROW_NUMBER,
    REMIND_KIND,
    THRESHOLD_RANGE,
    ChannelMembers,
    Invitation,
    answer_field,
    question_of_field,
    questions_of,
    row_number,
)
from surveys.creation import Created, SurveyDraft, create_survey
from surveys.models import Survey, SurveyAnswer, SurveyRun, SurveyState
from surveys.release import Keys
from surveys.results import RunResults
from surveys.runs import (
    Launched,
    NotLaunched,
    close_run,
    launch_run,
    queue_upload,
    reminder_offsets,
    reminder_targets,
)

__all__ = [
    "CLOSE_KIND",
    "LAUNCH_KIND",
    "MAX_ROW_NUMBER",
    "REMIND_KIND",
    "THRESHOLD_RANGE",
    "AnswerNotStored",
    "Answered",
    "ChannelMembers",
    "Created",
    "Invitation",
    "Keys",
    "Launched",
    "NotLaunched",
    "SurveyDraft",
    "SurveySummary",
    "answer",
    "answer_field",
    "close_now",
    "close_run",
    "create_survey",
    "get_survey",
    "is_hr",
    "keys_of",
    "launch_run",
    "list_surveys",
    "may_see",
    "modal_choices",
    "next_run_at",
    "open_run_for",
    "pause_or_resume",
    "question_of_field",
    "questions_of",
    "queue_upload",
    "reminder_offsets",
    "reminder_targets",
    "request_export",
    "request_results",
    "require_may_see",
    "respondent_secret",
    "respondent_token",
    "results_viewers",
    "row_number",
    "run_of",
    "run_of_latest",
]


@dataclass
class SurveySummary:
    """One line of /pulse list."""

    survey: Survey
    runs: int
    latest: SurveyRun | None
    answered: int
    questions: int = 0
    next_run: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)


def keys_of(*, signing_secret: str, survey_key: str, admins: Sequence[str]) -> Keys:
    """The keys results need, from the settings (COMMONS_SURVEY_KEY, else the signing secret)."""
    return Keys(secret=respondent_secret(signing_secret, survey_key), admins=tuple(admins))


def get_survey(*, session: Session, survey_id: int) -> Survey:
    """A survey by id (parsed from what the person typed with `bot.args.parse_id`).

    Raises:
        NotFound: no such survey.
    """
    survey = session.get(Survey, survey_id) if 0 < survey_id <= MAX_ROW_NUMBER else None
    if survey is None:
        raise NotFound(f"There is no survey {survey_id}; `/pulse list` shows yours.")
    return survey


def run_of(*, session: Session, survey: Survey, number: int | None = None) -> SurveyRun:
    """A survey's run by number, or its latest.

    Raises:
        NotFound: the survey has not run yet, or no such run.
    """
    query = select(SurveyRun).where(SurveyRun.survey_id == survey.id)
    if number is not None:
        if not 0 < number <= MAX_ROW_NUMBER:
            raise NotFound(f"Survey {survey.id} has no run {number}.")
        query = query.where(SurveyRun.number == number)
    run = session.exec(query.order_by(col(SurveyRun.number).desc())).first()
    if run is not None:
        return run
    if number is not None and run_of_latest(session=session, survey=survey) is not None:
        raise NotFound(f"Survey {survey.id} has no run {number}; `/pulse list` shows its latest.")
    raise NotFound(f"Survey {survey.id} has not run yet; results come once people can answer.")


def run_of_latest(*, session: Session, survey: Survey) -> SurveyRun | None:
    """A survey's latest run, if it has run."""
    return session.exec(
        select(SurveyRun)
        .where(SurveyRun.survey_id == survey.id)
        .order_by(col(SurveyRun.number).desc())
    ).first()


def request_results(
    *,
    session: Session,
    clock: Clock,
    keys: Keys,
    user_id: str,
    survey_id: int,
    number: int | None,
) -> RunResults:
    """The results of a run as this person may see them now; its charts are queued for their DM.

    Raises:
        NotFound: no such survey or run.
        PermissionDenied: not the author, HR or comms.
    """
    run = _run_to_show(
        session=session,
        clock=clock,
        keys=keys,
        user_id=user_id,
        survey_id=survey_id,
        number=number,
        kind="charts",
    )
    return snapshots.results_for(session=session, run=run, viewer=user_id, keys=keys)


def request_export(
    *,
    session: Session,
    clock: Clock,
    keys: Keys,
    user_id: str,
    survey_id: int,
    number: int | None,
) -> SurveyRun:
    """Queue the CSV of a run's aggregates for the person's DM.

    Raises:
        NotFound: no such survey or run.
        PermissionDenied: not the author, HR or comms.
    """
    return _run_to_show(
        session=session,
        clock=clock,
        keys=keys,
        user_id=user_id,
        survey_id=survey_id,
        number=number,
        kind="csv",
    )


def _run_to_show(
    *,
    session: Session,
    clock: Clock,
    keys: Keys,
    user_id: str,
    survey_id: int,
    number: int | None,
    kind: str,
) -> SurveyRun:
    """The run asked for, once the person may see it; an open run's snapshot is refreshed if
    enough people answered since, and the file is queued."""
    survey = get_survey(session=session, survey_id=survey_id)
    require_may_see(session=session, admins=keys.admins, user_id=user_id, survey=survey)
    run = run_of(session=session, survey=survey, number=number)
    if run.state == "open" and survey.anonymous:
        snapshots.refresh(session=session, clock=clock, run=run, survey=survey, keys=keys)
    queue_upload(session=session, clock=clock, run=run, kind=kind, user_id=user_id)
    return run


def list_surveys(
    *, session: Session, admins: Sequence[str], user_id: str, limit: int = 20
) -> list[SurveySummary]:
    """The surveys a person may see (their own; HR sees all), newest first."""
    query = select(Survey).order_by(col(Survey.id).desc()).limit(limit)
    if not is_hr(session=session, admins=admins, user_id=user_id):
        query = query.where(Survey.author_id == user_id)
    summaries: list[SurveySummary] = []
    for survey in session.exec(query).all():
        latest = run_of_latest(session=session, survey=survey)
        answered = 0
        if latest is not None:
            # How many answered (distinct tokens), never who.
            answered = session.exec(
                select(func.count(func.distinct(SurveyAnswer.respondent))).where(
                    SurveyAnswer.run_id == latest.id
                )
            ).one()
        runs = session.exec(select(func.count()).where(SurveyRun.survey_id == survey.id)).one()
        summaries.append(
            SurveySummary(
                survey=survey,
                runs=runs,
                latest=latest,
                answered=answered,
                next_run=next_run_at(session=session, survey=survey) if survey.cadence else None,
            )
        )
    return summaries


def close_now(
    *, session: Session, clock: Clock, keys: Keys, user_id: str, survey_id: int
) -> tuple[Survey, SurveyRun | None]:
    """Close a survey's open run now and stop its program (results go to the author).

    Raises:
        PermissionDenied: not the author, HR or comms.
        InvalidInput: already closed.
    """
    survey = get_survey(session=session, survey_id=survey_id)
    require_may_see(session=session, admins=keys.admins, user_id=user_id, survey=survey)
    if survey.state == SurveyState.CLOSED.value:
        raise InvalidInput(f"Survey {survey.id} is already closed.")
    survey.state = SurveyState.CLOSED.value
    session.add(survey)
    if survey.schedule_id is not None:
        schedules.cancel(session=session, clock=clock, schedule_id=survey.schedule_id)
    run = session.exec(
        select(SurveyRun).where(SurveyRun.survey_id == survey.id, SurveyRun.state == "open")
    ).first()
    if run is not None:
        close_run(session=session, clock=clock, run=run, keys=keys)
    return survey, run


def pause_or_resume(
    *,
    session: Session,
    clock: Clock,
    admins: Sequence[str],
    user_id: str,
    survey_id: int,
    pause: bool,
) -> Survey:
    """Hold or resume a recurring program (the open run, if any, carries on to its close).

    Raises:
        PermissionDenied: not the author, HR or comms.
        InvalidInput: a one-off survey, or a closed one.
    """
    survey = get_survey(session=session, survey_id=survey_id)
    require_may_see(session=session, admins=admins, user_id=user_id, survey=survey)
    if survey.cadence is None or survey.schedule_id is None:
        raise InvalidInput(
            f"Survey {survey.id} runs once, so there is nothing to pause: "
            f"`/pulse close {survey.id}` closes it now."
        )
    if survey.state == SurveyState.CLOSED.value:
        raise InvalidInput(f"Survey {survey.id} is closed.")
    if pause:
        schedules.pause(session=session, clock=clock, schedule_id=survey.schedule_id)
        survey.state = SurveyState.PAUSED.value
    else:
        schedules.resume(session=session, clock=clock, schedule_id=survey.schedule_id)
        survey.state = SurveyState.ACTIVE.value
    session.add(survey)
    return survey


def next_run_at(*, session: Session, survey: Survey) -> datetime | None:
    """When the program opens its next run (None when paused or done)."""
    if survey.schedule_id is None:
        return None
    upcoming = schedules.upcoming(session=session, schedule_id=survey.schedule_id, count=1)
    return upcoming[0] if upcoming else None
