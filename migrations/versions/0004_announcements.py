"""Announcements and town halls: drafts, posts, acknowledgements, templates, config, questions, votes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "announcement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("channels", sa.Text(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("must_read", sa.Boolean(), nullable=False),
        sa.Column("remind_after_days", sa.Integer(), nullable=False),
        sa.Column("max_reminders", sa.Integer(), nullable=False),
        sa.Column("when", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rule", sa.Text(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("may_notify_everyone", sa.Boolean(), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("reviewer_id", sa.String(length=32), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("save_template_as", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("announcement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_announcement_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_announcement_state"), ["state"], unique=False)

    op.create_table(
        "announcement_config",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "announcement_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "townhall",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=500), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("channels", sa.Text(), nullable=False),
        sa.Column("reminders", sa.String(length=255), nullable=False),
        sa.Column("may_notify_everyone", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("followups", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("townhall", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_townhall_host_id"), ["host_id"], unique=False)

    op.create_table(
        "announcement_post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audience_count", sa.Integer(), nullable=False),
        sa.Column("ack_count", sa.Integer(), nullable=False),
        sa.Column("shown_count", sa.Integer(), nullable=False),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcement.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("announcement_id", "occurrence_at", name="uq_announcement_post"),
    )
    with op.batch_alter_table("announcement_post", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_announcement_post_announcement_id"), ["announcement_id"], unique=False
        )

    op.create_table(
        "townhall_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("townhall_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["townhall_id"],
            ["townhall.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("townhall_question", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_townhall_question_townhall_id"), ["townhall_id"], unique=False
        )

    op.create_table(
        "announcement_ack",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["announcement_post.id"],
        ),
        sa.PrimaryKeyConstraint("post_id", "user_id"),
    )
    op.create_table(
        "townhall_upvote",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["townhall_question.id"],
        ),
        sa.PrimaryKeyConstraint("question_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("townhall_upvote")
    op.drop_table("announcement_ack")
    with op.batch_alter_table("townhall_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_townhall_question_townhall_id"))

    op.drop_table("townhall_question")
    with op.batch_alter_table("announcement_post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_announcement_post_announcement_id"))

    op.drop_table("announcement_post")
    with op.batch_alter_table("townhall", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_townhall_host_id"))

    op.drop_table("townhall")
    op.drop_table("announcement_template")
    op.drop_table("announcement_config")
    with op.batch_alter_table("announcement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_announcement_state"))
        batch_op.drop_index(batch_op.f("ix_announcement_author_id"))

    op.drop_table("announcement")
