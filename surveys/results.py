"""Results of a survey run, aggregated in SQL and released under the anonymity threshold.

Every figure comes from GROUP BY queries over the answer table; Python only combines the
aggregated groups (one row per department and question), never the answer rows themselves.

Threshold rules (DESIGN.md section 7): no figure for a group (the whole run, or a department)
with fewer respondents than the survey's threshold, comments included. With strong protection,
when the hidden departments together number fewer than the threshold, the smallest shown ones
are hidden too, until they do: otherwise the total minus the shown departments would reveal them.
"""

from dataclasses import dataclass, field

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from directory.models import Department
from surveys.models import (
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyRun,
)
from surveys.service import questions_of

NO_DEPARTMENT = "No department"


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
    """A department's figures (or why they are hidden)."""

    department_id: int | None
    name: str
    respondents: int
    suppressed: bool
    questions: dict[int, QuestionStats] = field(default_factory=dict)


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


def _stats_by_department(
    session: Session, run_id: int, questions: dict[int, SurveyQuestion]
) -> dict[int | None, dict[int, QuestionStats]]:
    value = col(SurveyAnswer.value)
    rows = session.execute(
        sa_select(
            col(SurveyAnswer.department_id),
            col(SurveyAnswer.question_id),
            func.count(),
            func.coalesce(func.sum(value), 0),
            func.sum(case((value >= 9, 1), else_=0)),
            func.sum(case((value <= 6, 1), else_=0)),
            func.sum(case((value >= 4, 1), else_=0)),
        )
        .where(col(SurveyAnswer.run_id) == run_id, col(SurveyAnswer.value).is_not(None))
        .group_by(col(SurveyAnswer.department_id), col(SurveyAnswer.question_id))
    ).all()
    out: dict[int | None, dict[int, QuestionStats]] = {}
    for department_id, question_id, count, total, promoters, detractors, favorable in rows:
        question = questions[question_id]
        out.setdefault(department_id, {})[question_id] = QuestionStats(
            question_id=question_id,
            kind=QuestionKind(question.kind),
            text=question.text,
            count=int(count),
            total=int(total),
            promoters=int(promoters or 0),
            detractors=int(detractors or 0),
            favorable=int(favorable or 0),
            options=question.options.splitlines(),
        )
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
        options = row.options.splitlines()
        sums = [
            func.sum(case((col(SurveyAnswer.value).op("&")(1 << i) != 0, 1), else_=0))
            for i in range(len(options))
        ]
        counts = session.exec(
            select(*sums).where(
                SurveyAnswer.run_id == run_id, SurveyAnswer.question_id == question_id
            )
        ).one()
        out[question_id] = {i: int(c or 0) for i, c in enumerate(counts)}
    return out


def _merge(groups: list[dict[int, QuestionStats]]) -> dict[int, QuestionStats]:
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


def suppressed_groups(
    sizes: dict[int | None, int], threshold: int, strong: bool
) -> set[int | None]:
    """Which groups to hide: those under the threshold, and with strong protection the next
    smallest ones while the hidden ones together are fewer than the threshold."""
    hidden = {group for group, size in sizes.items() if size < threshold}
    if strong:
        while hidden and sum(sizes[g] for g in hidden) < threshold:
            shown = sorted((g for g in sizes if g not in hidden), key=lambda g: (sizes[g], str(g)))
            if not shown:
                break
            hidden.add(shown[0])
    return hidden


def run_results(*, session: Session, run: SurveyRun) -> RunResults:
    """Compute a run's results (aggregated in SQL) under its survey's threshold rules."""
    survey = session.get(Survey, run.survey_id)
    assert survey is not None
    assert run.id is not None
    questions = questions_of(session=session, survey_id=run.survey_id)
    by_id = {q.id or 0: q for q in questions}
    invited = session.exec(select(func.count()).where(SurveyInvitation.run_id == run.id)).one()
    respondents_by_department = dict(
        session.exec(
            select(SurveyAnswer.department_id, func.count(func.distinct(SurveyAnswer.respondent)))
            .where(SurveyAnswer.run_id == run.id)
            .group_by(col(SurveyAnswer.department_id))
        ).all()
    )
    respondents = sum(int(v) for v in respondents_by_department.values())
    answers = session.exec(
        select(func.count()).select_from(SurveyAnswer).where(SurveyAnswer.run_id == run.id)
    ).one()
    threshold = survey.threshold
    suppressed = respondents < threshold
    per_department = _stats_by_department(session, run.id, by_id)
    overall = _merge(list(per_department.values()))
    if not suppressed:
        for question_id, distribution in _distributions(session, run.id, by_id).items():
            overall.setdefault(
                question_id,
                QuestionStats(
                    question_id,
                    QuestionKind(by_id[question_id].kind),
                    by_id[question_id].text,
                    options=by_id[question_id].options.splitlines(),
                ),
            ).distribution = distribution
    names = dict(
        session.exec(
            select(Department.id, Department.name).where(
                col(Department.id).in_([d for d in respondents_by_department if d is not None])
            )
        ).all()
    )
    sizes = {d: int(n) for d, n in respondents_by_department.items()}
    hidden = suppressed_groups(sizes, threshold, survey.strong_protection)
    departments = [
        GroupResult(
            department_id=d,
            name=names.get(d, NO_DEPARTMENT) if d is not None else NO_DEPARTMENT,
            respondents=sizes[d],
            suppressed=suppressed or d in hidden,
            questions={} if (suppressed or d in hidden) else per_department.get(d, {}),
        )
        for d in sorted(sizes, key=lambda d: names.get(d, NO_DEPARTMENT) if d else "~")
    ]
    comments: list[str] = []
    sentiment: float | None = None
    if not suppressed:
        # Sorted by text, not stored order: the order people answered in is nobody's business.
        comments = [
            str(text)
            for text in session.exec(
                select(SurveyAnswer.text)
                .where(SurveyAnswer.run_id == run.id, col(SurveyAnswer.text).is_not(None))
                .order_by(col(SurveyAnswer.text))
            ).all()
            if text
        ]
        average = session.exec(
            select(func.avg(SurveyAnswer.sentiment)).where(
                SurveyAnswer.run_id == run.id, col(SurveyAnswer.sentiment).is_not(None)
            )
        ).one()
        sentiment = float(average) if average is not None else None
    return RunResults(
        survey=survey,
        run=run,
        questions=questions,
        invited=int(invited),
        respondents=respondents,
        answers=int(answers),
        suppressed=suppressed,
        overall={} if suppressed else overall,
        departments=departments,
        comments=[c for c in comments if c],
        sentiment=sentiment,
        trend=trend(session=session, survey=survey),
    )


def trend(*, session: Session, survey: Survey) -> list[TrendPoint]:
    """eNPS, Likert favorability and comment sentiment per run, in SQL, runs under the
    threshold hidden."""
    value = col(SurveyAnswer.value)
    kind = col(SurveyQuestion.kind)
    rows = session.execute(
        sa_select(
            col(SurveyRun.number),
            col(SurveyRun.opened_at),
            col(SurveyRun.invited),
            func.count(func.distinct(SurveyAnswer.respondent)),
            func.sum(case(((kind == "enps") & (value >= 9), 1), else_=0)),
            func.sum(case(((kind == "enps") & (value <= 6), 1), else_=0)),
            func.sum(case((kind == "enps", 1), else_=0)),
            func.sum(case(((kind == "likert") & (value >= 4), 1), else_=0)),
            func.sum(case((kind == "likert", 1), else_=0)),
            func.avg(SurveyAnswer.sentiment),
        )
        .select_from(SurveyRun)
        .join(SurveyAnswer, col(SurveyAnswer.run_id) == SurveyRun.id, isouter=True)
        .join(SurveyQuestion, col(SurveyQuestion.id) == SurveyAnswer.question_id, isouter=True)
        .where(col(SurveyRun.survey_id) == survey.id)
        .group_by(
            col(SurveyRun.id),
            col(SurveyRun.number),
            col(SurveyRun.opened_at),
            col(SurveyRun.invited),
        )
        .order_by(col(SurveyRun.number))
    ).all()
    points: list[TrendPoint] = []
    for number, opened, invited, respondents, prom, detr, enps_n, fav, likert_n, senti in rows:
        hidden = int(respondents) < survey.threshold
        points.append(
            TrendPoint(
                number=int(number),
                opened_at_iso=opened.date().isoformat(),
                respondents=int(respondents),
                invited=int(invited),
                suppressed=hidden,
                enps=None
                if hidden or not enps_n
                else 100.0 * (int(prom) - int(detr)) / int(enps_n),
                favorability=None if hidden or not likert_n else 100.0 * int(fav) / int(likert_n),
                sentiment=None if hidden or senti is None else float(senti),
            )
        )
    return points


def export_csv(results: RunResults) -> str:
    """Aggregates only (never an answer row), groups under the threshold marked as hidden."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["survey", "run", "group", "respondents", "question", "metric", "value"])
    survey, number = results.survey.title, results.run.number
    writer.writerow([survey, number, "All", results.respondents, "", "invited", results.invited])
    writer.writerow(
        [
            survey,
            number,
            "All",
            results.respondents,
            "",
            "participation %",
            f"{results.participation:.1f}",
        ]
    )
    writer.writerow(
        [
            survey,
            number,
            "All",
            results.respondents,
            "",
            "response rate %",
            f"{results.response_rate:.1f}",
        ]
    )
    threshold = results.survey.threshold

    def stats_rows(group: str, respondents: int, stats: dict[int, QuestionStats]) -> None:
        for question in results.questions:
            s = stats.get(question.id or 0)
            if s is None:
                continue
            for metric, figure in _metrics(s):
                writer.writerow([survey, number, group, respondents, question.text, metric, figure])

    if results.suppressed:
        writer.writerow(
            [
                survey,
                number,
                "All",
                results.respondents,
                "",
                "hidden",
                f"fewer than {threshold} answers",
            ]
        )
    else:
        stats_rows("All", results.respondents, results.overall)
        if results.sentiment is not None:
            writer.writerow(
                [
                    survey,
                    number,
                    "All",
                    results.respondents,
                    "comments",
                    "sentiment",
                    f"{results.sentiment:.2f}",
                ]
            )
    for group in results.departments:
        if group.suppressed:
            writer.writerow([survey, number, group.name, "", "", "hidden", "anonymity threshold"])
        else:
            stats_rows(group.name, group.respondents, group.questions)
    return out.getvalue()


def _metrics(stats: QuestionStats) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = [("answers", str(stats.count))]
    if stats.kind is QuestionKind.ENPS and stats.enps is not None:
        rows.append(("eNPS", f"{stats.enps:.0f}"))
    if stats.kind in (QuestionKind.ENPS, QuestionKind.LIKERT) and stats.average is not None:
        rows.append(("average", f"{stats.average:.2f}"))
    if stats.kind is QuestionKind.LIKERT and stats.favorability is not None:
        rows.append(("favorability %", f"{stats.favorability:.1f}"))
    for value, count in sorted(stats.distribution.items()):
        label = (
            stats.options[value]
            if stats.kind in (QuestionKind.SINGLE, QuestionKind.MULTI)
            and value < len(stats.options)
            else str(value)
        )
        rows.append((f"answered {label}", str(count)))
    return rows
