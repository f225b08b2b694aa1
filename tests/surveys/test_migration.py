"""Revision 0008 on data written by the first design: who answered is forgotten, answers get
random keys in a random order and lose the department of groups under the threshold."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from bot.store import alembic_config, make_engine, upgrade
from tests.surveys.attackers import physical_order, spearman

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@pytest.fixture
def old_engine(database_url: str) -> Iterator[Engine]:
    """A store at the surveys' revision before 0008 (every other feature at its head)."""
    engine = make_engine(database_url)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0007")
    yield engine
    engine.dispose()


def _old_data(engine: Engine) -> None:
    """A run of 12 people: eng (6), sales (4), hr (2); eng000 and hr000 answered, in order,
    and hr000's reminder was withdrawn as "answered"."""
    people = [(f"UENG{i:03d}", 1) for i in range(6)] + [(f"USALES{i:03d}", 2) for i in range(4)]
    people += [("UHR000", 3), ("UHR001", 3)]
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO survey (id, title, author_id, template, audience_kind, audience_refs,"
                " anonymous, threshold, strong_protection, window_days, weekdays_only, reminders,"
                " timezone, state, created_at) VALUES (1, 'Pulse', 'UADMIN', 'custom', 'everyone',"
                " '', :yes, 3, :yes, 5, :yes, '3', 'UTC', 'active', :now)"
            ),
            {"yes": True, "now": NOW},
        )
        c.execute(
            text(
                "INSERT INTO survey_question (id, survey_id, position, kind, text, options, "
                "required) VALUES (1, 1, 0, 'comment', 'Anything?', '', :no)"
            ),
            {"no": False},
        )
        c.execute(
            text(
                "INSERT INTO survey_run (id, survey_id, number, opened_at, closes_at, invited, "
                "state) VALUES (1, 1, 1, :now, :now, 12, 'open')"
            ),
            {"now": NOW},
        )
        for user, department in people:
            c.execute(
                text(
                    "INSERT INTO survey_invitation (run_id, user_id, department_id, invited_at, "
                    "answered) VALUES (1, :u, :d, :now, :a)"
                ),
                {"u": user, "d": department, "now": NOW, "a": user in ("UENG000", "UHR000")},
            )
        for n in range(40):  # answers in the order written, their comments saying which
            department = 3 if n == 0 else 1
            c.execute(
                text(
                    "INSERT INTO survey_answer (id, run_id, question_id, respondent, "
                    "department_id, text) VALUES (:id, 1, 1, :r, :d, :t)"
                ),
                {"id": f"{n:032x}", "r": f"token{n:02d}", "d": department, "t": f"note {n:02d}"},
            )
        c.execute(
            text(
                "INSERT INTO campaign (id, kind, title, created_at) VALUES ('surveys:run:1', 'survey', 'Pulse', :now)"
            ),
            {"now": NOW},
        )
        c.execute(
            text(
                "INSERT INTO delivery (idempotency_key, campaign_id, target, text, state, "
                "not_before, attempts, in_doubt, created_at, error) VALUES "
                "('surveys:remind:1:172800:UHR000', 'surveys:run:1', 'UHR000', 'Reminder', "
                "'cancelled', :now, 0, :no, :now, 'answered')"
            ),
            {"now": NOW, "no": False},
        )


def test_the_upgrade_forgets_who_answered_and_how_answers_were_ordered(old_engine: Engine) -> None:
    _old_data(old_engine)
    upgrade(old_engine)
    columns = {c["name"] for c in inspect(old_engine).get_columns("survey_invitation")}
    assert columns == {"id", "run_id", "user_id", "group_id", "invited_at"}
    with old_engine.connect() as c:
        rows = c.execute(text("SELECT user_id, group_id FROM survey_invitation")).all()
        groups: dict[str, int | None] = {user: group for user, group in rows}
        answers = c.execute(text("SELECT id, group_id, text FROM survey_answer")).all()
        reminders = c.execute(
            text("SELECT count(*) FROM delivery WHERE idempotency_key LIKE 'surveys:remind:%'")
        ).scalar_one()
        mode = c.execute(text("SELECT results_while_open FROM survey")).scalar_one()
    # Eng (6) and sales (4) reach the threshold (3); HR (2) is pooled, and the pool then takes
    # the smallest department (sales) with it.
    assert {groups["UENG000"], groups["USALES000"], groups["UHR000"]} == {1, 0}
    assert groups["USALES000"] == groups["UHR000"] == 0
    assert {g for _, g, t in answers if t == "note 00"} == {0}  # HR's answer no longer says HR
    assert all(isinstance(i, int) for i, _, _ in answers)
    assert len(answers) == 40
    assert reminders == 0
    assert mode == "close"  # strong protection: results only at the close
    order = [
        int(t.removeprefix("note ")) for t in physical_order(old_engine, "survey_answer", "text")
    ]
    assert abs(spearman(order)) < 0.7, order  # chance: about once in 100,000; kept order: 1


def test_a_store_upgraded_from_the_first_design_downgrades_back(old_engine: Engine) -> None:
    _old_data(old_engine)
    upgrade(old_engine)
    config = alembic_config(old_engine.url.render_as_string(hide_password=False))
    with old_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    columns = {c["name"] for c in inspect(old_engine).get_columns("survey_invitation")}
    assert {"answered", "department_id"} <= columns
    with old_engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM survey_answer")).scalar_one() == 40
