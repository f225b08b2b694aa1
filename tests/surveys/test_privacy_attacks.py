"""The privacy model of docs/privacy.md, proven by playing its attackers on SQLite and PostgreSQL.

Three observers: (a) people in Slack, who see results, CSVs, charts and lists; (b) a reader of
the database without the app's secret; (c) the operator with both (what they can do is said in
docs/privacy.md, not tested). Each test plays one attack and asserts that it recovers nobody's
answer: not one person's, and not that of a group under the threshold k.
"""

import csv
import io
import logging
import re
import traceback
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.clock import FixedClock
from bot.errors import FieldErrors, InvalidInput
from bot.logs import configure_logging
from bot.store import Store, make_engine, upgrade
from directory.models import Person
from surveys.answers import respondent_secret, respondent_token
from surveys.models import SurveyRun
from surveys.runs import Launched, launch_run
from surveys.snapshots import results_for
from tests.conftest import TEST_DATABASE_URL, _postgres_schema_url
from tests.harness import START, Harness, harness_for
from tests.surveys.attackers import (
    AUTHOR,
    KEYS,
    SECRET,
    SECRET_COMMENT,
    advance,
    answer,
    answer_in_modal,
    company,
    create,
    dump,
    exported_csv,
    open_survey,
    physical_order,
    results_text,
    socket_harness,
    spearman,
    vote,
)

K = 3
ENPS_AND_COMMENT = "enps: Would you recommend working here?\ncomment: Anything else?"
DEPARTMENTS = ("IT", "HR", "Finance", "Facilities", "Engineering", "Sales", "Other departments")


@pytest.fixture
def slack(database_url: str, tmp_path: Path) -> Iterator[Harness]:
    """Commons against the sandbox on each store."""
    with harness_for(tmp_path, database_url) as built:
        yield built


def _urls(kind: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
        return
    first, second = _postgres_schema_url(), _postgres_schema_url()
    try:
        yield next(first), next(second)
    finally:
        for generator in (first, second):
            next(generator, None)  # drops its schema


@pytest.fixture(params=["sqlite", "postgresql"])
def two_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two empty stores of the same kind, for two worlds that differ in one fact."""
    for urls in _urls(request.param, tmp_path):
        engines = [make_engine(url) for url in urls]
        for engine in engines:
            upgrade(engine)
        yield Store(engines[0]), Store(engines[1])
        for engine in engines:
            engine.dispose()


# -- (b) a reader of the database ----------------------------------------------------------------


def _world(store: Store, who: str) -> Engine:
    """Eng (4), sales (3), HR (2) and the author are surveyed; `who` and one salesperson answer;
    reminders go out on day 3 and the run closes on day 5."""
    clock = FixedClock(START)
    with store.unit_of_work() as session:
        company(session, {"eng": 4, "sales": 3, "hr": 2})
    run = open_survey(store, clock, ENPS_AND_COMMENT, threshold=K)
    answer(store, clock, run, who, "9", SECRET_COMMENT)
    answer(store, clock, run, "USALES000", "4", "")
    advance(store, clock, timedelta(days=2))
    advance(store, clock, timedelta(days=3, minutes=1))
    return store.engine


RANDOM_COLUMNS = {"survey_answer": {"id", "respondent"}}


def _masked(rows: list[dict[str, Any]], table: str) -> list[str]:
    hidden = RANDOM_COLUMNS.get(table, set())
    return sorted(repr(sorted((k, "*" if k in hidden else v) for k, v in r.items())) for r in rows)


def test_a_database_reader_cannot_tell_which_of_two_colleagues_answered(
    two_stores: tuple[Store, Store],
) -> None:
    # Two worlds, identical but for who answered: eng000 in one, eng001 in the other. If every
    # table reads the same in both (bar keyed tokens and random ids), no query can tell them apart.
    first = dump(_world(two_stores[0], "UENG000"))
    second = dump(_world(two_stores[1], "UENG001"))
    assert first.keys() == second.keys()
    for table in first:
        assert _masked(first[table], table) == _masked(second[table], table), table


def test_joins_through_every_shared_column_leave_at_least_k_candidates(store: Store) -> None:
    clock = FixedClock(START)
    with store.unit_of_work() as session:
        members = company(session, {"eng": 4, "sales": 3, "hr": 2})
    run = open_survey(store, clock, ENPS_AND_COMMENT, threshold=K)
    truth = {"UHR000": "hr", "UENG000": "eng", "USALES000": "sales"}
    for who in truth:
        answer(store, clock, run, who, "9", f"{SECRET_COMMENT} ({who})")
    tables = dump(store.engine)
    invitees = {r["user_id"] for r in tables["survey_invitation"]}
    # Every column of every table that holds people's ids, whatever it is called.
    person_columns = [
        (table, column)
        for table, rows in tables.items()
        for column in (rows[0] if rows else {})
        if any(r[column] in invitees for r in rows)
    ]
    assert {("survey_invitation", "user_id"), ("delivery", "target")} <= set(person_columns)
    answers = [a for a in tables["survey_answer"] if a["text"]]
    for row in answers:
        candidates = set(invitees)
        for table, person_column in person_columns:
            for column in set(tables[table][0]) & set(row) - {"id"}:
                matched = {r[person_column] for r in tables[table] if r[column] == row[column]}
                if matched:  # a column that matches nothing tells nothing
                    candidates &= matched
        # The group an answer carries, read as a department id.
        group = row.get("group_id", row.get("department_id"))
        in_department = {
            r["person_id"] for r in tables["department_member"] if r["department_id"] == group
        }
        if in_department:
            candidates &= in_department
        who = next(w for w in truth if w in row["text"])
        assert who in candidates  # the joins are true: the answerer is among the candidates
        assert len(candidates) >= K, (row["text"], sorted(candidates))
    assert members["hr"]  # HR (2 people) was surveyed, and is still not a group of its own


def test_the_issue_join_of_answers_to_answered_invitations_finds_nobody(store: Store) -> None:
    clock = FixedClock(START)
    with store.unit_of_work() as session:
        company(session, {"eng": 4, "hr": 2})
    run = open_survey(store, clock, ENPS_AND_COMMENT, threshold=K)
    answer(store, clock, run, "UHR000", "2", SECRET_COMMENT)
    query = text(
        "SELECT i.user_id, a.value, a.text FROM survey_answer a JOIN survey_invitation i "
        "ON i.run_id = a.run_id AND i.department_id = a.department_id AND i.answered = :yes"
    )
    try:
        with store.engine.connect() as connection:
            found = connection.execute(query, {"yes": True}).all()
    except Exception:  # the columns the join needs are gone
        found = []
    assert found == []


def test_answers_lie_in_no_order_that_follows_answering(store: Store) -> None:
    clock = FixedClock(START)
    with store.unit_of_work() as session:
        people = company(session, {"eng": 60})["eng"]
    run = open_survey(store, clock, ENPS_AND_COMMENT, threshold=K)
    for position, person in enumerate(people):
        answer(store, clock, run, person, str(position % 11), f"note {position:02d}")
    advance(store, clock, timedelta(days=5, minutes=1))  # closed
    engine = store.engine

    def positions(texts: list[Any]) -> list[int]:
        return [int(t.removeprefix("note ")) for t in texts if t]

    orders = {"physical": positions(physical_order(engine, "survey_answer", "text"))}
    # Every key but the answer itself (ties are broken by the store, as a reader would get them).
    for column in ("id", "run_id", "question_id", "respondent", "group_id"):
        with engine.connect() as connection:
            rows = connection.execute(text(f"SELECT text FROM survey_answer ORDER BY {column}"))  # noqa: S608
            orders[column] = positions([r[0] for r in rows])
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            xmins = {r[0] for r in connection.execute(text("SELECT xmin::text FROM survey_answer"))}
        assert len(xmins) == 1, "answers still carry the transactions that wrote them"
    for key, order in orders.items():
        assert len(order) == 60
        # By chance, |rho| reaches 0.6 about once in 200,000 orders of 60; an order kept gives 1.
        assert abs(spearman(order)) < 0.6, (key, order)


def test_reminders_go_to_every_invitee_and_none_is_withdrawn_for_an_answer(store: Store) -> None:
    clock = FixedClock(START)
    with store.unit_of_work() as session:
        people = company(session, {"eng": 4})["eng"]
    run = open_survey(store, clock, ENPS_AND_COMMENT, threshold=K)
    answer(store, clock, run, people[0], "9", "")
    advance(store, clock, timedelta(days=2))
    deliveries = dump(store.engine)["delivery"]
    reminders = [d for d in deliveries if d["idempotency_key"].startswith("surveys:remind:")]
    assert {d["target"] for d in reminders} == {*people, AUTHOR}
    assert {d["state"] for d in reminders} == {"pending"}
    assert all("If you have answered already" in d["text"] for d in reminders)


def test_an_attributed_survey_reminds_only_those_who_have_not_answered(store: Store) -> None:
    clock = FixedClock(START)
    with store.unit_of_work() as session:
        people = company(session, {"eng": 4})["eng"]
    run = open_survey(store, clock, ENPS_AND_COMMENT, privacy="attributed")
    answer(store, clock, run, people[0], "9", "")
    advance(store, clock, timedelta(days=2))
    reminded = {
        d["target"]
        for d in dump(store.engine)["delivery"]
        if d["idempotency_key"].startswith("surveys:remind:")
    }
    assert reminded == {*people[1:], AUTHOR}  # it knows who answered: that is its point


def test_the_trend_across_runs_counts_out_the_viewer_too(store: Store) -> None:
    clock = FixedClock(START)
    with store.unit_of_work() as session:
        people = company(session, {"eng": 6})["eng"]
    first = open_survey(store, clock, "enps: Recommend us?", threshold=K)
    for who in people[:4]:
        answer(store, clock, first, who, "9")
    advance(store, clock, timedelta(days=5, minutes=1))
    with store.unit_of_work() as session:
        launched = launch_run(
            session=session, clock=clock, survey_id=first.survey_id, channel_members=None
        )
        assert isinstance(launched, Launched)
        second = launched.run
    for who in (AUTHOR, people[4], people[5]):  # the author and two others
        answer(store, clock, second, who, "0")
    advance(store, clock, timedelta(days=5, minutes=1))
    with store.unit_of_work(write=False) as session:
        closed = session.get(SurveyRun, second.id)
        assert closed is not None
        author = results_for(session=session, run=closed, viewer=AUTHOR, keys=KEYS)
        other = results_for(session=session, run=closed, viewer=people[0], keys=KEYS)
    assert author.suppressed
    assert [p.suppressed for p in author.trend] == [False, True]
    assert not other.suppressed
    assert [p.suppressed for p in other.trend] == [False, False]


# -- logs ------------------------------------------------------------------------------------------


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Commons' own logging set-up at DEBUG, written to a buffer."""
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    buffer = io.StringIO()
    configure_logging("DEBUG")
    root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
    yield buffer
    root.handlers[:] = saved
    root.setLevel(level)


def _commons_lines(buffer: io.StringIO) -> list[str]:
    """Lines Commons' process logged (not the sandbox standing in for Slack)."""
    pattern = re.compile(r"^\S+ \S+ \w+ (\S+): ")
    lines = []
    for line in buffer.getvalue().splitlines():
        match = pattern.match(line)
        name = match.group(1) if match else ""
        if not name.startswith(("sandbox", "waitress", "aiohttp")):
            lines.append(line)
    return lines


def test_no_log_line_carries_an_answer_a_comment_or_a_token_at_debug(
    database_url: str, tmp_path: Path, debug_log: io.StringIO
) -> None:
    with socket_harness(tmp_path, database_url) as harness:
        create(
            harness,
            "alice",
            surveys_template="custom",
            surveys_title="One",
            surveys_questions="enps: Recommend us?",
            surveys_threshold="3",
        )
        create(
            harness,
            "alice",
            surveys_template="custom",
            surveys_title="Two",
            surveys_questions=ENPS_AND_COMMENT,
            surveys_threshold="3",
        )
        harness.run_due()
        vote(harness, "bob", "One", "9")
        answer_in_modal(harness, "carol", "Two", "7", SECRET_COMMENT)
        answer_in_modal(harness, "dave", "Two", "3", "Null\x00byte here")
        harness.slash("alice", "/pulse", "results 2")
        harness.slash("alice", "/pulse", "close 2")
        harness.run_due()
        secret = respondent_secret(harness.services.settings.slack_signing_secret)
        tokens = {
            respondent_token(secret, run, who)
            for run in (1, 2)
            for who in ("U0BOB", "U0CAROL", "U0DAVE")
        }
    lines = _commons_lines(debug_log)
    assert lines  # DEBUG was on
    for line in lines:
        assert "interviewing" not in line, line
        assert "byte here" not in line, line
        # A click on a survey button names the person and, in its action id, the value.
        assert not ("block_actions" in line and "surveys.vote." in line), line
        assert not ("view_submission" in line and "surveys.answer" in line), line
        assert not any(token in line for token in tokens), line


def test_a_database_error_while_answering_tells_no_comment_and_no_token(store: Store) -> None:
    clock = FixedClock(START)
    with store.unit_of_work() as session:
        company(session, {"eng": 4})
    run = open_survey(store, clock, ENPS_AND_COMMENT, threshold=K)
    with store.engine.begin() as connection:  # the store refuses every new answer
        if store.engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE survey_answer ADD CHECK (text IS NULL)"))
        else:
            connection.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON survey_answer "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
    who, comment = "UENG000", SECRET_COMMENT
    with pytest.raises(Exception) as raised:  # noqa: PT011 - whatever it is, it must say nothing
        answer(store, clock, run, who, "9", comment)
    logged = "".join(traceback.format_exception(raised.value))  # what logger.exception writes
    assert "interviewing" not in logged
    assert respondent_token(SECRET, run.id or 0, who) not in logged
    assert who not in logged


# -- anything a person can type ---------------------------------------------------------------------


def _cleaned(typed: str) -> str | None:
    """What a comment is stored as: no NUL, no lone surrogate, trimmed (None when empty)."""
    kept = "".join(
        "\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in typed.replace("\x00", "")
    ).strip()
    return kept or None


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(typed=st.text(max_size=300))
@example(typed="\x00")
@example(typed="Secret\x00: NUL inside")
@example(typed="\ud800 lone surrogate")
@example(typed="x" * 2001)
@example(typed="<!channel> *bold* `code` \u202eevil\u202c 👋🏽 \r\n")
def test_any_comment_a_person_can_type_is_stored_cleanly_or_refused(
    store: Store, typed: str
) -> None:
    clock = FixedClock(START)
    with store.unit_of_work() as session:
        if session.get(Person, AUTHOR) is None:  # the first example of this store
            company(session, {"eng": 3})
    run = open_survey(store, clock, ENPS_AND_COMMENT, threshold=K)
    try:
        answer(store, clock, run, "UENG000", "5", typed)
    except (InvalidInput, FieldErrors):
        assert len(typed.strip()) > 2000
        return
    with store.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT text FROM survey_answer WHERE run_id = :r AND value IS NULL"),
            {"r": run.id},
        ).all()
    assert [r[0] for r in stored] == ([_cleaned(typed)] if _cleaned(typed) else [])


# -- (a) people in Slack ----------------------------------------------------------------------------


def _department_lines(shown: str) -> list[str]:
    prefixes = tuple(f"• {d}" for d in DEPARTMENTS)
    return [line for line in shown.splitlines() if line.startswith(prefixes)]


def _answer_counts(exported: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in csv.DictReader(io.StringIO(exported)):
        if row["metric"] == "answers" and row["question"]:
            counts[row["group"]] = counts.get(row["group"], 0) + int(row["value"])
    return counts


def _check_groups(shown: str, exported: str) -> None:
    """No group under K named or counted; the total minus the shown groups is 0 or K+."""
    rows = list(csv.DictReader(io.StringIO(exported)))
    named = {r["group"] for r in rows} - {"All", "Not shown"}
    counts = _answer_counts(exported)
    for group in named:
        figures = [r for r in rows if r["group"] == group and r["respondents"]]
        assert figures, (group, rows)
        assert all(int(r["respondents"]) >= K for r in figures), (group, rows)
    for line in _department_lines(shown):
        assert "hidden" not in line, line
    if "All" in counts:
        rest = counts["All"] - sum(v for g, v in counts.items() if g != "All")
        assert rest == 0 or rest >= K, (counts, exported)


VOTERS = ("bob", "carol", "dave", "frank", "erin")  # IT, HR, Finance, Engineering, Facilities


def test_results_csv_and_charts_name_no_group_under_the_threshold_at_any_count(
    slack: Harness,
) -> None:
    for count in range(1, K + 2):
        title = f"Count {count}"
        create(
            slack,
            "alice",
            surveys_template="custom",
            surveys_title=title,
            surveys_questions="enps: Recommend us?",
            surveys_threshold=str(K),
        )
        slack.run_due()
        for who in VOTERS[:count]:
            vote(slack, who, title, "10" if who == "bob" else "5")
        slack.slash("alice", "/pulse", f"close {count}")
        slack.run_due()
        shown = results_text(slack, "alice", count)
        exported = exported_csv(slack, "alice", count)
        _check_groups(shown, exported)
        for department in DEPARTMENTS:  # one answer each: no department reaches K
            assert f"• {department}" not in shown
            assert f",{department}," not in exported
        if count < K:
            assert "eNPS" not in shown
            assert "eNPS" not in exported
    charts = [f.name for f in slack.slack.workspace.files.values() if f.name.endswith(".png")]
    assert not any(name.startswith(("survey-1-", "survey-2-")) for name in charts)


def test_the_total_minus_the_shown_departments_never_isolates_a_small_group(
    slack: Harness,
) -> None:
    create(
        slack,
        "alice",
        surveys_template="custom",
        surveys_title="Diff",
        surveys_questions="enps: Recommend us?",
        surveys_threshold=str(K),
    )
    slack.run_due()
    for who in ("frank", "grace", "ivan", "nina", "uma"):  # all of Engineering
        vote(slack, who, "Diff", "9")
    vote(slack, "bob", "Diff", "0")  # alone in IT
    slack.slash("alice", "/pulse", "close 1")
    slack.run_due()
    _check_groups(results_text(slack, "alice", 1), exported_csv(slack, "alice", 1))


def test_a_viewer_own_answer_does_not_count_toward_the_threshold(slack: Harness) -> None:
    create(
        slack,
        "alice",
        surveys_template="custom",
        surveys_title="Own",
        surveys_questions="enps: Recommend us?",
        surveys_threshold=str(K),
    )
    slack.run_due()
    for who, score in (("alice", "5"), ("bob", "10"), ("dave", "0")):
        vote(slack, who, "Own", score)
    slack.slash("alice", "/pulse", "close 1")
    slack.run_due()
    # Alice answered: the other two are fewer than K, so she learns nothing of theirs.
    assert "eNPS" not in results_text(slack, "alice", 1)
    assert "eNPS" not in exported_csv(slack, "alice", 1)
    # Peggy (HR) did not answer: three others, so she sees the figures.
    assert "eNPS" in results_text(slack, "peggy", 1)


def _figures(shown: str) -> list[str]:
    """The lines under the question: what the answers add up to (not counts or times)."""
    lines = shown.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("• Recommend us?")), None)
    return [] if start is None else lines[start : start + 2]


@pytest.mark.parametrize("privacy", ["anonymous", "strong"])
def test_results_of_an_open_run_move_only_in_steps_of_more_than_k(
    slack: Harness, privacy: str
) -> None:
    create(
        slack,
        "alice",
        surveys_template="custom",
        surveys_title="Steps",
        surveys_questions="enps: Recommend us?",
        surveys_threshold=str(K),
        surveys_privacy=privacy,
    )
    slack.run_due()
    voters = ("bob", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "ken")
    seen: list[tuple[int, list[str]]] = [(0, [])]
    for count, who in enumerate(voters, start=1):
        vote(slack, who, "Steps", str(count % 11))
        figures = _figures(results_text(slack, "alice", 1))
        if figures != seen[-1][1]:
            assert count - seen[-1][0] >= K + 1, (count, seen, figures)
            assert privacy != "strong", "strong protection shows results only at the close"
            seen.append((count, figures))
    slack.slash("alice", "/pulse", "close 1")
    final = _figures(results_text(slack, "alice", 1))
    assert final  # the results, at the close
    if final != seen[-1][1]:
        assert len(voters) - seen[-1][0] >= K + 1, (seen, final)


def test_an_attributed_survey_shows_names_beside_answers(slack: Harness) -> None:
    create(
        slack,
        "alice",
        surveys_template="custom",
        surveys_title="Named",
        surveys_questions="enps: Recommend us?",
        surveys_privacy="attributed",
    )
    slack.run_due()
    invitation_blocks = str(slack.dms("bob")[-1].blocks)
    assert "names beside" in invitation_blocks or "name beside" in invitation_blocks
    vote(slack, "bob", "Named", "9")
    vote(slack, "dave", "Named", "2")
    shown = results_text(slack, "alice", 1)
    assert "<@U0BOB>: 9" in shown
    assert "<@U0DAVE>: 2" in shown
    rows = list(csv.DictReader(io.StringIO(exported_csv(slack, "alice", 1))))
    assert {(r["group"], r["value"]) for r in rows if r["metric"] == "answer"} >= {
        ("bob", "9"),
        ("dave", "2"),
    }


def test_answering_through_slack_leaves_no_record_that_names_the_answerer(slack: Harness) -> None:
    create(
        slack,
        "alice",
        surveys_template="custom",
        surveys_title="Trace",
        surveys_questions=ENPS_AND_COMMENT,
        surveys_threshold=str(K),
    )
    slack.run_due()
    before = dump(slack.store.engine)
    answer_in_modal(slack, "bob", "Trace", "8", SECRET_COMMENT)
    after = dump(slack.store.engine)
    for table, rows in after.items():
        new = [r for r in rows if r not in before.get(table, [])]
        if table == "survey_answer":
            assert len(new) == 2
            continue
        assert table == "inbound_event" or not new, (table, new)
        for row in new:
            assert not any("U0BOB" in str(v) or "interviewing" in str(v) for v in row.values())


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="TEST_DATABASE_URL is not set")
def test_a_nul_byte_in_a_comment_is_stored_without_it_on_postgresql(harness_pg: Harness) -> None:
    create(
        harness_pg,
        "alice",
        surveys_template="custom",
        surveys_title="Nul",
        surveys_questions=ENPS_AND_COMMENT,
    )
    harness_pg.run_due()
    ack = answer_in_modal(harness_pg, "bob", "Nul", "8", "before\x00after")
    assert ack.status == 200
    assert "reference" not in str(ack.body)
    with harness_pg.store.engine.connect() as connection:
        texts = [r[0] for r in connection.execute(text("SELECT text FROM survey_answer"))]
    assert "beforeafter" in texts
