"""What the safety layer keeps in the database (migration 0003_safety).

- `role_grant`, `channel_bind`: what admins changed at run time (`grant`, `bind`), merged over the
  policy file by `klepaas.commands.policy.RolePolicy`.
- `deployment_record`: every restart, scale, rollback and deploy with the images before and after,
  the revision and commit: what `history` and rollback-by-commit read.
- `approval_guard`: what an approval was granted against (the rule, and the target deployment's
  generation and images at the preview), so a stale approval can be refused after a restart too.
- `stored_secret`: secrets at rest (OAuth tokens and the like), encrypted with Fernet; without a
  key, storing or reading one is a `ConfigError`, never plaintext.

Sync repositories, each call one short transaction; callers on the event loop use `asyncio.to_thread`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Engine, Float, Integer, Table, Text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import PoolProxiedConnection
from sqlmodel import Field, Session, SQLModel, col, select

from klepaas.errors import Unavailable
from klepaas.storage.installations import Sealer
from klepaas.storage.models import utcnow
from klepaas.storage.repositories import _Direct, _insert_of, _joined, _returned_id


class RoleGrant(SQLModel, table=True):
    __tablename__ = "role_grant"

    user_id: str = Field(primary_key=True, max_length=128)
    workspace: str | None = Field(default=None, max_length=64)
    roles: str = Field(default="[]")  # JSON list of role names; replaces the file's roles
    granted_by: str = Field(max_length=128)
    granted_at: float = Field(sa_column=Column(Float, nullable=False))


class ChannelBind(SQLModel, table=True):
    __tablename__ = "channel_bind"

    channel: str = Field(primary_key=True, max_length=64)
    cluster: str | None = Field(default=None, max_length=253)
    namespaces: str = Field(default="[]")  # JSON list; the first is the channel's default
    bound_by: str = Field(max_length=128)
    bound_at: float = Field(sa_column=Column(Float, nullable=False))


class DeploymentRecord(SQLModel, table=True):
    __tablename__ = "deployment_record"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
    app: str = Field(max_length=253, index=True)
    namespace: str = Field(max_length=253)
    cluster: str | None = Field(default=None, max_length=253)
    command: str = Field(max_length=64)
    revision: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    image_before: str | None = Field(default=None, max_length=1000)
    image_after: str | None = Field(default=None, max_length=1000)
    commit: str | None = Field(default=None, max_length=64, index=True)
    trigger: str = Field(max_length=32)  # slack, console, mcp, webhook, http, alert
    actor_id: str = Field(max_length=128)
    outcome: str = Field(max_length=16)  # success | failure
    audit_id: int | None = None
    summary: str = Field(default="", max_length=500)


class ApprovalGuard(SQLModel, table=True):
    __tablename__ = "approval_guard"

    approval_id: str = Field(primary_key=True, max_length=32)
    rule: str | None = Field(default=None, max_length=128)
    state: str = Field(default="{}")  # JSON: the target's generation and images at the preview


class StoredSecret(SQLModel, table=True):
    __tablename__ = "stored_secret"

    name: str = Field(primary_key=True, max_length=200)
    ciphertext: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: float = Field(sa_column=Column(Float, nullable=False))


@contextmanager
def _session(engine: Engine) -> Iterator[Session]:
    try:
        with Session(engine) as session:
            yield session
    except SQLAlchemyError as exc:
        raise Unavailable(
            f"The database is not available ({type(exc).__name__}).",
            hint="check DATABASE_URL and that the database is up; run `klepaas migrate` after upgrades",
        ) from exc


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# ---- run-time policy changes --------------------------------------------------------------------


@dataclass(frozen=True)
class GrantEntry:
    user_id: str
    workspace: str | None
    roles: tuple[str, ...]
    granted_by: str
    granted_at: float


@dataclass(frozen=True)
class BindEntry:
    channel: str
    cluster: str | None
    namespaces: tuple[str, ...]
    bound_by: str
    bound_at: float


class PolicyStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def set_roles(
        self, user_id: str, roles: list[str], *, granted_by: str, workspace: str | None = None
    ) -> GrantEntry:
        with _session(self._engine) as session:
            row = session.get(RoleGrant, user_id) or RoleGrant(
                user_id=user_id, granted_by=granted_by, granted_at=0.0
            )
            row.roles, row.granted_by, row.granted_at = json.dumps(roles), granted_by, time.time()
            row.workspace = workspace
            session.add(row)
            session.commit()
            session.refresh(row)
            return _grant(row)

    def grants(self) -> list[GrantEntry]:
        with _session(self._engine) as session:
            return [_grant(row) for row in session.exec(select(RoleGrant)).all()]

    def bind(self, channel: str, *, cluster: str | None, namespaces: list[str], bound_by: str) -> BindEntry:
        with _session(self._engine) as session:
            row = session.get(ChannelBind, channel) or ChannelBind(
                channel=channel, bound_by=bound_by, bound_at=0.0
            )
            row.cluster, row.namespaces = cluster, json.dumps(namespaces)
            row.bound_by, row.bound_at = bound_by, time.time()
            session.add(row)
            session.commit()
            session.refresh(row)
            return _bind(row)

    def bindings(self) -> list[BindEntry]:
        with _session(self._engine) as session:
            return [_bind(row) for row in session.exec(select(ChannelBind)).all()]


def _grant(row: RoleGrant) -> GrantEntry:
    roles = tuple(json.loads(row.roles))
    return GrantEntry(row.user_id, row.workspace, roles, row.granted_by, row.granted_at)


def _bind(row: ChannelBind) -> BindEntry:
    return BindEntry(row.channel, row.cluster, tuple(json.loads(row.namespaces)), row.bound_by, row.bound_at)


# ---- deployment history -----------------------------------------------------------------------


@dataclass(frozen=True)
class DeploymentEntry:
    id: int
    at: datetime
    app: str
    namespace: str
    cluster: str | None
    command: str
    revision: int | None
    image_before: str | None
    image_after: str | None
    commit: str | None
    trigger: str
    actor_id: str
    outcome: str
    audit_id: int | None
    summary: str


_LOGGED = (
    "at",
    "app",
    "namespace",
    "cluster",
    "command",
    "revision",
    "image_before",
    "image_after",
    "commit",
    "trigger",
    "actor_id",
    "outcome",
    "audit_id",
    "summary",
)


class DeploymentLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        table: Table = DeploymentRecord.__table__  # type: ignore[attr-defined]
        self._insert = _Direct(_insert_of(table, _LOGGED).returning(table.c.id), engine)

    def record(
        self,
        *,
        app: str,
        namespace: str,
        cluster: str | None,
        command: str,
        trigger: str,
        actor_id: str,
        outcome: str,
        revision: int | None = None,
        image_before: str | None = None,
        image_after: str | None = None,
        commit: str | None = None,
        audit_id: int | None = None,
        summary: str = "",
        connection: PoolProxiedConnection | None = None,
    ) -> int:
        row = {
            "at": utcnow(),
            "app": app,
            "namespace": namespace,
            "cluster": cluster,
            "command": command,
            "revision": revision,
            "image_before": (image_before or None) and image_before[:1000],
            "image_after": (image_after or None) and image_after[:1000],
            "commit": commit,
            "trigger": trigger,
            "actor_id": actor_id,
            "outcome": outcome,
            "audit_id": audit_id,
            "summary": summary[:500],
        }
        # Every change command writes one of these, with its audit row's completion.
        with _joined(self._engine, connection) as joined:
            return _returned_id(self._insert.execute(joined, row))

    def recent(
        self, n: int = 20, *, app: str | None = None, namespace: str | None = None
    ) -> list[DeploymentEntry]:
        """The newest `n` records, newest first; optionally one app's (in one namespace)."""
        statement = select(DeploymentRecord)
        if app is not None:
            statement = statement.where(col(DeploymentRecord.app) == app)
        if namespace is not None:
            statement = statement.where(col(DeploymentRecord.namespace) == namespace)
        statement = statement.order_by(col(DeploymentRecord.id).desc()).limit(n)
        with _session(self._engine) as session:
            return [_deployment(row) for row in session.exec(statement).all()]

    def with_commit(self, app: str, namespace: str, commit: str) -> DeploymentEntry | None:
        """The newest successful deploy of `app` whose commit starts with `commit`."""
        statement = (
            select(DeploymentRecord)
            .where(col(DeploymentRecord.app) == app)
            .where(col(DeploymentRecord.namespace) == namespace)
            .where(col(DeploymentRecord.outcome) == "success")
            .where(col(DeploymentRecord.commit).startswith(commit.lower()))
            .order_by(col(DeploymentRecord.id).desc())
            .limit(1)
        )
        with _session(self._engine) as session:
            row = session.exec(statement).first()
            return _deployment(row) if row is not None else None


def _deployment(row: DeploymentRecord) -> DeploymentEntry:
    assert row.id is not None
    return DeploymentEntry(
        id=row.id,
        at=_aware(row.at),
        app=row.app,
        namespace=row.namespace,
        cluster=row.cluster,
        command=row.command,
        revision=row.revision,
        image_before=row.image_before,
        image_after=row.image_after,
        commit=row.commit,
        trigger=row.trigger,
        actor_id=row.actor_id,
        outcome=row.outcome,
        audit_id=row.audit_id,
        summary=row.summary,
    )


# ---- approval guards ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GuardEntry:
    approval_id: str
    rule: str | None
    state: dict[str, Any]


class ApprovalGuards:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def put(self, approval_id: str, *, rule: str | None, state: dict[str, Any] | None) -> None:
        with _session(self._engine) as session:
            row = session.get(ApprovalGuard, approval_id) or ApprovalGuard(approval_id=approval_id)
            row.rule, row.state = rule, json.dumps(state or {}, sort_keys=True, default=str)
            session.add(row)
            session.commit()

    def get(self, approval_id: str) -> GuardEntry | None:
        with _session(self._engine) as session:
            row = session.get(ApprovalGuard, approval_id)
            if row is None:
                return None
            return GuardEntry(row.approval_id, row.rule, json.loads(row.state))


# ---- secrets ----------------------------------------------------------------------------------


class SecretStore:
    """Named secrets encrypted at rest with Fernet (`KLEPAAS_ENCRYPTION_KEY`, the same `Sealer` as
    the Slack installations). Without a key, `put` and `get` are a ConfigError naming the setting."""

    def __init__(self, engine: Engine, key: str | None) -> None:
        self._engine = engine
        self._key = key

    def put(self, name: str, value: str) -> None:
        token = Sealer(self._key).seal({"value": value})
        with _session(self._engine) as session:
            row = session.get(StoredSecret, name) or StoredSecret(name=name, ciphertext="", updated_at=0.0)
            row.ciphertext, row.updated_at = token, time.time()
            session.add(row)
            session.commit()

    def get(self, name: str) -> str | None:
        sealer = Sealer(self._key)
        with _session(self._engine) as session:
            row = session.get(StoredSecret, name)
            token = row.ciphertext if row is not None else None
        return None if token is None else str(sealer.open(token)["value"])
