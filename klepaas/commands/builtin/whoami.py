"""`whoami`: your roles and scopes, your Kubernetes identity, and this channel's binding."""

from __future__ import annotations

from typing import Any

from klepaas.commands.builtin._admin import ko, role_policy
from klepaas.commands.context import CommandContext
from klepaas.commands.registry import Args, CommandSpec, Risk, Scope
from klepaas.commands.result import Context, Fields, Result


class WhoamiArgs(Args):
    pass


async def run_whoami(ctx: CommandContext, args: WhoamiArgs) -> Result:
    policy = role_policy(ctx)
    person = policy.person(ctx.actor.id)
    binding = policy.for_actor(ctx.actor)
    identity = person.identity
    kube = f"{identity.user} ({', '.join(identity.groups) or '-'})" if identity else "-"
    channel = (
        f"{binding.cluster or 'default'}: {', '.join(binding.namespaces)}" if binding is not None else "-"
    )
    roles = ", ".join(person.roles)
    summary = f"<@{person.id}>: {roles}"
    items = [
        ("역할" if ko(ctx) else "Roles", f"{roles} ({person.origin})"),
        ("권한" if ko(ctx) else "Scopes", ", ".join(sorted(s.value for s in person.scopes)) or "-"),
        ("쿠버네티스 신원" if ko(ctx) else "Kubernetes identity", kube),
        ("이 채널" if ko(ctx) else "This channel", channel),
    ]
    if person.groups:
        items.append(("그룹" if ko(ctx) else "Groups", ", ".join(sorted(person.groups))))
    return Result(
        command="whoami",
        status="info",
        summary=summary,
        blocks=[
            Fields(items=items),
            Context(text="policy file" if not policy.open else "no policy file: open"),
        ],
        data={
            "user": person.id,
            "roles": list(person.roles),
            "origin": person.origin,
            "scopes": sorted(s.value for s in person.scopes),
            "groups": sorted(person.groups),
            "kubernetes": None
            if identity is None
            else {"user": identity.user, "groups": list(identity.groups)},
            "channel": None
            if binding is None
            else {"cluster": binding.cluster, "namespaces": list(binding.namespaces)},
        },
    )


SPECS: list[CommandSpec[Any]] = [
    CommandSpec(
        name="whoami",
        args_model=WhoamiArgs,
        risk=Risk.READ,
        scope=Scope.K8S_READ,
        run=run_whoami,
        help_en="Who you are here: your role, scopes, Kubernetes identity and this channel's binding",
        help_ko="내 역할, 권한, 쿠버네티스 신원과 이 채널의 바인딩",
    ),
]
