"""The store on SQLite and on PostgreSQL: migrations, units of work, SQLite's pragmas."""

import importlib
import threading
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import SQLModel, select

from bot import service
from bot.clock import FixedClock
from bot.models import Installation
from bot.store import (
    Store,
    alembic_config,
    current_revisions,
    make_engine,
    require_sqlite,
    upgrade,
)

IDENTITY = service.WorkspaceIdentity(
    team_id="T0NORTHWND",
    team_name="Northwind",
    team_domain="northwind",
    bot_user_id="U0COMMONS",
    bot_id="B0COMMONS",
)


def test_upgrade_brings_an_empty_database_to_head_and_is_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revisions(engine) == ()
    upgrade(engine)
    upgrade(engine)
    heads = ScriptDirectory.from_config(alembic_config(database_url)).get_heads()
    assert current_revisions(engine) == tuple(sorted(heads))
    engine.dispose()


def test_a_unit_of_work_commits_together(store: Store) -> None:
    clock = FixedClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    with store.unit_of_work() as session:
        service.record_installation(session=session, clock=clock, identity=IDENTITY)
    with store.unit_of_work(write=False) as session:
        assert service.team_name(session=session) == "Northwind"


def test_a_failing_unit_of_work_leaves_nothing_behind(store: Store) -> None:
    clock = FixedClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))

    def fail_half_way() -> None:
        with store.unit_of_work() as session:
            service.record_installation(session=session, clock=clock, identity=IDENTITY)
            session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_half_way()
    with store.unit_of_work(write=False) as session:
        assert session.exec(select(Installation)).all() == []


def test_recording_the_installation_twice_updates_the_row(store: Store) -> None:
    clock = FixedClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    with store.unit_of_work() as session:
        service.record_installation(session=session, clock=clock, identity=IDENTITY)
    renamed = service.WorkspaceIdentity(**{**IDENTITY.__dict__, "team_name": "Northwind Ltd"})
    with store.unit_of_work() as session:
        service.record_installation(session=session, clock=clock, identity=renamed)
    with store.unit_of_work(write=False) as session:
        rows = session.exec(select(Installation)).all()
    assert [r.team_name for r in rows] == ["Northwind Ltd"]


def test_sqlite_runs_with_wal_busy_timeout_and_foreign_keys(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert int(connection.execute(text("PRAGMA busy_timeout")).scalar() or 0) >= 5000
    engine.dispose()


def test_sqlite_writers_wait_for_each_other_instead_of_failing(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    store = Store(engine)
    with store.unit_of_work() as session:
        session.exec(text("CREATE TABLE counter (n INTEGER NOT NULL)"))  # type: ignore[call-overload]
        session.exec(text("INSERT INTO counter VALUES (0)"))  # type: ignore[call-overload]
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(25):
                with store.unit_of_work() as session:
                    # Read then write in one transaction: only safe when writers serialise.
                    n = session.exec(text("SELECT n FROM counter")).one()[0]  # type: ignore[call-overload]
                    session.exec(text("UPDATE counter SET n = :n").bindparams(n=n + 1))  # type: ignore[call-overload]
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.unit_of_work(write=False) as session:
        assert session.exec(text("SELECT n FROM counter")).one()[0] == 100  # type: ignore[call-overload]
    engine.dispose()


def test_the_migrations_build_exactly_the_tables_the_models_describe(store: Store) -> None:
    for feature in ("directory", "announcements", "townhalls", "surveys", "helpdesk", "digests"):
        importlib.import_module(f"{feature}.models")  # every table, as migrations/env.py sees them
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_an_sqlite_too_old_for_returning_is_refused_with_a_way_out() -> None:
    require_sqlite((3, 35, 0))
    with pytest.raises(ValueError, match=r"needs SQLite 3\.35\.0 or newer.*has SQLite 3\.31\.1"):
        require_sqlite((3, 31, 1))
