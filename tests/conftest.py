"""Shared fixtures: a real SQLite file, and PostgreSQL (TEST_DATABASE_URL) in a schema of its own."""

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text

from bot.store import Store, make_engine, upgrade

if TYPE_CHECKING:
    from tests.harness import Harness

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")


def _postgres_schema_url() -> Iterator[str]:
    """A fresh schema on TEST_DATABASE_URL, dropped afterwards, so tests never see each other's rows."""
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set (CI sets it to the local PostgreSQL)")
    base = TEST_DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file of the test's own."""
    return f"sqlite:///{tmp_path / 'commons.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL schema of the test's own (skipped only where TEST_DATABASE_URL is unset)."""
    yield from _postgres_schema_url()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'commons.db'}"
    else:
        yield from _postgres_schema_url()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per test run: tests that need a current schema copy it."""
    path = tmp_path_factory.mktemp("migrated") / "commons.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return path


def fresh_copy(migrated: Path, database_url: str) -> None:
    """Put a copy of the migrated file where a SQLite URL points (nothing there yet)."""
    target = Path(database_url.removeprefix("sqlite:///"))
    if not target.exists():
        shutil.copyfile(migrated, target)


@pytest.fixture
def store(database_url: str, migrated_sqlite: Path) -> Iterator[Store]:
    """A migrated store on each database (SQLite: a copy of the file migrated once)."""
    if database_url.startswith("sqlite:///"):
        fresh_copy(migrated_sqlite, database_url)
    engine = make_engine(database_url)
    if not database_url.startswith("sqlite:///"):
        upgrade(engine)
    yield Store(engine)
    engine.dispose()


@pytest.fixture
def harness(tmp_path: Path, migrated_sqlite: Path) -> Iterator["Harness"]:
    """Commons end to end against the sandbox on SQLite, with a FixedClock (see tests/harness.py)."""
    from tests.harness import harness_for

    fresh_copy(migrated_sqlite, f"sqlite:///{tmp_path / 'commons.db'}")
    with harness_for(tmp_path) as built:
        yield built


@pytest.fixture
def harness_pg(postgres_url: str, tmp_path: Path) -> Iterator["Harness"]:
    """The same harness on PostgreSQL."""
    from tests.harness import harness_for

    with harness_for(tmp_path, postgres_url) as built:
        yield built
