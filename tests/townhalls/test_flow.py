"""Town halls: notice, questions (anonymous ones without a user id), upvotes, reminders, the
host's ranked DM, the follow-up in the notice's thread."""

from datetime import timedelta

from sqlmodel import select

from tests.announcements.support import modal, set_role, text_of
from tests.harness import Harness
from tests.support import wait_until
from tests.townhalls.support import ask, create
from townhalls import blocks
from townhalls.models import Question, Upvote


def test_a_town_hall_from_notice_to_follow_up(harness: Harness) -> None:
    set_role(harness, "frank", "manager")
    ack = create(harness)
    assert "is announced" in str(ack.body)
    harness.run_due()
    [notice] = harness.messages("C0ENGHELP")
    shown = text_of(notice)
    assert "Q4 engineering town hall" in shown
    assert "meet.example.com" in shown
    assert "<!channel>" not in shown  # a manager's agenda notifies nobody
    assert "Thu 26 Nov 2026, 15:00 CET" in shown  # the fallback names the host's zone

    ask(harness, "grace", "C0ENGHELP", notice, "Will we hire in Tokyo?", anonymous=True)
    ask(harness, "ivan", "C0ENGHELP", notice, "When is the freeze?", anonymous=False)
    with harness.store.unit_of_work(write=False) as session:
        rows = session.exec(select(Question).order_by(Question.id)).all()  # type: ignore[arg-type]
    assert [r.author_id for r in rows] == [None, "U0IVAN"]  # no id stored for the anonymous one
    ivans = rows[1].id

    # nina upvotes ivan's question twice: one vote
    harness.click("nina", blocks.QUESTIONS_ACTION, channel_id="C0ENGHELP", message_ts=notice.ts)
    questions = modal(harness, "nina", blocks.QUESTIONS_CALLBACK)
    assert "anonymous" in str(questions.blocks)
    for _ in range(2):
        harness.click("nina", blocks.UPVOTE_ACTION, view_id=questions.id, value=str(ivans))

    def votes() -> int:
        with harness.store.unit_of_work(write=False) as session:
            return len(session.exec(select(Upvote)).all())

    assert wait_until(lambda: votes() == 1)
    assert wait_until(lambda: "*1* :arrow_up:" in str(harness.open_view("nina").blocks))

    # reminders a day and an hour before (15:00 Berlin = 14:00 UTC on the 26th)
    harness.advance(timedelta(hours=29, minutes=59))
    assert len(harness.messages("C0ENGHELP")) == 1
    harness.advance(timedelta(minutes=1))
    assert "starts in 1 day" in text_of(harness.messages("C0ENGHELP")[-1])
    harness.advance(timedelta(hours=23))
    assert "starts in 1 hour" in text_of(harness.messages("C0ENGHELP")[-1])

    # the follow-up is refused before the start
    early = str(harness.slash("frank", "/townhall", "followup 1 Recording soon").body)
    assert "has not started yet" in early

    # the host's ranked questions, 15 minutes before
    assert not harness.dms("frank") or "Questions" not in text_of(harness.dms("frank")[-1])
    harness.advance(timedelta(minutes=45))
    ranked = text_of(harness.dms("frank")[-1])
    assert ranked.index("When is the freeze?") < ranked.index("Will we hire in Tokyo?")
    assert "U0GRACE" not in ranked
    assert "anonymous" in ranked

    harness.advance(timedelta(minutes=75))
    done = str(
        harness.slash("frank", "/townhall", "followup 1 Recording: https://rec.example.com").body
    )
    assert "notice's thread" in done
    harness.run_due()
    [reply] = harness.slack.workspace.replies("C0ENGHELP", notice.ts)
    assert "rec.example.com" in reply.text
    # questions are closed once it is over
    harness.click("uma", blocks.ASK_ACTION, channel_id="C0ENGHELP", message_ts=notice.ts)
    view = modal(harness, "uma", blocks.ASK_CALLBACK)
    late = harness.submit("uma", view.id, {"th_question": {"value": {"value": "Too late?"}}})
    assert "over" in str(late.body)


def test_town_hall_modal_errors_and_refusals(harness: Harness) -> None:
    assert "managers" in str(harness.slash("bob", "/townhall").body)
    set_role(harness, "frank", "manager")
    errors = create(harness, th_time="07:00", th_date="2026-11-24", th_channels=["C0GENERAL"]).body
    assert errors["response_action"] == "errors"
    assert "has passed" in errors["errors"]["th_time"]
    assert "As a manager" in errors["errors"]["th_channels"]
    bad_zone = create(harness, th_zone="Mars/Olympus").body
    assert "not a time zone" in bad_zone["errors"]["th_zone"]


def test_a_cancelled_town_hall_sends_no_reminders(harness: Harness) -> None:
    ack = create(harness, "alice", th_channels=["C0GENERAL"])
    assert "is announced" in str(ack.body)
    harness.run_due()
    said = str(harness.slash("alice", "/townhall", "cancel 1").body)
    assert "cancelled" in said
    harness.advance(timedelta(days=3))
    assert len(harness.messages("C0GENERAL")) == 1
    [notice] = harness.messages("C0GENERAL")
    assert "cancelled" in harness.slack.workspace.replies("C0GENERAL", notice.ts)[0].text
    assert harness.dms("alice") == []
