"""`Storage`: one engine, migrated, and the repositories over it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.pool import PoolProxiedConnection

from klepaas.storage.engine import make_engine
from klepaas.storage.migrate import migrate_engine
from klepaas.storage.pending import PendingWrites
from klepaas.storage.repositories import (
    AtOnceConnection,
    AuditLog,
    History,
    WouldWait,
    _raw_transaction,
)

__all__ = ["Storage", "WouldWait", "WriteConnection"]

# What `Storage.transaction` yields, for the writes that take `connection=`.
WriteConnection = PoolProxiedConnection

T = TypeVar("T")


@dataclass
class Storage:
    engine: Engine
    audit: AuditLog
    history: History
    # Audit and history writes handed to a thread, not yet committed (their readers wait for them).
    pending: PendingWrites = field(default_factory=PendingWrites)
    _at_once: AtOnceConnection | None = field(default=None, init=False, repr=False)

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

    @property
    def writes_at_once(self) -> bool:
        """Whether `transaction_at_once` may be tried: a SQLite file, on this machine's disk. A
        server (PostgreSQL) is a network round trip away: its writes always go to a thread."""
        url = self.engine.url
        return url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")

    @contextmanager
    def transaction_at_once(self) -> Iterator[PoolProxiedConnection]:
        """`transaction` on the caller's thread, for the event loop: raises WouldWait (nothing
        written) rather than wait for another writer; then write it in a thread with `transaction`.
        Only where `writes_at_once`."""
        if self._at_once is None:
            self._at_once = AtOnceConnection(self.engine)
        with self._at_once.transaction() as connection:
            yield connection

    async def write(self, rows: Callable[[WriteConnection], T]) -> T:
        """`rows(connection)` in one transaction, from the event loop: on the loop itself when the
        database takes it at once (`transaction_at_once`), else in a thread (`transaction`)."""
        if self.writes_at_once:
            try:
                with self.transaction_at_once() as connection:
                    return rows(connection)
            except WouldWait:
                pass

        def in_thread() -> T:
            with self.transaction() as connection:
                return rows(connection)

        return await asyncio.to_thread(in_thread)

    def close(self) -> None:
        if self._at_once is not None:
            self._at_once.close()
        self.engine.dispose()
