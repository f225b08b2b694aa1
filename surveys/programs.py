"""Survey programs as people manage them: finding a survey and its runs, /pulse list, and
pausing or resuming a recurring one (closing one is a run's business: surveys/runs.py)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.errors import InvalidInput, NotFound
from bot.scheduling import schedules
from surveys.access import is_hr, require_may_see
from surveys.common import MAX_ROW_NUMBER
from surveys.models import Survey, SurveyAnswer, SurveyRun, SurveyState


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


def get_survey(*, session: Session, survey_id: int) -> Survey:
    """A survey by id (parsed from what the person typed with `bot.slack.args.parse_id`).

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
