"""PNG charts of a run's results (matplotlib, Agg backend): eNPS trend, distributions, heatmap.

Only figures already released under the threshold rules are drawn (surveys/release.py): the
heatmap has a row for each shown group and none, not even an empty one, for the others.
"""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from surveys.models import QuestionKind
from surveys.questions import LIKERT_LABELS
from surveys.results import RunResults


def _plain(text: str) -> str:
    """People's words as written: matplotlib would read "$...$" in a title as mathematics."""
    return text.replace("$", r"\$")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def enps_trend(results: RunResults) -> bytes | None:
    """eNPS per run of the survey (hidden runs left as gaps)."""
    points = [(p.number, p.enps) for p in results.trend if p.enps is not None]
    if not points or results.enps_question is None:
        return None
    numbers = [n for n, _ in points]
    figure, axes = plt.subplots(figsize=(7, 3.5))
    axes.plot(numbers, [e for _, e in points], marker="o", color="#2f6fed")
    axes.axhline(0, color="#999999", linewidth=0.8)
    axes.set_ylim(-100, 100)
    axes.set_xlabel("run")
    axes.set_ylabel("eNPS")
    axes.set_xticks(numbers)
    axes.set_title(f"{_plain(results.survey.title)}: eNPS by run")
    return _png(figure)


def distributions(results: RunResults) -> bytes | None:
    """One bar chart per scored or choice question."""
    shown = [s for s in results.overall.values() if s.distribution]
    if not shown:
        return None
    figure, axes_list = plt.subplots(len(shown), 1, figsize=(7, 2.4 * len(shown)), squeeze=False)
    for axes, stats in zip((row[0] for row in axes_list), shown, strict=True):
        if stats.kind is QuestionKind.ENPS:
            labels = [str(v) for v in range(11)]
        elif stats.kind is QuestionKind.LIKERT:
            labels = [f"{v}" for v in range(1, 6)]
        else:
            labels = [_plain(o[:20]) for o in stats.options]
        first = 1 if stats.kind is QuestionKind.LIKERT else 0
        counts = [stats.distribution.get(i + first, 0) for i in range(len(labels))]
        axes.bar(labels, counts, color="#2f6fed")
        axes.set_title(_plain(stats.text[:80]), fontsize=9)
        if stats.kind is QuestionKind.LIKERT:
            axes.set_xlabel(
                " / ".join(f"{i + 1} {w}" for i, w in enumerate(LIKERT_LABELS)), fontsize=7
            )
    figure.tight_layout()
    return _png(figure)


def department_heatmap(results: RunResults) -> bytes | None:
    """Likert favorability (or eNPS) per shown group and question."""
    columns = [q for q in results.questions if q.kind in ("likert", "enps")]
    rows = [g for g in results.departments if g.questions]
    if not columns or not rows:
        return None
    grid: list[list[float]] = []
    for group in rows:
        line: list[float] = []
        for question in columns:
            stats = group.questions.get(question.id or 0)
            value = None
            if stats is not None:
                value = stats.favorability if question.kind == "likert" else stats.enps
            line.append(float("nan") if value is None else value)
        grid.append(line)
    figure, axes = plt.subplots(figsize=(1.3 * len(columns) + 3, 0.5 * len(rows) + 1.5))
    image = axes.imshow(
        grid, cmap="RdYlGn", vmin=-100 if any(q.kind == "enps" for q in columns) else 0, vmax=100
    )
    axes.set_xticks(range(len(columns)), [f"Q{q.position + 1}" for q in columns])
    axes.set_yticks(range(len(rows)), [_plain(g.name[:24]) for g in rows])
    for y, line in enumerate(grid):
        for x, value in enumerate(line):
            if value == value:  # not NaN
                axes.text(x, y, f"{value:.0f}", ha="center", va="center", fontsize=8)
    figure.colorbar(image, ax=axes, label="% favorable (eNPS for eNPS questions)")
    axes.set_title(f"{_plain(results.survey.title)}: by department")
    return _png(figure)


def all_charts(results: RunResults) -> list[tuple[str, bytes]]:
    """(file name, PNG) of every chart that has something to show."""
    if results.suppressed:
        return []
    base = f"survey-{results.survey.id}-run-{results.run.number}"
    charts = [
        (f"{base}-enps-trend.png", enps_trend(results)),
        (f"{base}-distribution.png", distributions(results)),
        (f"{base}-departments.png", department_heatmap(results)),
    ]
    return [(name, png) for name, png in charts if png is not None]
