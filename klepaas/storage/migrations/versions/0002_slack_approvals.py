"""slack approvals and seen deliveries

Revision ID: 0002_slack
Revises: 0001
Create Date: 2025-01-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_slack"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "approval",
        sa.Column("id", sa.String(length=32), primary_key=True),
        sa.Column("command", sa.String(length=64), nullable=False),
        sa.Column("arguments", sa.String(), nullable=False),
        sa.Column("plan_text", sa.String(length=500), nullable=False),
        sa.Column("preview", sa.Text(), nullable=True),
        sa.Column("risk", sa.String(length=16), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=True),
        sa.Column("cluster", sa.String(length=253), nullable=True),
        sa.Column("requester", sa.String(length=128), nullable=False),
        sa.Column("workspace", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("self_approve", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(length=500), nullable=True),
    )
    op.create_index("ix_approval_status", "approval", ["status"])
    op.create_index("ix_approval_expires_at", "approval", ["expires_at"])

    op.create_table(
        "delivery_seen",
        sa.Column("key", sa.String(length=200), primary_key=True),
        sa.Column("seen_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_delivery_seen_seen_at", "delivery_seen", ["seen_at"])


def downgrade() -> None:
    op.drop_table("delivery_seen")
    op.drop_table("approval")
