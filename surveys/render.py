"""Prose of pulse surveys (through surveys/templates): invitations, results, confirmations."""

from datetime import datetime

from bot.mrkdwn import Mrkdwn, escape
from bot.templating import render
from surveys.models import QuestionKind, Survey
from surveys.results import QuestionStats, RunResults
from surveys.sentiment import label


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
    """The first line of an invitation or a reminder."""
    return render(
        "surveys",
        "invitation.j2",
        reminder=reminder,
        title=survey.title,
        author=Mrkdwn(f"<@{survey.author_id}>"),
        count=count,
        closes=slack_date(closes),
    )


def _stats_line(stats: QuestionStats) -> str:
    text = escape(stats.text)
    if stats.kind is QuestionKind.ENPS and stats.enps is not None:
        return (
            f"• {text}\n    eNPS *{stats.enps:+.0f}* ({stats.promoters} promoters, "
            f"{stats.count - stats.promoters - stats.detractors} passives, "
            f"{stats.detractors} detractors), average {stats.average:.1f}"
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


def results_text(results: RunResults) -> str:
    """The results message (for /pulse results and the author's DM at close)."""
    survey = results.survey
    lines = [
        _stats_line(stats)
        for question in results.questions
        if (stats := results.overall.get(question.id or 0)) is not None
    ]
    departments: list[str] = []
    for group in results.departments:
        if group.suppressed:
            departments.append(f"• {escape(group.name)}: hidden (anonymity)")
            continue
        figures: list[str] = []
        for question in results.questions:
            stats = group.questions.get(question.id or 0)
            if stats is None:
                continue
            if stats.kind is QuestionKind.ENPS and stats.enps is not None:
                figures.append(f"eNPS {stats.enps:+.0f}")
            elif stats.kind is QuestionKind.LIKERT and stats.favorability is not None:
                figures.append(f"Q{question.position + 1} {stats.favorability:.0f}%")
        departments.append(
            f"• {escape(group.name)} ({group.respondents}): " + (", ".join(figures) or "answered")
        )
    trend = ""
    if len(results.trend) > 1:
        trend = " → ".join(
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
        suppressed=results.suppressed,
        threshold=survey.threshold,
        strong=survey.strong_protection,
        lines=lines,
        departments=departments,
        trend=Mrkdwn(escape(trend)),
        comments=[c.replace("\n", " ") for c in results.comments],
        sentiment=f"{label(results.sentiment)}"
        + (f", {results.sentiment:+.2f}" if results.sentiment is not None else ""),
    )
