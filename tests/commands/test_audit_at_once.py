"""The pipeline writes its audit rows on the event loop when SQLite takes them at once, and in a
thread (waiting out the lock) when another writer holds the database: either way every attempt
has its row before its answer. Real commands, the sandbox cluster, a SQLite file."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from klepaas.commands.context import Actor
from klepaas.commands.pipeline import Request
from klepaas.commands.registry import Args, CommandSpec
from klepaas.commands.result import Result
from klepaas.commands.services import Services

pytestmark = pytest.mark.sandbox(samples=True)

ME = Actor(id="U-me", source="console")


class Yes:
    answers_at_once = True

    async def confirm(self, actor: Actor, spec: CommandSpec[Any], args: Args, preview: Result | None) -> bool:
        return True


def hold_the_database(path: Path, seconds: float) -> sqlite3.Connection:
    """Another writer (a `klepaas audit` CLI, a second bot) holding the write lock for a while."""
    other = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    threading.Timer(seconds, lambda: other.execute("COMMIT")).start()
    return other


async def test_requests_made_while_another_writer_holds_the_database_are_all_recorded(
    live_services: Services, tmp_path: Path
) -> None:
    pipeline = live_services.pipeline()
    assert live_services.storage.writes_at_once

    other = hold_the_database(tmp_path / "live.db", 0.3)
    try:
        started = time.perf_counter()
        status = await pipeline.handle(Request(actor=ME, text="status nginx"))
        waited = time.perf_counter() - started
        scale = await pipeline.handle(Request(actor=ME, text="scale api 3 -n staging"), Yes())
        await pipeline.drain()
    finally:
        other.close()

    assert status.ok and scale.ok, (status.result.summary, scale.result.summary)
    assert waited >= 0.2, "the status answered before its row could be written"
    rows = {(row.command, row.outcome) for row in live_services.storage.audit.recent()}
    assert rows == {("status", "success"), ("scale", "success")}


async def test_with_no_one_else_writing_the_rows_are_written_at_once(live_services: Services) -> None:
    pipeline = live_services.pipeline()

    outcome = await pipeline.handle(Request(actor=ME, text="scale api 3 -n staging"), Yes())

    assert outcome.ok, outcome.result.summary
    (row,) = live_services.storage.audit.recent()
    assert (row.command, row.outcome, row.approver) == ("scale", "success", "U-me")
    assert [entry.command for entry in live_services.storage.history.recent()] == ["scale"]
