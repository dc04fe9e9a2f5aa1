"""Approval requests that outlive the process, and the inbound deliveries already seen.

An approval holds the exact plan (command + arguments as JSON), the dry-run preview, who asked,
where the request message is, and its state:

    pending ──approve──► approved ──► executed | failed
       │ └───deny─────► denied
       └────expire────► expired

Every transition is one conditional UPDATE (`... WHERE status = 'pending'`), so two clicks, a click
racing the expiry, or two bot processes cannot both win: a plan is executed at most once.
Times are Unix seconds (float) so comparisons work the same on SQLite and PostgreSQL.

`Deliveries` remembers request keys (Slack `event_id`, `trigger_id`) so a delivery Slack retries
runs once, also across a restart.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Engine, Float, Text, delete, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Field, Session, SQLModel, col, select

from klepaas.errors import Unavailable


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"
    EXECUTED = "executed"
    FAILED = "failed"


class ApprovalRecord(SQLModel, table=True):
    __tablename__ = "approval"

    id: str = Field(primary_key=True, max_length=32)
    command: str = Field(max_length=64)
    arguments: str = Field(default="{}")  # JSON object: the exact validated arguments
    plan_text: str = Field(default="", max_length=500)
    preview: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    risk: str = Field(max_length=16)
    namespace: str | None = Field(default=None, max_length=253)
    cluster: str | None = Field(default=None, max_length=253)
    requester: str = Field(max_length=128)
    workspace: str | None = Field(default=None, max_length=64)
    channel: str = Field(max_length=64)
    thread_ts: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)
    lang: str = Field(default="en", max_length=8)
    self_approve: bool = False
    status: str = Field(default=ApprovalStatus.PENDING.value, max_length=16, index=True)
    created_at: float = Field(sa_column=Column(Float, nullable=False))
    expires_at: float = Field(sa_column=Column(Float, nullable=False, index=True))
    decided_by: str | None = Field(default=None, max_length=128)
    decided_at: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    outcome: str | None = Field(default=None, max_length=500)


class DeliverySeen(SQLModel, table=True):
    __tablename__ = "delivery_seen"

    key: str = Field(primary_key=True, max_length=200)
    seen_at: float = Field(sa_column=Column(Float, nullable=False, index=True))


@dataclass(frozen=True)
class ApprovalEntry:
    id: str
    command: str
    arguments: dict[str, Any]
    plan_text: str
    preview: str | None
    risk: str
    namespace: str | None
    cluster: str | None
    requester: str
    workspace: str | None
    channel: str
    thread_ts: str | None
    message_ts: str | None
    lang: str
    self_approve: bool
    status: ApprovalStatus
    created_at: float
    expires_at: float
    decided_by: str | None
    decided_at: float | None
    outcome: str | None

    @classmethod
    def of(cls, row: ApprovalRecord) -> ApprovalEntry:
        return cls(
            id=row.id,
            command=row.command,
            arguments=json.loads(row.arguments),
            plan_text=row.plan_text,
            preview=row.preview,
            risk=row.risk,
            namespace=row.namespace,
            cluster=row.cluster,
            requester=row.requester,
            workspace=row.workspace,
            channel=row.channel,
            thread_ts=row.thread_ts,
            message_ts=row.message_ts,
            lang=row.lang,
            self_approve=row.self_approve,
            status=ApprovalStatus(row.status),
            created_at=row.created_at,
            expires_at=row.expires_at,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            outcome=row.outcome,
        )

    def expired_at(self, now: float) -> bool:
        return self.status is ApprovalStatus.PENDING and now >= self.expires_at


@contextmanager
def _session(engine: Engine) -> Iterator[Session]:
    try:
        with Session(engine) as session:
            yield session
    except IntegrityError:
        raise
    except SQLAlchemyError as exc:
        raise Unavailable(
            f"The database is not available ({type(exc).__name__}).",
            hint="check DATABASE_URL and that the database is up; run `klepaas migrate` after upgrades",
        ) from exc


class Approvals:
    """Sync repository; callers on the event loop use `asyncio.to_thread`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(
        self,
        *,
        command: str,
        arguments: dict[str, Any],
        plan_text: str,
        preview: str | None,
        risk: str,
        namespace: str | None,
        cluster: str | None,
        requester: str,
        workspace: str | None,
        channel: str,
        thread_ts: str | None,
        lang: str,
        self_approve: bool,
        ttl_seconds: float,
        now: float | None = None,
    ) -> ApprovalEntry:
        now = time.time() if now is None else now
        row = ApprovalRecord(
            id=uuid.uuid4().hex,
            command=command,
            arguments=json.dumps(arguments, sort_keys=True, default=str, ensure_ascii=False),
            plan_text=plan_text[:500],
            preview=preview,
            risk=risk,
            namespace=namespace,
            cluster=cluster,
            requester=requester,
            workspace=workspace,
            channel=channel,
            thread_ts=thread_ts,
            lang=lang,
            self_approve=self_approve,
            created_at=now,
            expires_at=now + ttl_seconds,
        )
        with _session(self._engine) as session:
            session.add(row)
            session.commit()
            session.refresh(row)
            return ApprovalEntry.of(row)

    def ping(self) -> bool:
        """Whether the database answers (readiness)."""
        try:
            with self._engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except SQLAlchemyError:
            return False
        return True

    def get(self, approval_id: str) -> ApprovalEntry | None:
        with _session(self._engine) as session:
            row = session.get(ApprovalRecord, approval_id)
            return ApprovalEntry.of(row) if row is not None else None

    def set_message(self, approval_id: str, message_ts: str) -> None:
        with _session(self._engine) as session:
            session.exec(
                update(ApprovalRecord)
                .where(col(ApprovalRecord.id) == approval_id)
                .values(message_ts=message_ts)
            )
            session.commit()

    def decide(self, approval_id: str, *, approve: bool, decided_by: str, now: float | None = None) -> bool:
        """pending → approved/denied, only while not expired. True if this call made the decision."""
        now = time.time() if now is None else now
        status = ApprovalStatus.APPROVED if approve else ApprovalStatus.DENIED
        return self._transition(
            approval_id,
            ApprovalStatus.PENDING,
            {"status": status.value, "decided_by": decided_by, "decided_at": now},
            extra=col(ApprovalRecord.expires_at) > now,
        )

    def finish(self, approval_id: str, *, ok: bool, outcome: str) -> bool:
        """approved → executed/failed."""
        status = ApprovalStatus.EXECUTED if ok else ApprovalStatus.FAILED
        return self._transition(
            approval_id, ApprovalStatus.APPROVED, {"status": status.value, "outcome": outcome[:500]}
        )

    def rollout_failed(self, approval_id: str, *, outcome: str) -> bool:
        """executed → failed: the change was made, and the rollout it started then failed."""
        failed = {"status": ApprovalStatus.FAILED.value, "outcome": outcome[:500]}
        return self._transition(approval_id, ApprovalStatus.EXECUTED, failed)

    def expire_due(self, now: float | None = None) -> list[ApprovalEntry]:
        """Expire every pending approval past its time; return those this call expired."""
        now = time.time() if now is None else now
        with _session(self._engine) as session:
            due = session.exec(
                select(ApprovalRecord)
                .where(col(ApprovalRecord.status) == ApprovalStatus.PENDING.value)
                .where(col(ApprovalRecord.expires_at) <= now)
            ).all()
            ids = [row.id for row in due]
        expired = []
        for approval_id in ids:
            if self._transition(
                approval_id,
                ApprovalStatus.PENDING,
                {"status": ApprovalStatus.EXPIRED.value, "decided_at": now},
                extra=col(ApprovalRecord.expires_at) <= now,
            ):
                entry = self.get(approval_id)
                if entry is not None:
                    expired.append(entry)
        return expired

    def abandon_unrun(self, decided_before: float, outcome: str) -> list[ApprovalEntry]:
        """approved → failed for approvals decided before `decided_before` and never finished: the
        process that was to run them stopped first. Returns those this call closed."""
        with _session(self._engine) as session:
            stuck = session.exec(
                select(ApprovalRecord)
                .where(col(ApprovalRecord.status) == ApprovalStatus.APPROVED.value)
                .where(col(ApprovalRecord.decided_at) < decided_before)
            ).all()
            ids = [row.id for row in stuck]
        closed = []
        for approval_id in ids:
            failed = {"status": ApprovalStatus.FAILED.value, "outcome": outcome}
            if self._transition(approval_id, ApprovalStatus.APPROVED, failed):
                entry = self.get(approval_id)
                if entry is not None:
                    closed.append(entry)
        return closed

    def next_expiry(self) -> float | None:
        """When the earliest pending approval expires (Unix seconds), if any is pending."""
        with _session(self._engine) as session:
            row = session.exec(
                select(ApprovalRecord)
                .where(col(ApprovalRecord.status) == ApprovalStatus.PENDING.value)
                .order_by(col(ApprovalRecord.expires_at))
                .limit(1)
            ).first()
            return row.expires_at if row is not None else None

    def _transition(
        self, approval_id: str, source: ApprovalStatus, values: dict[str, Any], extra: Any = None
    ) -> bool:
        statement = (
            update(ApprovalRecord)
            .where(col(ApprovalRecord.id) == approval_id)
            .where(col(ApprovalRecord.status) == source.value)
        )
        if extra is not None:
            statement = statement.where(extra)
        with _session(self._engine) as session:
            count = session.exec(statement.values(**values)).rowcount
            session.commit()
            return bool(count == 1)


class Deliveries:
    """Keys of inbound deliveries already accepted (Slack event ids, trigger ids)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def first_time(self, key: str, now: float | None = None) -> bool:
        """Record `key`; False if it was recorded before (a retry or a duplicate)."""
        now = time.time() if now is None else now
        try:
            with _session(self._engine) as session:
                session.add(DeliverySeen(key=key[:200], seen_at=now))
                session.commit()
        except IntegrityError:
            return False
        return True

    def forget_before(self, cutoff: float) -> int:
        with _session(self._engine) as session:
            count = session.exec(delete(DeliverySeen).where(col(DeliverySeen.seen_at) < cutoff)).rowcount
            session.commit()
            return int(count or 0)
