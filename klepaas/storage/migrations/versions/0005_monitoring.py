"""monitoring: alert messages (group -> Slack message) and silences

Revision ID: 0005_monitoring
Revises: 0004_side_server
Create Date: 2025-01-05 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_monitoring"
down_revision: str | None = "0004_side_server"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_message",
        sa.Column("key", sa.String(length=300), primary_key=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("posted_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_alert_message_updated_at", "alert_message", ["updated_at"])
    op.create_table(
        "alert_silence",
        sa.Column("key", sa.String(length=300), primary_key=True),
        sa.Column("until", sa.Float(), nullable=False),
        sa.Column("silenced_by", sa.String(length=128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("alert_silence")
    op.drop_table("alert_message")
