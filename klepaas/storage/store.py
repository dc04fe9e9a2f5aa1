"""`Storage`: one engine, migrated, and the repositories over it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from klepaas.storage.engine import make_engine
from klepaas.storage.migrate import migrate_engine
from klepaas.storage.repositories import AuditLog, History


@dataclass
class Storage:
    engine: Engine
    audit: AuditLog
    history: History

    @classmethod
    def open(cls, database_url: str, *, run_migrations: bool = True) -> Storage:
        """Connect and (by default) upgrade the schema to head. Blocking: call from a thread on a loop."""
        engine = make_engine(database_url)
        if run_migrations:
            migrate_engine(engine)
        return cls(engine=engine, audit=AuditLog(engine), history=History(engine))

    def close(self) -> None:
        self.engine.dispose()
