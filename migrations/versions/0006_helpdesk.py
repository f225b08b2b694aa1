"""Help desks: desks (aliases, holidays, SLA targets, categories), requests, SLA alerts and ratings.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "helpdesk_desk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("usergroup_id", sa.String(length=32), nullable=False),
        sa.Column("lead_user_id", sa.String(length=32), nullable=True),
        sa.Column("escalation_channel_id", sa.String(length=32), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("work_days", sa.String(length=32), nullable=False),
        sa.Column("day_start", sa.String(length=5), nullable=False),
        sa.Column("day_end", sa.String(length=5), nullable=False),
        sa.Column("reaction", sa.String(length=64), nullable=False),
        sa.Column("close_after_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "helpdesk_alias",
        sa.Column("alias", sa.String(length=32), nullable=False),
        sa.Column("desk_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["desk_id"],
            ["helpdesk_desk.id"],
        ),
        sa.PrimaryKeyConstraint("alias"),
    )
    with op.batch_alter_table("helpdesk_alias", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_helpdesk_alias_desk_id"), ["desk_id"], unique=False)

    op.create_table(
        "helpdesk_category",
        sa.Column("desk_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["desk_id"],
            ["helpdesk_desk.id"],
        ),
        sa.PrimaryKeyConstraint("desk_id", "name"),
    )
    op.create_table(
        "helpdesk_holiday",
        sa.Column("desk_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["desk_id"],
            ["helpdesk_desk.id"],
        ),
        sa.PrimaryKeyConstraint("desk_id", "day"),
    )
    op.create_table(
        "helpdesk_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("desk_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.String(length=32), nullable=False),
        sa.Column("opened_by", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.String(length=150), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_channel", sa.String(length=32), nullable=True),
        sa.Column("source_ts", sa.String(length=32), nullable=True),
        sa.Column("source_link", sa.String(length=512), nullable=True),
        sa.Column("parent_key", sa.String(length=255), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("parent_ts", sa.String(length=32), nullable=True),
        sa.Column("permalink", sa.String(length=512), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rendered_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_seconds", sa.Float(), nullable=False),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["desk_id"],
            ["helpdesk_desk.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_channel", "source_ts", name="uq_helpdesk_request_source"),
    )
    with op.batch_alter_table("helpdesk_request", schema=None) as batch_op:
        batch_op.create_index(
            "ix_helpdesk_request_desk_status", ["desk_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_helpdesk_request_parent", ["channel_id", "parent_ts"], unique=False
        )
        batch_op.create_index(
            "ix_helpdesk_request_requester_status", ["requester_id", "status"], unique=False
        )

    op.create_table(
        "helpdesk_sla",
        sa.Column("desk_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("first_response_minutes", sa.Integer(), nullable=False),
        sa.Column("resolution_minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["desk_id"],
            ["helpdesk_desk.id"],
        ),
        sa.PrimaryKeyConstraint("desk_id", "priority"),
    )
    op.create_table(
        "helpdesk_rating",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["helpdesk_request.id"],
        ),
        sa.PrimaryKeyConstraint("request_id"),
    )
    op.create_table(
        "helpdesk_sla_alert",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["helpdesk_request.id"],
        ),
        sa.PrimaryKeyConstraint("request_id", "target", "level"),
    )


def downgrade() -> None:
    op.drop_table("helpdesk_sla_alert")
    op.drop_table("helpdesk_rating")
    op.drop_table("helpdesk_sla")
    with op.batch_alter_table("helpdesk_request", schema=None) as batch_op:
        batch_op.drop_index("ix_helpdesk_request_requester_status")
        batch_op.drop_index("ix_helpdesk_request_parent")
        batch_op.drop_index("ix_helpdesk_request_desk_status")

    op.drop_table("helpdesk_request")
    op.drop_table("helpdesk_holiday")
    op.drop_table("helpdesk_category")
    with op.batch_alter_table("helpdesk_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_helpdesk_alias_desk_id"))

    op.drop_table("helpdesk_alias")
    op.drop_table("helpdesk_desk")
