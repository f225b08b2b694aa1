"""Posting: scheduling an announcement, and each occurrence going to its channels once."""

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from announcements.common import POST_KIND, REMIND_KIND, post_key
from announcements.models import Announcement, State
from announcements.posting import posted_deliveries, schedule
from bot.clock import FixedClock
from bot.models import Delivery, Schedule
from bot.scheduling import schedules
from bot.store import Store
from tests import factories
from tests.announcements.company import ENG, GENERAL, company, post_now

CLOCK = FixedClock(factories.NOW)


def _schedule_of(session: Session, announcement: Announcement) -> Schedule:
    found = session.get(Schedule, announcement.schedule_id)
    assert found is not None
    return found


def test_now_and_at_a_time_are_scheduled_once_and_the_author_told_how_to_stop_it(
    store: Store,
) -> None:
    at = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    with store.unit_of_work() as session:
        now = factories.announcement(session)
        later = factories.announcement(session, when="at", at=at)
        said_now, said_later = schedule(session, CLOCK, now), schedule(session, CLOCK, later)
        runs = (_schedule_of(session, now).next_run_at, _schedule_of(session, later).next_run_at)
        kinds = {_schedule_of(session, a).kind for a in (now, later)}
    assert said_now == f"Announcement #{now.id} is going out now."
    assert said_later.startswith(f"Announcement #{later.id} is scheduled: Wed 25 Nov 2026")
    assert f"`/announce cancel {later.id}`" in said_later
    assert [factories.as_utc(run) for run in runs] == [factories.NOW, at]
    assert kinds == {POST_KIND}
    assert (now.state, later.state) == (State.SCHEDULED.value, State.SCHEDULED.value)


def test_one_approved_after_its_time_goes_now_rather_than_never(store: Store) -> None:
    with store.unit_of_work() as session:
        late = factories.announcement(session, when="at", at=factories.NOW - timedelta(hours=3))
        schedule(session, CLOCK, late)
        run = _schedule_of(session, late).next_run_at
    assert factories.as_utc(run) == factories.NOW


def test_a_recurring_one_is_scheduled_by_its_rule(store: Store) -> None:
    rule = schedules.weekdays(datetime(2026, 1, 1, 9, 0).time())
    with store.unit_of_work() as session:
        weekly = factories.announcement(session, when="recurring", rule=rule.to_json())
        said = schedule(session, CLOCK, weekly)
        stored = _schedule_of(session, weekly)
    assert weekly.state == State.RECURRING.value
    assert stored.rule is not None
    assert said.startswith(f"Announcement #{weekly.id} is scheduled: weekdays at 09:00 (UTC).")


def test_an_occurrence_goes_to_each_channel_once_with_a_reminder_for_a_must_read(
    store: Store,
) -> None:
    with store.unit_of_work() as session:
        company(session)
        must_read = factories.announcement(
            session, channels=(GENERAL, ENG), must_read=True, state=State.SCHEDULED.value
        )
        post = post_now(session, must_read)
        again = post_now(session, must_read)
        assert post is not None
        keys = session.exec(select(Delivery.idempotency_key).order_by(col(Delivery.id))).all()
        reminder = session.exec(select(Schedule).where(Schedule.kind == REMIND_KIND)).one()
    assert again is None  # posted already: a replayed run sends nothing more
    assert keys == [post_key(post.id or 0, GENERAL), post_key(post.id or 0, ENG)]
    assert post.audience_count == 5
    assert must_read.state == State.POSTED.value
    assert reminder.ref_id == str(post.id)
    assert factories.as_utc(reminder.next_run_at) == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def test_a_replayed_occurrence_of_a_recurring_one_is_the_post_it_made(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        rule = schedules.daily(datetime(2026, 1, 1, 9, 0).time())
        daily = factories.announcement(
            session, when="recurring", rule=rule.to_json(), state=State.RECURRING.value
        )
        first, replayed = (post_now(session, daily) for _ in range(2))
        count = len(session.exec(select(Delivery)).all())
    assert first is not None
    assert replayed is first
    assert count == 1
    assert daily.state == State.RECURRING.value


def test_nothing_goes_out_for_one_that_was_cancelled_or_is_still_a_draft(store: Store) -> None:
    with store.unit_of_work() as session:
        cancelled = factories.announcement(session, state=State.CANCELLED.value)
        draft = factories.announcement(session)
        posts = [post_now(session, which) for which in (cancelled, draft)]
        count = len(session.exec(select(Delivery)).all())
    assert posts == [None, None]
    assert count == 0


def test_only_the_posts_messages_that_reached_slack_are_where_it_landed(store: Store) -> None:
    with store.unit_of_work() as session:
        company(session)
        posted = factories.announcement(session, channels=(GENERAL, ENG), state="scheduled")
        post = post_now(session, posted)
        assert post is not None
        landed = session.exec(
            select(Delivery).where(Delivery.idempotency_key == post_key(post.id or 0, ENG))
        ).one()
        landed.channel, landed.ts = ENG, "1700000000.000100"
        session.add(landed)
        session.flush()
        found = [(d.channel, d.ts) for d in posted_deliveries(session, post.id or 0)]
    assert found == [(ENG, "1700000000.000100")]
