"""What the privacy attack tests share: a company to survey, worlds built through the real jobs,
a dump of every table, an ordering statistic, and Commons over Socket Mode against the sandbox.

The attacks themselves are in tests/surveys/test_privacy_attacks.py; docs/privacy.md names them.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from bot.clock import FixedClock
from bot.scheduling.schedules import run_due
from bot.store import Store
from directory.models import Department, DepartmentMember, Person
from sandbox.driver import Ack
from sandbox.workspace import Message
from surveys import answers, common, creation, jobs, release
from surveys.models import SurveyRun
from tests.harness import START, Harness, harness_for
from tests.support import wait_until

SECRET = b"attack-test-survey-key"
AUTHOR = "UAUTHOR"
KEYS = release.Keys(secret=SECRET, admins=(AUTHOR,))
SECRET_COMMENT = "Secret: I am interviewing elsewhere"


# -- a company, surveyed through the service and the real jobs ---------------------------------


def company(
    session: Session, sizes: dict[str, int], *, author: str = AUTHOR
) -> dict[str, list[str]]:
    """Departments of the given sizes (and the author, in none); their members' ids by handle."""
    session.add(Person(slack_id=author, name="author", synced_at=START))
    members: dict[str, list[str]] = {}
    for handle, size in sizes.items():
        department = Department(
            usergroup_id=f"S{handle.upper()}", handle=handle, name=handle.title(), synced_at=START
        )
        session.add(department)
        session.flush()
        for i in range(size):
            person = f"U{handle.upper()}{i:03d}"
            session.add(Person(slack_id=person, name=f"{handle}{i}", synced_at=START))
            session.flush()
            session.add(DepartmentMember(department_id=department.id or 0, person_id=person))
            members.setdefault(handle, []).append(person)
    session.flush()
    return members


def handlers(clock: FixedClock) -> dict[str, Any]:
    """The survey schedule handlers, as `surveys.listeners.register` wires them."""
    return {
        common.LAUNCH_KIND: jobs.LaunchHandler(clock, None),
        common.REMIND_KIND: jobs.RemindHandler(clock),
        common.CLOSE_KIND: jobs.CloseHandler(clock, KEYS),
    }


def open_survey(
    store: Store, clock: FixedClock, questions: str, *, threshold: int = 3, privacy: str = ""
) -> SurveyRun:
    """Create a survey for everyone as the author (an admin) and let the launch job open it."""
    from surveys.questions import parse_questions

    with store.unit_of_work() as session:
        creation.create_survey(
            session=session,
            clock=clock,
            admins=(AUTHOR,),
            author=AUTHOR,
            draft=creation.SurveyDraft(
                title="Pulse",
                questions=parse_questions(questions),
                threshold=threshold,
                strong_protection=privacy == "strong",
                anonymous=privacy != "attributed",
            ),
            timezone="UTC",
        )
    run_due(store=store, clock=clock, handlers=handlers(clock))
    with store.unit_of_work(write=False) as session:
        run = session.exec(select_rows(SurveyRun).order_by(col(SurveyRun.id).desc())).first()
    assert run is not None
    return run


def answer(store: Store, clock: FixedClock, run: SurveyRun, who: str, *values: str) -> None:
    """Answer every question of the run, in order, as `who` (the answer modal's way)."""
    with store.unit_of_work() as session:
        questions = common.questions_of(session=session, survey_id=run.survey_id)
        answers.answer(
            session=session,
            clock=clock,
            secret=SECRET,
            ballot=answers.Ballot(
                run_id=run.id or 0,
                user_id=who,
                values={q.id or 0: v for q, v in zip(questions, values, strict=True)},
                replace_all=True,
            ),
        )


def advance(store: Store, clock: FixedClock, delta: timedelta) -> None:
    """Move time on and run what fell due (reminders, the close)."""
    clock.advance(delta)
    run_due(store=store, clock=clock, handlers=handlers(clock))


# -- what a database reader has ------------------------------------------------------------------


def dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, every column, as a reader of the database sees them."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: [dict(row._mapping) for row in connection.execute(select(table))]
            for name, table in metadata.tables.items()
        }


def physical_order(engine: Engine, table: str, column: str) -> list[Any]:
    """A column's values in the order the rows lie in the file (rowid; ctid on PostgreSQL)."""
    key = "ctid" if engine.dialect.name == "postgresql" else "rowid"
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT {column} FROM {table} ORDER BY {key}"))  # noqa: S608
        return [r[0] for r in rows]


def spearman(order: Sequence[int]) -> float:
    """Rank correlation between positions and the values found there (1: the same order)."""
    n = len(order)
    ranks = {v: i for i, v in enumerate(sorted(order))}
    d2 = sum((i - ranks[v]) ** 2 for i, v in enumerate(order))
    return 1 - 6 * d2 / (n * (n * n - 1))


# -- Commons through Slack, over Socket Mode (where Slack's library logs whole payloads) --------


@contextmanager
def socket_harness(tmp_path: Path, database_url: str | None = None) -> Iterator[Harness]:
    """The tests' harness, with Commons connected over Socket Mode instead of HTTP."""
    with harness_for(tmp_path, database_url, socket_mode=True, timezone="UTC") as harness:
        yield harness


# -- acting in Slack -----------------------------------------------------------------------------


def plain(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def create(harness: Harness, who: str, **fields: str) -> Ack:
    """Fill in the /pulse modal (the select fields by value) and submit it."""
    from surveys import blocks

    already = harness.slack.workspace.top_modal(harness.user(who))
    harness.slash(who, "/pulse")
    view = harness.open_view(who, other_than=already.id if already else None)
    selects = (blocks.TEMPLATE_BLOCK, blocks.PRIVACY_BLOCK, blocks.CADENCE_BLOCK)
    values = {
        block: {
            "value": {"type": "static_select", "selected_option": {"value": value}}
            if block in selects
            else plain(value)
        }
        for block, value in fields.items()
    }
    return harness.submit(who, view.id, values)


def invitation(harness: Harness, who: str, title: str) -> Message:
    return next(m for m in reversed(harness.dms(who)) if title in (m.text or ""))


def vote(harness: Harness, who: str, title: str, score: str) -> None:
    """Click a scale button under the invitation and wait until the answer is confirmed."""
    message = invitation(harness, who, title)

    def updates() -> int:
        return sum(
            1
            for a in harness.slack.workspace.activity_since(0)
            if a.kind == "update" and a.ts == message.ts
        )

    before = updates()
    harness.click(who, f"surveys.vote.{score}", channel_id=message.channel, message_ts=message.ts)
    assert wait_until(lambda: updates() > before), f"{who}'s vote was not confirmed"


def answer_in_modal(harness: Harness, who: str, title: str, score: str, comment: str) -> Ack:
    """Open the answer modal from the invitation and send a score and a comment."""
    from surveys import blocks

    message = invitation(harness, who, title)
    already = harness.slack.workspace.top_modal(harness.user(who))
    harness.click(who, blocks.OPEN_ACTION, channel_id=message.channel, message_ts=message.ts)
    view = harness.open_view(who, other_than=already.id if already else None)
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in view.blocks:
        if block["type"] != "input":
            continue
        if block["element"]["type"] == "plain_text_input":
            values[block["block_id"]] = {"value": plain(comment)}
        else:
            selected = {"type": "static_select", "selected_option": {"value": score}}
            values[block["block_id"]] = {"value": selected}
    return harness.submit(who, view.id, values)


def results_text(harness: Harness, who: str, survey_id: int) -> str:
    """What /pulse results shows this person."""
    body = harness.slash(who, "/pulse", f"results {survey_id}").body
    return str(body.get("text", "")) if isinstance(body, dict) else str(body)


def exported_csv(harness: Harness, who: str, survey_id: int) -> str:
    """The CSV /pulse export sends to this person's DM (the newest one)."""
    dm = harness.slack.workspace.dm_channel_for(harness.user(who)).id
    before = {f.name for f in harness.slack.workspace.files.values() if dm in f.channel_ids}
    harness.slash(who, "/pulse", f"export {survey_id}")
    harness.run_due()
    files = [
        f
        for f in harness.slack.workspace.files.values()
        if dm in f.channel_ids and f.name.endswith(".csv")
    ]
    assert files, f"no CSV reached {who} (had {sorted(before)})"
    return files[-1].content.decode()
