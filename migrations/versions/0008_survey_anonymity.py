"""Survey anonymity against every observer (issue 12): no "answered" state, random answer keys,
groups of at least the threshold, snapshots of open runs' figures.

- survey_invitation loses `answered` (and its index) and `department_id`; it gains `group_id`,
  the group its answers carry (surveys/groups.py: a department of at least the threshold, or
  the pooled smaller ones, or none).
- survey_answer is rebuilt: a random 63-bit id that is also the physical key (SQLite's rowid),
  rows written in random order, and `group_id` instead of `department_id`, so that answers of a
  department smaller than the threshold no longer say so.
- Reminder deliveries are deleted: those withdrawn for people who had answered (and, by their
  absence, the ones that went) said who answered. A reminder still pending is lost; later ones
  go to everyone.
- survey gains `results_while_open` ("close" for surveys with strong protection), and the table
  survey_snapshot holds the figures an open run last released.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import random
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ANSWER_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_OTHER_DEPARTMENTS = 0


def answer_groups(departments: Mapping[str, int | None], threshold: int) -> dict[str, int | None]:
    """surveys/groups.py's rule as it was written for this revision (kept here, frozen)."""
    sizes = Counter(departments.values())
    own = {d for d, n in sizes.items() if d is not None and n >= threshold}
    pooled = sum(n for d, n in sizes.items() if d not in own)
    while 0 < pooled < threshold and own:
        smallest = min(own, key=lambda d: (sizes[d], d))
        own.remove(smallest)
        pooled += sizes[smallest]
    if len(own) + (1 if pooled else 0) < 2:
        return dict.fromkeys(departments)
    return {p: d if d in own else _OTHER_DEPARTMENTS for p, d in departments.items()}


def _create_answers(group_column: str, id_type: Any) -> None:
    if group_column == "group_id":
        # The results' GROUP BY queries are answered by these indexes alone.
        unique = ("run_id", "respondent", "question_id")
        indexes = {
            "ix_survey_answer_run_question": ["run_id", "question_id", "group_id", "value"],
            "ix_survey_answer_run_group": ["run_id", "group_id", "respondent"],
        }
    else:
        unique = ("run_id", "question_id", "respondent")
        indexes = {"ix_survey_answer_run_question": ["run_id", "question_id", "department_id"]}
    op.create_table(
        "survey_answer",
        sa.Column("id", id_type, nullable=False, autoincrement=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("respondent", sa.String(length=64), nullable=False),
        sa.Column(group_column, sa.Integer(), nullable=True),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("sentiment", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["question_id"], ["survey_question.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["survey_run.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(*unique, name="uq_survey_answer_once"),
    )
    for name, columns in indexes.items():
        op.create_index(name, "survey_answer", columns)
    if group_column == "group_id":
        op.create_index(
            "ix_survey_answer_comments",
            "survey_answer",
            ["run_id", "sentiment"],
            sqlite_where=sa.text("text IS NOT NULL"),
            postgresql_where=sa.text("text IS NOT NULL"),
        )


def _answers(group_column: str) -> Any:
    """The answer table's columns, for reading and writing rows."""
    return sa.table(
        "survey_answer",
        *(
            sa.column(name)
            for name in (
                *("id", "run_id", "question_id", "respondent", group_column),
                *("value", "text", "sentiment"),
            )
        ),
    )


def _groups_by_run(connection: sa.Connection) -> dict[int, dict[int | None, int | None]]:
    """For each run, each old department id's group, by the rule of surveys/groups.py."""
    rows = connection.execute(
        sa.text(
            "SELECT i.run_id, i.user_id, i.department_id, s.threshold FROM survey_invitation i "
            "JOIN survey_run r ON r.id = i.run_id JOIN survey s ON s.id = r.survey_id"
        )
    ).all()
    people: dict[int, dict[str, int | None]] = {}
    thresholds: dict[int, int] = {}
    for run_id, user_id, department_id, threshold in rows:
        people.setdefault(run_id, {})[user_id] = department_id
        thresholds[run_id] = threshold
    mapping: dict[int, dict[int | None, int | None]] = {}
    for run_id, departments in people.items():
        groups = answer_groups(departments, thresholds[run_id])
        mapping[run_id] = {departments[p]: groups[p] for p in departments}
    return mapping


def _rebuild_answers(
    connection: sa.Connection, groups: dict[int, dict[int | None, int | None]]
) -> None:
    rows = [dict(r._mapping) for r in connection.execute(sa.select(_answers("department_id")))]
    op.drop_table("survey_answer")  # its index and constraint go with it
    _create_answers("group_id", _ANSWER_ID)
    # New random ids, written in a random order: neither the file nor the keys keep the old one.
    random.SystemRandom().shuffle(rows)
    moved = []
    for row in rows:
        department = row.pop("department_id")
        row["group_id"] = groups.get(row["run_id"], {}).get(department)
        row["id"] = secrets.randbits(63)
        moved.append(row)
    for start in range(0, len(moved), 1000):
        connection.execute(sa.insert(_answers("group_id")), moved[start : start + 1000])


def upgrade() -> None:
    connection = op.get_bind()
    groups = _groups_by_run(connection)
    with op.batch_alter_table("survey", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "results_while_open", sa.String(length=8), nullable=False, server_default="steps"
            )
        )
    connection.execute(
        sa.text("UPDATE survey SET results_while_open = 'close' WHERE strong_protection = :yes"),
        {"yes": True},
    )
    with op.batch_alter_table("survey_invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
    invitation = sa.table(
        "survey_invitation",
        sa.column("run_id", sa.Integer()),
        sa.column("department_id", sa.Integer()),
        sa.column("group_id", sa.Integer()),
    )
    for run_id, mapping in groups.items():
        for department, group in mapping.items():
            if group is None:
                continue
            where = invitation.c.run_id == run_id
            where &= (
                invitation.c.department_id.is_(None)
                if department is None
                else invitation.c.department_id == department
            )
            connection.execute(sa.update(invitation).where(where).values(group_id=group))
    with op.batch_alter_table("survey_invitation", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_invitation_pending")
        batch_op.drop_column("answered")
        batch_op.drop_column("department_id")
    _rebuild_answers(connection, groups)
    connection.execute(
        sa.text("DELETE FROM delivery WHERE idempotency_key LIKE 'surveys:remind:%'")
    )
    op.create_table(
        "survey_snapshot",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["survey_run.id"]),
        sa.PrimaryKeyConstraint("run_id"),
    )


def downgrade() -> None:
    """The old schema back; who answered is not (Commons no longer knows it)."""
    connection = op.get_bind()
    op.drop_table("survey_snapshot")
    rows = [dict(r._mapping) for r in connection.execute(sa.select(_answers("group_id")))]
    op.drop_table("survey_answer")
    _create_answers("department_id", sa.String(length=32))
    for row in rows:
        group = row.pop("group_id")
        row["department_id"] = group or None
        row["id"] = secrets.token_hex(16)
    if rows:
        connection.execute(sa.insert(_answers("department_id")), rows)
    with op.batch_alter_table("survey_invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("answered", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    connection.execute(sa.text("UPDATE survey_invitation SET department_id = NULLIF(group_id, 0)"))
    with op.batch_alter_table("survey_invitation", schema=None) as batch_op:
        batch_op.drop_column("group_id")
        batch_op.create_index("ix_survey_invitation_pending", ["run_id", "answered"], unique=False)
    # Not a batch: SQLite would rebuild `survey`, which its questions and runs refer to.
    op.execute(sa.text("ALTER TABLE survey DROP COLUMN results_while_open"))
