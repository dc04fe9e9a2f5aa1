"""`Storage`: one engine, migrated, and the repositories over it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.pool import PoolProxiedConnection

from klepaas.storage.engine import make_engine
from klepaas.storage.migrate import migrate_engine
from klepaas.storage.pending import PendingWrites
from klepaas.storage.repositories import AuditLog, History, _raw_transaction


@dataclass
class Storage:
    engine: Engine
    audit: AuditLog
    history: History
    # Audit and history writes handed to a thread, not yet committed (their readers wait for them).
    pending: PendingWrites = field(default_factory=PendingWrites)

    @classmethod
    def open(cls, database_url: str, *, run_migrations: bool = True) -> Storage:
        """Connect and (by default) upgrade the schema to head. Blocking: call from a thread on a loop."""
        engine = make_engine(database_url)
        if run_migrations:
            migrate_engine(engine)
        pending = PendingWrites()
        return cls(
            engine=engine,
            audit=AuditLog(engine, pending),
            history=History(engine, pending),
            pending=pending,
        )

    @contextmanager
    def transaction(self) -> Iterator[PoolProxiedConnection]:
        """One transaction for several of the per-request writes (`AuditLog.complete`,
        `History.record`, `DeploymentLog.record` take it as `connection=`): committed together
        on leaving, or not at all."""
        with _raw_transaction(self.engine) as connection:
            yield connection

    def close(self) -> None:
        self.engine.dispose()
