"""The `commons` command line: run (Socket Mode), serve (HTTP), db upgrade, sandbox."""

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence

from bot import outbox_cli
from bot.logs import configure_logging
from bot.settings import (
    Mode,
    Settings,
    SettingsError,
    database_url_from_env,
    post_budget_from_env,
)

logger = logging.getLogger("commons")

DESCRIPTION = """\
Commons: announcements, pulse surveys, department help desks and digests, in Slack.

Settings come from the environment, or from a .env file in the current folder
(see .env.example for every setting)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="commons",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    commands.add_parser(
        "run",
        help="connect to Slack in Socket Mode (no public URL needed)",
        description="Connect to Slack in Socket Mode and handle commands, buttons, forms and "
        "events until stopped (Ctrl-C). Needs SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and "
        "SLACK_APP_TOKEN. Applies pending database migrations first.",
    )

    serve = commands.add_parser(
        "serve",
        help="serve Slack's requests over HTTP (POST /slack/events, GET /healthz)",
        description="Serve Slack's requests over HTTP with a production WSGI server (waitress): "
        "POST /slack/events for commands, interactivity and events; GET /healthz for probes. "
        "Several replicas can run behind a load balancer on PostgreSQL. Applies pending "
        "database migrations first.",
    )
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default: 0.0.0.0)")  # noqa: S104
    serve.add_argument("--port", type=int, default=3000, help="port to listen on (default: 3000)")
    serve.add_argument(
        "--threads", type=int, default=8, help="worker threads serving requests (default: 8)"
    )

    db = commands.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_commands = db.add_subparsers(dest="db_command", metavar="DB_COMMAND")
    db_commands.required = True
    db_commands.add_parser(
        "upgrade",
        help="apply pending schema migrations to DATABASE_URL",
        description="Apply every pending schema migration to the database at DATABASE_URL "
        "(default sqlite:///commons.db). Safe to run again; replicas starting together on "
        "PostgreSQL take turns.",
    )

    outbox_cli.add_parser(commands)

    sandbox = commands.add_parser(
        "sandbox",
        help="try Commons against a local stand-in for Slack, with a demo workspace",
        description="Start a local stand-in for Slack with a demo company, and Commons connected "
        "to it in Socket Mode on SQLite, then a prompt where you act as any person: "
        "`as alice: /commons help`. Shows what Commons posted where; `wait 2d` moves Commons' "
        "clock and runs what falls due. The workspace's admins (alice, wendy) are Commons "
        "admins. The stand-in keeps its messages only while it runs, so the database starts "
        "with it: one from an earlier run is kept if Commons posted nothing into it (roles, "
        "desks and settings stay), and set aside as DB.previous if it did. Needs no Slack "
        "account and no network; ignores .env.",
    )
    sandbox.add_argument(
        "--db",
        default=".commons-sandbox/commons.db",
        help="SQLite file for the sandbox's data (default: .commons-sandbox/commons.db)",
    )
    sandbox.add_argument(
        "--fresh",
        action="store_true",
        help="start from an empty database: deletes --db first, with its roles, desks and "
        "settings (without it, a database Commons posted into is set aside, one it did not "
        "is kept)",
    )
    sandbox.add_argument(
        "-c",
        "--command",
        dest="commands",
        action="append",
        default=[],
        metavar="LINE",
        help="run this prompt line and exit instead of prompting (repeatable), "
        "e.g. -c 'as alice: /commons help' -c 'wait 1d'; a line ending in <<END takes the "
        "next lines up to END as its here-block",
    )
    return parser


def _settings(mode: Mode) -> Settings:
    from dotenv import load_dotenv

    load_dotenv(os.path.join(os.getcwd(), ".env"), override=False)
    return Settings.from_env(os.environ, mode=mode)


class Terminated(Exception):
    """SIGTERM arrived: stop the way Ctrl-C would, so that background work finishes cleanly."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `commons` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    # Orchestrators stop processes with SIGTERM; without this the ticker and an in-flight post
    # would die mid-way and wait out their lease instead of finishing.
    signal.signal(signal.SIGTERM, _on_sigterm)
    from bot.runtime import StartupError

    try:
        if args.command == "run":
            return _run()
        if args.command == "serve":
            return _serve(args.host, args.port, args.threads)
        if args.command == "db":
            return _db_upgrade()
        if args.command == "outbox":
            return _outbox(args)
        if args.command == "sandbox":
            from sandbox.console_main import main as sandbox_main

            return sandbox_main(db_path=args.db, fresh=args.fresh, commands=args.commands)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    except StartupError as error:
        print(f"Commons cannot start: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Terminated:
        logger.info("Commons stopped (SIGTERM)")
        return 0
    return 2


def _run() -> int:
    from bot import runtime, socket_mode

    settings = _settings("socket")
    configure_logging(settings.log_level, settings.secrets)
    started = runtime.start(settings)
    try:
        started.background.start()
        socket_mode.run(started.app, settings.slack_app_token, started.services)
    finally:
        started.close()
    return 0


def _serve(host: str, port: int, threads: int) -> int:
    from bot import http, runtime

    settings = _settings("http")
    configure_logging(settings.log_level, settings.secrets)
    started = runtime.start(settings)
    try:
        started.background.start()
        http.serve(
            started.app,
            started.services.store,
            signing_secret=started.services.settings.slack_signing_secret,
            host=host,
            port=port,
            threads=threads,
        )
    finally:
        started.close()
    return 0


def _outbox(args: argparse.Namespace) -> int:
    from dotenv import load_dotenv

    load_dotenv(os.path.join(os.getcwd(), ".env"), override=False)
    return outbox_cli.run(args, database_url_from_env(os.environ), post_budget_from_env(os.environ))


def _db_upgrade() -> int:
    from dotenv import load_dotenv

    from bot.store import current_revisions, make_engine, upgrade

    load_dotenv(os.path.join(os.getcwd(), ".env"), override=False)
    url = database_url_from_env(os.environ)
    configure_logging(os.environ.get("LOG_LEVEL", "INFO").upper() or "INFO")
    engine = make_engine(url)
    try:
        before = ", ".join(current_revisions(engine))
        upgrade(engine)
        after = ", ".join(current_revisions(engine))
    finally:
        engine.dispose()
    shown = engine.url.render_as_string(hide_password=True)
    if before == after:
        print(f"{shown}: already at revision {after}; nothing to do.")
    else:
        print(f"{shown}: upgraded from {before or 'an empty database'} to revision {after}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
