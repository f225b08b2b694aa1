"""What people who may see results are shown, and when: the one way into a run's results.

An open run shows nothing but participation until it closes ("close", the default with strong
protection), or ("steps") a snapshot of its overall figures, refreshed only once more than k new
people have answered since the last one (k new people who may not see results, with strong
protection), and shown with the time it was taken. Differences between two snapshots are then
aggregates of more than k people, of whom a viewer is at most one. Departments are shown only at
the close; a run that closes with too few answers since its last snapshot keeps that snapshot as
its final figures (the answers after it are counted, not added), so the close is a step too.
The snapshot holds aggregates (and the comments as they were) only, never an answer row.
"""

import json
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from bot.clock import Clock
from surveys.common import questions_of
from surveys.models import (
    QuestionKind,
    ResultsWhileOpen,
    Survey,
    SurveyAnswer,
    SurveyRun,
    SurveySnapshot,
)
from surveys.release import NOBODY, Exclusion, Keys, excluded_by_group, exclusion_for
from surveys.results import RunResults, blank_stats, compute, counts
from surveys.trend import trend


def step(survey: Survey) -> int:
    """How many new counted respondents a refresh needs: k + 1, since a viewer may be one of
    them; with strong protection viewers do not count at all, so k."""
    return survey.threshold if survey.strong_protection else survey.threshold + 1


def counted_respondents(*, session: Session, run: SurveyRun, survey: Survey, keys: Keys) -> int:
    """Respondents so far who count toward a refresh (all but viewers, with strong protection)."""
    respondents = session.exec(
        select(func.count(func.distinct(SurveyAnswer.respondent))).where(
            SurveyAnswer.run_id == run.id
        )
    ).one()
    if not survey.strong_protection:
        return int(respondents)
    viewers = exclusion_for(session=session, survey=survey, viewer=None, keys=keys)
    excluded = excluded_by_group(session=session, run_ids=[run.id or 0], exclusion=viewers)
    return int(respondents) - sum(excluded.values())


def refresh(
    *, session: Session, clock: Clock, run: SurveyRun, survey: Survey, keys: Keys
) -> SurveySnapshot | None:
    """Take a new snapshot of an open run if enough new people answered; the current one."""
    snapshot = session.get(SurveySnapshot, run.id)
    if run.state != "open" or survey.results_while_open != ResultsWhileOpen.STEPS.value:
        return snapshot
    counted = counted_respondents(session=session, run=run, survey=survey, keys=keys)
    if counted - (snapshot.counted if snapshot else 0) < step(survey):
        return snapshot
    figures = compute(session=session, run=run, exclusion=NOBODY)
    if snapshot is None:
        snapshot = SurveySnapshot(
            run_id=run.id or 0, taken_at=clock.now(), respondents=0, counted=0, figures=""
        )
    snapshot.taken_at = clock.now()
    snapshot.respondents = figures.respondents
    snapshot.counted = counted
    snapshot.figures = json.dumps(_encoded(figures))
    session.add(snapshot)
    session.flush()
    return snapshot


def finish(*, session: Session, run: SurveyRun, survey: Survey, keys: Keys) -> None:
    """At the close: too few new answers since the last snapshot, and it becomes the final
    figures; else the snapshot goes (and with it the time its comments were there)."""
    snapshot = session.get(SurveySnapshot, run.id)
    if snapshot is None:
        return
    counted = counted_respondents(session=session, run=run, survey=survey, keys=keys)
    if 0 < counted - snapshot.counted < step(survey):
        snapshot.final = True
        session.add(snapshot)
    else:
        session.delete(snapshot)
    session.flush()


def results_for(
    *,
    session: Session,
    run: SurveyRun,
    viewer: str | None,
    keys: Keys,
) -> RunResults:
    """What this viewer may see of a run now (`refresh` takes the snapshots it shows)."""
    survey = session.get(Survey, run.survey_id)
    assert survey is not None
    exclusion = exclusion_for(session=session, survey=survey, viewer=viewer, keys=keys)
    if not survey.anonymous:
        return compute(session=session, run=run, exclusion=exclusion)
    if run.state == "open":
        snapshot = session.get(SurveySnapshot, run.id)
        return _from_snapshot(session, run, survey, snapshot, exclusion_trend=exclusion)
    snapshot = session.get(SurveySnapshot, run.id)
    if snapshot is not None and snapshot.final:
        return _from_snapshot(session, run, survey, snapshot, exclusion_trend=exclusion)
    return compute(session=session, run=run, exclusion=exclusion)


def _encoded(figures: RunResults) -> dict[str, Any]:
    enps_n = sum(s.count for s in figures.overall.values() if s.kind is QuestionKind.ENPS)
    likert_n = sum(s.count for s in figures.overall.values() if s.kind is QuestionKind.LIKERT)
    net = sum(
        s.promoters - s.detractors for s in figures.overall.values() if s.kind is QuestionKind.ENPS
    )
    favorable = sum(s.favorable for s in figures.overall.values() if s.kind is QuestionKind.LIKERT)
    return {
        "answers": figures.answers,
        "questions": {
            str(q): {
                "count": s.count,
                "total": s.total,
                "promoters": s.promoters,
                "detractors": s.detractors,
                "favorable": s.favorable,
                "distribution": {str(k): v for k, v in s.distribution.items()},
            }
            for q, s in figures.overall.items()
        },
        "comments": figures.comments,
        "sentiment": figures.sentiment,
        "enps": 100.0 * net / enps_n if enps_n else None,
        "favorability": 100.0 * favorable / likert_n if likert_n else None,
    }


def _from_snapshot(
    session: Session,
    run: SurveyRun,
    survey: Survey,
    snapshot: SurveySnapshot | None,
    *,
    exclusion_trend: Exclusion,
) -> RunResults:
    questions = questions_of(session=session, survey_id=survey.id or 0)
    invited, sizes, answers = counts(session, run)
    respondents = sum(sizes.values())
    results = RunResults(
        survey=survey,
        run=run,
        questions=questions,
        invited=invited,
        respondents=respondents,
        answers=answers,
        suppressed=snapshot is None,
        overall={},
        departments=[],
        comments=[],
        sentiment=None,
        trend=trend(
            session=session,
            survey=survey,
            exclusion=exclusion_trend,
            known={run.id or 0: respondents},
        ),
        not_shown=0,
        stage="interim" if run.state == "open" else "final",
    )
    if snapshot is None:
        results.stage = "waiting"
        return results
    kept = json.loads(snapshot.figures)
    by_id = {str(q.id): q for q in questions}
    for key, figures in kept["questions"].items():
        stats = blank_stats(by_id[key])
        stats.count, stats.total = figures["count"], figures["total"]
        stats.promoters, stats.detractors = figures["promoters"], figures["detractors"]
        stats.favorable = figures["favorable"]
        stats.distribution = {int(k): v for k, v in figures["distribution"].items()}
        results.overall[stats.question_id] = stats
    results.comments, results.sentiment = list(kept["comments"]), kept["sentiment"]
    results.as_of = snapshot.taken_at
    results.covered = snapshot.respondents
    results.answers = int(kept["answers"])
    if run.state != "open":
        results.left_out = respondents - snapshot.respondents
    return results
