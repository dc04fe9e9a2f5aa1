"""`klepaas audit export [--since WHEN] [--out FILE]`: the audit log as JSON lines, oldest first.

One JSON object per attempt: who (actor, source, workspace, channel), what (text, command,
arguments, namespace, cluster, plan source), the policy's decision and rule, the approver, the
outcome, the duration and the error. `--since` takes an ISO date or time (`2025-01-31`,
`2025-01-31T08:00:00Z`) or an age (`90m`, `24h`, `7d`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from klepaas.errors import UserError
from klepaas.storage import AuditEntry

_AGE = re.compile(r"^(\d+)([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(value: str, now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    found = _AGE.match(value.strip())
    if found is not None:
        return now - timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"--since {value!r} is neither a date/time nor an age", hint="e.g. 2025-01-31, 24h, 7d"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "started_at": entry.started_at.isoformat(),
        "finished_at": entry.finished_at.isoformat() if entry.finished_at else None,
        "actor": entry.actor_id,
        "source": entry.source,
        "workspace": entry.workspace,
        "channel": entry.channel,
        "text": entry.text,
        "command": entry.command,
        "arguments": entry.arguments,
        "namespace": entry.namespace,
        "cluster": entry.cluster,
        "plan_source": entry.plan_source,
        "decision": entry.decision,
        "rule": entry.rule,
        "approver": entry.approver,
        "outcome": entry.outcome,
        "duration_ms": entry.duration_ms,
        "error": entry.error,
    }


def write_json_lines(entries: Iterable[AuditEntry], out: IO[str]) -> int:
    count = 0
    for entry in entries:
        out.write(json.dumps(entry_json(entry), ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count
