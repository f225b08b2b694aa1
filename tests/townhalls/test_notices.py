"""What town halls send: one message a notice channel, keyed once, in the notice's thread."""

from sqlmodel import col, select

from bot.clock import FixedClock
from bot.models import Delivery
from bot.store import Store
from tests import factories
from townhalls.notices import ChannelMessage, campaign_of, channels_of, in_channels, notice_key

CLOCK = FixedClock(factories.NOW)


def test_a_message_goes_to_each_channel_of_the_notice_once(store: Store) -> None:
    with store.unit_of_work() as session:
        townhall = factories.townhall(session, channels=("C0ENG", "C0OPS"))
        notice = ChannelMessage(text="Town hall", key="notice")
        counts = [in_channels(session, CLOCK, townhall, notice) for _ in range(2)]
        rows = session.exec(select(Delivery).order_by(col(Delivery.id))).all()
    assert counts == [2, 2]
    assert [r.idempotency_key for r in rows] == [
        notice_key(townhall.id or 0, "C0ENG"),
        notice_key(townhall.id or 0, "C0OPS"),
    ]
    assert {r.campaign_id for r in rows} == {campaign_of(townhall.id)}
    assert channels_of(townhall) == ["C0ENG", "C0OPS"]


def test_a_reply_goes_in_the_notices_thread(store: Store) -> None:
    with store.unit_of_work() as session:
        townhall = factories.townhall(session, channels=("C0ENG",))
        in_channels(session, CLOCK, townhall, ChannelMessage(text="Town hall", key="notice"))
        in_channels(
            session,
            CLOCK,
            townhall,
            ChannelMessage(text="Recording", key="followup:1", in_thread=True),
        )
        notice, reply = session.exec(select(Delivery).order_by(col(Delivery.id))).all()
    assert reply.parent_id == notice.id
    assert reply.idempotency_key == f"th:{townhall.id}:followup:1:C0ENG"
