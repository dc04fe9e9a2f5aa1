"""conversations: the last plan of each Slack thread or console session, for follow-ups

Revision ID: 0006_conversations
Revises: 0005_monitoring
Create Date: 2025-01-06 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_conversations"
down_revision: str | None = "0005_monitoring"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversation",
        sa.Column("key", sa.String(length=300), primary_key=True),
        sa.Column("plan", sa.String(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_conversation_expires_at", "conversation", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_conversation_expires_at", table_name="conversation")
    op.drop_table("conversation")
