"""Town halls through the interaction layer (issue 10): each command has its own help and its own
refusals, bad ids get a clear answer, refused clicks are acknowledged and explained, and what
lives in a private channel is seen and acted on only by its members."""

from typing import Any

import pytest
from sqlmodel import select

from tests.announcements.support import modal, set_role
from tests.harness import Harness
from tests.support import wait_until
from tests.townhalls.support import ask, create, question
from townhalls import blocks
from townhalls.models import Question, TownHall, Upvote

LEADERSHIP = "C0LEADERSHIP"  # private: alice, carol, frank, judy, rupert, wendy (not bob)


def _text(ack: Any) -> str:
    assert ack.status == 200, ack
    assert ack.seconds < 3, ack.seconds
    return str(ack.body)


def _private_townhall(h: Harness) -> tuple[int, Any]:
    """alice (admin) announces a town hall only in #leadership; returns its id and notice."""
    ack = create(h, "alice", th_title="Leadership offsite plans", th_channels=[LEADERSHIP])
    assert "is announced" in str(ack.body), ack.body
    h.run_due()
    [notice] = h.messages(LEADERSHIP)
    with h.store.unit_of_work(write=False) as session:
        townhall = session.exec(select(TownHall)).one()
    return townhall.id or 0, notice


def test_townhall_help_is_its_own(harness: Harness) -> None:
    said = _text(harness.slash("bob", "/townhall", "help"))
    assert "*Town halls*" in said
    assert "/townhall list" in said
    assert "/announce" not in said  # not the announcement help
    assert "/announce edit" not in _text(harness.slash("alice", "/townhall", "help"))
    assert "/townhall followup &lt;id&gt; &lt;text&gt;" in _text(
        harness.slash("alice", "/townhall", "help")
    )


def test_a_member_typing_townhall_is_told_about_town_halls(harness: Harness) -> None:
    said = _text(harness.slash("bob", "/townhall"))
    assert "Town halls are announced by managers and communications staff" in said
    assert "Announcements are for" not in said
    assert harness.slack.workspace.top_modal("U0BOB") is None


@pytest.mark.parametrize(
    "text",
    [
        'followup "" a b',
        "followup ² Recording",
        "followup 9223372036854775808 Recording",
        "cancel ²",
        "cancel 99999999999999999999",
    ],
)
def test_malformed_ids_get_a_clear_answer_not_a_reference(harness: Harness, text: str) -> None:
    said = _text(harness.slash("alice", "/townhall", text))
    assert "reference" not in said
    assert "/townhall" in said  # the usage line
    assert "town hall" in said


def test_upvoting_ones_own_or_an_unknown_question_is_refused_after_a_200_ack(
    harness: Harness,
) -> None:
    set_role(harness, "frank", "manager")
    create(harness)
    harness.run_due()
    [notice] = harness.messages("C0ENGHELP")
    ask(harness, "ivan", "C0ENGHELP", notice, "When is the freeze?", anonymous=False)
    ask(harness, "grace", "C0ENGHELP", notice, "Tokyo hiring?", anonymous=False)
    with harness.store.unit_of_work(write=False) as session:
        ivans = session.exec(select(Question).where(Question.author_id == "U0IVAN")).one().id
    harness.click("ivan", blocks.QUESTIONS_ACTION, channel_id="C0ENGHELP", message_ts=notice.ts)
    questions = modal(harness, "ivan", blocks.QUESTIONS_CALLBACK)
    # ivan's own question has no Upvote button: he forges one from grace's.
    own = harness.click("ivan", blocks.UPVOTE_ACTION, view_id=questions.id, value=str(ivans))
    unknown = harness.click("ivan", blocks.UPVOTE_ACTION, view_id=questions.id, value="999")
    for ack in (own, unknown):
        assert ack.status == 200, ack
        assert ack.seconds < 3

    def told() -> str:
        return " ".join(m.text or "" for m in harness.dms("ivan"))

    assert wait_until(lambda: "your own question" in told()), told()
    assert wait_until(lambda: "no longer exists" in told()), told()
    with harness.store.unit_of_work(write=False) as session:
        assert session.exec(select(Upvote)).all() == []


def test_a_town_hall_only_in_a_private_channel_is_listed_only_for_its_members(
    harness: Harness,
) -> None:
    _private_townhall(harness)
    assert "Leadership offsite plans" in _text(harness.slash("frank", "/townhall", "list"))
    assert "Leadership offsite plans" in _text(harness.slash("alice", "/townhall", "list"))
    hidden = _text(harness.slash("bob", "/townhall", "list"))
    assert "Leadership offsite plans" not in hidden
    assert "No town halls coming up" in hidden


def test_non_members_cannot_ask_or_upvote_in_a_private_town_hall(harness: Harness) -> None:
    townhall_id, notice = _private_townhall(harness)
    # bob is not in #leadership: a forged Ask click opens nothing and says why.
    ack = harness.click("bob", blocks.ASK_ACTION, channel_id=LEADERSHIP, message_ts=notice.ts)
    assert ack.status == 200
    assert ack.seconds < 3
    assert wait_until(
        lambda: any(f"no town hall #{townhall_id} you can see" in t for t in _told(harness, "bob"))
    )
    assert harness.slack.workspace.top_modal("U0BOB") is None

    # frank (a member) opens the form; bob submits frank's form, sealed metadata and all.
    harness.click("frank", blocks.ASK_ACTION, channel_id=LEADERSHIP, message_ts=notice.ts)
    form = modal(harness, "frank", blocks.ASK_CALLBACK)
    forged = harness.submit("bob", form.id, question("Who is leaving?"))
    assert forged.status == 200
    assert "you can see" in str(forged.body)
    ask(harness, "frank", LEADERSHIP, notice, "Budget for 2027?", anonymous=False)
    with harness.store.unit_of_work(write=False) as session:
        rows = session.exec(select(Question)).all()
    assert [q.text for q in rows] == ["Budget for 2027?"]

    # judy (a member) upvotes; bob forges an upvote from the questions judy is looking at.
    harness.click("judy", blocks.QUESTIONS_ACTION, channel_id=LEADERSHIP, message_ts=notice.ts)
    listed = modal(harness, "judy", blocks.QUESTIONS_CALLBACK)
    harness.click("judy", blocks.UPVOTE_ACTION, view_id=listed.id, value=str(rows[0].id))
    refusals = len(_told(harness, "bob"))
    vote = harness.click("bob", blocks.UPVOTE_ACTION, view_id=listed.id, value=str(rows[0].id))
    assert vote.status == 200

    def voters() -> list[str]:
        with harness.store.unit_of_work(write=False) as session:
            return [v.user_id for v in session.exec(select(Upvote)).all()]

    assert wait_until(lambda: voters() == ["U0JUDY"])
    assert wait_until(lambda: len(_told(harness, "bob")) > refusals)
    assert "you can see" in _told(harness, "bob")[-1]
    assert voters() == ["U0JUDY"]


def test_an_ask_form_whose_metadata_commons_did_not_seal_is_refused(harness: Harness) -> None:
    set_role(harness, "frank", "manager")
    create(harness)
    harness.run_due()
    [notice] = harness.messages("C0ENGHELP")
    harness.click("grace", blocks.ASK_ACTION, channel_id="C0ENGHELP", message_ts=notice.ts)
    form = modal(harness, "grace", blocks.ASK_CALLBACK)
    assert form.private_metadata not in ("", "1")  # sealed, not a bare id
    form.private_metadata = "1"  # what the old form carried, and what a forger would write
    refused = harness.submit("grace", form.id, question("Forged?"))
    assert "out of date or was not made by Commons" in str(refused.body)
    with harness.store.unit_of_work(write=False) as session:
        assert session.exec(select(Question)).all() == []


def _told(h: Harness, who: str) -> list[str]:
    """What the bot said to someone: ephemerals and DMs."""
    return [*h.ephemeral_texts(who), *(m.text or "" for m in h.dms(who))]
