"""Storage: sqlmodel tables, the engine, repositories and Alembic migrations.

The only package that imports sqlmodel/sqlalchemy. Everything here is synchronous; callers on
the event loop use `asyncio.to_thread` (see `Storage`), or `Storage.write` for the per-request
writes, which it makes on the loop when a SQLite file takes them at once.
"""

from klepaas.storage.engine import make_engine, normalize_url, redact_url
from klepaas.storage.migrate import current_revision, head_revision, migrate, migrate_engine
from klepaas.storage.models import AuditOutcome
from klepaas.storage.repositories import AuditEntry, AuditLog, History, HistoryEntry
from klepaas.storage.store import Storage, WouldWait, WriteConnection

__all__ = [
    "AuditEntry",
    "AuditLog",
    "AuditOutcome",
    "History",
    "HistoryEntry",
    "Storage",
    "WouldWait",
    "WriteConnection",
    "current_revision",
    "head_revision",
    "make_engine",
    "migrate",
    "migrate_engine",
    "normalize_url",
    "redact_url",
]
