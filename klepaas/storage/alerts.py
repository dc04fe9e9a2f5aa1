"""Alert messages that outlive the process: which Slack message shows which alert group.

One row per alert group (`key`: Alertmanager's groupKey, or the watcher's object and reason):
the channel and ts of its message, a digest of what it last said (an unchanged problem is never
posted twice), firing/resolved, and when it was last written (throttling). Silences are keys
muted until a time. The deployment's last change is read from the safety issue's
`deployment_record` table when it exists.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Engine, Float, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, Session, SQLModel

from klepaas.errors import Unavailable


class AlertMessageRecord(SQLModel, table=True):
    __tablename__ = "alert_message"

    key: str = Field(primary_key=True, max_length=300)
    source: str = Field(max_length=16)
    channel: str = Field(max_length=64)
    ts: str | None = Field(default=None, max_length=32)
    namespace: str | None = Field(default=None, max_length=253)  # the group's, for silence_alert's policy
    digest: str = Field(max_length=64)
    status: str = Field(max_length=16)
    posted_at: float = Field(sa_column=Column(Float, nullable=False))
    updated_at: float = Field(sa_column=Column(Float, nullable=False, index=True))


class AlertSilenceRecord(SQLModel, table=True):
    __tablename__ = "alert_silence"

    key: str = Field(primary_key=True, max_length=300)
    until: float = Field(sa_column=Column(Float, nullable=False))
    silenced_by: str = Field(max_length=128)


@dataclass(frozen=True)
class AlertMessage:
    key: str
    source: str
    channel: str
    ts: str | None
    digest: str
    status: str
    posted_at: float
    updated_at: float
    namespace: str | None = None


@dataclass(frozen=True)
class LastChange:
    """The deployment's latest recorded change: who, what, when."""

    actor_id: str
    command: str
    summary: str
    at: datetime | None
    image_after: str | None


@contextmanager
def _session(engine: Engine) -> Iterator[Session]:
    try:
        with Session(engine) as session:
            yield session
    except SQLAlchemyError as exc:
        raise Unavailable(
            f"The database is not available ({type(exc).__name__}).",
            hint="check DATABASE_URL; run `klepaas migrate` after upgrades",
        ) from exc


def _entry(row: AlertMessageRecord) -> AlertMessage:
    return AlertMessage(
        row.key,
        row.source,
        row.channel,
        row.ts,
        row.digest,
        row.status,
        row.posted_at,
        row.updated_at,
        row.namespace,
    )


def app_silence_key(namespace: str, app: str) -> str:
    """The silence key that mutes every alert about one app (its group keys are muted one by one)."""
    return f"app:{namespace}/{app}"


class AlertMessages:
    """Sync repository; callers on the event loop use `asyncio.to_thread`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, key: str) -> AlertMessage | None:
        with _session(self._engine) as session:
            row = session.get(AlertMessageRecord, key[:300])
            return _entry(row) if row is not None else None

    def save(
        self,
        *,
        key: str,
        source: str,
        channel: str,
        ts: str | None,
        digest: str,
        status: str,
        namespace: str | None = None,
        now: float | None = None,
    ) -> AlertMessage:
        """Insert or update the group's row (ts kept when None is given for an existing row)."""
        now = time.time() if now is None else now
        with _session(self._engine) as session:
            row = session.get(AlertMessageRecord, key[:300])
            if row is None:
                row = AlertMessageRecord(
                    key=key[:300],
                    source=source,
                    channel=channel,
                    ts=ts,
                    digest=digest,
                    status=status,
                    namespace=namespace,
                    posted_at=now,
                    updated_at=now,
                )
            else:
                row.channel, row.digest, row.status, row.updated_at = channel, digest, status, now
                row.namespace = namespace or row.namespace
                if ts is not None:
                    row.ts = ts
            session.add(row)
            session.commit()
            session.refresh(row)
            return _entry(row)

    def silence(self, key: str, *, until: float, by: str) -> None:
        with _session(self._engine) as session:
            row = session.get(AlertSilenceRecord, key[:300]) or AlertSilenceRecord(
                key=key[:300], until=until, silenced_by=by
            )
            row.until, row.silenced_by = until, by
            session.add(row)
            session.commit()

    def silenced_until(self, key: str, now: float | None = None) -> float | None:
        silence = self.silence_of(key, now)
        return silence[0] if silence is not None else None

    def silence_of(self, key: str, now: float | None = None) -> tuple[float, str] | None:
        """(until, who) of the silence in force on `key`, if any."""
        now = time.time() if now is None else now
        with _session(self._engine) as session:
            row = session.get(AlertSilenceRecord, key[:300])
            return (row.until, row.silenced_by) if row is not None and row.until > now else None

    def last_change(self, app: str, namespace: str) -> LastChange | None:
        """From the deployment history (`deployment_record`), if that table exists."""
        with _session(self._engine) as session:
            connection = session.connection()
            if not inspect(connection).has_table("deployment_record"):
                return None
            row = connection.execute(
                text(
                    "SELECT actor_id, command, summary, at, image_after FROM deployment_record "
                    "WHERE app = :app AND namespace = :ns ORDER BY at DESC, id DESC LIMIT 1"
                ),
                {"app": app, "ns": namespace},
            ).first()
        if row is None:
            return None
        at = row[3] if isinstance(row[3], datetime) else (datetime.fromisoformat(row[3]) if row[3] else None)
        return LastChange(actor_id=row[0], command=row[1], summary=row[2], at=at, image_after=row[4])
