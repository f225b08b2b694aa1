"""`commons sandbox`: the stand-in for Slack, Commons connected to it on a clock `wait` moves, the prompt.

The stand-in keeps its workspace (messages, threads, forms) in memory only, so the database
starts with it: kept from an earlier run while it holds only what does not point at messages
(roles, desks, settings), set aside when Commons had posted messages into it, emptied by --fresh.
"""

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from sandbox.console import MORE, PROMPT, Console
from sandbox.running import NotConnected, Running, running
from sandbox.server import Sandbox

SUFFIXES = ("", "-wal", "-shm")  # an SQLite database and its write-ahead log


def main(*, db_path: str, fresh: bool, commands: list[str], out: TextIO = sys.stdout) -> int:
    """Start the sandbox and Commons (Socket Mode, SQLite), then prompt; returns the exit status."""
    db = Path(db_path).resolve()
    db.parent.mkdir(parents=True, exist_ok=True)
    note = prepare_database(db, fresh=fresh)
    log_file = db.parent / "commons.log"
    print("Starting the Slack sandbox and Commons...", file=out, flush=True)
    with _logging_to(log_file), Sandbox() as sandbox:
        try:
            with running(sandbox, f"sqlite:///{db}") as commons:
                console = Console.on(commons, out)
                print(banner(commons, db=db, log_file=log_file, note=note), file=out, flush=True)
                if commands:
                    _scripted(console, commands, out)
                else:
                    _interactive(console)
        except NotConnected:
            print(f"Commons did not connect to the sandbox; see {log_file}", file=sys.stderr)
            return 1
    return 0


# -- the database and the stand-in start together --------------------------------------------------


def prepare_database(db: Path, *, fresh: bool) -> str:
    """Empty, keep or set aside the database so that it matches a stand-in that starts empty;
    returns the line the banner shows about it."""
    if fresh:
        _remove(db)
        return f"Database: {db}, empty (--fresh)."
    if not db.exists():
        return f"Database: {db}, new."
    posted = posted_messages(db)
    if not posted:
        return (
            f"Database: {db}, kept from an earlier run (roles, desks, settings; Commons had "
            "posted nothing). `--fresh` starts from an empty one."
        )
    aside = db.with_name(db.name + ".previous")
    _remove(aside)
    for suffix in SUFFIXES:
        old = Path(str(db) + suffix)
        if old.exists():
            old.rename(str(aside) + suffix)
    return (
        f"Database: {db}, new. The earlier one held {posted} message(s) Commons had posted to "
        f"a stand-in that is gone (it keeps its messages only while it runs), so both start "
        f"fresh; the earlier database is kept as {aside.name}."
    )


def posted_messages(db: Path) -> int:
    """How many messages Commons posted (or queued) in an SQLite database: every one goes
    through its outbox (DESIGN.md section 1)."""
    from sqlalchemy import inspect
    from sqlmodel import Session, func, select

    from bot.models import Delivery
    from bot.store import make_engine

    engine = make_engine(f"sqlite:///{db}")
    try:
        if not inspect(engine).has_table(Delivery.__tablename__):
            return 0
        with Session(engine) as session:
            return int(session.exec(select(func.count()).select_from(Delivery)).one())
    finally:
        engine.dispose()


def _remove(db: Path) -> None:
    for suffix in SUFFIXES:
        Path(str(db) + suffix).unlink(missing_ok=True)


# -- the banner ----------------------------------------------------------------------------------


def banner(commons: Running, *, db: Path, log_file: Path, note: str) -> str:
    """Where Commons runs, who its admins are, and three lines to try first."""
    sandbox, services = commons.sandbox, commons.runtime.services
    users = sandbox.workspace.users
    admins = ", ".join(
        f"{users[a].name} ({users[a].real_name})" if a in users else a
        for a in services.settings.admins
    )
    desk = _first_desk(commons)
    request = f"as carol: /request {desk or 'it'} My laptop won't start"
    if desk is None:
        request += '   (first, an admin: as alice: /commons desk add it "IT" #it-help @it)'
    return "\n".join(
        [
            f"Commons is connected to the sandbox workspace '{sandbox.team_domain}' "
            "(Socket Mode, its own clock).",
            note,
            "The stand-in's messages last while it runs; `commons sandbox --fresh` also empties "
            "the database.",
            f"Commons admins: {admins or 'none'} (the workspace's admins, as COMMONS_ADMINS).",
            "Try first:",
            "  as alice: /commons help",
            f"  {request}",
            "  wait 1d                          a day passes: what falls due happens, in order",
            f"Commons' log goes to {log_file}. Type `help` for what you can do, `quit` to leave.",
        ]
    )


def _first_desk(commons: Running) -> str | None:
    from helpdesk import desks as helpdesk

    services = commons.runtime.services
    with services.store.unit_of_work(write=False) as session:
        desks = helpdesk.list_desks(session=session)
    return desks[0].key if desks else None


# -- reading lines ---------------------------------------------------------------------------------


def _scripted(console: Console, commands: list[str], out: TextIO) -> None:
    """`-c LINE ...`: each line echoed after the prompt; a here-block takes the lines after it."""
    remaining = iter(commands)

    def more() -> str | None:
        line = next(remaining, None)
        if line is not None:
            print(MORE + line, file=out, flush=True)
        return line

    for line in remaining:
        print(PROMPT + line, file=out, flush=True)
        if not console.execute(line, more=more):
            return


def _interactive(console: Console) -> None:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history at the prompt)

    def more() -> str | None:
        try:
            return input(MORE)
        except EOFError:
            return None

    while True:
        try:
            line = input(PROMPT)
        except EOFError:
            print()
            return
        if not console.execute(line, more=more):
            return


@contextlib.contextmanager
def _logging_to(path: Path) -> Iterator[None]:
    """Everything logged goes to the file (not the prompt) until the block ends."""
    from bot.logs import RedactingFilter

    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in ("alembic", "apscheduler")}
    for old in before:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()
        for old in before:
            root.addHandler(old)
        root.setLevel(level)
        for name, old_level in quiet.items():
            logging.getLogger(name).setLevel(old_level)
