"""`history [app]`: the deployment history — restarts, scales, rollbacks and deploys, newest first."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from pydantic import Field

from klepaas.commands.arg_types import K8sName, Namespace
from klepaas.commands.builtin._admin import ko, storage, when
from klepaas.commands.context import CommandContext
from klepaas.commands.registry import Args, CommandSpec, Risk, Scope
from klepaas.commands.result import Context, Result, Table
from klepaas.storage.policy_store import DeploymentLog


class HistoryArgs(Args):
    name: K8sName | None = None
    namespace: Namespace | None = None
    limit: Annotated[int, Field(ge=1, le=100, description="How many entries")] = 20


async def run_history(ctx: CommandContext, args: HistoryArgs) -> Result:
    log = DeploymentLog(storage(ctx).engine)
    entries = await asyncio.to_thread(lambda: log.recent(args.limit, app=args.name, namespace=args.namespace))
    k = ko(ctx)
    rows = [
        [
            when(e.at),
            e.app,
            e.command,
            f"{e.image_before or '-'} → {e.image_after or '-'}" if e.image_before or e.image_after else "-",
            str(e.revision or "-"),
            (e.commit or "-")[:12],
            f"<@{e.actor_id}> ({e.trigger})",
            e.outcome,
        ]
        for e in entries
    ]
    what = args.name or ("모든 앱" if k else "all apps")
    summary = (
        f"{what} 배포 이력 {len(rows)}건 ({args.namespace})"
        if k
        else f"{len(rows)} deployment history entries for {what} in {args.namespace}"
    )
    if not rows:
        summary = (
            f"{what}: 배포 이력이 없습니다 ({args.namespace})"
            if k
            else f"No deployment history for {what} in {args.namespace}"
        )
    return Result(
        command="history",
        status="success" if rows else "info",
        summary=summary,
        blocks=[
            Table(
                columns=["when", "app", "change", "image", "revision", "commit", "by", "outcome"], rows=rows
            )
        ]
        if rows
        else [Context(text=summary)],
        data={
            "entries": [
                {
                    "at": e.at.isoformat(),
                    "app": e.app,
                    "namespace": e.namespace,
                    "cluster": e.cluster,
                    "command": e.command,
                    "revision": e.revision,
                    "image_before": e.image_before,
                    "image_after": e.image_after,
                    "commit": e.commit,
                    "trigger": e.trigger,
                    "actor": e.actor_id,
                    "outcome": e.outcome,
                }
                for e in entries
            ]
        },
    )


SPECS: list[CommandSpec[Any]] = [
    CommandSpec(
        name="history",
        args_model=HistoryArgs,
        risk=Risk.READ,
        scope=Scope.K8S_READ,
        run=run_history,
        # The first sentence is the LLM tool's description: it must not read like rollout_history.
        help_en="Who restarted, scaled, rolled back or deployed which app, and when (the bot's action log)",
        help_ko="배포 이력: 누가 언제 무엇을 재시작/스케일/롤백/배포했는지",
        positional=("name",),
    ),
]
