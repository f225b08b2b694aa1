"""Answering a pulse survey: the buttons under an invitation and the answer modal.

Button values and the answer modal's sealed claim name a run and its questions; the service
re-checks each against the person acting (invited to that run, the run still open).
"""

import re
from collections.abc import Mapping
from typing import Any

from bot.errors import InvalidInput
from bot.slack.args import parse_id
from bot.slack.interaction import Interaction, OpenModal, Outcome, Reply, UpdateModal
from surveys import blocks, render
from surveys.answers import Answered, Ballot, answer, open_run_for
from surveys.common import answer_field
from surveys.release import keys_of

VOTE_ACTION = re.compile(r"^surveys\.vote\.\d+$")
STALE_BUTTON = "This button is out of date; use the newest survey message."


def on_vote(i: Interaction) -> Outcome:
    """A scale or choice button under a one-question invitation: the answer, confirmed in place."""
    run_id, question_id, value = _vote_of(i.action)
    answered = _answer(i, run_id, {question_id: value}, replace_all=False)
    text = render.answered_text(answered)
    original = (i.body.get("message") or {}).get("blocks") or []
    return Reply(text, blocks=blocks.with_confirmation(original, text), replace_original=True)


def on_open(i: Interaction) -> Outcome:
    """The Answer button: the answer modal of that run, if it is open and the person invited."""
    run_id = _button_id(str(i.action.get("value") or ""))
    with i.services.store.unit_of_work(write=False) as session:
        survey, run, questions = open_run_for(
            session=session, clock=i.services.clock, run_id=run_id, user_id=i.user_id
        )
        privacy = render.privacy_line(survey)
    claim = i.seal(blocks.ANSWER_CLAIM, {"run": run.id, "questions": [q.id for q in questions]})
    return OpenModal(
        blocks.answer_modal(
            metadata=claim, title=survey.title, privacy=privacy, questions=questions
        )
    )


def on_answer_submitted(i: Interaction) -> Outcome:
    """The answer modal: every question's answer at once; errors under their own questions."""
    run_id, question_ids = _answer_claim(i)
    answers = {q: i.submitted.raw(answer_field(q)) or "" for q in question_ids}
    answered = _answer(i, run_id, answers, replace_all=True)
    return UpdateModal(blocks.thanks_modal(render.answered_text(answered)))


def _answer(
    i: Interaction, run_id: int, values: Mapping[int, str | list[str]], *, replace_all: bool
) -> Answered:
    """The person's answers to a run, stored in one unit of work."""
    ballot = Ballot(run_id=run_id, user_id=i.user_id, values=values, replace_all=replace_all)
    with i.services.store.unit_of_work() as session:
        return answer(
            session=session,
            clock=i.services.clock,
            secret=keys_of(i.services.settings).secret,
            ballot=ballot,
        )


def _vote_of(action: dict[str, Any]) -> tuple[int, int, str]:
    """A vote button's value, `run:question:value`: which run and question it claims."""
    parts = str(action.get("value") or "").split(":")
    if len(parts) != 3:
        raise InvalidInput(STALE_BUTTON)
    return _button_id(parts[0]), _button_id(parts[1]), parts[2]


def _button_id(token: str) -> int:
    """A run or question id a button claims (re-checked by the service)."""
    try:
        return parse_id(token, usage="", what="survey")
    except InvalidInput:
        raise InvalidInput(STALE_BUTTON) from None


def _answer_claim(i: Interaction) -> tuple[int, list[int]]:
    """The run and questions Commons sealed into the answer modal."""
    claim = i.unseal(blocks.ANSWER_CLAIM)
    run_id, questions = claim.get("run"), claim.get("questions")
    if not isinstance(run_id, int) or not isinstance(questions, list):
        raise InvalidInput("This form is out of date; close it and open the survey again.")
    return run_id, [q for q in questions if isinstance(q, int)]
