"""The sender against the sandbox over HTTP: exactly once, paced, through faults and crashes."""

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.clock import Clock, FixedClock
from bot.models import Delivery, RateBucket
from bot.outbox import delivery, pacing
from bot.outbox.delivery import OutboundMessage
from bot.outbox.sender import Sender, SenderConfig
from bot.store import Store
from sandbox.faults import FaultRule
from sandbox.server import Sandbox
from tests.support import ScaledClock, generated_people, posted_keys, workspace_with_people

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
BOB, CAROL = "U0BOB", "U0CAROL"
GENERAL, RANDOM, ARCHIVED = "C0GENERAL", "C0RANDOM", "C0OFFSITE2024"


class Crash(Exception):
    """Stands for the process dying at a checkpoint."""


@pytest.fixture
def slack() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


def _client(slack: Sandbox) -> WebClient:
    return WebClient(token=slack.bot_token, base_url=slack.api_url, retry_handlers=[], timeout=10)


def _sender(
    store: Store, slack: Sandbox, clock: Clock, owner: str = "s1", **config: object
) -> Sender:
    return Sender(store, _client(slack), clock, owner=owner, config=SenderConfig(**config))  # type: ignore[arg-type]


def _enqueue(
    store: Store, clock: Clock, messages: list[OutboundMessage], campaign: str = "c1"
) -> None:
    with store.unit_of_work() as session:
        delivery.open_campaign(
            session=session, clock=clock, campaign_id=campaign, kind="test", title="Test"
        )
        delivery.enqueue(session=session, clock=clock, campaign_id=campaign, messages=messages)


def _enqueue_dms(store: Store, clock: Clock, people: list[str]) -> None:
    """One DM to each person, keyed by their id."""
    _enqueue(
        store, clock, [OutboundMessage(target=p, text="Hi", idempotency_key=p) for p in people]
    )


def _rows(store: Store) -> dict[str, Delivery]:
    with store.unit_of_work(write=False) as session:
        return {r.idempotency_key: r for r in session.exec(select(Delivery)).all()}


def test_a_dm_goes_to_the_user_id_once_with_its_key_in_metadata(
    store: Store, slack: Sandbox
) -> None:
    clock = FixedClock(NOW)
    _enqueue(store, clock, [OutboundMessage(target=BOB, text="Hello Bob", idempotency_key="k1")])
    sender = _sender(store, slack, clock)
    assert sender.drain() == 1
    assert sender.drain() == 0
    row = _rows(store)["k1"]
    assert row.state == "sent"
    assert row.channel is not None
    assert row.channel.startswith("D")
    assert posted_keys(slack) == Counter({"k1": 1})
    assert slack.calls("conversations.open") == []
    history = _client(slack).conversations_history(channel=row.channel, include_all_metadata=True)
    assert history["messages"][0]["metadata"]["event_payload"]["key"] == "k1"


def test_not_before_holds_a_message_back(store: Store, slack: Sandbox) -> None:
    clock = FixedClock(NOW)
    later = OutboundMessage(
        target=BOB, text="Later", idempotency_key="k1", not_before=NOW + timedelta(hours=1)
    )
    _enqueue(store, clock, [later])
    sender = _sender(store, slack, clock)
    assert sender.drain() == 0
    clock.advance(timedelta(hours=1))
    assert sender.drain() == 1


def test_a_thread_reply_waits_until_its_parent_has_a_ts(store: Store, slack: Sandbox) -> None:
    clock = FixedClock(NOW)
    parent = OutboundMessage(
        target=GENERAL, text="Parent", idempotency_key="p", not_before=NOW + timedelta(minutes=5)
    )
    child = OutboundMessage(target=GENERAL, text="Reply", idempotency_key="c", parent_key="p")
    _enqueue(store, clock, [parent, child])
    sender = _sender(store, slack, clock)
    assert sender.drain() == 0  # the reply may not go before its parent
    clock.advance(timedelta(minutes=5))
    sender.drain()
    clock.advance(timedelta(seconds=2))  # one message per second per channel
    sender.drain()
    rows = _rows(store)
    assert rows["c"].state == "sent"
    replies = slack.workspace.replies(GENERAL, rows["p"].ts or "")
    assert [m.text for m in replies][-1] == "Reply"


def test_one_message_per_second_per_channel(store: Store, slack: Sandbox) -> None:
    clock = FixedClock(NOW)
    _enqueue(
        store,
        clock,
        [OutboundMessage(target=GENERAL, text=f"m{n}", idempotency_key=f"k{n}") for n in range(3)],
    )
    sender = _sender(store, slack, clock)
    assert sender.drain() == 1
    assert sender.drain() == 0
    clock.advance(timedelta(seconds=1))
    assert sender.drain() == 1


def test_a_429_pauses_posting_for_every_sender_without_sleeping(
    store: Store, slack: Sandbox
) -> None:
    clock = FixedClock(NOW)
    slack.add_fault(FaultRule(method="chat.postMessage", status=429, retry_after=7, times=1))
    _enqueue(
        store,
        clock,
        [
            OutboundMessage(target=BOB, text="Hi", idempotency_key="k1"),
            OutboundMessage(target=CAROL, text="Hi", idempotency_key="k2"),
        ],
    )
    first, second = (
        _sender(store, slack, clock, "s1", batch_size=1),
        _sender(store, slack, clock, "s2"),
    )
    started = time.monotonic()
    assert first.run_once() == 1
    assert time.monotonic() - started < 5  # nothing slept for the 7 s
    assert second.drain() == 0  # the pause is shared through the store
    with store.unit_of_work(write=False) as session:
        bucket = session.get(RateBucket, pacing.POST_MESSAGE)
        assert bucket is not None
        assert bucket.paused_until == NOW + timedelta(seconds=7)
    assert _rows(store)["k1"].attempts == 0  # a 429 is not an attempt
    clock.advance(timedelta(seconds=8))
    assert second.drain() == 2
    assert posted_keys(slack) == Counter({"k1": 1, "k2": 1})


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        (RANDOM, "not_in_channel"),
        (ARCHIVED, "is_archived"),
        ("U0NOBODY", "user_not_found"),
        ("C0NOWHERE", "channel_not_found"),
    ],
)
def test_permanent_errors_fail_the_row_with_slacks_reason(
    store: Store, slack: Sandbox, target: str, reason: str
) -> None:
    clock = FixedClock(NOW)
    _enqueue(store, clock, [OutboundMessage(target=target, text="Hi", idempotency_key="k1")])
    _sender(store, slack, clock).drain()
    row = _rows(store)["k1"]
    assert (row.state, row.error) == ("failed", reason)
    with store.unit_of_work(write=False) as session:
        assert delivery.progress(
            session=session, clock=clock, campaign_id="c1", budget_per_minute=300
        ).failures == {reason: 1}


def test_transient_errors_retry_with_backoff_then_give_up(store: Store, slack: Sandbox) -> None:
    clock = FixedClock(NOW)
    slack.add_fault(FaultRule(method="chat.postMessage", status=503, times=2))
    _enqueue(store, clock, [OutboundMessage(target=BOB, text="Hi", idempotency_key="k1")])
    sender = _sender(store, slack, clock)
    sender.drain()
    row = _rows(store)["k1"]
    assert row.state == "pending"
    assert row.not_before > NOW
    clock.advance(timedelta(minutes=5))
    sender.drain()
    clock.advance(timedelta(minutes=5))
    sender.drain()
    assert _rows(store)["k1"].state == "sent"

    slack.add_fault(FaultRule(method="chat.postMessage", error="internal_error"))
    _enqueue(
        store,
        clock,
        [OutboundMessage(target=CAROL, text="Hi", idempotency_key="k2")],
        campaign="c2",
    )
    stubborn = _sender(store, slack, clock, max_attempts=3)
    for _ in range(5):
        stubborn.drain()
        clock.advance(timedelta(minutes=10))
    assert (_rows(store)["k2"].state, _rows(store)["k2"].error) == ("failed", "internal_error")


def test_a_lost_response_is_looked_up_instead_of_posted_again(store: Store, slack: Sandbox) -> None:
    clock = FixedClock(NOW)
    slack.add_fault(FaultRule(method="chat.postMessage", drop="after", times=1))
    _enqueue(store, clock, [OutboundMessage(target=BOB, text="Hi", idempotency_key="k1")])
    sender = _sender(store, slack, clock)
    sender.drain()
    row = _rows(store)["k1"]
    assert (row.state, row.in_doubt) == ("pending", True)
    assert posted_keys(slack) == Counter({"k1": 1})  # Slack has it although we never heard back
    clock.advance(timedelta(minutes=1))
    sender.drain()
    row = _rows(store)["k1"]
    assert (row.state, row.in_doubt) == ("sent", False)
    assert row.ts is not None
    assert posted_keys(slack) == Counter({"k1": 1})
    assert len(slack.calls("chat.postMessage")) == 1


def test_a_crash_between_slack_accepting_and_the_commit_does_not_post_twice(
    store: Store, slack: Sandbox
) -> None:
    clock = FixedClock(NOW)
    _enqueue(store, clock, [OutboundMessage(target=GENERAL, text="Hi all", idempotency_key="k1")])

    def die_after_post(point: str) -> None:
        if point == "posted":
            raise Crash

    doomed = Sender(store, _client(slack), clock, owner="doomed", checkpoint=die_after_post)
    with pytest.raises(Crash):
        doomed.drain()
    assert _rows(store)["k1"].state == "sending"
    survivor = _sender(store, slack, clock, "survivor")
    assert survivor.drain() == 0  # the lease still holds
    clock.advance(timedelta(seconds=61))
    survivor.drain()
    assert _rows(store)["k1"].state == "sent"
    assert posted_keys(slack) == Counter({"k1": 1})


def test_a_crash_after_the_claim_loses_nothing(store: Store, slack: Sandbox) -> None:
    clock = FixedClock(NOW)
    _enqueue(
        store,
        clock,
        [
            OutboundMessage(target=f"U0{n}", text="Hi", idempotency_key=f"k{n}")
            for n in ("BOB", "CAROL", "DAVE")
        ],
    )

    def die_after_claim(point: str) -> None:
        if point == "claimed":
            raise Crash

    with pytest.raises(Crash):
        Sender(store, _client(slack), clock, owner="doomed", checkpoint=die_after_claim).drain()
    clock.advance(timedelta(seconds=61))
    _sender(store, slack, clock, "survivor").drain()
    assert posted_keys(slack) == Counter({"kBOB": 1, "kCAROL": 1, "kDAVE": 1})
    assert slack.calls("conversations.history") == []  # never posted, so nothing was in doubt


def test_a_wave_of_posts_is_in_flight_together_and_never_more(store: Store) -> None:
    people = generated_people(8)
    with Sandbox(workspace_with_people(8)) as slack:
        slack.add_fault(FaultRule(method="chat.postMessage", latency=0.2))
        clock = FixedClock(NOW)
        _enqueue_dms(store, clock, people)
        sender = _sender(store, slack, clock, batch_size=8, concurrency=4)
        try:
            assert sender.run_once() == 8
        finally:
            sender.close()
        assert posted_keys(slack) == Counter({p: 1 for p in people})
        assert 2 <= slack.peak_in_flight("chat.postMessage") <= 4


def test_a_crash_in_the_middle_of_a_batch_leaves_only_one_wave_in_doubt(store: Store) -> None:
    people = generated_people(9)
    with Sandbox(workspace_with_people(9)) as slack:
        clock = FixedClock(NOW)
        _enqueue_dms(store, clock, people)
        posted = 0

        def die_in_the_second_wave(point: str) -> None:
            nonlocal posted
            if point == "posted":
                posted += 1
                if posted == 4:
                    raise Crash

        doomed = Sender(
            store,
            _client(slack),
            clock,
            owner="doomed",
            config=SenderConfig(batch_size=9, concurrency=3),
            checkpoint=die_in_the_second_wave,
        )
        with pytest.raises(Crash):
            doomed.drain()
        doomed.close()
        rows = _rows(store).values()
        assert sorted((r.state, r.in_doubt) for r in rows) == sorted(
            [("sent", False)] * 3 + [("sending", True)] * 3 + [("sending", False)] * 3
        )
        clock.advance(timedelta(seconds=61))
        _sender(store, slack, clock, "survivor", batch_size=9).drain()
        assert posted_keys(slack) == Counter({p: 1 for p in people})
        assert len(slack.calls("conversations.history")) == 3  # the second wave, and only it


def test_a_slow_batch_keeps_the_lease_of_its_later_rows(store: Store) -> None:
    people = generated_people(6)
    with Sandbox(workspace_with_people(6)) as slack:
        clock = FixedClock(NOW)
        _enqueue_dms(store, clock, people)
        leases: list[datetime | None] = []
        posted = 0

        def slack_is_slow(point: str) -> None:
            nonlocal posted
            if point != "posted":
                return
            posted += 1
            if posted == 1:
                clock.advance(timedelta(seconds=35))  # the first wave took more than half the lease
            if posted == 3:  # the second wave is out: what of the third, not yet marked?
                leases.extend(r.lease_expires_at for r in _rows(store).values() if not r.in_doubt)

        sender = Sender(
            store,
            _client(slack),
            clock,
            owner="s1",
            config=SenderConfig(batch_size=6, concurrency=2, lease=timedelta(seconds=60)),
            checkpoint=slack_is_slow,
        )
        sender.drain()
        sender.close()
        renewed = NOW + timedelta(seconds=35 + 60)
        assert [lease for lease in leases if lease is not None] == [renewed, renewed]
        assert posted_keys(slack) == Counter({p: 1 for p in people})


@pytest.mark.parametrize(
    ("per_minute", "in_flight", "batch"),
    [(60, 2, 20), (300, 3, 20), (1200, 10, 20), (6000, 32, 64)],
)
def test_the_posts_in_flight_follow_the_budget(per_minute: int, in_flight: int, batch: int) -> None:
    config = SenderConfig.for_limits(pacing.PostLimits(per_minute=per_minute))
    assert (config.concurrency, config.batch_size) == (in_flight, batch)
    assert config.batch_size >= 2 * config.concurrency


@pytest.mark.slow
def test_2000_messages_through_429s_5xx_and_dropped_connections_arrive_exactly_once(
    store: Store,
) -> None:
    people = generated_people(2000)
    with Sandbox(workspace_with_people(2000), seed=7) as slack:
        slack.set_limits(
            workspace_per_minute=600_000, workspace_burst=10_000, channel_per_second=100
        )
        slack.add_fault(
            FaultRule(method="chat.postMessage", probability=0.10, status=429, retry_after=1)
        )
        slack.add_fault(FaultRule(method="chat.postMessage", probability=0.028, status=500))
        slack.add_fault(FaultRule(method="chat.postMessage", probability=0.029, status=503))
        slack.add_fault(FaultRule(method="chat.postMessage", probability=0.024, drop="after"))
        clock = ScaledClock(speed=60.0)  # a minute of backoff passes in a second
        _enqueue(
            store,
            clock,
            [
                OutboundMessage(target=p, text=f"Pulse for {p}", idempotency_key=f"k:{p}")
                for p in people
            ],
        )
        sender = _sender(
            store, slack, clock, batch_size=50, limits=pacing.PostLimits(per_minute=600_000)
        )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            sender.drain(2.0)
            with store.unit_of_work(write=False) as session:
                seen = delivery.progress(
                    session=session, clock=clock, campaign_id="c1", budget_per_minute=300
                )
            if seen.done:
                break
            time.sleep(0.02)
        assert (seen.sent, seen.failed, seen.pending) == (2000, 0, 0)
        keys = posted_keys(slack)
        assert len(keys) == 2000
        assert max(keys.values()) == 1
        statuses = Counter(c.status for c in slack.calls("chat.postMessage"))
        assert statuses[429] > 50  # the faults really happened
        assert statuses[500] + statuses[503] > 20
        assert statuses[0] > 10  # connections dropped after the message was stored


@pytest.mark.slow
def test_pacing_stays_under_the_workspace_limit_and_uses_most_of_it(store: Store) -> None:
    count, per_minute = 3000, 6000
    with Sandbox(workspace_with_people(count)) as slack:
        slack.set_limits(workspace_per_minute=per_minute)
        clock = ScaledClock(speed=1.0)
        _enqueue(
            store,
            clock,
            [
                OutboundMessage(target=p, text="Hi", idempotency_key=f"k:{p}")
                for p in generated_people(count)
            ],
        )
        sender = _sender(
            store, slack, clock, batch_size=20, limits=pacing.PostLimits(per_minute=per_minute)
        )
        started = time.monotonic()
        while time.monotonic() - started < 120:
            if sender.drain(1.0) == 0:
                with store.unit_of_work(write=False) as session:
                    if delivery.progress(
                        session=session, clock=clock, campaign_id="c1", budget_per_minute=per_minute
                    ).done:
                        break
                time.sleep(0.01)
        elapsed = time.monotonic() - started
        calls = slack.calls("chat.postMessage")
        limited = sum(1 for c in calls if c.status == 429)
        achieved = count / (elapsed / 60)
        print(
            f"pacing: {count} in {elapsed:.1f} s = {achieved:.0f}/min of {per_minute}; 429s {limited}/{len(calls)}"
        )
        assert limited <= 0.01 * len(calls)
        assert achieved >= 0.9 * per_minute
        assert max(posted_keys(slack).values()) == 1
