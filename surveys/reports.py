"""What a person asks to see of a run (/pulse results and /pulse export): the results as they may
see them now, and the charts or the CSV queued for their DM."""

from dataclasses import dataclass

from sqlmodel import Session

from bot.clock import Clock
from surveys import snapshots
from surveys.access import require_may_see
from surveys.models import SurveyRun
from surveys.programs import get_survey, run_of
from surveys.release import Keys
from surveys.results import RunResults
from surveys.runs import queue_upload


@dataclass(frozen=True)
class RunRequest:
    """Who asks to see which run of a survey (`number` None: its latest)."""

    user_id: str
    survey_id: int
    number: int | None = None


def request_results(
    *, session: Session, clock: Clock, keys: Keys, request: RunRequest
) -> RunResults:
    """The results of a run as this person may see them now; its charts are queued for their DM.

    Raises:
        NotFound: no such survey or run.
        PermissionDenied: not the author, HR or comms.
    """
    run = _run_to_show(session=session, clock=clock, keys=keys, request=request, kind="charts")
    return snapshots.results_for(session=session, run=run, viewer=request.user_id, keys=keys)


def request_export(*, session: Session, clock: Clock, keys: Keys, request: RunRequest) -> SurveyRun:
    """Queue the CSV of a run's aggregates for the person's DM.

    Raises:
        NotFound: no such survey or run.
        PermissionDenied: not the author, HR or comms.
    """
    return _run_to_show(session=session, clock=clock, keys=keys, request=request, kind="csv")


def _run_to_show(
    *, session: Session, clock: Clock, keys: Keys, request: RunRequest, kind: str
) -> SurveyRun:
    """The run asked for, once the person may see it; an open run's snapshot is refreshed if
    enough people answered since, and the file is queued."""
    survey = get_survey(session=session, survey_id=request.survey_id)
    require_may_see(session=session, admins=keys.admins, user_id=request.user_id, survey=survey)
    run = run_of(session=session, survey=survey, number=request.number)
    if run.state == "open" and survey.anonymous:
        snapshots.refresh(session=session, clock=clock, run=run, survey=survey, keys=keys)
    queue_upload(session=session, clock=clock, run=run, kind=kind, user_id=request.user_id)
    return run
