"""The store: engine factory (SQLite or PostgreSQL), sessions per unit of work, and migrations."""

import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlmodel import Session

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
_MIGRATIONS_LOCK_ID = 727_001  # an arbitrary, fixed key for pg_advisory_lock


def is_sqlite(engine: Engine) -> bool:
    """True when the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


# UPDATE/INSERT ... RETURNING, which the outbox and the features rely on, came in SQLite 3.35.
MIN_SQLITE = (3, 35, 0)


def require_sqlite(version: tuple[int, int, int]) -> None:
    """Refuse an SQLite too old for Commons, saying what to do instead.

    Raises:
        ValueError: with the versions and the ways out.
    """
    if version < MIN_SQLITE:
        have = ".".join(str(part) for part in version)
        need = ".".join(str(part) for part in MIN_SQLITE)
        raise ValueError(
            f"Commons needs SQLite {need} or newer, and this Python has SQLite {have}. "
            "Use a Python built with a newer SQLite (python.org builds and Python 3.11+ from "
            "most current distributions have one), or PostgreSQL (DATABASE_URL=postgresql+psycopg://...)."
        )


def make_engine(database_url: str, *, echo: bool = False) -> Engine:
    """Build the engine for DATABASE_URL.

    SQLite gets WAL (readers never wait for the writer), a busy timeout, foreign keys, and
    transactions begun by us rather than by the driver, so that writes can take the lock up front
    with BEGIN IMMEDIATE (see `Store.unit_of_work`). PostgreSQL goes through psycopg 3.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        require_sqlite(sqlite3.sqlite_version_info)
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event issue BEGIN, not the driver's implicit one.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            # A deferred transaction that later writes can fail at once with SQLITE_BUSY when
            # another writer got in between; taking the write lock up front waits instead.
            immediate = connection.get_execution_options().get("sqlite_immediate", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if url.get_backend_name() == "postgresql":
        return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=10)
    raise ValueError(f"unsupported database: {url.get_backend_name()}")


class Store:
    """Hands out one short-lived Session per unit of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_engine = (
            engine.execution_options(sqlite_immediate=True) if is_sqlite(engine) else engine
        )
        self._local = threading.local()

    def writes_committed(self) -> int:
        """How many write units of work this thread has committed: the interaction layer
        compares it before and after a handler to tell a person truthfully whether anything was
        saved when something failed."""
        return int(getattr(self._local, "commits", 0))

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """A session whose work commits together at the end, or not at all.

        Args:
            write: on SQLite, take the write lock when the transaction begins (BEGIN IMMEDIATE).
                Pass False for read-only work so that it never waits for a writer.
        """
        session = Session(self._write_engine if write else self.engine, expire_on_commit=False)
        try:
            yield session
            session.commit()
            if write:
                self._local.commits = self.writes_committed() + 1
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def write_transaction(self) -> Iterator[Connection]:
        """A bare connection in a write transaction, for the sender's hot path.

        Same guarantees as a write unit of work (BEGIN IMMEDIATE on SQLite), without an ORM
        session around it: the sender writes one small row per message, many times a second.
        """
        with self._write_engine.begin() as connection:
            yield connection

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration that works from a source tree and from an installed package."""
    import migrations

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Apply every pending Alembic revision; a no-op when the schema is current.

    On PostgreSQL an advisory lock makes replicas that start together migrate one after another.
    """
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATIONS_LOCK_ID}
            )
        config.attributes["connection"] = connection
        # Each feature's revisions form their own branch off the shared ones: apply every head.
        command.upgrade(config, "heads")
    logger.info("database schema is current")


def current_revisions(engine: Engine) -> tuple[str, ...]:
    """The revisions (one per branch) the database is at; empty before the first upgrade."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


# -- inserts that meet a unique key ----------------------------------------------------------

Bind = Connection | Session
Insert = postgresql.Insert | sqlite.Insert


def _dialect(bind: Bind) -> str:
    return (bind.get_bind() if isinstance(bind, Session) else bind).dialect.name


def insert_ignore(bind: Bind, table: Any, keys: Sequence[str], **values: Any) -> Insert:
    """INSERT ... ON CONFLICT (keys) DO NOTHING, for the store `bind` talks to.

    With no `values`, rows are given when the statement is executed.
    """
    insert = postgresql.insert(table) if _dialect(bind) == "postgresql" else sqlite.insert(table)
    if values:
        insert = insert.values(**values)
    return insert.on_conflict_do_nothing(index_elements=list(keys))


def upsert(
    bind: Bind, table: Any, keys: Sequence[str], update: Sequence[str], **values: Any
) -> Insert:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET each of `update` to the row being inserted."""
    insert = postgresql.insert(table) if _dialect(bind) == "postgresql" else sqlite.insert(table)
    if values:
        insert = insert.values(**values)
    excluded = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=list(keys), set_={name: excluded[name] for name in update}
    )
