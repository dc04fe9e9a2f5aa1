"""The audit log in id order, in pages (for `klepaas audit export`): never the whole table in memory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from klepaas.storage.models import AuditRecord
from klepaas.storage.repositories import AuditEntry

PAGE = 500


def iter_audit(engine: Engine, since: datetime | None = None) -> Iterator[AuditEntry]:
    """Every attempt (started at or after `since`), oldest first."""
    after = 0
    while True:
        statement = select(AuditRecord).where(col(AuditRecord.id) > after)
        if since is not None:
            statement = statement.where(col(AuditRecord.started_at) >= since)
        with Session(engine) as session:
            rows = session.exec(statement.order_by(col(AuditRecord.id)).limit(PAGE)).all()
            entries = [AuditEntry.of(row) for row in rows]
        yield from entries
        if len(entries) < PAGE:
            return
        after = entries[-1].id
