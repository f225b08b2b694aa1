"""Sentiment of free-text comments, from VADER (vaderSentiment): a compound score from -1 to +1."""

from functools import cache

from vaderSentiment.vaderSentiment import (  # type: ignore[import-untyped]
    SentimentIntensityAnalyzer,
)


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    # Loading the lexicon takes a moment: once per process.
    return SentimentIntensityAnalyzer()


def score(text: str) -> float:
    """VADER's compound score of a comment: -1 (negative) to +1 (positive)."""
    return float(_analyzer().polarity_scores(text)["compound"])


def label(compound: float | None) -> str:
    """A word for an average compound score (VADER's usual cut-offs of +-0.05)."""
    if compound is None:
        return "no comments"
    if compound >= 0.05:
        return "positive"
    if compound <= -0.05:
        return "negative"
    return "neutral"
