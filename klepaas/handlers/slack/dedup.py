"""A request Slack delivers twice runs once.

Slack retries an `events_api` envelope with the same `event_id` when the ack was late or lost (a
first delivery may already carry `retry_attempt: 0`, so attempt numbers prove nothing); the key for
events is the `event_id`, for slash commands and button clicks the `trigger_id`.

Two layers: an in-memory map with a TTL answers in the ack's synchronous step (no I/O), and the
database (`delivery_seen`) catches a retry that arrives after a restart. The listener checks
memory before spawning; the spawned work checks the database before running.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Any

from klepaas.storage.approvals import Deliveries

# Slack retries for about an hour at most; remember a little longer.
DEFAULT_TTL_SECONDS = 2 * 3600
_MAX_REMEMBERED = 50_000


def delivery_key(body: dict[str, Any]) -> str | None:
    if body.get("event_id"):
        return f"event:{body['event_id']}"
    if body.get("trigger_id"):
        return f"trigger:{body['trigger_id']}"
    return None


class Deduper:
    def __init__(self, deliveries: Deliveries | None, ttl_seconds: float = DEFAULT_TTL_SECONDS) -> None:
        self._deliveries = deliveries
        self._ttl = ttl_seconds
        self._seen: OrderedDict[str, float] = OrderedDict()

    def seen_in_memory(self, key: str | None) -> bool:
        """Synchronous and cheap: True if this process already accepted `key` (then remembers it)."""
        if key is None:
            return False
        now = time.monotonic()
        while self._seen and (
            len(self._seen) > _MAX_REMEMBERED or next(iter(self._seen.values())) < now - self._ttl
        ):
            self._seen.popitem(last=False)
        if key in self._seen:
            return True
        self._seen[key] = now
        return False

    async def first_time(self, key: str | None) -> bool:
        """True unless the database already holds `key` (a retry after a restart)."""
        if key is None or self._deliveries is None:
            return True
        return await asyncio.to_thread(self._deliveries.first_time, key)

    async def forget_old(self) -> int:
        if self._deliveries is None:
            return 0
        return await asyncio.to_thread(self._deliveries.forget_before, time.time() - self._ttl)
