"""Results of a survey run, aggregated in SQL and released under the threshold rules.

Every figure comes from GROUP BY queries over the answer table; Python only combines the
aggregated groups (one row per group and question), never the answer rows themselves. Which
figures may be shown is surveys/release.py's business; what an open run shows (its released
snapshot) is surveys/snapshots.py's.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from directory.models import Department
from surveys.common import questions_of
from surveys.models import (
    OTHER_DEPARTMENTS,
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyRun,
)
from surveys.release import Exclusion, excluded_by_group, released
from surveys.trend import TrendPoint, trend

OTHERS_NAME = "Other departments"


@dataclass
class QuestionStats:
    """Aggregates of one question for one group."""

    question_id: int
    kind: QuestionKind
    text: str
    count: int = 0
    total: int = 0
    promoters: int = 0
    detractors: int = 0
    favorable: int = 0
    distribution: dict[int, int] = field(default_factory=dict)
    options: list[str] = field(default_factory=list)

    @property
    def average(self) -> float | None:
        """The mean score (eNPS, Likert)."""
        return self.total / self.count if self.count else None

    @property
    def enps(self) -> float | None:
        """% promoters (9-10) minus % detractors (0-6)."""
        if not self.count:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.count

    @property
    def favorability(self) -> float | None:
        """% of Likert answers that are 4 or 5."""
        return 100.0 * self.favorable / self.count if self.count else None


@dataclass
class GroupResult:
    """A shown group's figures (groups that are not shown are not listed at all)."""

    group_id: int
    name: str
    respondents: int
    questions: dict[int, QuestionStats] = field(default_factory=dict)


@dataclass(frozen=True)
class PersonAnswer:
    """An attributed survey's answer, beside the name of whoever gave it."""

    user_id: str
    question_id: int
    value: int | None
    text: str | None


@dataclass
class RunResults:
    """Everything /pulse results, the close message, charts and the CSV show."""

    survey: Survey
    run: SurveyRun
    questions: list[SurveyQuestion]
    invited: int
    respondents: int
    answers: int
    suppressed: bool
    overall: dict[int, QuestionStats]
    departments: list[GroupResult]
    comments: list[str]
    sentiment: float | None
    trend: list[TrendPoint]
    # Groups of the run not shown by name (too few counted answers, or to stop differencing).
    not_shown: int = 0
    # "final" (a closed run), "interim" (an open run's released figures), "waiting" (none yet).
    stage: str = "final"
    # Released figures: when they were taken, how many respondents they cover, and (a closed run
    # whose last ones were too few to add) how many answers are not in them.
    as_of: datetime | None = None
    covered: int | None = None
    left_out: int = 0
    people: list[PersonAnswer] = field(default_factory=list)

    @property
    def participation(self) -> float:
        """People who answered at least one question / people invited, in %."""
        return 100.0 * self.respondents / self.invited if self.invited else 0.0

    @property
    def response_rate(self) -> float:
        """Questions answered / questions asked (invited people x questions), in %."""
        asked = self.invited * len(self.questions)
        return 100.0 * self.answers / asked if asked else 0.0

    @property
    def enps_question(self) -> QuestionStats | None:
        """The first eNPS question's figures, if the survey has one."""
        return next((s for s in self.overall.values() if s.kind is QuestionKind.ENPS), None)


_SCORED = (QuestionKind.ENPS.value, QuestionKind.LIKERT.value, QuestionKind.SINGLE.value)


def blank_stats(question: SurveyQuestion) -> QuestionStats:
    """A question's figures before any answer is added."""
    return QuestionStats(
        question.id or 0,
        QuestionKind(question.kind),
        question.text,
        options=question.options.splitlines(),
    )


def _stats_by_group(
    session: Session, run_id: int, questions: dict[int, SurveyQuestion]
) -> dict[int | None, dict[int, QuestionStats]]:
    value = col(SurveyAnswer.value)
    rows = session.execute(
        sa_select(
            col(SurveyAnswer.group_id),
            col(SurveyAnswer.question_id),
            func.count(),
            func.coalesce(func.sum(value), 0),
            func.sum(case((value >= 9, 1), else_=0)),
            func.sum(case((value <= 6, 1), else_=0)),
            func.sum(case((value >= 4, 1), else_=0)),
        )
        .where(col(SurveyAnswer.run_id) == run_id, col(SurveyAnswer.value).is_not(None))
        .group_by(col(SurveyAnswer.group_id), col(SurveyAnswer.question_id))
    ).all()
    out: dict[int | None, dict[int, QuestionStats]] = {}
    for group, question_id, count, total, promoters, detractors, favorable in rows:
        stats = blank_stats(questions[question_id])
        stats.count, stats.total = int(count), int(total)
        stats.promoters, stats.detractors = int(promoters or 0), int(detractors or 0)
        stats.favorable = int(favorable or 0)
        out.setdefault(group, {})[question_id] = stats
    return out


def _distributions(
    session: Session, run_id: int, questions: dict[int, SurveyQuestion]
) -> dict[int, dict[int, int]]:
    """Answers per value (scales, single choice) and per option (multiple choice), in SQL."""
    out: dict[int, dict[int, int]] = {}
    scored = [q for q, row in questions.items() if row.kind in _SCORED]
    if scored:
        rows = session.exec(
            select(SurveyAnswer.question_id, SurveyAnswer.value, func.count())
            .where(
                SurveyAnswer.run_id == run_id,
                col(SurveyAnswer.question_id).in_(scored),
                col(SurveyAnswer.value).is_not(None),
            )
            .group_by(col(SurveyAnswer.question_id), col(SurveyAnswer.value))
        ).all()
        for question_id, value, count in rows:
            out.setdefault(question_id, {})[int(value or 0)] = int(count)
    for question_id, row in questions.items():
        if row.kind != QuestionKind.MULTI.value:
            continue
        sums = [
            func.sum(case((col(SurveyAnswer.value).op("&")(1 << i) != 0, 1), else_=0))
            for i in range(len(row.options.splitlines()))
        ]
        counts = session.exec(
            select(*sums).where(
                SurveyAnswer.run_id == run_id, SurveyAnswer.question_id == question_id
            )
        ).one()
        out[question_id] = {i: int(c or 0) for i, c in enumerate(counts)}
    return out


def merge(groups: list[dict[int, QuestionStats]]) -> dict[int, QuestionStats]:
    """Figures of several groups added up, question by question."""
    merged: dict[int, QuestionStats] = {}
    for group in groups:
        for question_id, stats in group.items():
            into = merged.setdefault(
                question_id,
                QuestionStats(question_id, stats.kind, stats.text, options=stats.options),
            )
            into.count += stats.count
            into.total += stats.total
            into.promoters += stats.promoters
            into.detractors += stats.detractors
            into.favorable += stats.favorable
    return merged


def _group_names(session: Session, groups: set[int]) -> dict[int, str]:
    names = dict(
        session.exec(
            select(Department.id, Department.name).where(col(Department.id).in_(groups))
        ).all()
    )
    return {
        g: OTHERS_NAME if g == OTHER_DEPARTMENTS else names.get(g, f"Group {g}") for g in groups
    }


def comments_and_sentiment(session: Session, run_id: int) -> tuple[list[str], float | None]:
    """Every comment, sorted by its text (never in the order people answered), and the mean
    sentiment."""
    comments = [
        str(t)
        for t in session.exec(
            select(SurveyAnswer.text)
            .where(SurveyAnswer.run_id == run_id, col(SurveyAnswer.text).is_not(None))
            .order_by(col(SurveyAnswer.text))
        ).all()
        if t
    ]
    average = session.exec(
        # A comment's sentiment, found through the comments' own index.
        select(func.avg(SurveyAnswer.sentiment)).where(
            SurveyAnswer.run_id == run_id, col(SurveyAnswer.text).is_not(None)
        )
    ).one()
    return comments, float(average) if average is not None else None


def counts(session: Session, run: SurveyRun) -> tuple[int, dict[int | None, int], int]:
    """(invited, respondents by group, answers) of a run."""
    invited = session.exec(select(func.count()).where(SurveyInvitation.run_id == run.id)).one()
    # DISTINCT pairs, then counted: faster than COUNT(DISTINCT) on PostgreSQL (a hash, no sort).
    pairs = (
        select(SurveyAnswer.group_id, SurveyAnswer.respondent)
        .where(SurveyAnswer.run_id == run.id)
        .distinct()
        .subquery()
    )
    by_group = session.exec(select(pairs.c.group_id, func.count()).group_by(pairs.c.group_id)).all()
    answers = session.exec(
        select(func.count()).select_from(SurveyAnswer).where(SurveyAnswer.run_id == run.id)
    ).one()
    return int(invited), {g: int(n) for g, n in by_group}, int(answers)


def run_groups(session: Session, run_id: int) -> set[int]:
    """The groups a run's answers can carry (from its invitations)."""
    rows = session.exec(
        select(SurveyInvitation.group_id)
        .where(SurveyInvitation.run_id == run_id, col(SurveyInvitation.group_id).is_not(None))
        .distinct()
    ).all()
    return {int(g) for g in rows if g is not None}


def compute(*, session: Session, run: SurveyRun, exclusion: Exclusion) -> RunResults:
    """A run's figures as the rules let them be shown: every answer in the totals, groups by name
    only where release.released allows (all of them for an attributed survey)."""
    survey = session.get(Survey, run.survey_id)
    assert survey is not None
    assert run.id is not None
    questions = questions_of(session=session, survey_id=run.survey_id)
    by_id = {q.id or 0: q for q in questions}
    invited, sizes, answers = counts(session, run)
    excluded = excluded_by_group(session=session, run_ids=[run.id], exclusion=exclusion)
    if survey.anonymous:
        rule = released(sizes, {g: excluded.get((run.id, g), 0) for g in sizes}, survey.threshold)
        suppressed, shown = rule.suppressed, rule.shown
    else:
        suppressed, shown = False, frozenset(g for g in sizes if g is not None)
    groups = run_groups(session, run.id)
    results = RunResults(
        survey=survey,
        run=run,
        questions=questions,
        invited=invited,
        respondents=sum(sizes.values()),
        answers=answers,
        suppressed=suppressed,
        overall={},
        departments=[],
        comments=[],
        sentiment=None,
        trend=trend(
            session=session,
            survey=survey,
            exclusion=exclusion,
            known={run.id: sum(sizes.values())},
        ),
        not_shown=len(groups - shown) if survey.anonymous else 0,
    )
    if suppressed:
        return results
    per_group = _stats_by_group(session, run.id, by_id)
    results.overall = merge(list(per_group.values()))
    for question_id, distribution in _distributions(session, run.id, by_id).items():
        results.overall.setdefault(question_id, blank_stats(by_id[question_id]))
        results.overall[question_id].distribution = distribution
    names = _group_names(session, set(shown))
    results.departments = [
        GroupResult(group_id=g, name=names[g], respondents=sizes[g], questions=per_group.get(g, {}))
        for g in sorted(shown, key=lambda g: (g == OTHER_DEPARTMENTS, names[g]))
    ]
    results.comments, results.sentiment = comments_and_sentiment(session, run.id)
    if not survey.anonymous:
        results.people = attributed_answers(session, run.id)
    return results


def attributed_answers(session: Session, run_id: int) -> list[PersonAnswer]:
    """An attributed run's answers with whose they are (SurveyAttribution links the tokens)."""
    from surveys.models import SurveyAttribution

    rows = session.exec(
        select(
            SurveyAttribution.user_id,
            SurveyAnswer.question_id,
            SurveyAnswer.value,
            SurveyAnswer.text,
        )
        .join(
            SurveyAttribution,
            (col(SurveyAttribution.run_id) == SurveyAnswer.run_id)
            & (col(SurveyAttribution.respondent) == SurveyAnswer.respondent),
        )
        .where(SurveyAnswer.run_id == run_id)
        .order_by(col(SurveyAttribution.user_id), col(SurveyAnswer.question_id))
    ).all()
    return [PersonAnswer(u, q, v, t) for u, q, v, t in rows]


def run_results(*, session: Session, run: SurveyRun, exclusion: Exclusion) -> RunResults:
    """A run's final-style figures for someone not excluded otherwise (tests, benchmarks).

    What people see goes through surveys/snapshots.py's `results_for`, which also applies what
    an open run may show.
    """
    return compute(session=session, run=run, exclusion=exclusion)
