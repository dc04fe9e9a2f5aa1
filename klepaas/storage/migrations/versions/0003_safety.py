"""safety: run-time grants and bindings, deployment history, approval guards, secrets, audit runner

Revision ID: 0003_safety
Revises: 0002_slack
Create Date: 2025-01-03 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_safety"
down_revision: str | None = "0002_slack"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "role_grant",
        sa.Column("user_id", sa.String(length=128), primary_key=True),
        sa.Column("workspace", sa.String(length=64), nullable=True),
        sa.Column("roles", sa.String(), nullable=False),
        sa.Column("granted_by", sa.String(length=128), nullable=False),
        sa.Column("granted_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "channel_bind",
        sa.Column("channel", sa.String(length=64), primary_key=True),
        sa.Column("cluster", sa.String(length=253), nullable=True),
        sa.Column("namespaces", sa.String(), nullable=False),
        sa.Column("bound_by", sa.String(length=128), nullable=False),
        sa.Column("bound_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "deployment_record",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("app", sa.String(length=253), nullable=False),
        sa.Column("namespace", sa.String(length=253), nullable=False),
        sa.Column("cluster", sa.String(length=253), nullable=True),
        sa.Column("command", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("image_before", sa.String(length=1000), nullable=True),
        sa.Column("image_after", sa.String(length=1000), nullable=True),
        sa.Column("commit", sa.String(length=64), nullable=True),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=128), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=False),
    )
    op.create_index("ix_deployment_record_at", "deployment_record", ["at"])
    op.create_index("ix_deployment_record_app", "deployment_record", ["app"])
    op.create_index("ix_deployment_record_commit", "deployment_record", ["commit"])
    op.create_table(
        "approval_guard",
        sa.Column("approval_id", sa.String(length=32), primary_key=True),
        sa.Column("rule", sa.String(length=128), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
    )
    op.create_table(
        "stored_secret",
        sa.Column("name", sa.String(length=200), primary_key=True),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    with op.batch_alter_table("audit_record") as batch:
        batch.add_column(sa.Column("runner", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_record") as batch:
        batch.drop_column("runner")
    op.drop_table("stored_secret")
    op.drop_table("approval_guard")
    op.drop_table("deployment_record")
    op.drop_table("channel_bind")
    op.drop_table("role_grant")
