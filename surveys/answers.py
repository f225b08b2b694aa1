"""Taking answers: respondent tokens, the run a person may answer, checked values, the upsert.

Nothing here records that a person answered: an answer row carries only the respondent token
HMAC(key, "run:user"), whose key is a setting (never in the database), and the group of the
person's invitation. Errors of the store are re-raised without their message, which quotes the
statement's parameters (the comment, the token); logs never carry them.
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.errors import FieldErrors, InvalidInput, NotFound
from bot.store import upsert
from bot.text.mrkdwn import escape
from surveys.common import MAX_ROW_NUMBER, answer_field, questions_of
from surveys.models import (
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyAttribution,
    SurveyInvitation,
    SurveyQuestion,
    SurveyRun,
)
from surveys.questions import check_value
from surveys.sentiment import score

_KEY_LABEL = b"commons/surveys/respondent-token/v1"


class AnswerNotStored(Exception):
    """The store refused an answer. Its own message is left out: it quotes the answer."""


@dataclass(frozen=True)
class Answered:
    """What an answer did."""

    replaced: bool
    closes_at: datetime
    anonymous: bool
    title: str = ""


def respondent_secret(signing_secret: str, survey_key: str = "") -> bytes:
    """The key of respondent tokens: from COMMONS_SURVEY_KEY when set, else derived from the
    signing secret. It lives in memory only, never in the database."""
    return hmac.new((survey_key or signing_secret).encode(), _KEY_LABEL, hashlib.sha256).digest()


def respondent_token(secret: bytes, run_id: int, user_id: str) -> str:
    """HMAC(secret, run, person): stable within a run (to replace an answer), unlinkable without
    the secret, and different in every run (so runs cannot be joined per person)."""
    return hmac.new(secret, f"{run_id}:{user_id}".encode(), hashlib.sha256).hexdigest()


@contextmanager
def quietly() -> Iterator[None]:
    """Turn a store error into AnswerNotStored, without the parameters its message quotes.

    Raises:
        AnswerNotStored: the store refused the work (the transaction is rolled back by the caller).
    """
    try:
        yield
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        raise AnswerNotStored(f"the store refused it ({type(cause).__name__})") from None


def open_run_for(
    *, session: Session, clock: Clock, run_id: int, user_id: str
) -> tuple[Survey, SurveyRun, list[SurveyQuestion]]:
    """The run a person is answering, if it is open and they were invited.

    Raises:
        NotFound: no such run, or the person was not invited to it.
        InvalidInput: the run has closed.
        AnswerNotStored: the store failed.
    """
    with quietly():
        run = (
            # FOR SHARE: a close waits for answers under way, which then see it closed.
            session.exec(
                select(SurveyRun).where(SurveyRun.id == run_id).with_for_update(read=True)
            ).first()
            if 0 < run_id <= MAX_ROW_NUMBER
            else None
        )
        survey = session.get(Survey, run.survey_id) if run is not None else None
        if run is None or survey is None:
            raise NotFound("That survey no longer exists.")
        invited = session.exec(
            select(SurveyInvitation.id).where(
                SurveyInvitation.run_id == run_id, SurveyInvitation.user_id == user_id
            )
        ).first()
        questions = questions_of(session=session, survey_id=survey.id or 0)
    if invited is None:
        raise NotFound("This survey was not sent to you, so Commons cannot take your answer.")
    if run.state != "open" or clock.now() >= run.closes_at:
        raise InvalidInput(
            f"*{escape(survey.title)}* has closed, so your answer was not recorded; "
            "thank you all the same."
        )
    return survey, run, questions


def _blank(raw: str | list[str]) -> bool:
    return not raw.strip() if isinstance(raw, str) else not any(v.strip() for v in raw)


def _checked_answers(
    questions: Sequence[SurveyQuestion], values: Mapping[int, str | list[str]], replace_all: bool
) -> dict[int, tuple[int | None, str | None]]:
    """The values to store by question id; every wrong or missing one is named at once.

    Raises:
        FieldErrors: keyed by `answer_field(question id)`.
        InvalidInput: a question of another survey.
    """
    by_id = {q.id: q for q in questions}
    stored: dict[int, tuple[int | None, str | None]] = {}
    errors: dict[str, str] = {}
    for question_id, raw in values.items():
        question = by_id.get(question_id)
        if question is None:
            raise InvalidInput("That question is not part of this survey.")
        if _blank(raw):
            continue
        kind, options = QuestionKind(question.kind), question.options.splitlines()
        try:
            value, text = check_value(kind, options, raw)
        except InvalidInput as error:
            errors[answer_field(question_id)] = error.message
            continue
        if value is not None or text is not None:
            stored[question_id] = (value, text)
    if replace_all:
        for question in questions:
            field_name = answer_field(question.id or 0)
            if question.required and question.id not in stored and field_name not in errors:
                errors[field_name] = "This question needs an answer."
    if errors:
        raise FieldErrors(errors)
    return stored


@dataclass(frozen=True)
class Ballot:
    """One person's answers to a run, as a button or the answer form sends them.

    Attributes:
        run_id: the run answered (from a button or the answer form: re-checked by `answer`).
        user_id: the person acting: only their own invitation is answered.
        values: question id -> the value picked or written (blank: not answered).
        replace_all: a modal submission (every question at once): questions left empty drop
            an earlier answer. A button answers one question and leaves the others alone.
    """

    run_id: int
    user_id: str
    values: Mapping[int, str | list[str]]
    replace_all: bool


def answer(*, session: Session, clock: Clock, secret: bytes, ballot: Ballot) -> Answered:
    """Record a person's answers; answering again before the close replaces the earlier ones.

    Args:
        secret: the respondent-token key (`respondent_secret`).
        ballot: who answers which run, and what.

    Raises:
        FieldErrors: a required question without an answer, or a value off the scale, keyed
            by `answer_field(question id)`; nothing is stored.
        InvalidInput: a closed run, a question of another survey, or nothing picked.
        NotFound: not invited, or no such run.
        AnswerNotStored: the store refused it (nothing is stored; the message quotes nothing).
    """
    run_id, user_id, replace_all = ballot.run_id, ballot.user_id, ballot.replace_all
    survey, run, questions = open_run_for(
        session=session, clock=clock, run_id=run_id, user_id=user_id
    )
    stored = _checked_answers(questions, ballot.values, replace_all)
    if not stored:
        raise InvalidInput("Pick an answer first.")
    token = respondent_token(secret, run_id, user_id)
    with quietly():
        replaced = _store(session, run_id, user_id, token, stored, replace_all)
        if not survey.anonymous:
            _attribute(session, run_id, user_id, token)
        session.flush()
    return Answered(
        replaced=replaced, closes_at=run.closes_at, anonymous=survey.anonymous, title=survey.title
    )


def _store(
    session: Session,
    run_id: int,
    user_id: str,
    token: str,
    stored: dict[int, tuple[int | None, str | None]],
    replace_all: bool,
) -> bool:
    """Upsert the answers under the token; True when the person had answered before."""
    replaced = (
        session.exec(
            select(func.count())
            .select_from(SurveyAnswer)
            .where(SurveyAnswer.run_id == run_id, SurveyAnswer.respondent == token)
        ).one()
        > 0
    )
    group = session.exec(
        select(SurveyInvitation.group_id).where(
            SurveyInvitation.run_id == run_id, SurveyInvitation.user_id == user_id
        )
    ).one()
    if replace_all:
        session.execute(
            delete(SurveyAnswer).where(
                col(SurveyAnswer.run_id) == run_id,
                col(SurveyAnswer.respondent) == token,
                col(SurveyAnswer.question_id).not_in(list(stored)),
            )
        )
    for question_id, (value, text) in stored.items():
        statement = upsert(
            session,
            SurveyAnswer,
            ["run_id", "question_id", "respondent"],
            ["value", "text", "sentiment"],
            # Random, and on SQLite the rowid: nothing keeps the order people answered in.
            id=secrets.randbits(63),
            run_id=run_id,
            question_id=question_id,
            respondent=token,
            group_id=group,
            value=value,
            text=text,
            sentiment=score(text) if text else None,
        )
        session.execute(statement)
    return replaced


def _attribute(session: Session, run_id: int, user_id: str, token: str) -> None:
    """An attributed survey's link from the token to the person (it says so to everyone)."""
    exists = session.exec(
        select(SurveyAttribution.id).where(
            SurveyAttribution.run_id == run_id, SurveyAttribution.respondent == token
        )
    ).first()
    if exists is None:
        session.add(SurveyAttribution(run_id=run_id, respondent=token, user_id=user_id))
