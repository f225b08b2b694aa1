"""`commons outbox`: list campaigns with progress, show failures, retry and cancel."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli import main
from bot.clock import FixedClock
from bot.models import Delivery
from bot.outbox import delivery
from bot.outbox.delivery import OutboundMessage
from bot.store import Store, make_engine, upgrade


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    url = f"sqlite:///{tmp_path / 'commons.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    engine = make_engine(url)
    upgrade(engine)
    store = Store(engine)
    clock = FixedClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    with store.unit_of_work() as session:
        delivery.open_campaign(
            session=session,
            clock=clock,
            campaign_id="announce-7",
            kind="announcement",
            title="Office closed Friday",
        )
        delivery.enqueue(
            session=session,
            clock=clock,
            campaign_id="announce-7",
            messages=[
                OutboundMessage(target=f"U9{n:07d}", text="Closed", idempotency_key=f"a7:{n}")
                for n in range(5)
            ],
        )
        rows = session.exec(select(Delivery)).all()
        rows[0].state, rows[0].error = "failed", "user_not_found"
        rows[1].state, rows[1].ts, rows[1].sent_at = "sent", "1.1", clock.now()
        for row in rows[:2]:
            session.add(row)
    return store


def test_list_shows_each_campaign_with_its_progress(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["outbox", "list"]) == 0
    out = capsys.readouterr().out
    assert "CAMPAIGN" in out
    line = next(line for line in out.splitlines() if line.startswith("announce-7"))
    assert line.split()[:2] == ["announce-7", "announcement"]
    assert "Office closed Friday" in line


def test_show_gives_the_failure_reasons_and_what_to_do(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["outbox", "show", "announce-7"]) == 0
    out = capsys.readouterr().out
    assert "5 messages: 1 sent, 3 pending, 1 failed, 0 cancelled." in out
    assert "failed with user_not_found: 1" in out
    assert "commons outbox retry announce-7" in out


def test_retry_then_cancel(database: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["outbox", "retry", "announce-7"]) == 0
    assert "Queued 1 failed message of announce-7 again." in capsys.readouterr().out
    assert main(["outbox", "cancel", "announce-7"]) == 0
    assert "Cancelled 4 pending messages" in capsys.readouterr().out
    with database.unit_of_work(write=False) as session:
        states = sorted(r.state for r in session.exec(select(Delivery)).all())
    assert states == ["cancelled"] * 4 + ["sent"]
    database.dispose()


def test_an_unknown_campaign_is_a_clear_error(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["outbox", "retry", "nope"]) == 1
    assert "There is no delivery campaign 'nope'" in capsys.readouterr().out
    database.dispose()
