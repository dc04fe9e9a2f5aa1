"""side server: projects, webhook deliveries, API tokens, Slack installations, OAuth state, identity links

Revision ID: 0004_side_server
Revises: 0003_safety
Create Date: 2025-01-04 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_side_server"
down_revision: str | None = "0003_safety"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "project",
        sa.Column("repo", sa.String(length=200), primary_key=True),
        sa.Column("cluster", sa.String(length=253), nullable=True),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("production_namespace", sa.String(length=253), nullable=True),
        sa.Column("deployment", sa.String(length=253), nullable=False),
        sa.Column("container", sa.String(length=63), nullable=True),
        sa.Column("image_template", sa.String(length=500), nullable=False),
        sa.Column("channel", sa.String(length=80), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("workflow", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("delivery_id", sa.String(length=100), primary_key=True),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("repo", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("received_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_webhook_delivery_received_at", "webhook_delivery", ["received_at"])
    op.create_table(
        "api_token",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("scopes", sa.String(length=500), nullable=False),
        sa.Column("channel", sa.String(length=80), nullable=True),
        sa.Column("workspace", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("revoked_at", sa.Float(), nullable=True),
    )
    op.create_table(
        "slack_installation",
        sa.Column("team_id", sa.String(length=64), primary_key=True),
        sa.Column("enterprise_id", sa.String(length=64), nullable=True),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("installed_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "oauth_state",
        sa.Column("state", sa.String(length=64), primary_key=True),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=True),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "identity_link",
        sa.Column("slack_user", sa.String(length=128), primary_key=True),
        sa.Column("provider", sa.String(length=16), primary_key=True),
        sa.Column("login", sa.String(length=200), nullable=False),
        sa.Column("linked_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "identity_link",
        "oauth_state",
        "slack_installation",
        "api_token",
        "webhook_delivery",
        "project",
    ):
        op.drop_table(table)
