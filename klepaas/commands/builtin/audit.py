"""`audit [n]`: the newest attempts from the audit log — who asked what, where, what policy said,
who approved, and how it ended (refusals included)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from pydantic import Field

from klepaas.commands.builtin._admin import ko, storage, when
from klepaas.commands.context import CommandContext
from klepaas.commands.registry import Args, CommandSpec, Risk, Scope
from klepaas.commands.result import Result, Table


class AuditArgs(Args):
    n: Annotated[int, Field(ge=1, le=200, description="How many of the newest attempts")] = 20


async def run_audit(ctx: CommandContext, args: AuditArgs) -> Result:
    entries = await asyncio.to_thread(storage(ctx).audit.recent, args.n)
    rows = [
        [
            str(e.id),
            when(e.started_at),
            f"<@{e.actor_id}> ({e.source})",
            e.command or "-",
            e.namespace or "-",
            f"{e.decision or '-'} ({e.rule or '-'})",
            f"<@{e.approver}>" if e.approver else "-",
            e.outcome,
            (e.error or "")[:80],
        ]
        for e in entries
    ]
    summary = f"최근 시도 {len(rows)}건" if ko(ctx) else f"The {len(rows)} newest attempts"
    return Result(
        command="audit",
        status="info",
        summary=summary,
        blocks=[
            Table(
                columns=["id", "when", "who", "command", "ns", "decision", "approver", "outcome", "error"],
                rows=rows,
            )
        ],
        data={
            "entries": [
                {
                    "id": e.id,
                    "started_at": e.started_at.isoformat(),
                    "actor": e.actor_id,
                    "source": e.source,
                    "channel": e.channel,
                    "command": e.command,
                    "arguments": e.arguments,
                    "decision": e.decision,
                    "rule": e.rule,
                    "approver": e.approver,
                    "outcome": e.outcome,
                    "duration_ms": e.duration_ms,
                    "error": e.error,
                }
                for e in entries
            ]
        },
    )


SPECS: list[CommandSpec[Any]] = [
    CommandSpec(
        name="audit",
        args_model=AuditArgs,
        risk=Risk.READ,
        scope=Scope.ADMIN_READ,
        run=run_audit,
        help_en="The newest attempts from the audit log, refusals included",
        help_ko="감사 로그의 최근 시도 (거부 포함)",
        positional=("n",),
    ),
]
