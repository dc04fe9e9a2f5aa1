"""`bind <namespace[,namespace...]>`: bind this channel to namespaces (of the request's cluster).

Commands from the channel then default to the first namespace and may use only these. Stored in
the database (over the policy file's binding for this channel); needs admin:write.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from klepaas.commands.arg_types import Namespace
from klepaas.commands.builtin._admin import ko, role_policy
from klepaas.commands.context import CommandContext
from klepaas.commands.registry import Args, CommandSpec, Risk, Scope
from klepaas.commands.result import Context, Result, Text
from klepaas.errors import UserError


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    return value


class BindArgs(Args):
    namespaces: Annotated[
        list[Namespace],
        BeforeValidator(_split),
        Field(
            min_length=1, max_length=20, description="Namespaces, comma-separated; the first is the default"
        ),
    ]


async def run_bind(ctx: CommandContext, args: BindArgs) -> Result:
    policy = role_policy(ctx)
    channel = ctx.actor.channel
    if not channel:
        raise UserError(
            "bind binds the channel it is typed in; there is no channel here."
            if not ko(ctx)
            else "bind는 입력한 채널을 바인딩합니다. 여기에는 채널이 없습니다."
        )
    if "*" in args.namespaces:
        raise UserError("Bind to named namespaces, not all of them ('*').")
    namespaces = list(dict.fromkeys(args.namespaces))
    entry = await asyncio.to_thread(
        lambda: policy.bind(channel, cluster=ctx.cluster, namespaces=namespaces, bound_by=ctx.actor.id)
    )
    listed = ", ".join(entry.namespaces)
    summary = (
        f"이 채널을 {listed} 네임스페이스에 바인딩했습니다 (기본: {entry.namespaces[0]})."
        if ko(ctx)
        else f"This channel is now bound to {listed} (default {entry.namespaces[0]})."
    )
    return Result(
        command="bind",
        summary=summary,
        blocks=[
            Text(text=summary),
            Context(text=f"cluster: {entry.cluster or 'default'} · by <@{entry.bound_by}>"),
        ],
        data={"channel": channel, "cluster": entry.cluster, "namespaces": list(entry.namespaces)},
    )


SPECS: list[CommandSpec[Any]] = [
    CommandSpec(
        name="bind",
        args_model=BindArgs,
        risk=Risk.WRITE,
        scope=Scope.ADMIN_WRITE,
        run=run_bind,
        help_en="Bind this channel to namespaces: commands here default to and stay in them",
        help_ko="이 채널을 네임스페이스에 바인딩: 여기서의 명령은 그 네임스페이스만 사용",
        positional=("namespaces",),
        planner=False,
    ),
]
