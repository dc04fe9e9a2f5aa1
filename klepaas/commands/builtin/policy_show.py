"""`policy`: the policy in force — roles, people, channel bindings, approval rules."""

from __future__ import annotations

from typing import Any

from klepaas.commands.builtin._admin import ko, role_policy
from klepaas.commands.context import CommandContext
from klepaas.commands.registry import Args, CommandSpec, Risk, Scope
from klepaas.commands.result import Block, Context, Result, Table


class PolicyArgs(Args):
    pass


def _match_text(rule: Any) -> str:
    m = rule.match
    parts = [
        f"{label}={','.join(str(v) for v in values)}"
        for label, values in (
            ("risk", m.risk),
            ("commands", m.commands),
            ("ns", m.namespaces),
            ("cluster", m.clusters),
        )
        if values
    ]
    return " ".join(parts) or "anything"


async def run_policy(ctx: CommandContext, args: PolicyArgs) -> Result:
    policy = role_policy(ctx)
    doc = policy.document
    k = ko(ctx)
    roles = [[role, ", ".join(s.value for s in scopes)] for role, scopes in policy.role_scopes().items()]
    people: dict[str, tuple[str, str]] = {
        u: (", ".join(e.roles) or doc.default_role, "file") for u, e in doc.users.items()
    }
    people.update({u: (", ".join(r), "granted") for u, r in policy.grants().items()})
    bindings = policy.bindings()
    rules = [
        [
            doc.rule_name(i),
            _match_text(rule),
            ", ".join(
                [
                    *rule.approvers.roles,
                    *(f"<@{u}>" for u in rule.approvers.users),
                    *(f"group {g}" for g in rule.approvers.groups),
                ]
            )
            or ("누구나" if k else "anyone"),
            "yes" if rule.self_approve else "no",
            f"{rule.ttl}s" if rule.ttl else "-",
        ]
        for i, rule in enumerate(doc.approvals)
    ]
    blocks: list[Block] = [
        Table(title="역할" if k else "Roles", columns=["role", "scopes"], rows=roles),
        Table(
            title="사람" if k else "People",
            columns=["user", "roles", "from"],
            rows=[[f"<@{u}>", r, o] for u, (r, o) in sorted(people.items())],
        ),
        Table(
            title="채널" if k else "Channels",
            columns=["channel", "cluster", "namespaces"],
            rows=[
                [f"<#{c}>", b.cluster or "default", ", ".join(b.namespaces)]
                for c, b in sorted(bindings.items())
            ],
        ),
        Table(
            title="승인 규칙" if k else "Approval rules",
            columns=["rule", "match", "approvers", "self", "ttl"],
            rows=rules,
        ),
        Context(
            text=f"default role: {doc.default_role} · production: {ctx.settings.kube.production_namespace} "
            "(changes there only through a rule)" + (" · no policy file: open" if policy.open else "")
        ),
    ]
    summary = (
        f"역할 {len(roles)}개, 사람 {len(people)}명, 채널 {len(bindings)}개, 승인 규칙 {len(rules)}개"
        if k
        else f"{len(roles)} roles, {len(people)} people, {len(bindings)} channels, {len(rules)} rules"
    )
    return Result(
        command="policy",
        status="info",
        summary=summary,
        blocks=blocks,
        data={
            "open": policy.open,
            "default_role": doc.default_role,
            "roles": {role: [s.value for s in scopes] for role, scopes in policy.role_scopes().items()},
            "people": {u: {"roles": r, "from": o} for u, (r, o) in people.items()},
            "channels": {
                c: {"cluster": b.cluster, "namespaces": list(b.namespaces)} for c, b in bindings.items()
            },
            "approvals": [rule.model_dump(mode="json") for rule in doc.approvals],
        },
    )


SPECS: list[CommandSpec[Any]] = [
    CommandSpec(
        name="policy",
        args_model=PolicyArgs,
        risk=Risk.READ,
        scope=Scope.ADMIN_READ,
        run=run_policy,
        help_en="The policy in force: roles, people, channel bindings and approval rules",
        help_ko="현재 정책: 역할, 사람, 채널 바인딩, 승인 규칙",
        planner=False,
    ),
]
