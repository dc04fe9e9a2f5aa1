"""Attempts left `pending` by a process that is gone: marked `interrupted` at the next start.

Each audit row names its runner (`host:pid`). On this host a pending row whose process no longer
exists was cut off mid-command (killed, crashed, power cut): it will never finish, so say so.
Rows of other hosts are left to the age-based sweep (`AuditLog.mark_interrupted`), since we cannot
see their processes. Nothing is re-run: an interrupted attempt is recorded, never retried.
"""

from __future__ import annotations

import os
import socket

from sqlalchemy import CursorResult, Engine, update
from sqlmodel import Session, col, select

from klepaas.storage.models import AuditOutcome, AuditRecord, utcnow


def process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def mark_orphaned(engine: Engine) -> int:
    """Mark pending attempts of dead processes on this host `interrupted`; return how many."""
    prefix = f"{socket.gethostname()[:180]}:"
    with Session(engine) as session:
        rows = session.exec(
            select(AuditRecord.id, AuditRecord.runner)
            .where(col(AuditRecord.outcome) == AuditOutcome.PENDING.value)
            .where(col(AuditRecord.runner).startswith(prefix))
        ).all()
        dead = [row_id for row_id, runner in rows if runner and not _runner_alive(runner, prefix)]
        if not dead:
            return 0
        result = session.execute(
            update(AuditRecord)
            .where(col(AuditRecord.id).in_(dead))
            .where(col(AuditRecord.outcome) == AuditOutcome.PENDING.value)
            .values(
                outcome=AuditOutcome.INTERRUPTED.value,
                finished_at=utcnow(),
                error="the process running it stopped before it finished",
            )
        )
        session.commit()
        return int(result.rowcount or 0) if isinstance(result, CursorResult) else 0


def _runner_alive(runner: str, prefix: str) -> bool:
    try:
        pid = int(runner.removeprefix(prefix))
    except ValueError:
        return True  # not ours to judge
    return process_alive(pid)
