"""Survey interactions through the interaction layer (issue 10): every click and form is answered
within Slack's 3 s with a clear answer, closed runs store nothing, errors land on their own field
in plain text, ids are parsed, claims are sealed, and a created survey is said to be created."""

from typing import Any

import pytest
from sqlmodel import col, func, select

from directory.models import Department
from sandbox.faults import FaultRule
from sandbox.workspace import Message
from surveys import blocks
from surveys.models import Survey, SurveyAnswer, SurveyQuestion, SurveyRun
from tests.harness import Harness


def _plain(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def _create(harness: Harness, who: str, **fields: str) -> Any:
    already = harness.slack.workspace.top_modal(harness.user(who))
    harness.slash(who, "/pulse")
    view = harness.open_view(who, other_than=already.id if already else None)
    values = {block: {"value": _plain(text)} for block, text in fields.items()}
    return harness.submit(who, view.id, values)


def _answers(harness: Harness) -> int:
    with harness.store.unit_of_work(write=False) as session:
        return session.exec(select(func.count()).select_from(SurveyAnswer)).one()


def _invitation(harness: Harness, who: str, title: str) -> Message:
    return next(m for m in harness.dms(who) if title in (m.text or ""))


def _enps_survey(harness: Harness, **fields: str) -> Message:
    """A one-question survey (answered with buttons) to everyone; bob's invitation."""
    _create(
        harness,
        "alice",
        surveys_template="custom",
        surveys_title="Quick eNPS",
        surveys_questions="enps: Would you recommend us?",
        surveys_threshold="3",
        **fields,
    )
    harness.run_due()
    return _invitation(harness, "bob", "Quick eNPS")


def _ephemeral_with(harness: Harness, who: str, words: str) -> str:
    def found() -> str | None:
        return next((t for t in harness.ephemeral_texts(who) if words in t), None)

    harness.wait_for(found)
    text = found()
    assert text is not None
    return text


def _no_reference(harness: Harness, who: str) -> None:
    assert not any("reference" in t for t in harness.ephemeral_texts(who))
    assert not any("reference" in (m.text or "") for m in harness.dms(who))


# -- after a run closed ------------------------------------------------------------------------


def test_a_vote_after_the_survey_closed_is_acknowledged_refused_and_stores_nothing(
    harness: Harness,
) -> None:
    invitation = _enps_survey(harness)
    assert "closed" in str(harness.slash("alice", "/pulse", "close 1").body)
    ack = harness.click(
        "bob", "surveys.vote.9", channel_id=invitation.channel, message_ts=invitation.ts
    )
    assert ack.status == 200
    assert ack.seconds < 3
    text = _ephemeral_with(harness, "bob", "has closed")
    assert "not recorded" in text
    assert _answers(harness) == 0
    _no_reference(harness, "bob")


def test_the_answer_button_after_the_survey_closed_is_acknowledged_and_opens_nothing(
    harness: Harness,
) -> None:
    _create(harness, "alice", surveys_template="engagement", surveys_threshold="3")
    harness.run_due()
    invitation = _invitation(harness, "bob", "Engagement")
    harness.slash("alice", "/pulse", "close 1")
    ack = harness.click(
        "bob", blocks.OPEN_ACTION, channel_id=invitation.channel, message_ts=invitation.ts
    )
    assert ack.status == 200
    assert ack.seconds < 3
    _ephemeral_with(harness, "bob", "has closed")
    assert harness.slack.workspace.top_modal(harness.user("bob")) is None
    assert _answers(harness) == 0


def test_an_answer_form_sent_after_the_run_closed_stores_nothing(harness: Harness) -> None:
    _create(harness, "alice", surveys_template="engagement", surveys_threshold="3")
    harness.run_due()
    invitation = _invitation(harness, "bob", "Engagement")
    harness.click(
        "bob", blocks.OPEN_ACTION, channel_id=invitation.channel, message_ts=invitation.ts
    )
    view = harness.open_view("bob")
    harness.slash("alice", "/pulse", "close 1")
    values = {
        b["block_id"]: {"value": {"selected_option": {"value": "4"}}}
        for b in view.blocks
        if b["type"] == "input" and b["element"]["type"] == "static_select"
    }
    ack = harness.submit("bob", view.id, values)
    assert ack.status == 200
    assert isinstance(ack.body, dict)
    assert "has closed" in str(ack.body.get("errors"))
    assert _answers(harness) == 0


# -- the answer modal --------------------------------------------------------------------------


def _open_engagement(harness: Harness) -> tuple[Any, list[int]]:
    _create(harness, "alice", surveys_template="engagement", surveys_threshold="3")
    harness.run_due()
    invitation = _invitation(harness, "bob", "Engagement")
    harness.click(
        "bob", blocks.OPEN_ACTION, channel_id=invitation.channel, message_ts=invitation.ts
    )
    view = harness.open_view("bob")
    with harness.store.unit_of_work(write=False) as session:
        ids = list(
            session.exec(select(SurveyQuestion.id).order_by(col(SurveyQuestion.position))).all()
        )
    return view, [i or 0 for i in ids]


def test_each_answer_error_lands_under_its_own_question(harness: Harness) -> None:
    view, questions = _open_engagement(harness)
    q = [blocks.question_block_id(i) for i in questions]
    values: dict[str, dict[str, dict[str, Any]]] = {
        q[0]: {"value": {"selected_option": {"value": "4"}}},
        q[1]: {"value": {"selected_option": {"value": "4"}}},
        q[2]: {"value": {"selected_option": {"value": "9"}}},  # off the 1-5 scale
        q[3]: {"value": {"selected_option": {"value": "4"}}},
        # q[4] (required) left empty; q[5] is the optional comment.
    }
    ack = harness.submit("bob", view.id, values)
    assert isinstance(ack.body, dict)
    assert ack.body.get("response_action") == "errors"
    assert ack.body["errors"] == {
        q[2]: "Pick a number from 1 to 5.",
        q[4]: "This question needs an answer.",
    }
    assert _answers(harness) == 0
    values[q[2]] = {"value": {"selected_option": {"value": "2"}}}
    values[q[4]] = {"value": {"selected_option": {"value": "5"}}}
    ack = harness.submit("bob", view.id, values)
    assert isinstance(ack.body, dict)
    assert ack.body.get("response_action") == "update"
    assert _answers(harness) == 5


def test_the_answer_modal_claim_is_sealed_and_an_edited_one_is_refused(harness: Harness) -> None:
    view, questions = _open_engagement(harness)
    with harness.store.unit_of_work(write=False) as session:
        run_id = session.exec(select(func.min(SurveyRun.id))).one()
    assert view.private_metadata not in ("", "1", str(run_id))
    values = {
        blocks.question_block_id(i): {"value": {"selected_option": {"value": "4"}}}
        for i in questions[:5]
    }
    with harness.slack.workspace.lock:
        harness.slack.workspace.views[view.id].private_metadata = "1"  # as the old modal wrote it
    ack = harness.submit("bob", view.id, values)
    assert ack.status == 200
    assert isinstance(ack.body, dict)
    assert "out of date" in str(ack.body.get("errors"))
    assert _answers(harness) == 0


# -- buttons are claims, re-checked against the person ---------------------------------------


@pytest.mark.parametrize(
    "value",
    ["²:1:9", "99999999999999999999:1:9", "1:99999999999999999999:9", "1:9", "", "1:999:9"],
    ids=["superscript", "huge-run", "huge-question", "short", "empty", "other-question"],
)
def test_a_forged_vote_value_is_refused_plainly(harness: Harness, value: str) -> None:
    invitation = _enps_survey(harness)
    ack = harness.click(
        "bob",
        "surveys.vote.9",
        value=value,
        channel_id=invitation.channel,
        message_ts=invitation.ts,
    )
    assert ack.status == 200
    harness.wait_for(lambda: harness.ephemeral_texts("bob"))
    text = harness.ephemeral_texts("bob")[-1]
    assert "out of date" in text or "not part of this survey" in text
    assert _answers(harness) == 0
    _no_reference(harness, "bob")


def test_a_vote_on_someone_elses_invitation_answers_only_what_was_sent_to_the_clicker(
    harness: Harness,
) -> None:
    # A survey of the engineering department only: bob (IT) was not invited.
    with harness.store.unit_of_work(write=False) as session:
        engineering = session.exec(select(Department).where(Department.handle == "engineering"))
        department_id = engineering.one().id
    _create(
        harness,
        "alice",
        surveys_template="custom",
        surveys_title="Eng eNPS",
        surveys_questions="enps: Would you recommend us?",
        surveys_departments=str(department_id),
        surveys_threshold="3",
    )
    harness.run_due()
    franks = _invitation(harness, "frank", "Eng eNPS")
    ack = harness.click("bob", "surveys.vote.9", channel_id=franks.channel, message_ts=franks.ts)
    assert ack.status == 200
    _ephemeral_with(harness, "bob", "not sent to you")
    assert _answers(harness) == 0


# -- ids typed after /pulse --------------------------------------------------------------------

BAD_IDS = [
    ("export 99999999999999999999", "not a survey number"),
    ("results ²", "not a survey number"),
    ("results 1 ²", "not a run number"),
    ("results 1 99999999999999999999", "not a run number"),
    ("close 99999999999999999999", "not a survey number"),
    ("pause ²", "not a survey number"),
    ("export 3000000000", "is not a survey number"),
    ("results 1 3000000000", "is not a run number"),
]


def _bad_ids_are_refused_plainly(harness: Harness) -> None:
    _enps_survey(harness)
    for text, expected in BAD_IDS:
        ack = harness.slash("alice", "/pulse", text)
        assert ack.status == 200, text
        assert ack.seconds < 3, text
        body = str(ack.body)
        assert expected in body, (text, body)
        assert "reference" not in body, (text, body)


def test_ids_that_cannot_name_a_survey_or_run_are_refused_plainly(harness: Harness) -> None:
    _bad_ids_are_refused_plainly(harness)


def test_ids_that_cannot_name_a_survey_or_run_are_refused_plainly_on_postgresql(
    harness_pg: Harness,
) -> None:
    _bad_ids_are_refused_plainly(harness_pg)


def test_pulse_help_is_its_own_and_lists_every_verb(harness: Harness) -> None:
    body = str(harness.slash("bob", "/pulse", "help").body)
    for verb in ("list", "results", "export", "close", "pause", "resume"):
        assert f"/pulse {verb}" in body
    assert "/announce" not in body
    assert "I don't know" in str(harness.slash("bob", "/pulse", "frobnicate").body)


# -- the create form ---------------------------------------------------------------------------


def test_a_survey_whose_confirmation_dm_fails_is_still_said_to_be_created(
    harness: Harness,
) -> None:
    harness.slack.add_fault(FaultRule(method="chat.postMessage", error="internal_error", times=1))
    ack = _create(harness, "alice", surveys_template="enps")
    assert ack.status == 200
    assert isinstance(ack.body, dict)
    assert ack.body.get("response_action") == "update"
    assert "Survey *1*" in str(ack.body["view"])
    with harness.store.unit_of_work(write=False) as session:
        assert session.exec(select(func.count()).select_from(Survey)).one() == 1

    def told() -> bool:
        return any("*was created*" in (m.text or "") for m in harness.dms("alice"))

    harness.wait_for(told)
    said = [m.text or "" for m in harness.dms("alice")] + harness.ephemeral_texts("alice")
    assert not any("othing was" in t for t in said), said
    assert any("internal_error" in t for t in said)


def test_field_errors_are_plain_text_on_their_own_fields_all_at_once(harness: Harness) -> None:
    ack = _create(
        harness,
        "alice",
        surveys_template="enps",
        surveys_channel="C0OFFSITE2024",
        surveys_window="0",
        surveys_threshold="2",
        surveys_reminders="<b>",
    )
    assert isinstance(ack.body, dict)
    errors = ack.body["errors"]
    assert errors[blocks.CHANNEL_BLOCK] == "#offsite-2024 is archived; nobody is there to ask."
    assert "1 to 30 days" in errors[blocks.WINDOW_BLOCK]
    assert "3 to 10" in errors[blocks.THRESHOLD_BLOCK]
    assert "<b> is neither" in errors[blocks.REMINDERS_BLOCK]
    for message in errors.values():
        assert "<#" not in message
        assert "&lt;" not in message
        assert "`" not in message
    with harness.store.unit_of_work(write=False) as session:
        assert session.exec(select(func.count()).select_from(Survey)).one() == 0


def test_a_threshold_typed_in_other_digits_is_refused_under_the_threshold(
    harness: Harness,
) -> None:
    ack = _create(harness, "alice", surveys_template="enps", surveys_threshold="\u0665")
    assert isinstance(ack.body, dict)
    assert ack.body["errors"] == {
        blocks.THRESHOLD_BLOCK: "The anonymity threshold is a whole number."
    }


def test_a_manager_surveying_everyone_is_told_in_proper_plurals_under_departments(
    harness: Harness,
) -> None:
    harness.slash("alice", "/commons", "role <@U0FRANK> manager")
    ack = _create(harness, "frank", surveys_template="enps")
    assert isinstance(ack.body, dict)
    message = ack.body["errors"][blocks.DEPARTMENTS_BLOCK]
    assert "your own departments only" in message
    assert "(s)" not in message
