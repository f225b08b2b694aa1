"""Pulse surveys end to end through the sandbox: create, invite, answer, remind, close, results."""

import csv
import io
from datetime import timedelta
from typing import Any

from sqlmodel import col, func, select

from sandbox.faults import FaultRule
from surveys import blocks
from surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyUpload
from tests.harness import Harness

ACTIVE_PEOPLE = 23  # the demo company, without the bot and the deactivated account


def _plain(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def _create(harness: Harness, who: str, **fields: str) -> Any:
    already = harness.slack.workspace.top_modal(harness.user(who))
    harness.slash(who, "/pulse")
    view = harness.open_view(who, other_than=already.id if already else None)
    values = {
        block: {"value": _plain(text) if block != blocks.TEMPLATE_BLOCK else _select(text)}
        for block, text in fields.items()
    }
    return harness.submit(who, view.id, values)


def _select(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value}}


def _dm_texts(harness: Harness, who: str) -> list[str]:
    return [m.text or "" for m in harness.dms(who)]


def _files(harness: Harness, who: str) -> dict[str, bytes]:
    dm = harness.slack.workspace.dm_channel_for(harness.user(who)).id
    return {
        f.name: f.content for f in harness.slack.workspace.files.values() if dm in f.channel_ids
    }


def _vote(harness: Harness, who: str, score: str, message: Any) -> None:
    """Click a scale button and wait for its confirmation: a click is acknowledged at once and
    answered right after, so the next click is sent once this one is stored."""

    def updates() -> int:
        return sum(
            1
            for a in harness.slack.workspace.activity_since(0)
            if a.kind == "update" and a.ts == message.ts
        )

    before = updates()
    harness.click(who, f"surveys.vote.{score}", channel_id=message.channel, message_ts=message.ts)
    harness.wait_for(lambda: updates() > before)


def _main_flow(harness: Harness) -> None:
    # Alice (admin) starts a one-question eNPS survey (answered with buttons) and an
    # engagement pulse (answered in a modal), both for everyone, threshold 3.
    ack = _create(
        harness,
        "alice",
        surveys_template="custom",
        surveys_title="Quick eNPS",
        surveys_questions="enps: How likely are you to recommend working here?",
        surveys_threshold="3",
    )
    assert ack.status == 200
    assert not (isinstance(ack.body, dict) and ack.body.get("errors"))
    ack = _create(harness, "alice", surveys_template="engagement", surveys_threshold="3")
    assert not (isinstance(ack.body, dict) and ack.body.get("errors")), ack.body
    # The form shows what was created; a copy follows in the DM, after the acknowledgement.
    assert isinstance(ack.body, dict)
    assert "Survey *2*" in str(ack.body.get("view"))
    harness.wait_for(lambda: any("Survey *1*" in t for t in _dm_texts(harness, "alice")))

    harness.run_due()
    bob_dm = harness.dms("bob")
    assert len(bob_dm) == 2, [m.text for m in bob_dm]
    with harness.store.unit_of_work(write=False) as session:
        invited = session.exec(select(func.count()).select_from(SurveyInvitation)).one()
    assert invited == 2 * ACTIVE_PEOPLE
    assert "Anonymous" in str(bob_dm[0].blocks)

    # Buttons: bob double-clicks 9 (counted once), then changes his mind to 10.
    enps_message = next(m for m in bob_dm if "Quick eNPS" in (m.text or ""))
    _vote(harness, "bob", "9", enps_message)
    _vote(harness, "bob", "9", enps_message)
    _vote(harness, "bob", "10", enps_message)
    for who, score in (("carol", "10"), ("dave", "3"), ("erin", "8")):
        message = next(m for m in harness.dms(who) if "Quick eNPS" in (m.text or ""))
        _vote(harness, who, score, message)
    with harness.store.unit_of_work(write=False) as session:
        assert session.exec(select(func.count()).select_from(SurveyAnswer)).one() == 4
    updated = harness.slack.workspace.find_message(enps_message.channel, enps_message.ts)
    assert updated is not None
    assert "updated" in str(updated.blocks)

    # The modal: four people answer the engagement pulse, one with a comment.
    for who, score, comment in (
        ("bob", "5", "I love the new onboarding, great team"),
        ("carol", "4", ""),
        ("dave", "2", "Too many meetings, I am exhausted"),
        ("frank", "4", ""),
    ):
        message = next(m for m in harness.dms(who) if "Engagement" in (m.text or ""))
        harness.click(who, blocks.OPEN_ACTION, channel_id=message.channel, message_ts=message.ts)
        view = harness.open_view(who)
        values: dict[str, dict[str, dict[str, Any]]] = {}
        for block in view.blocks:
            if block["type"] != "input":
                continue
            element = block["element"]
            if element["type"] == "plain_text_input":
                values[block["block_id"]] = {"value": _plain(comment)}
            else:
                values[block["block_id"]] = {"value": _select(score)}
        ack = harness.submit(who, view.id, values)
        assert isinstance(ack.body, dict)
        assert ack.body.get("response_action") == "update"

    # Day 3: a reminder to everyone, since Commons does not know who answered an anonymous
    # survey; it says that those who did have nothing more to do.
    before = {who: len(harness.dms(who)) for who in ("bob", "grace", "erin")}
    harness.advance(timedelta(days=2))
    for who in ("bob", "grace", "erin"):  # answered both, neither, the eNPS only
        assert len(harness.dms(who)) == before[who] + 2
        assert "If you have answered already" in (harness.dms(who)[-1].text or "")

    # Close at the end of the window: Alice gets the results and the charts.
    harness.advance(timedelta(days=3, minutes=1))
    alice = _dm_texts(harness, "alice")
    enps_results = next(t for t in alice if "Quick eNPS" in t and "people answered" in t)
    # 2 promoters (10, 10), 1 passive (8), 1 detractor (3): eNPS = 50 - 25 = +25.
    assert "eNPS *+25*" in enps_results
    engagement = next(t for t in alice if "Engagement pulse" in t and "people answered" in t)
    assert "75% favorable" in engagement
    assert "Too many meetings" in engagement
    assert "sentiment" in engagement
    charts = _files(harness, "alice")
    assert any(name.endswith("-distribution.png") for name in charts)
    assert all(content.startswith(b"\x89PNG") for content in charts.values())

    # Results on demand, and the CSV of aggregates.
    shown = harness.slash("alice", "/pulse", "results 1")
    assert "eNPS *+25*" in str(shown.body)
    harness.slash("alice", "/pulse", "export 2")
    harness.run_due()
    exported = next(c for n, c in _files(harness, "alice").items() if n.endswith(".csv"))
    rows = list(csv.DictReader(io.StringIO(exported.decode())))
    assert {"survey", "group", "metric", "value"} <= set(rows[0])
    favorable = [r for r in rows if r["group"] == "All" and r["metric"] == "favorability %"]
    assert favorable
    assert favorable[0]["value"] == "75.0"
    assert not any("U0" in v for r in rows for v in r.values())


def test_create_invite_answer_remind_close_results_charts_and_csv(harness: Harness) -> None:
    _main_flow(harness)


def test_the_main_flow_on_postgresql(harness_pg: Harness) -> None:
    _main_flow(harness_pg)


def test_a_member_cannot_start_a_survey_and_nothing_is_stored(harness: Harness) -> None:
    ack = harness.slash("bob", "/pulse")
    assert "HR, communications and managers" in str(ack.body)
    with harness.store.unit_of_work(write=False) as session:
        assert session.exec(select(func.count()).select_from(Survey)).one() == 0


def test_hr_members_can_run_company_wide_surveys(harness: Harness) -> None:
    ack = _create(harness, "carol", surveys_template="enps")
    assert not (isinstance(ack.body, dict) and ack.body.get("errors")), ack.body


def test_bad_modal_input_is_shown_inline_and_nothing_is_stored(harness: Harness) -> None:
    no_questions = _create(harness, "alice", surveys_template="custom")
    assert isinstance(no_questions.body, dict)
    assert "questions" in no_questions.body["errors"][blocks.QUESTIONS_BLOCK]
    bad_window = _create(harness, "alice", surveys_template="enps", surveys_window="0")
    assert isinstance(bad_window.body, dict)
    assert "1 to 30 days" in bad_window.body["errors"][blocks.WINDOW_BLOCK]
    bad_threshold = _create(harness, "alice", surveys_template="enps", surveys_threshold="2")
    assert isinstance(bad_threshold.body, dict)
    assert blocks.THRESHOLD_BLOCK in bad_threshold.body["errors"]
    with harness.store.unit_of_work(write=False) as session:
        assert session.exec(select(func.count()).select_from(Survey)).one() == 0
    harness.run_due()
    assert harness.dms("bob") == []


def test_results_and_export_are_refused_to_people_not_allowed(harness: Harness) -> None:
    _create(harness, "alice", surveys_template="enps")
    harness.run_due()
    refused = harness.slash("bob", "/pulse", "results 1")
    assert "Only the author" in str(refused.body)
    refused = harness.slash("bob", "/pulse", "export 1")
    assert "Only the author" in str(refused.body)
    harness.run_due()
    assert not any(f.name.endswith(".csv") for f in harness.slack.workspace.files.values())
    assert "not a survey number" in str(harness.slash("alice", "/pulse", "results abc").body)


def test_list_pause_resume_and_close_a_recurring_survey(harness: Harness) -> None:
    _create(harness, "alice", surveys_template="enps", surveys_cadence="weekly")
    listing = str(harness.slash("alice", "/pulse", "list").body)
    assert "weekly" in listing
    assert "not run yet" in listing
    harness.advance(timedelta(minutes=1))
    assert len(harness.dms("bob")) == 1
    assert "paused" in str(harness.slash("alice", "/pulse", "pause 1").body)
    harness.advance(timedelta(days=7))
    assert len([m for m in harness.dms("bob") if "Reminder" not in (m.text or "")]) == 1
    assert "resumed" in str(harness.slash("alice", "/pulse", "resume 1").body)
    closed = str(harness.slash("alice", "/pulse", "close 1").body)
    assert "closed" in closed
    with harness.store.unit_of_work(write=False) as session:
        states = session.exec(select(Survey.state).where(col(Survey.id) == 1)).all()
    assert states == ["closed"]


def test_an_attributed_survey_says_so_in_every_invitation(harness: Harness) -> None:
    _create(harness, "alice", surveys_template="enps", surveys_privacy="attributed")
    harness.run_due()
    assert "Attributed" in str(harness.dms("bob")[0].blocks)


def _upload_row(harness: Harness) -> SurveyUpload:
    with harness.store.unit_of_work(write=False) as session:
        return session.exec(select(SurveyUpload)).one()


def _csvs(harness: Harness) -> list[str]:
    return [name for name in _files(harness, "alice") if name.endswith(".csv")]


def test_an_upload_slack_refuses_for_now_is_tried_again_later_and_arrives_once(
    harness: Harness,
) -> None:
    _create(harness, "alice", surveys_template="enps")
    harness.run_due()
    harness.slack.add_fault(
        FaultRule(method="files.getUploadURLExternal", status=429, retry_after=1, times=1)
    )
    harness.slash("alice", "/pulse", "export 1")
    harness.run_due()
    assert _csvs(harness) == []
    row = _upload_row(harness)
    assert (row.state, row.attempts, row.error) == ("pending", 1, "ratelimited")
    harness.advance(timedelta(seconds=61))
    assert _csvs(harness) == ["survey-1-run-1.csv"]
    assert _upload_row(harness).state == "done"


def test_an_upload_slack_refuses_for_good_is_reported_to_the_person(harness: Harness) -> None:
    _create(harness, "alice", surveys_template="enps")
    harness.run_due()
    harness.slack.add_fault(
        FaultRule(method="files.completeUploadExternal", error="file_upload_failed", times=1)
    )
    harness.slash("alice", "/pulse", "export 1")
    harness.run_due()
    assert _csvs(harness) == []
    assert _upload_row(harness).state == "failed"
    assert any(
        "could not send you the CSV of *eNPS*, run 1: Slack said `file_upload_failed`. "
        "`/pulse export 1 1` asks again." in text
        for text in _dm_texts(harness, "alice")
    )


def test_an_upload_cut_off_by_a_crash_is_not_sent_twice_and_the_person_is_told(
    harness: Harness,
) -> None:
    _create(harness, "alice", surveys_template="enps")
    harness.run_due()
    harness.slash("alice", "/pulse", "results 1")
    with harness.store.unit_of_work() as session:  # as a process that died mid-upload left it
        row = session.exec(select(SurveyUpload)).one()
        row.state, row.claimed_at, row.attempts = "uploading", harness.clock.now(), 1
        session.add(row)
    harness.advance(timedelta(minutes=9))
    assert _upload_row(harness).state == "uploading"  # it may still be under way
    harness.advance(timedelta(minutes=2))
    assert (_upload_row(harness).state, _upload_row(harness).error) == ("failed", "interrupted")
    assert _files(harness, "alice") == {}
    assert any(
        "could not send you the charts of *eNPS*, run 1: the upload was cut off" in text
        and "`/pulse results 1 1` asks again" in text
        for text in _dm_texts(harness, "alice")
    )


def test_dollar_signs_in_a_title_are_drawn_as_written(harness: Harness) -> None:
    _create(
        harness,
        "alice",
        surveys_template="custom",
        surveys_title="Do we pay $_$ enough?",
        surveys_questions="enps: Would you recommend our $_$ policy?",
        surveys_threshold="3",
    )
    harness.run_due()
    # Four answers: an open run's figures appear once more than the threshold (3) answered.
    for who in ("bob", "carol", "dave", "erin"):
        _vote(harness, who, "9", harness.dms(who)[-1])
    harness.slash("alice", "/pulse", "results 1")
    harness.run_due()
    assert _upload_row(harness).state == "done"
    assert any(name.endswith("-distribution.png") for name in _files(harness, "alice"))
