"""Prose of pulse surveys (through surveys/templates): invitations, results, confirmations."""

from datetime import datetime

from bot.text.mrkdwn import Mrkdwn, counted, escape
from bot.text.templating import render
from surveys.answers import Answered
from surveys.creation import Created
from surveys.export import answer_label
from surveys.models import QuestionKind, ResultsWhileOpen, Survey, SurveyRun
from surveys.programs import SurveySummary
from surveys.results import QuestionStats, RunResults
from surveys.sentiment import label
from surveys.snapshots import step


def slack_date(instant: datetime) -> Mrkdwn:
    """An instant Slack shows in each reader's own time zone."""
    fallback = instant.strftime("%d %b %Y %H:%M UTC")
    return Mrkdwn(
        f"<!date^{int(instant.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"
    )


def privacy_line(survey: Survey) -> str:
    """What is stored and who sees what, in one line (in every invitation and answer modal)."""
    return render(
        "surveys",
        "privacy.j2",
        anonymous=survey.anonymous,
        author=Mrkdwn(f"<@{survey.author_id}>"),
        threshold=survey.threshold,
    )


def invitation_text(survey: Survey, *, count: int, closes: datetime, reminder: bool) -> str:
    """The first line of an invitation or a reminder (which, for an anonymous survey, goes to
    everyone invited and is worded for those who have answered too)."""
    return render(
        "surveys",
        "invitation.j2",
        reminder=reminder,
        anonymous=survey.anonymous,
        title=survey.title,
        author=Mrkdwn(f"<@{survey.author_id}>"),
        count=count,
        closes=slack_date(closes),
    )


def _stats_line(stats: QuestionStats) -> str:
    text = escape(stats.text)
    if stats.kind is QuestionKind.ENPS and stats.enps is not None:
        return (
            f"• {text}\n    eNPS *{stats.enps:+.0f}* ({counted(stats.promoters, 'promoter')}, "
            f"{counted(stats.count - stats.promoters - stats.detractors, 'passive')}, "
            f"{counted(stats.detractors, 'detractor')}), average {stats.average:.1f}"
        )
    if stats.kind is QuestionKind.LIKERT and stats.favorability is not None:
        spread = " ".join(f"{v}:{stats.distribution.get(v, 0)}" for v in range(1, 6))
        return (
            f"• {text}\n    *{stats.favorability:.0f}% favorable*, average "
            f"{stats.average:.2f}/5 ({spread})"
        )
    if stats.kind in (QuestionKind.SINGLE, QuestionKind.MULTI):
        parts = [
            f"{escape(option)} {stats.distribution.get(i, 0)}"
            for i, option in enumerate(stats.options)
        ]
        return f"• {text}\n    " + ", ".join(parts)
    return f"• {text}: {stats.count} answers"


def _department_lines(results: RunResults) -> list[str]:
    lines: list[str] = []
    for group in results.departments:
        figures: list[str] = []
        for question in results.questions:
            stats = group.questions.get(question.id or 0)
            if stats is None:
                continue
            if stats.kind is QuestionKind.ENPS and stats.enps is not None:
                figures.append(f"eNPS {stats.enps:+.0f}")
            elif stats.kind is QuestionKind.LIKERT and stats.favorability is not None:
                figures.append(f"Q{question.position + 1} {stats.favorability:.0f}%")
        lines.append(
            f"• {escape(group.name)} ({group.respondents}): " + (", ".join(figures) or "answered")
        )
    return lines


def _trend_text(results: RunResults) -> str:
    if len(results.trend) < 2:
        return ""
    return " → ".join(
        f"run {p.number}: "
        + (
            "hidden"
            if p.suppressed
            else (
                f"eNPS {p.enps:+.0f}"
                if p.enps is not None
                else f"{p.favorability:.0f}% favorable"
                if p.favorability is not None
                else f"{p.respondents} answered"
            )
        )
        for p in results.trend
    )


def _people_lines(results: RunResults) -> list[str]:
    """An attributed survey's answers, each beside the name of whoever gave it."""
    by_id = {q.id: q for q in results.questions}
    answers: dict[str, list[str]] = {}
    for answer in results.people:
        question = by_id[answer.question_id]
        shown = escape(answer_label(question, answer).replace("\n", " "))
        prefix = "" if len(results.questions) == 1 else f"Q{question.position + 1} "
        answers.setdefault(answer.user_id, []).append(prefix + shown)
    return [f"• <@{user}>: " + " · ".join(parts) for user, parts in answers.items()]


def _waiting_text(results: RunResults) -> str:
    """Why an open run shows no figures yet."""
    survey = results.survey
    if survey.results_while_open == ResultsWhileOpen.CLOSE.value:
        return (
            f"Results come at the close, {slack_date(results.run.closes_at)}: until then only "
            "how many people answered is shown, so that no answer can be told from the next."
        )
    who = "people who cannot see results" if survey.strong_protection else "people"
    return (
        f"Results appear once {step(survey)} {who} have answered, and then move only in steps "
        f"of {step(survey)} new answers, so that no answer can be told from the next."
    )


def _as_of_text(results: RunResults) -> str:
    if results.as_of is None:
        return ""
    when = slack_date(results.as_of)
    if results.stage == "interim":
        return (
            f"Figures as of {when}, from {results.covered} answers: they move only once "
            f"{step(results.survey)} more people have answered; departments come at the close."
        )
    return (
        f"Final figures as of {when}, from {results.covered} answers: the answers that came "
        f"after ({results.left_out}) were too few to add without telling what they said, so "
        "they are counted above but not in the figures (nor is a breakdown by department, "
        "which would include them)."
    )


def results_text(results: RunResults) -> str:
    """The results message (for /pulse results and the author's DM at close)."""
    survey = results.survey
    lines = [
        _stats_line(stats)
        for question in results.questions
        if (stats := results.overall.get(question.id or 0)) is not None
    ]
    return render(
        "surveys",
        "results.j2",
        title=survey.title,
        number=results.run.number,
        state=results.run.state,
        respondents=results.respondents,
        invited=results.invited,
        participation=results.participation,
        response_rate=results.response_rate,
        waiting=Mrkdwn(_waiting_text(results)) if results.stage == "waiting" else "",
        suppressed=results.suppressed,
        threshold=survey.threshold,
        strong=survey.strong_protection,
        anonymous=survey.anonymous,
        as_of=Mrkdwn(_as_of_text(results)),
        lines=lines,
        departments=_department_lines(results),
        not_shown=results.not_shown if results.stage == "final" else 0,
        trend=Mrkdwn(escape(_trend_text(results))),
        comments=[c.replace("\n", " ") for c in results.comments],
        sentiment=f"{label(results.sentiment)}"
        + (f", {results.sentiment:+.2f}" if results.sentiment is not None else ""),
        people=_people_lines(results),
    )


def answered_text(answered: Answered) -> str:
    """The confirmation of an answer (under the buttons, or in the answer modal)."""
    return render(
        "surveys",
        "answered.j2",
        title=answered.title,
        replaced=answered.replaced,
        anonymous=answered.anonymous,
        closes=slack_date(answered.closes_at),
    )


def created_text(created: Created, questions: int) -> str:
    """What the author reads once a survey is created (the form's last step, and a DM copy)."""
    survey = created.survey
    return render(
        "surveys",
        "created.j2",
        id=survey.id,
        title=survey.title,
        questions=questions,
        audience=created.audience_size,
        audience_text=survey.audience_kind,
        cadence=created.cadence_text,
        window=survey.window_days,
        first=slack_date(created.first_run_at),
        local_time=survey.local_time,
        anonymous=survey.anonymous,
        threshold=survey.threshold,
        strong=survey.strong_protection,
        at_close=survey.results_while_open == ResultsWhileOpen.CLOSE.value,
        recurring=survey.cadence is not None,
    )


def copy_not_sent_text(survey_id: int, title: str, reason: str) -> str:
    """The survey was created, but its details could not be sent to the author's DM."""
    return render("surveys", "copy_not_sent.j2", id=survey_id, title=title, reason=reason)


def _latest_text(row: SurveySummary) -> str:
    latest = row.latest
    if latest is None:
        return "not run yet"
    text = f"run {latest.number} {latest.state}: {row.answered}/{latest.invited} answered"
    return text + (f", closes {slack_date(latest.closes_at)}" if latest.state == "open" else "")


def list_text(rows: list[SurveySummary]) -> str:
    """`/pulse list`: one line per survey."""
    if not rows:
        return "You have no pulse surveys yet. `/pulse` starts one."
    lines = [
        f"*{row.survey.id}* · {render('surveys', 'title.j2', title=row.survey.title)} · "
        f"{row.survey.state} · {row.survey.cadence or 'once'} · {_latest_text(row)}"
        + (f" · next {slack_date(row.next_run)}" if row.next_run else "")
        for row in rows
    ]
    return "*Pulse surveys*\n" + "\n".join(lines)


def export_text(survey_id: int, run: SurveyRun) -> str:
    """`/pulse export`: the CSV is on its way."""
    return (
        f":inbox_tray: The CSV of survey {survey_id}, run {run.number} (aggregates only) "
        "is on its way to your DM."
    )


def closed_text(survey: Survey, open_run: SurveyRun | None) -> str:
    """`/pulse close`: what closed, and where the results go."""
    closed = (
        f" Run {open_run.number} closed; results go to <@{survey.author_id}>."
        if open_run is not None
        else ""
    )
    return f":lock: Survey {survey.id} is closed: no more runs.{closed}"


def paused_text(survey: Survey, *, paused: bool, next_run: datetime | None) -> str:
    """`/pulse pause` and `/pulse resume`."""
    if paused:
        return (
            f":pause_button: Survey {survey.id} is paused: no new runs (an open run still closes "
            f"as planned). `/pulse resume {survey.id}` restarts it."
        )
    return f":arrow_forward: Survey {survey.id} resumed" + (
        f"; next run {slack_date(next_run)}." if next_run else "."
    )
