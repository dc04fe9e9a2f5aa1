"""`token create | revoke | list`: bearer tokens for MCP clients and the HTTP API, and
`get_approval`: how a request that waited for an approval ended."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from klepaas.commands.builtin.projects import Channel, NoArgs, _storage
from klepaas.commands.context import CommandContext
from klepaas.commands.registry import Args, CommandSpec, Risk, Scope
from klepaas.commands.result import Code, Result, Table
from klepaas.errors import NotFound
from klepaas.storage.approvals import Approvals
from klepaas.storage.tokens import ApiToken, ApiTokens

KNOWN_SCOPES = frozenset(scope.value for scope in Scope)


def _check_scopes(value: str) -> str:
    scopes = [s for s in value.replace(",", " ").split() if s]
    unknown = sorted(set(scopes) - KNOWN_SCOPES)
    if not scopes or unknown:
        raise ValueError(
            f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_SCOPES))}"
            if unknown
            else f"give at least one scope of {', '.join(sorted(KNOWN_SCOPES))}"
        )
    return " ".join(sorted(set(scopes)))


Scopes = Annotated[
    str,
    AfterValidator(_check_scopes),
    Field(description="Comma-separated scopes, e.g. mcp:execute,k8s:read", examples=["mcp:execute,k8s:read"]),
]


class TokenCreateArgs(Args):
    name: str = Field(min_length=1, max_length=100, description="What the token is for, e.g. claude-desktop")
    scopes: Scopes
    channel: Channel | None = Field(None, description="Where its approvals are posted (default: here)")


class TokenIdArgs(Args):
    id: str = Field(min_length=4, max_length=16, pattern=r"^[0-9a-f]+$", description="Token id (token list)")


class ApprovalIdArgs(Args):
    id: str = Field(min_length=8, max_length=32, pattern=r"^[0-9a-f]+$", description="Approval id")


def _tokens(ctx: CommandContext) -> ApiTokens:
    return ApiTokens(_storage(ctx).engine)


def _token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "scopes": sorted(token.scopes),
        "channel": token.channel,
        "created_by": token.created_by,
        "revoked": token.revoked,
    }


async def run_create(ctx: CommandContext, args: TokenCreateArgs) -> Result:
    channel = args.channel or ctx.actor.channel
    token, value = await asyncio.to_thread(
        lambda: _tokens(ctx).create(
            name=args.name,
            scopes=args.scopes.split(),
            created_by=ctx.actor.id,
            channel=channel,
            workspace=ctx.actor.workspace,
        )
    )
    ko = ctx.lang == "ko"
    # The value is in a block and the data, never in the summary (which history keeps), and the
    # result is private: Slack shows it only to the admin who asked.
    summary = (
        f"토큰 {token.id}를 만들었습니다. 아래 값은 지금 한 번만, 요청한 분께만 표시됩니다."
        if ko
        else f"Token {token.id} created. The value below is shown this once, only to you."
    )
    return Result(
        command="token_create",
        summary=summary,
        blocks=[Code(text=value, title="Authorization: Bearer")],
        data={"token": _token_json(token), "value": value},
        private=True,
    )


async def run_revoke(ctx: CommandContext, args: TokenIdArgs) -> Result:
    token = await asyncio.to_thread(_tokens(ctx).revoke, args.id)
    ko = ctx.lang == "ko"
    return Result(
        command="token_revoke",
        summary=f"토큰 {token.id}를 폐기했습니다." if ko else f"Token {token.id} ({token.name}) revoked.",
        data={"token": _token_json(token)},
    )


async def run_list(ctx: CommandContext, args: NoArgs) -> Result:
    tokens = await asyncio.to_thread(_tokens(ctx).list)
    rows = [
        [t.id, t.name, " ".join(sorted(t.scopes)), t.channel or "-", "revoked" if t.revoked else "active"]
        for t in tokens
    ]
    return Result(
        command="token_list",
        status="success" if tokens else "info",
        summary=f"{len(tokens)} token(s)"
        if tokens
        else "No tokens yet: token create NAME --scopes mcp:execute,…",
        blocks=[Table(columns=["id", "name", "scopes", "channel", "state"], rows=rows)] if rows else [],
        data={"tokens": [_token_json(t) for t in tokens]},
    )


async def run_get_approval(ctx: CommandContext, args: ApprovalIdArgs) -> Result:
    entry = await asyncio.to_thread(Approvals(_storage(ctx).engine).get, args.id)
    if entry is None:
        raise NotFound(f"No approval {args.id}.")
    decided = (
        datetime.fromtimestamp(entry.decided_at, UTC).isoformat() if entry.decided_at is not None else None
    )
    status = entry.status.value
    summary = f"Approval {entry.id}: {status}" + (f" by {entry.decided_by}" if entry.decided_by else "")
    if entry.outcome:
        summary += f" — {entry.outcome}"
    return Result(
        command="get_approval",
        status="info",
        summary=summary,
        data={
            "approval": {
                "id": entry.id,
                "status": status,
                "command": entry.command,
                "arguments": entry.arguments,
                "namespace": entry.namespace,
                "requester": entry.requester,
                "decided_by": entry.decided_by,
                "decided_at": decided,
                "outcome": entry.outcome,
                "channel": entry.channel,
            }
        },
    )


SPECS: list[CommandSpec[Any]] = [
    CommandSpec(
        name="token_create",
        help_en="Issue a bearer token for an MCP client or the HTTP API",
        help_ko="MCP 클라이언트·HTTP API용 토큰 발급",
        args_model=TokenCreateArgs,
        risk=Risk.WRITE,
        scope=Scope.ADMIN_WRITE,
        run=run_create,
        words=("token", "create"),
        positional=("name",),
        planner=False,
    ),
    CommandSpec(
        name="token_revoke",
        help_en="Revoke a bearer token",
        help_ko="토큰 폐기",
        args_model=TokenIdArgs,
        risk=Risk.WRITE,
        scope=Scope.ADMIN_WRITE,
        run=run_revoke,
        words=("token", "revoke"),
        positional=("id",),
        planner=False,
    ),
    CommandSpec(
        name="token_list",
        help_en="The bearer tokens issued",
        help_ko="발급된 토큰 목록",
        args_model=NoArgs,
        risk=Risk.READ,
        scope=Scope.ADMIN_READ,
        run=run_list,
        words=("token", "list"),
        planner=False,
    ),
    CommandSpec(
        name="get_approval",
        help_en="How a request waiting for approval ended",
        help_ko="승인 대기 요청의 결과",
        args_model=ApprovalIdArgs,
        risk=Risk.READ,
        scope=Scope.K8S_READ,
        run=run_get_approval,
        words=("approval",),
        positional=("id",),
        planner=False,
    ),
]
