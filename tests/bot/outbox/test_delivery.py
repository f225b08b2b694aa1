"""The outbox API: enqueue once per key, refuse bad messages before anything is written, report progress."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.clock import FixedClock
from bot.errors import InvalidInput, NotFound
from bot.models import Delivery
from bot.outbox import delivery
from bot.outbox.delivery import OutboundMessage
from bot.store import Store

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _campaign(store: Store, clock: FixedClock, campaign_id: str = "c1") -> None:
    with store.unit_of_work() as session:
        delivery.open_campaign(
            session=session, clock=clock, campaign_id=campaign_id, kind="test", title="Test"
        )


def _message(n: int, **overrides: object) -> OutboundMessage:
    fields: dict[str, object] = {
        "target": f"U9{n:07d}",
        "text": f"Hello {n}",
        "idempotency_key": f"c1:{n}",
    }
    fields.update(overrides)
    return OutboundMessage(**fields)  # type: ignore[arg-type]


def test_enqueueing_the_same_key_twice_is_a_no_op(store: Store) -> None:
    clock = FixedClock(NOW)
    _campaign(store, clock)
    with store.unit_of_work() as session:
        first = delivery.enqueue(
            session=session, clock=clock, campaign_id="c1", messages=[_message(1), _message(2)]
        )
    with store.unit_of_work() as session:
        again = delivery.enqueue(
            session=session, clock=clock, campaign_id="c1", messages=[_message(2), _message(3)]
        )
    assert (first.added, first.duplicates) == (2, 0)
    assert (again.added, again.duplicates) == (1, 1)
    with store.unit_of_work(write=False) as session:
        assert len(session.exec(select(Delivery)).all()) == 3


def test_a_large_batch_is_streamed_in_chunks(store: Store) -> None:
    clock = FixedClock(NOW)
    _campaign(store, clock)
    with store.unit_of_work() as session:
        result = delivery.enqueue(
            session=session,
            clock=clock,
            campaign_id="c1",
            messages=(_message(n) for n in range(1_234)),
            chunk_size=100,
        )
    assert result.added == 1_234


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"text": "", "blocks": None}, "empty"),
        ({"text": "x" * 40_001}, "at most 40,000"),
        ({"target": "general"}, "not a Slack channel id"),
        ({"target": "U9000001; DROP"}, "not a Slack channel id"),
        ({"blocks": [{"type": "divider"}] * 51}, "at most 50"),
        (
            {"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]},
            "not valid Block Kit",
        ),
        ({"idempotency_key": ""}, "idempotency key"),
    ],
)
def test_a_bad_message_is_refused_and_the_whole_batch_with_it(
    store: Store, bad: dict[str, object], reason: str
) -> None:
    clock = FixedClock(NOW)
    _campaign(store, clock)

    def enqueue_batch() -> None:
        with store.unit_of_work() as session:
            delivery.enqueue(
                session=session,
                clock=clock,
                campaign_id="c1",
                messages=[_message(1), _message(2, **bad), _message(3)],
            )

    with pytest.raises(InvalidInput, match=reason):
        enqueue_batch()
    with store.unit_of_work(write=False) as session:
        assert session.exec(select(Delivery)).all() == []


def test_a_reply_must_name_a_parent_in_the_outbox(store: Store) -> None:
    clock = FixedClock(NOW)
    _campaign(store, clock)
    with pytest.raises(InvalidInput, match="not in the outbox"), store.unit_of_work() as session:
        delivery.enqueue(
            session=session,
            clock=clock,
            campaign_id="c1",
            messages=[_message(1, parent_key="nowhere")],
        )


def test_enqueueing_into_an_unknown_campaign_is_refused(store: Store) -> None:
    with pytest.raises(NotFound), store.unit_of_work() as session:
        delivery.enqueue(session=session, clock=FixedClock(NOW), campaign_id="nope", messages=[])


def test_progress_counts_states_reasons_rate_and_time_left(store: Store) -> None:
    clock = FixedClock(NOW)
    _campaign(store, clock)
    with store.unit_of_work() as session:
        delivery.enqueue(
            session=session,
            clock=clock,
            campaign_id="c1",
            messages=[_message(n) for n in range(10)],
        )
        rows = session.exec(select(Delivery).order_by(Delivery.id)).all()  # type: ignore[arg-type]
        for row in rows[:4]:
            row.state, row.sent_at, row.ts = "sent", NOW - timedelta(seconds=30), "1.0"
        rows[4].state, rows[4].error = "failed", "user_not_found"
        rows[5].state, rows[5].error = "failed", "user_not_found"
        for row in rows:
            session.add(row)
    with store.unit_of_work(write=False) as session:
        seen = delivery.progress(
            session=session, clock=clock, campaign_id="c1", budget_per_minute=300
        )
    assert (seen.total, seen.sent, seen.failed, seen.pending) == (10, 4, 2, 4)
    assert seen.failures == {"user_not_found": 2}
    assert seen.rate_per_minute == 4
    assert seen.eta == timedelta(minutes=1)


def test_failed_rows_can_be_retried_and_pending_ones_cancelled(store: Store) -> None:
    clock = FixedClock(NOW)
    _campaign(store, clock)
    with store.unit_of_work() as session:
        delivery.enqueue(
            session=session, clock=clock, campaign_id="c1", messages=[_message(n) for n in range(3)]
        )
        first = session.exec(select(Delivery).order_by(Delivery.id)).first()  # type: ignore[arg-type]
        assert first is not None
        first.state, first.error = "failed", "is_archived"
        session.add(first)
    with store.unit_of_work() as session:
        assert delivery.retry_failed(session=session, clock=clock, campaign_id="c1") == 1
    with store.unit_of_work() as session:
        assert delivery.cancel_pending(session=session, campaign_id="c1") == 3
    with store.unit_of_work(write=False) as session:
        states = {r.state for r in session.exec(select(Delivery)).all()}
    assert states == {"cancelled"}


def test_enqueue_opens_its_campaign_when_told_what_it_is(store: Store) -> None:
    clock = FixedClock(NOW)
    for _ in range(2):  # a retried job opens nothing twice and adds nothing twice
        with store.unit_of_work() as session:
            delivery.enqueue(
                session=session,
                clock=clock,
                campaign_id="notices",
                messages=[_message(1)],
                kind="notice",
                title="Notices",
                owner_user_id="U0ALICE",
            )
    with store.unit_of_work(write=False) as session:
        seen = delivery.progress(
            session=session, clock=clock, campaign_id="notices", budget_per_minute=300
        )
    assert (seen.kind, seen.title, seen.owner_user_id, seen.total) == (
        "notice",
        "Notices",
        "U0ALICE",
        1,
    )
