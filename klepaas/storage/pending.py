"""Writes this process has handed to a thread and not yet committed.

The pipeline writes an attempt's audit row while a read runs, and completes a read's row (and
its history row) after the answer is on its way (see `klepaas.commands.pipeline`). Readers of
those tables in the same process wait here first, so that "status nginx" followed at once by
"audit" shows the status as finished, and "audit" shows its own attempt: read-your-writes within
the process, at the cost of a counter when nothing is pending.
"""

from __future__ import annotations

import threading

# A reader waits at most this long for pending writes; past it, it reads what is committed.
MAX_WAIT_SECONDS = 5.0


class PendingWrites:
    def __init__(self) -> None:
        self._idle = threading.Condition()
        self._count = 0

    def add(self) -> None:
        """A write is scheduled. Call before handing it to its thread; `done` once it ended."""
        with self._idle:
            self._count += 1

    def done(self) -> None:
        with self._idle:
            self._count -= 1
            if self._count == 0:
                self._idle.notify_all()

    def wait(self, timeout: float = MAX_WAIT_SECONDS) -> bool:
        """Block until no write is pending (or `timeout` passed); True when none is."""
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, timeout)

    @property
    def count(self) -> int:
        return self._count
