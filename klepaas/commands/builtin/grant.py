"""`grant <@user|Uxxxx> <role>`: give a person a role (replacing the policy file's roles for them).

Stored in the database; `grant @jane viewer` takes rights back. Needs admin:write.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from klepaas.commands.builtin._admin import ko, role_policy, slack_user
from klepaas.commands.context import CommandContext
from klepaas.commands.registry import Args, CommandSpec, Risk, Scope
from klepaas.commands.result import Context, Result, Text


class GrantArgs(Args):
    user: Annotated[str, AfterValidator(slack_user), Field(description="A Slack user: @mention or U… id")]
    role: Annotated[
        str, Field(min_length=1, max_length=64, description="viewer, operator, admin, or a defined role")
    ]


async def run_grant(ctx: CommandContext, args: GrantArgs) -> Result:
    policy = role_policy(ctx)
    entry = await asyncio.to_thread(
        lambda: policy.grant(args.user, args.role, granted_by=ctx.actor.id, workspace=ctx.actor.workspace)
    )
    scopes = ", ".join(s.value for s in policy.role_scopes()[args.role])
    summary = (
        f"<@{entry.user_id}>님에게 {args.role} 역할을 주었습니다."
        if ko(ctx)
        else f"<@{entry.user_id}> now has the role {args.role}."
    )
    return Result(
        command="grant",
        summary=summary,
        blocks=[Text(text=summary), Context(text=f"scopes: {scopes} · by <@{entry.granted_by}>")],
        data={"user": entry.user_id, "roles": list(entry.roles), "granted_by": entry.granted_by},
    )


SPECS: list[CommandSpec[Any]] = [
    CommandSpec(
        name="grant",
        args_model=GrantArgs,
        risk=Risk.WRITE,
        scope=Scope.ADMIN_WRITE,
        run=run_grant,
        help_en="Give a person a role (viewer, operator, admin, ...)",
        help_ko="사람에게 역할 부여 (viewer, operator, admin 등)",
        positional=("user", "role"),
        planner=False,
    ),
]
