"""The CSV of a run: aggregates only (never an answer row), under the same rules as the results.

Groups not shown are one "Not shown" row with how many there are, never a row each; an
attributed survey adds each person's answers, named, as it promises.
"""

import csv
import io
from collections.abc import Callable

from sqlmodel import Session, col, select

from directory.models import Person
from surveys.models import QuestionKind, SurveyQuestion
from surveys.results import PersonAnswer, QuestionStats, RunResults

HEADER = ["survey", "run", "group", "respondents", "question", "metric", "value"]
Row = Callable[[str, object, str, str, object], None]


def export_csv(results: RunResults, names: dict[str, str] | None = None) -> str:
    """The CSV text; `names`: people's names by id, for an attributed survey's rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    survey, number = results.survey.title, results.run.number

    def row(group: str, respondents: object, question: str, metric: str, value: object) -> None:
        writer.writerow([survey, number, group, respondents, question, metric, value])

    everyone = results.respondents
    row("All", everyone, "", "invited", results.invited)
    row("All", everyone, "", "participation %", f"{results.participation:.1f}")
    row("All", everyone, "", "response rate %", f"{results.response_rate:.1f}")
    if results.stage == "waiting":
        row("All", everyone, "", "figures", "not yet: see /pulse results")
    if results.as_of is not None:
        row("All", results.covered, "", "figures as of", results.as_of.isoformat())
    if results.left_out:
        row(
            "All",
            everyone,
            "",
            "answers after the last refresh, not in the figures",
            results.left_out,
        )
    if results.suppressed:
        if results.stage != "waiting":
            row("All", everyone, "", "hidden", f"fewer than {results.survey.threshold} answers")
        return out.getvalue()
    covered = results.covered if results.covered is not None else everyone
    _stats_rows(row, results.questions, "All", covered, results.overall)
    if results.sentiment is not None:
        row("All", covered, "comments", "sentiment", f"{results.sentiment:.2f}")
    for group in results.departments:
        _stats_rows(row, results.questions, group.name, group.respondents, group.questions)
    if results.not_shown:
        row("Not shown", "", "", "groups", results.not_shown)
    by_id = {q.id: q for q in results.questions}
    for answer in results.people:
        question = by_id[answer.question_id]
        who = (names or {}).get(answer.user_id, answer.user_id)
        row(who, "", question.text, "answer", answer_label(question, answer))
    return out.getvalue()


def _stats_rows(
    row: Row,
    questions: list[SurveyQuestion],
    group: str,
    respondents: int,
    stats: dict[int, QuestionStats],
) -> None:
    for question in questions:
        s = stats.get(question.id or 0)
        if s is None:
            continue
        for metric, figure in _metrics(s):
            row(group, respondents, question.text, metric, figure)


def answer_label(question: SurveyQuestion, answer: PersonAnswer) -> str:
    """One person's answer as it reads: the number, the option(s), or the comment."""
    options = question.options.splitlines()
    value = answer.value
    if answer.text is not None:
        return answer.text
    if value is None:
        return ""
    if question.kind == QuestionKind.SINGLE.value and value < len(options):
        return options[value]
    if question.kind == QuestionKind.MULTI.value:
        return ", ".join(o for i, o in enumerate(options) if value & (1 << i))
    return str(value)


def names_of(session: Session, people: list[PersonAnswer]) -> dict[str, str]:
    """The directory's names of the people whose answers an attributed survey shows."""
    ids = sorted({p.user_id for p in people})
    if not ids:
        return {}
    rows = session.exec(
        select(Person.slack_id, Person.name).where(col(Person.slack_id).in_(ids))
    ).all()
    return dict(rows)


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
