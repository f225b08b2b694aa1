"""The threshold rules: which figures of a run may be shown to whom.

k is the survey's threshold. Counts here are of respondents *who do not see the results*:
the viewer's own answer never counts toward k (they know it, and could take it away), and with
strong protection no answer of anyone who may see results counts (so that even several viewers
pooling what they know learn nothing about fewer than k others).

- The whole run: no figure at all unless at least k counted respondents answered.
- A group (a department, or the pooled smaller ones) is shown only with at least k counted
  respondents; the groups not shown are never named or counted one by one.
- The total minus the shown groups is the not-shown groups together: while that would be fewer
  than k counted respondents (but some), the smallest shown groups join them, so differencing
  across groups always yields k or more people, or nobody.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.settings import Settings
from surveys.access import results_viewers
from surveys.answers import respondent_secret, respondent_token
from surveys.models import Survey, SurveyAnswer


@dataclass(frozen=True)
class Keys:
    """What results need beyond the store: the respondent-token key and COMMONS_ADMINS."""

    secret: bytes = field(repr=False)
    admins: tuple[str, ...] = ()


def keys_of(settings: Settings) -> Keys:
    """The keys results need, from the settings (COMMONS_SURVEY_KEY, else the signing secret)."""
    secret = respondent_secret(settings.slack_signing_secret, settings.survey_key)
    return Keys(secret=secret, admins=tuple(settings.admins))


@dataclass(frozen=True)
class Exclusion:
    """People whose answers are counted out of the threshold (their tokens are made in memory)."""

    people: tuple[str, ...] = ()
    secret: bytes = field(default=b"", repr=False)

    def tokens(self, run_id: int) -> list[str]:
        """Their respondent tokens in one run."""
        return [respondent_token(self.secret, run_id, person) for person in self.people]


NOBODY = Exclusion()


def exclusion_for(*, session: Session, survey: Survey, viewer: str | None, keys: Keys) -> Exclusion:
    """Who does not count toward k for this viewer: the viewer; with strong protection, also
    everyone else who may see the results (author, admins, comms, HR)."""
    people = {viewer} if viewer else set()
    if survey.strong_protection:
        people |= set(results_viewers(session=session, admins=keys.admins, survey=survey))
    return Exclusion(people=tuple(sorted(people)), secret=keys.secret)


def excluded_by_group(
    *, session: Session, run_ids: Sequence[int], exclusion: Exclusion
) -> dict[tuple[int, int | None], int]:
    """How many excluded people answered, by (run, group)."""
    tokens = [t for run_id in run_ids for t in exclusion.tokens(run_id)]
    if not tokens:
        return {}
    rows = session.exec(
        select(
            SurveyAnswer.run_id,
            SurveyAnswer.group_id,
            func.count(func.distinct(SurveyAnswer.respondent)),
        )
        .where(col(SurveyAnswer.run_id).in_(run_ids), col(SurveyAnswer.respondent).in_(tokens))
        .group_by(col(SurveyAnswer.run_id), col(SurveyAnswer.group_id))
    ).all()
    return {(run_id, group): int(n) for run_id, group, n in rows}


@dataclass(frozen=True)
class Release:
    """What may be shown of a run: anything at all, and which groups by name."""

    suppressed: bool
    shown: frozenset[int]


def released(
    sizes: Mapping[int | None, int], excluded: Mapping[int | None, int], threshold: int
) -> Release:
    """Apply the threshold rules to respondents by group (None: a run without groups)."""
    counted = {group: n - excluded.get(group, 0) for group, n in sizes.items()}
    if sum(counted.values()) < threshold:
        return Release(suppressed=True, shown=frozenset())
    shown = {g for g, n in counted.items() if g is not None and n >= threshold}

    def not_shown() -> int:
        return sum(n for g, n in counted.items() if g not in shown)

    while shown and 0 < not_shown() < threshold:
        shown.remove(min(shown, key=lambda g: (counted[g], g)))
    return Release(suppressed=False, shown=frozenset(shown))
