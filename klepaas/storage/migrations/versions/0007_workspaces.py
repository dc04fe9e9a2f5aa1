"""project.workspace and alert_message.namespace

- project.workspace: the Slack workspace of a project's channel, so its deploy threads are posted
  with that workspace's token (multi-workspace installs);
- alert_message.namespace: the alert group's namespace, so `silence_alert <group-key>` is checked
  against the group's own namespace.

Revision ID: 0007_workspaces
Revises: 0006_conversations
Create Date: 2025-01-07 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_workspaces"
down_revision: str | None = "0006_conversations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("workspace", sa.String(length=64), nullable=True))
    with op.batch_alter_table("alert_message") as batch:
        batch.add_column(sa.Column("namespace", sa.String(length=253), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert_message") as batch:
        batch.drop_column("namespace")
    with op.batch_alter_table("project") as batch:
        batch.drop_column("workspace")
