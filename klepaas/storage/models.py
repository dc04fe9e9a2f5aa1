"""The tables. Only `klepaas.storage` knows they are sqlmodel classes; callers get plain entries."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, ForeignKey, Integer
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def current_runner() -> str:
    """This process, as `host:pid`: an attempt's row names the process running it, so the next
    start on this host can tell a row whose process is gone (killed) from one still running."""
    return f"{socket.gethostname()[:180]}:{os.getpid()}"


class AuditOutcome(StrEnum):
    PENDING = "pending"  # written before execution; still running (or the process died)
    SUCCESS = "success"
    FAILURE = "failure"  # ran (or tried to) and failed
    REFUSED = "refused"  # policy denied it, or the planner could not make a plan
    CANCELLED = "cancelled"  # an approver said no
    INTERRUPTED = "interrupted"  # found pending at start-up: the process stopped mid-way


class AuditRecord(SQLModel, table=True):
    """Every attempt, including refusals and failures: written before execution, completed after."""

    __tablename__ = "audit_record"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    actor_id: str = Field(max_length=128, index=True)
    source: str = Field(max_length=32)
    workspace: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=64)
    text: str | None = Field(default=None, max_length=2000)  # what the person typed, cut at 2000
    command: str | None = Field(default=None, max_length=64, index=True)
    arguments: str = Field(default="{}")  # JSON object
    namespace: str | None = Field(default=None, max_length=253)
    cluster: str | None = Field(default=None, max_length=253)
    plan_source: str | None = Field(default=None, max_length=32)
    decision: str | None = Field(default=None, max_length=32)  # allow | deny | require_approval
    rule: str | None = Field(default=None, max_length=128)
    approver: str | None = Field(default=None, max_length=128)
    outcome: str = Field(default=AuditOutcome.PENDING.value, max_length=16, index=True)
    duration_ms: int | None = None
    error: str | None = Field(default=None, max_length=2000)
    runner: str | None = Field(default_factory=current_runner, max_length=200)  # host:pid (0003_safety)


class CommandHistory(SQLModel, table=True):
    """What ran successfully, newest last; feeds `history` and follow-ups."""

    __tablename__ = "command_history"

    id: int | None = Field(default=None, primary_key=True)
    ran_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
    audit_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("audit_record.id", ondelete="SET NULL"), nullable=True),
    )
    actor_id: str = Field(max_length=128, index=True)
    source: str = Field(max_length=32)
    workspace: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=64, index=True)
    command: str = Field(max_length=64)
    arguments: str = Field(default="{}")
    namespace: str | None = Field(default=None, max_length=253)
    cluster: str | None = Field(default=None, max_length=253)
    summary: str = Field(default="", max_length=500)
