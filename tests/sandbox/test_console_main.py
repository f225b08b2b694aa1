"""`commons sandbox` starts the stand-in and the database together: a database Commons posted
into is set aside (the stand-in's messages are gone), one it did not is kept; the banner says
who is admin and what to try first."""

import io
from pathlib import Path

from sqlmodel import select

from bot.store import Store, make_engine
from helpdesk.models import Desk, HelpRequest
from sandbox.console_main import main, posted_messages, prepare_database


def _run(db: Path, *lines: str, fresh: bool = False) -> str:
    out = io.StringIO()
    assert main(db_path=str(db), fresh=fresh, commands=list(lines), out=out) == 0
    return out.getvalue()


def _rows(db: Path) -> tuple[int, int]:
    engine = make_engine(f"sqlite:///{db}")
    try:
        with Store(engine).unit_of_work(write=False) as session:
            desks = len(session.exec(select(Desk)).all())
            return desks, len(session.exec(select(HelpRequest)).all())
    finally:
        engine.dispose()


def test_settings_are_kept_across_runs_and_posted_messages_start_both_fresh(
    tmp_path: Path,
) -> None:
    db = tmp_path / "commons.db"
    first = _run(db, 'as alice: /commons desk add it "IT" #it-help @it')
    assert f"Database: {db}, new." in first
    assert "Commons admins: alice (Alice Moreau), wendy (Wendy Clarke)" in first
    assert "  as alice: /commons help" in first
    assert '(first, an admin: as alice: /commons desk add it "IT" #it-help @it)' in first
    assert "  wait 1d" in first
    assert "--fresh` also empties the database" in first

    second = _run(db, "as carol: /request it Laptop broken")
    assert "kept from an earlier run (roles, desks, settings; Commons had posted nothing)" in (
        second
    )
    assert "  as carol: /request it My laptop won't start\n" in second  # the desk is still there
    assert "[#it-help] Commons posted:" in second
    assert posted_messages(db) > 0

    third = _run(db, "show #it-help")
    assert "so both start fresh; the earlier database is kept as commons.db.previous" in third
    assert "#it-help has no messages yet." in third
    assert _rows(db) == (0, 0)
    assert _rows(tmp_path / "commons.db.previous") == (1, 1)


def test_fresh_empties_the_database_whatever_it_holds(tmp_path: Path) -> None:
    db = tmp_path / "commons.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").write_bytes(b"old")
    assert prepare_database(db, fresh=True) == f"Database: {db}, empty (--fresh)."
    assert not any(Path(f"{db}{suffix}").exists() for suffix in ("", "-wal", "-shm"))
    assert prepare_database(db, fresh=False) == f"Database: {db}, new."
