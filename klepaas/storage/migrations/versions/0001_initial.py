"""initial: audit_record and command_history

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_record",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor_id", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("text", sa.String(length=2000), nullable=True),
        sa.Column("command", sa.String(length=64), nullable=True),
        sa.Column("arguments", sa.String(), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=True),
        sa.Column("cluster", sa.String(length=253), nullable=True),
        sa.Column("plan_source", sa.String(length=32), nullable=True),
        sa.Column("decision", sa.String(length=32), nullable=True),
        sa.Column("rule", sa.String(length=128), nullable=True),
        sa.Column("approver", sa.String(length=128), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=2000), nullable=True),
    )
    op.create_index("ix_audit_record_started_at", "audit_record", ["started_at"])
    op.create_index("ix_audit_record_actor_id", "audit_record", ["actor_id"])
    op.create_index("ix_audit_record_command", "audit_record", ["command"])
    op.create_index("ix_audit_record_outcome", "audit_record", ["outcome"])

    op.create_table(
        "command_history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "audit_id",
            sa.Integer(),
            sa.ForeignKey("audit_record.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("actor_id", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("command", sa.String(length=64), nullable=False),
        sa.Column("arguments", sa.String(), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=True),
        sa.Column("cluster", sa.String(length=253), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=False),
    )
    op.create_index("ix_command_history_ran_at", "command_history", ["ran_at"])
    op.create_index("ix_command_history_actor_id", "command_history", ["actor_id"])
    op.create_index("ix_command_history_channel", "command_history", ["channel"])


def downgrade() -> None:
    op.drop_table("command_history")
    op.drop_table("audit_record")
