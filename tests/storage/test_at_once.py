"""`Storage.transaction_at_once`: a SQLite write on the caller's thread that never waits there.
When another connection is writing, it gives up at once (WouldWait, nothing written) instead of
waiting out SQLite's busy timeout on the event loop; the pool's connections are left as they were."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from klepaas.storage import Storage, WouldWait
from klepaas.storage.engine import SQLITE_BUSY_TIMEOUT_MS
from klepaas.storage.repositories import CHECKPOINT_EVERY_COMMITS


def begin_row(storage: Storage, connection: object | None = None) -> int:
    return storage.audit.begin(
        actor_id="U1", source="console", command="status", text="status nginx",
        connection=connection,  # type: ignore[arg-type]
    )


def test_a_sqlite_file_writes_at_once_and_commits(sqlite_url: str) -> None:
    storage = Storage.open(sqlite_url)
    try:
        assert storage.writes_at_once
        with storage.transaction_at_once() as connection:
            audit_id = begin_row(storage, connection)

        entry = storage.audit.get(audit_id)
        assert entry is not None and (entry.command, entry.outcome) == ("status", "pending")
    finally:
        storage.close()


def test_another_writer_makes_it_give_up_at_once_with_nothing_written(
    sqlite_url: str, tmp_path: Path
) -> None:
    storage = Storage.open(sqlite_url)
    other = sqlite3.connect(str(tmp_path / "klepaas.db"), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # someone else holds the write lock
        started = time.perf_counter()
        with pytest.raises(WouldWait), storage.transaction_at_once() as connection:
            begin_row(storage, connection)
        waited = time.perf_counter() - started
        other.execute("ROLLBACK")

        assert waited < 0.5, "it waited for the lock"
        assert storage.audit.recent() == []
    finally:
        other.close()
        storage.close()


def test_the_pooled_connections_still_wait_and_checkpoint_as_configured(sqlite_url: str) -> None:
    storage = Storage.open(sqlite_url)
    try:
        with storage.transaction_at_once() as connection:
            begin_row(storage, connection)
        # Every pooled connection (the one just used among them) waits and checkpoints as configured.
        held = [storage.engine.raw_connection() for _ in range(6)]
        settings = []
        for raw in held:
            cursor = raw.cursor()
            settings.append((cursor.execute("PRAGMA busy_timeout").fetchone()[0],
                             cursor.execute("PRAGMA wal_autocheckpoint").fetchone()[0]))
            cursor.close()
        for raw in held:
            raw.close()

        assert set(settings) == {(SQLITE_BUSY_TIMEOUT_MS, 1000)}
    finally:
        storage.close()


def test_a_write_in_a_thread_waits_for_the_other_writer_instead(sqlite_url: str, tmp_path: Path) -> None:
    storage = Storage.open(sqlite_url)
    other = sqlite3.connect(str(tmp_path / "klepaas.db"), isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")
        threading.Timer(0.2, lambda: other.execute("COMMIT")).start()

        audit_id = begin_row(storage)  # the ordinary transaction: SQLite's busy timeout applies

        assert storage.audit.get(audit_id) is not None
    finally:
        other.close()
        storage.close()


def test_postgresql_and_memory_databases_always_write_in_a_thread(
    postgres_url: str, tmp_path: Path
) -> None:
    for url in (postgres_url, "sqlite://"):
        storage = Storage.open(url)
        try:
            assert not storage.writes_at_once, url
        finally:
            storage.close()


async def test_write_from_the_loop_falls_back_to_a_thread_that_waits_for_the_other_writer(
    sqlite_url: str, tmp_path: Path
) -> None:
    storage = Storage.open(sqlite_url)
    other = sqlite3.connect(str(tmp_path / "klepaas.db"), isolation_level=None, check_same_thread=False)
    try:
        free = await storage.write(lambda connection: begin_row(storage, connection))
        other.execute("BEGIN IMMEDIATE")
        threading.Timer(0.2, lambda: other.execute("COMMIT")).start()
        waited = await storage.write(lambda connection: begin_row(storage, connection))

        assert [entry.id for entry in storage.audit.recent()] == [waited, free]
    finally:
        other.close()
        storage.close()


def test_the_loop_connection_never_waits_and_is_kept_out_of_the_pool(sqlite_url: str) -> None:
    storage = Storage.open(sqlite_url)
    try:
        with storage.transaction_at_once() as connection:
            begin_row(storage, connection)
            cursor = connection.cursor()
            settings = (
                cursor.execute("PRAGMA busy_timeout").fetchone()[0],
                cursor.execute("PRAGMA wal_autocheckpoint").fetchone()[0],
            )
            cursor.close()
        with storage.transaction_at_once() as again:
            assert again is connection  # the same warm connection every time
        assert settings == (0, 0)
        assert storage.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        storage.close()


def test_writes_made_only_on_the_loop_still_get_the_wal_checkpointed(sqlite_url: str, tmp_path: Path) -> None:
    """Its connection never checkpoints on commit; every CHECKPOINT_EVERY_COMMITS commits a
    thread does, so the WAL does not grow without bound when no other connection writes."""
    storage = Storage.open(sqlite_url)
    wal = Path(str(storage.engine.url.database) + "-wal")
    sizes: list[int] = []
    try:
        for _ in range(6):
            for _ in range(2 * CHECKPOINT_EVERY_COMMITS):
                with storage.transaction_at_once() as connection:
                    begin_row(storage, connection)
            time.sleep(0.3)  # the checkpoint thread
            sizes.append(wal.stat().st_size)
    finally:
        storage.close()
    # The WAL is reused after each checkpoint: it stops growing (without them: six times the first).
    assert sizes[-1] < 2 * sizes[0], sizes
