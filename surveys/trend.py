"""A recurring survey's trend: eNPS, favorability and sentiment per closed run, in SQL.

A run is a point only once closed, with the figures it was closed with (a run whose last answers
were too few to add keeps its last released ones), and hidden when it had fewer than k counted
respondents (surveys/release.py says who counts).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveyRun, SurveySnapshot
from surveys.release import Exclusion, excluded_by_group


@dataclass
class TrendPoint:
    """One run of a recurring survey: its eNPS and average favorability, when shown."""

    number: int
    opened_at_iso: str
    respondents: int
    invited: int
    suppressed: bool
    enps: float | None
    favorability: float | None
    sentiment: float | None


def trend(
    *,
    session: Session,
    survey: Survey,
    exclusion: Exclusion,
    known: Mapping[int, int] | None = None,
) -> list[TrendPoint]:
    """The closed runs of a survey, oldest first (aggregated by run and question in SQL, through
    the answer table's indexes). `known`: respondents of runs the caller counted already."""
    runs = session.exec(
        select(SurveyRun)
        .where(SurveyRun.survey_id == survey.id, SurveyRun.state == "closed")
        .order_by(col(SurveyRun.number))
    ).all()
    run_ids = [r.id or 0 for r in runs]
    if not run_ids:
        return []
    figures = _RunFigures(
        scores=_scores(session, survey, run_ids),
        people=_respondents(session, run_ids, known or {}),
        sentiments=_sentiments(session, run_ids),
        excluded=_excluded(session, run_ids, exclusion),
        frozen=_final_figures(session, run_ids),
    )
    return [figures.point(run, survey) for run in runs]


@dataclass(frozen=True)
class _RunFigures:
    """What the trend knows of each closed run, by run id."""

    scores: Mapping[int, list[int]]
    people: Mapping[int, int]
    sentiments: Mapping[int, float | None]
    excluded: Mapping[int, int]
    frozen: Mapping[int, dict[str, float | None]]

    def point(self, run: SurveyRun, survey: Survey) -> TrendPoint:
        """A run's point: hidden below the threshold, else its figures (as frozen, if so)."""
        run_id = run.id or 0
        prom, detr, enps_n, fav, likert_n = self.scores.get(run_id, [0, 0, 0, 0, 0])
        respondents = self.people.get(run_id, 0)
        hidden = survey.anonymous and respondents - self.excluded.get(run_id, 0) < survey.threshold
        senti = self.sentiments.get(run_id)
        figures = {
            "enps": 100.0 * (prom - detr) / enps_n if enps_n else None,
            "favorability": 100.0 * fav / likert_n if likert_n else None,
            "sentiment": float(senti) if senti is not None else None,
        }
        # A run closed on its last released figures keeps them here too.
        if run_id in self.frozen:
            figures = {k: self.frozen[run_id][k] for k in figures}
        return TrendPoint(
            number=run.number,
            opened_at_iso=run.opened_at.date().isoformat(),
            respondents=respondents,
            invited=run.invited,
            suppressed=hidden,
            enps=None if hidden else figures["enps"],
            favorability=None if hidden else figures["favorability"],
            sentiment=None if hidden else figures["sentiment"],
        )


def _sentiments(session: Session, run_ids: list[int]) -> dict[int, float | None]:
    """The average sentiment of each run's comments."""
    return dict(
        session.exec(
            select(SurveyAnswer.run_id, func.avg(SurveyAnswer.sentiment))
            .where(col(SurveyAnswer.run_id).in_(run_ids), col(SurveyAnswer.text).is_not(None))
            .group_by(col(SurveyAnswer.run_id))
        ).all()
    )


def _excluded(session: Session, run_ids: list[int], exclusion: Exclusion) -> dict[int, int]:
    """How many people counted out of the threshold answered each run."""
    excluded: dict[int, int] = {}
    for (run_id, _), n in excluded_by_group(
        session=session, run_ids=run_ids, exclusion=exclusion
    ).items():
        excluded[run_id] = excluded.get(run_id, 0) + n
    return excluded


def _final_figures(session: Session, run_ids: list[int]) -> dict[int, dict[str, float | None]]:
    """The figures runs were closed with, where their last answers were too few to add."""
    return {
        s.run_id: json.loads(s.figures)
        for s in session.exec(
            select(SurveySnapshot).where(
                col(SurveySnapshot.run_id).in_(run_ids),
                SurveySnapshot.final == True,  # noqa: E712
            )
        ).all()
    }


def _scores(session: Session, survey: Survey, run_ids: list[int]) -> dict[int, list[int]]:
    """By run: promoters, detractors, eNPS answers, favorable and Likert answers."""
    kinds = dict(
        session.exec(
            select(SurveyQuestion.id, SurveyQuestion.kind).where(
                SurveyQuestion.survey_id == survey.id
            )
        ).all()
    )
    value = col(SurveyAnswer.value)
    scores: dict[int, list[int]] = {}
    for run_id, question_id, answered, high, low, agree in session.execute(
        sa_select(
            col(SurveyAnswer.run_id),
            col(SurveyAnswer.question_id),
            func.count(value),
            func.sum(case((value >= 9, 1), else_=0)),
            func.sum(case((value <= 6, 1), else_=0)),
            func.sum(case((value >= 4, 1), else_=0)),
        )
        .where(col(SurveyAnswer.run_id).in_(run_ids), value.is_not(None))
        .group_by(col(SurveyAnswer.run_id), col(SurveyAnswer.question_id))
    ).all():
        into = scores.setdefault(run_id, [0, 0, 0, 0, 0])
        if kinds.get(question_id) == "enps":
            into[0], into[1], into[2] = into[0] + high, into[1] + low, into[2] + answered
        elif kinds.get(question_id) == "likert":
            into[3], into[4] = into[3] + agree, into[4] + answered
    return scores


def _respondents(session: Session, run_ids: list[int], known: Mapping[int, int]) -> dict[int, int]:
    """Respondents by run: those the caller knows, the others counted as DISTINCT pairs."""
    people = {r: n for r, n in known.items() if r in run_ids}
    uncounted = [r for r in run_ids if r not in people]
    if uncounted:
        pairs = (
            select(SurveyAnswer.run_id, SurveyAnswer.respondent)
            .where(col(SurveyAnswer.run_id).in_(uncounted))
            .distinct()
            .subquery()
        )
        rows = session.exec(select(pairs.c.run_id, func.count()).group_by(pairs.c.run_id)).all()
        people |= {int(r): int(n) for r, n in rows}
    return people
